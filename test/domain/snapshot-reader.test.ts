import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ObservationSnapshotSchema, parseObservationSnapshot, WORKLOAD_KINDS } from "../../src/domain/index.js";
import { FAST_PATH_ENABLED, readCommonSnapshot, readCommonSnapshotText, schemaShapes, splitWorkloads } from "../../src/domain/snapshot.js";
import { mutate, mutatedArbitrary } from "../helpers/mutations.js";

/*
 * The snapshot reader's walk (readCommonSnapshot) must return exactly what the schema returns, or
 * leave the input to the schema: never accept what the schema refuses, never build something else.
 * "Exactly" includes the order of every object's members, so outputs are compared as JSON text.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function schemaOutput(json: unknown): string | undefined {
  const result = ObservationSnapshotSchema.safeParse(json);
  return result.success ? JSON.stringify(result.data) : undefined;
}

/** Members of an object in a shuffled order: the JSON a writer with another key order produces. */
function shuffled(object: Record<string, Json | undefined>, order: number): { [key: string]: Json } {
  const entries = Object.entries(object).filter((entry): entry is [string, Json] => entry[1] !== undefined);
  const result: { [key: string]: Json } = {};
  const rotated = entries.map((entry, index) => entries[(index + order) % entries.length]!);
  for (const [key, value] of order % 2 === 0 ? rotated : rotated.reverse()) result[key] = value;
  return result;
}

const TIMES = ["2026-11-14T06:00:00Z", "2026-11-18T03:12:00Z", "2026-11-21T06:00:00Z", "2026-11-20T01:00:00+01:00", "2026-11-19T12:00:00.500Z"];
const maybe = <T,>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const extra = maybe(fc.record({ key: fc.constantFrom("note", "zzz", "aaa", "x-added-later", "10"), value: fc.constantFrom<Json>("kept", 3, null, [1, "a"], { nested: true }) }));

function withExtra(object: Record<string, Json | undefined>, more: { key: string; value: Json } | undefined, order: number): { [key: string]: Json } {
  return shuffled(more ? { ...object, [more.key]: more.value } : object, order);
}

const statistics = (scale: number) =>
  fc
    .record({ values: fc.array(fc.double({ min: 0, max: scale, noNaN: true }), { minLength: 6, maxLength: 6 }), samples: fc.nat({ max: 30_000 }), integral: fc.boolean(), order: fc.nat(), extra })
    .map(({ values, samples, integral, order, extra: more }) => {
      const [p50, p90, p95, p99, max] = values.slice(0, 5).map((value) => (integral ? Math.round(value) : value)).sort((a, b) => a - b) as [number, number, number, number, number];
      return withExtra({ p50, p90, p95, p99, max, mean: integral ? Math.round(values[5]!) : values[5]!, samples }, more, order);
    });

const quantities = fc
  .record({ cpu: maybe(fc.constantFrom("250m", "1", "0.5", "2500m", "1e3")), memory: maybe(fc.constantFrom("512Mi", "1Gi", "268435456", "2G")), order: fc.nat() })
  .map(({ cpu, memory, order }) => shuffled({ cpu, memory }, order));

const series = fc
  .record({
    step: fc.constantFrom("1h", "2h", "15m"),
    cpu: maybe(fc.array(fc.tuple(fc.integer({ min: 1_763_100_000, max: 1_763_704_000 }), fc.double({ min: 0, max: 4, noNaN: true }), fc.double({ min: 0, max: 4, noNaN: true })), { maxLength: 3 })),
    memory: maybe(fc.constant([] as Json[])),
    order: fc.nat(),
  })
  .map(({ step, cpu, memory, order }) => shuffled({ step, cpu: cpu as Json, memory }, order));

const container = (name: string) =>
  fc
    .record({
      current: maybe(fc.record({ requests: maybe(quantities), limits: maybe(quantities), order: fc.nat() }).map(({ requests, limits, order }) => shuffled({ requests, limits }, order))),
      cpu: maybe(statistics(4)),
      memory: maybe(statistics(4 * 2 ** 30)),
      oomKills: maybe(fc.array(fc.record({ at: fc.constantFrom(TIMES[1]!, TIMES[2]!), pod: fc.constantFrom("web-0", "") }), { maxLength: 2 })),
      restarts: maybe(fc.nat({ max: 30 })),
      throttledRatio: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
      unknown: maybe(fc.constantFrom<Json>({ restarts: "kube_pod_container_status_restarts_total" }, { oomKills: "kube_pod_container_status_last_terminated_reason", cpu: "x" })),
      series: maybe(series),
      order: fc.nat(),
      extra,
    })
    .map(({ order, extra: more, ...fields }) => withExtra({ name, ...fields }, more, order));

const run = (index: number) =>
  fc
    .record({
      durationSeconds: fc.double({ min: 0, max: 3_600, noNaN: true }),
      exitCode: fc.constantFrom<Json>(0, 1, null),
      succeeded: fc.boolean(),
      peaks: fc.array(fc.record({ cpuPeak: fc.double({ min: 0, max: 8, noNaN: true }), memoryPeak: fc.nat({ max: 2 ** 33 }) }), { minLength: 1, maxLength: 2 }),
      order: fc.nat(),
    })
    .map(({ peaks, order, ...fields }) =>
      shuffled({ run: `run-${index}`, startedAt: TIMES[1]!, containers: Object.fromEntries(peaks.map((peak, at) => [`c${at}`, peak])), ...fields }, order),
    );

const workload = (index: number, version: number) =>
  fc
    .record({
      kind: fc.constantFrom(...WORKLOAD_KINDS),
      runBased: fc.boolean(),
      pods: fc.nat({ max: 20 }),
      coverage: fc.double({ min: 0, max: 1, noNaN: true }),
      containers: fc.integer({ min: 0, max: 2 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, at) => container(`c${at}`)))),
      runs: fc.integer({ min: 1, max: 3 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, at) => run(at)))),
      hpa: maybe(fc.constantFrom<Json>({ metrics: ["cpu"] }, { name: "web", metrics: [] })),
      problems: maybe(fc.constantFrom<Json>([], ["403 Forbidden"])),
      unknown: maybe(fc.constantFrom<Json>({ owners: "kube_pod_owner" }, { jobTiming: "kube_job_status_start_time", owners: "kube_pod_owner" })),
      queries: fc.boolean(),
      order: fc.nat(),
      extra,
    })
    .map(({ kind, runBased, runs, queries, order, extra: more, containers, ...fields }) =>
      withExtra(
        {
          workload: { cluster: "prod", namespace: "shop", kind, name: `w${index}` },
          source: "prometheus",
          mode: runBased ? "run-based" : "continuous",
          window: { from: TIMES[0]!, to: TIMES[2]! },
          containers,
          runs: runBased ? runs : undefined,
          queries: queries ? (version === 1 ? ["up"] : ["q1"]) : undefined,
          ...fields,
        },
        more,
        order,
      ),
    );

const snapshot = fc.constantFrom(1, 2, 3).chain((version) =>
  fc
    .record({
      workloads: fc.integer({ min: 0, max: 3 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, at) => workload(at, version)))),
      problems: maybe(fc.constantFrom<Json>([{ cluster: "prod", message: "cannot list namespace kube-system" }], [{ cluster: "prod", namespace: "a", message: "m", extra: 1 }])),
      order: fc.nat(),
      extra,
    })
    .map(({ workloads, problems, order, extra: more }) =>
      withExtra(
        {
          schemaVersion: version,
          kind: "ObservationSnapshot",
          createdAt: TIMES[2]!,
          queries: version === 1 ? undefined : { q1: { promql: "up", at: TIMES[2]! }, q2: { promql: "rate(x[5m])", range: { start: TIMES[0]!, end: TIMES[2]!, step: 60 } } },
          workloads,
          problems,
        },
        more,
        order,
      ),
    ),
);

/** Every path to a value in the tree, so a tweak can reach any of them. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const children = Array.isArray(value) ? value.map((item, index) => paths(item, [...prefix, index])) : Object.entries(value).map(([key, item]) => paths(item, [...prefix, key]));
  return [prefix, ...children.flat()];
}

const REPLACEMENTS: Json[] = [-1, 0, 1, 2, 0.5, 1e300, "", "x", "500m", "5Gb", "2026-11-20", TIMES[1]!, null, true, [], {}, [0, 0, 0], { p50: 1 }];

/** Replaces or deletes the value at a path (a deep copy: the generated tree is shared between runs). */
function tweak(tree: Json, target: (string | number)[], replacement: Json | "delete" | "__proto__"): Json {
  const copy = JSON.parse(JSON.stringify(tree)) as Json;
  if (target.length === 0) return replacement === "delete" || replacement === "__proto__" ? copy : replacement;
  let parent = copy as { [key: string]: Json } | Json[];
  for (const key of target.slice(0, -1)) parent = (parent as Record<string | number, Json>)[key] as typeof parent;
  const last = target[target.length - 1]!;
  if (replacement === "__proto__" && !Array.isArray(parent)) Object.defineProperty(parent, "__proto__", { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
  else if (replacement === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else (parent as Record<string | number, Json>)[last] = replacement;
  return copy;
}

describe("the snapshot reader's walk", () => {
  it("reads the schema's shapes (a member added to the schema turns the walk off until it reads it too)", () => {
    expect(FAST_PATH_ENABLED).toBe(true);
    expect(schemaShapes().container).toEqual(["cpu", "current", "memory", "name", "oomKills", "restarts", "series", "throttledRatio", "unknown"]);
  });

  it("returns the schema's output for generated snapshots, members in the schema's order, and reads nearly all of them itself", () => {
    let read = 0;
    let valid = 0;
    fc.assert(
      fc.property(snapshot, (json) => {
        const expected = schemaOutput(json);
        const fast = readCommonSnapshot(json);
        if (expected !== undefined) valid++;
        if (fast === undefined) return;
        read++;
        expect(JSON.stringify(fast)).toBe(expected);
      }),
      { numRuns: 300 },
    );
    // Generated snapshots are valid unless an OOM kill or run falls outside the window; the walk reads every valid one.
    expect(valid).toBeGreaterThan(150);
    expect(read).toBe(valid);
  });

  it("never accepts a snapshot the schema refuses, and agrees with it on every tweak of one value", () => {
    fc.assert(
      fc.property(snapshot, fc.nat(), fc.constantFrom<Json | "delete" | "__proto__">(...REPLACEMENTS, "delete", "delete", "__proto__"), (json, at, replacement) => {
        const all = paths(json);
        const changed = tweak(json, all[at % all.length]!, replacement);
        const expected = schemaOutput(changed);
        const fast = readCommonSnapshot(changed);
        if (expected === undefined) expect(fast).toBeUndefined();
        else if (fast !== undefined) expect(JSON.stringify(fast)).toBe(expected);
      }),
      { numRuns: 1_500 },
    );
  });

  it("keeps unknown members after the known ones, fills the defaults, and sorts the members as the schema does", () => {
    const json = {
      workloads: [
        {
          workload: { name: "web", kind: "Deployment", namespace: "shop", cluster: "prod" },
          window: { to: "2026-11-21T06:00:00Z", from: "2026-11-14T06:00:00Z" },
          source: "prometheus",
          mode: "continuous",
          pods: 2,
          coverage: 0.9,
          future: { added: "later" },
          containers: [{ name: "app", current: { requests: { memory: "1Gi" } }, note: "kept" }],
        },
      ],
      createdAt: "2026-11-21T06:00:00Z",
      kind: "ObservationSnapshot",
      schemaVersion: 3,
    };
    const expected =
      '{"createdAt":"2026-11-21T06:00:00Z","kind":"ObservationSnapshot","schemaVersion":3,"workloads":[{"containers":[{"current":{"limits":{},"requests":{"memory":"1Gi"}},' +
      '"name":"app","oomKills":[],"restarts":0,"throttledRatio":0,"note":"kept"}],"coverage":0.9,"mode":"continuous","pods":2,"problems":[],"queries":[],"source":"prometheus",' +
      '"window":{"from":"2026-11-14T06:00:00Z","to":"2026-11-21T06:00:00Z"},"workload":{"cluster":"prod","kind":"Deployment","name":"web","namespace":"shop"},"future":{"added":"later"}}]}';
    expect(JSON.stringify(readCommonSnapshot(json))).toBe(expected);
    expect(schemaOutput(json)).toBe(expected);
  });

  it("leaves a __proto__ member, and anything the schema refuses, to the schema and its messages", () => {
    const json = JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/snapshots/shop.json"), "utf8")) as { workloads: Array<Record<string, unknown>> };
    expect(readCommonSnapshot(json)).toBeDefined();
    const polluted = JSON.parse(JSON.stringify(json).replace('"source":', '"__proto__":{"x":1},"source":')) as unknown;
    expect(readCommonSnapshot(polluted)).toBeUndefined();
    expect(parseObservationSnapshot(polluted).workloads[0]!.source).toBe("prometheus");
    const refused = JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/snapshots/invalid-p95.json"), "utf8")) as unknown;
    expect(readCommonSnapshot(refused)).toBeUndefined();
    expect(() => parseObservationSnapshot(refused, "snap.json")).toThrow(/snap\.json: invalid observation snapshot:\n  workloads\[0\]\.containers\[0\]\.cpu\.p95: /);
  });
});

describe("reading the snapshot's text one workload at a time", () => {
  it("splits the workloads array where JSON.parse would, past brackets and quotes inside strings", () => {
    const pieces = (text: string) => {
      const split = splitWorkloads(text);
      return split && { array: text.slice(split.open, split.close + 1), elements: split.elements.map(([start, end]) => text.slice(start, end)) };
    };
    expect(pieces('{"workloads":[]}')).toEqual({ array: "[]", elements: [] });
    expect(pieces('\n{ "kind" : "x",\n  "workloads" : [ ]\t}\r\n')).toEqual({ array: "[ ]", elements: [] });
    expect(pieces('{"workloads":[{"a":"]"}, {"b":"\\"[","c":[1,{"d":"}"}]}],"x":[1,2]}')).toEqual({
      array: '[{"a":"]"}, {"b":"\\"[","c":[1,{"d":"}"}]}]',
      elements: ['{"a":"]"}', ' {"b":"\\"[","c":[1,{"d":"}"}]}'],
    });
    // A key named workloads deeper down is not the snapshot's.
    expect(pieces('{"a":{"workloads":[1]},"workloads":[2, 3]}')).toEqual({ array: "[2, 3]", elements: ["2", " 3"] });
    // A trailing comma leaves an empty piece, which JSON.parse refuses (and so the whole text is parsed and refused).
    expect(pieces('{"workloads":[1,]}')).toEqual({ array: "[1,]", elements: ["1", ""] });
  });

  it("leaves to JSON.parse a text that is not one object with one workloads array", () => {
    for (const text of ['[]', '{"workloads":{}}', '{"workloads":null}', '{"workloads":[],"workloads":[1]}', '{"work\\u006coads":[1],"workloads":[]}', '{"workloads":[]} x', '{"workloads":["]}', '{"kind":"x"}']) {
      expect(splitWorkloads(text), text).toBeUndefined();
    }
  });

  it("returns the schema's output for the whole text, however the JSON is laid out", () => {
    fc.assert(
      fc.property(snapshot, fc.constantFrom<number | string | undefined>(undefined, 2, "\t", " "), (json, gap) => {
        const text = JSON.stringify(json, null, gap);
        const read = readCommonSnapshotText(text);
        const expected = schemaOutput(JSON.parse(text));
        // Read exactly when the schema accepts it (generated snapshots are refused when an OOM kill or a run falls outside the window).
        expect(read === undefined ? undefined : JSON.stringify(read)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("never reads a text that JSON.parse or the schema refuses, nor reads one differently (mutated texts)", () => {
    const seeds = fc.sample(snapshot, { numRuns: 12, seed: 26 }).map((json, index) => JSON.stringify(json, null, index % 2 === 0 ? 2 : undefined));
    fc.assert(
      fc.property(mutatedArbitrary(seeds), ({ seed, mutations }) => {
        const { text, bytes } = mutate(seeds[seed]!, mutations);
        if (bytes) return;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          expect(readCommonSnapshotText(text)).toBeUndefined();
          return;
        }
        const read = readCommonSnapshotText(text);
        const expected = schemaOutput(json);
        if (expected === undefined) expect(read).toBeUndefined();
        else if (read !== undefined) expect(JSON.stringify(read)).toBe(expected);
      }),
      { numRuns: 1_500 },
    );
  });
});
