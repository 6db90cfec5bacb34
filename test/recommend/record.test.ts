import { TOOL } from "../../src/version.js";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, DecisionRecordSchema, recommendWorkload, renderDecisionTable } from "../../src/recommend/index.js";
import { TOOL_VERSION } from "../../src/version.js";
import { AT, container, DEFAULTS_SOURCE, policy, recommend, workload } from "./builders.js";

const REQUESTS = { cpu: "300m", memory: "288Mi" };

describe("decision record (SPEC §6)", () => {
  it("carries the fields other tools read, and validates against its own schema", () => {
    const record = recommend(workload({ containers: [container({ requests: REQUESTS })] }), {
      manifest: { path: "apps/cart.yaml", document: 2 },
    });
    expect(DecisionRecordSchema.safeParse(record).success).toBe(true);
    expect(record).toMatchObject({
      schemaVersion: 2,
      tool: { name: "rightsize", version: TOOL_VERSION },
      createdAt: AT,
      policy: DEFAULTS_SOURCE,
      workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "cart", manifest: { path: "apps/cart.yaml", document: 2 } },
      observation: {
        source: "prometheus",
        mode: "continuous",
        window: { from: "2026-11-07T00:00:00.000Z", to: "2026-11-21T00:00:00.000Z" },
        coverage: 1,
        pods: 3,
        queries: [],
        runs: null,
      },
      decision: { action: "propose" },
    });
    expect(Object.keys(record.containers[0]!)).toEqual([
      "name",
      "current",
      "usage",
      "evidence",
      "safety",
      "safetyByResource",
      "confidence",
      "recommended",
      "derivation",
      "change",
      "action",
      "reasons",
      "cost",
    ]);
    // SPEC §11: 300m → 210m saves 0.09 cores × 0.031611 USD × 730 h × 3 pods = 6.23 USD a month.
    expect(record.cost).toEqual({ currency: "USD", cpuCoreHour: 0.031611, memoryGiBHour: 0.004237, hoursPerMonth: 730, replicas: 3, monthly: { cpu: -6.23, memory: 0, total: -6.23 } });
    expect(record.containers[0]!.cost).toEqual({ cpu: -6.23, memory: 0, total: -6.23 });
    expect(record.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects a record with a field of the wrong shape, naming it", () => {
    const record = recommend(workload());
    const broken = { ...record, decision: { ...record.decision, action: "maybe" } };
    const result = DecisionRecordSchema.safeParse(broken);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["decision", "action"]);
  });

  it("publishes the JSON Schema with the record's top-level fields required", () => {
    const published = JSON.parse(readFileSync(new URL("../../schemas/decision.schema.json", import.meta.url), "utf8"));
    expect(published.title).toBe("Rightsize decision record");
    expect(published.required).toEqual([
      "schemaVersion",
      "tool",
      "createdAt",
      "policy",
      "workload",
      "observation",
      "containers",
      "confidenceFormula",
      "decision",
      "inputsDigest",
    ]);
  });
});

describe("inputs digest", () => {
  it("writes canonical JSON with sorted keys, bigints as strings and undefined members dropped", () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2n, c: undefined }], e: "x", f: null })).toBe('{"a":[1,{"d":"2"}],"b":1,"e":"x","f":null}');
  });

  it("writes any value as JSON with every object's keys sorted (as strings, so \"10\" before \"2\")", () => {
    const reference = (value: unknown): string => {
      if (typeof value === "bigint") return JSON.stringify(value.toString());
      if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : reference(item))).join(",")}]`;
      if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
      const object = value as Record<string, unknown>;
      const members = Object.keys(object).sort().filter((name) => object[name] !== undefined);
      return `{${members.map((name) => `${JSON.stringify(name)}:${reference(object[name])}`).join(",")}}`;
    };
    // Keys from a small alphabet (and digits, which objects order first), so sorted and unsorted objects both occur.
    const key = fc.constantFrom("a", "b", "c", "id", "name", "2", "10");
    const values = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt()),
        fc.array(tie("value")),
        fc.dictionary(key, tie("value")),
      ),
    })).value;
    fc.assert(fc.property(values, (value) => canonicalJson(value) === reference(value)), { numRuns: 2_000 });
    expect(canonicalJson({ a: 1, b: { c: [1, undefined] }, d: undefined })).toBe('{"a":1,"b":{"c":[1,null]}}');
    expect(canonicalJson({ b: { c: 1 }, a: 2 })).toBe('{"a":2,"b":{"c":1}}');
    expect(canonicalJson({ 2: "two", 10: "ten" })).toBe('{"10":"ten","2":"two"}');
  });

  it("writes every string exactly as JSON.stringify does (quotes, backslashes, control characters, surrogates)", () => {
    expect(canonicalJson('a"b\\c\n\u0001\ud800')).toBe(JSON.stringify('a"b\\c\n\u0001\ud800'));
    fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => canonicalJson(text) === JSON.stringify(text)));
  });

  it("is the sha256 of the canonical observation, policy, policy source, manifest and time", () => {
    const observation = workload();
    const resolved = policy();
    const record = recommendWorkload({ tool: TOOL, observation, policy: resolved, policySource: DEFAULTS_SOURCE, at: AT });
    const canonical = canonicalJson({ observation, policy: resolved, policySource: DEFAULTS_SOURCE, manifest: null, at: AT });
    expect(canonical.startsWith('{"at":"2026-11-21T06:00:00Z","manifest":null,"observation":{"containers":[')).toBe(true);
    expect(record.inputsDigest).toBe(createHash("sha256").update(canonical).digest("hex"));
  });

  it("covers the series, which the trend rules read (SPEC §5)", () => {
    const observation = workload();
    const point: [number, number, number] = [1, 0.2, 0.3];
    const charted = { ...observation, containers: observation.containers.map((entry) => ({ ...entry, series: { step: "1h", cpu: [point], memory: [] } })) };
    const digest = (observed: typeof observation) => recommendWorkload({ tool: TOOL, observation: observed, policy: policy(), policySource: DEFAULTS_SOURCE, at: AT }).inputsDigest;
    expect(digest(charted)).not.toBe(digest(observation));
    const heavier = { ...observation, containers: observation.containers.map((entry) => ({ ...entry, restarts: entry.restarts + 1 })) };
    expect(digest(heavier)).not.toBe(digest(observation));
  });

  it("changes with the evaluation time and with the policy", () => {
    const observation = workload();
    const base = recommendWorkload({ tool: TOOL, observation, policy: policy(), policySource: DEFAULTS_SOURCE, at: AT }).inputsDigest;
    expect(recommendWorkload({ tool: TOOL, observation, policy: policy(), policySource: DEFAULTS_SOURCE, at: "2026-11-22T06:00:00Z" }).inputsDigest).not.toBe(base);
    const other = policy({ recommend: { margins: { SAFE: 1.2 } } });
    expect(recommendWorkload({ tool: TOOL, observation, policy: other, policySource: DEFAULTS_SOURCE, at: AT }).inputsDigest).not.toBe(base);
  });
});

describe("renderDecisionTable (--output text)", () => {
  it("prints one row per container and each workload's decision with its reasons", () => {
    const proposed = recommend(workload({ containers: [container({ requests: REQUESTS })] }));
    const blocked = recommend(workload({ name: "worker", containers: [container({ requests: { cpu: "300m", memory: "512Mi" }, restarts: 20 })] }));
    expect(renderDecisionTable([proposed, blocked])).toBe(
      [
        "CLUSTER  WORKLOAD                CONTAINER  CPU REQUEST         MEMORY REQUEST  PER MONTH  SAFETY  CONFIDENCE  ACTION   DECISION",
        "prod     shop/Deployment/cart    server     300m → 210m (−30%)  288Mi           −6.23 USD  SAFE    HIGH (100)  change   propose",
        "prod     shop/Deployment/worker  server     300m                512Mi           -          UNSAFE  HIGH (80)   blocked  blocked",
        "",
        "prod/shop/Deployment/cart: propose",
        "  - changes in 1 of 1 container: server (cpu 300m → 210m)",
        "prod/shop/Deployment/worker: blocked",
        "  - server: rated UNSAFE: 20 restarts in the window (UNSAFE at 20 or more)",
        "",
      ].join("\n"),
    );
  });

  it("says so when there is nothing to show", () => {
    expect(renderDecisionTable([])).toBe("no workloads in the snapshot\n");
  });
});
