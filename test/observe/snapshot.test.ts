import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InputError, observationQueryId, parseObservationSnapshot, type WorkloadObservation } from "../../src/domain/index.js";
import { recommendWorkload } from "../../src/recommend/index.js";
import { TOOL } from "../../src/version.js";
import { loadPolicy } from "../../src/policy/index.js";
import { buildSnapshot, renderSnapshot, writeSnapshotFile } from "../../src/observe/index.js";
import { seriesStep } from "../../src/domain/index.js";
import { memoryRange, queryWindow, rateRange, scrapeIntervalFrom } from "../../src/observe/prometheus/queries.js";

function observation(cluster: string, namespace: string, kind: WorkloadObservation["workload"]["kind"], name: string): WorkloadObservation {
  return {
    workload: { cluster, namespace, kind, name },
    source: "prometheus",
    mode: "continuous",
    window: { from: "2025-01-01T00:00:00Z", to: "2025-01-08T00:00:00Z" },
    pods: 1,
    coverage: 1,
    queries: [],
    containers: [{ name: "app", oomKills: [], restarts: 0, throttledRatio: 0, series: { step: "1h", cpu: [[1735693200, 0.2, 0.3]], memory: [] } }],
    problems: [],
  };
}

describe("buildSnapshot", () => {
  it("orders workloads by cluster, namespace, kind and name", () => {
    const snapshot = buildSnapshot(
      [observation("prod", "shop", "StatefulSet", "db"), observation("edge", "shop", "Deployment", "web"), observation("prod", "batch", "Job", "x"), observation("prod", "shop", "Deployment", "web")],
      "2025-01-08T00:00:00Z",
    );
    expect(snapshot.workloads.map((o) => `${o.workload.cluster}/${o.workload.namespace}/${o.workload.kind}/${o.workload.name}`)).toEqual([
      "edge/shop/Deployment/web",
      "prod/batch/Job/x",
      "prod/shop/Deployment/web",
      "prod/shop/StatefulSet/db",
    ]);
    expect(snapshot).toMatchObject({ schemaVersion: 3, kind: "ObservationSnapshot", createdAt: "2025-01-08T00:00:00Z", queries: {} });
    expect("problems" in snapshot).toBe(false);
  });

  it("refuses an observation the schema does not accept", () => {
    const broken = { ...observation("prod", "shop", "Deployment", "web"), coverage: 1.5 };
    expect(() => buildSnapshot([broken], "2025-01-08T00:00:00Z")).toThrow(/coverage/);
  });
});

describe("renderSnapshot", () => {
  it("puts each series point on one line", () => {
    const text = renderSnapshot(buildSnapshot([observation("prod", "shop", "Deployment", "web")], "2025-01-08T00:00:00Z"));
    expect(text).toContain('"cpu": [\n');
    expect(text).toContain("[1735693200, 0.2, 0.3]");
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("renders JSON that parses back to the same value", () => {
    const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true })),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        const snapshot = { schemaVersion: 1, kind: "ObservationSnapshot", createdAt: "2025-01-08T00:00:00Z", workloads: [], extra: value } as never;
        expect(JSON.parse(renderSnapshot(snapshot))).toEqual(JSON.parse(JSON.stringify(snapshot)));
      }),
    );
  });
});

describe("writeSnapshotFile", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), "rightsize-snapshot-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("replaces the file in one step and leaves no temporary file", async () => {
    const file = path.join(directory, "snapshot.json");
    const snapshot = buildSnapshot([observation("prod", "shop", "Deployment", "web")], "2025-01-08T00:00:00Z");
    await writeSnapshotFile(file, buildSnapshot([], "2025-01-01T00:00:00Z"));
    await writeSnapshotFile(file, snapshot);
    expect(await readFile(file, "utf8")).toBe(renderSnapshot(snapshot));
    expect(await readdir(directory)).toEqual(["snapshot.json"]);
  });

  it("says which path cannot be written and writes nothing", async () => {
    const file = path.join(directory, "missing", "snapshot.json");
    const failure = writeSnapshotFile(file, buildSnapshot([], "2025-01-01T00:00:00Z"));
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(`cannot write the snapshot to ${file}`);
    expect(await readdir(directory)).toEqual(["snapshot.json"]);
  });
});

describe("snapshot schema version 2: the queries once, at snapshot level", () => {
  const VERSION_1 = JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/snapshots/shop.json"), "utf8")) as { schemaVersion: number; workloads: Array<{ queries?: string[] }> };
  const CPU_P95 = 'quantile_over_time(0.95, rate(container_cpu_usage_seconds_total{namespace="shop"}[5m])[7d:1m])';
  const sha = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

  it("reads version 1, moving each workload's query texts to the snapshot once and referring to them by id", () => {
    expect(VERSION_1.schemaVersion).toBe(1);
    expect(VERSION_1.workloads[0]!.queries).toContain(CPU_P95);
    const snapshot = parseObservationSnapshot(VERSION_1);
    expect(snapshot.schemaVersion).toBe(3);
    const id = sha(JSON.stringify({ promql: CPU_P95 }));
    expect(observationQueryId({ promql: CPU_P95 })).toBe(id);
    expect(snapshot.queries![id]).toEqual({ promql: CPU_P95 });
    expect(snapshot.workloads[0]!.queries).toContain(id);
    const texts = new Set(VERSION_1.workloads.flatMap((workload) => workload.queries ?? []));
    expect(Object.keys(snapshot.queries!)).toHaveLength(texts.size);
    // A workload without queries (the member is optional in version 1) refers to none.
    expect(snapshot.workloads[1]!.queries).toEqual([]);
    expect(snapshot.workloads.flatMap((workload) => workload.queries).every((reference) => reference in snapshot.queries!)).toBe(true);
  });

  it("reads version 2 as version 3, its evidence as recorded (a version 2 file could not say what was unknown)", () => {
    const version2 = { ...JSON.parse(JSON.stringify(buildSnapshot([observation("prod", "shop", "Deployment", "web")], "2025-01-08T00:00:00Z"))), schemaVersion: 2 };
    const read = parseObservationSnapshot(version2);
    expect(read.schemaVersion).toBe(3);
    expect(read.workloads[0]!.containers.length).toBeGreaterThan(0);
    expect(read.workloads[0]!.containers.every((container) => container.unknown === undefined)).toBe(true);
    expect(read.workloads).toEqual(parseObservationSnapshot({ ...version2, schemaVersion: 3 }).workloads);
  });

  it("rejects unknown evidence that names no metric", () => {
    const snapshot = JSON.parse(JSON.stringify(buildSnapshot([observation("prod", "shop", "Deployment", "web")], "2025-01-08T00:00:00Z")));
    snapshot.workloads[0].containers[0].unknown = { restarts: "" };
    expect(() => parseObservationSnapshot(snapshot, "snap.json")).toThrow("snap.json: invalid observation snapshot:\n  workloads[0].containers[0].unknown.restarts: Too small: expected string to have >=1 characters");
  });

  it("names the workload whose query reference the snapshot does not list", () => {
    const snapshot = { ...buildSnapshot([{ ...observation("prod", "shop", "Deployment", "web"), queries: ["0123456789abcdef"] }], "2025-01-08T00:00:00Z", [], { "0123456789abcdef": { promql: "up" } }) };
    expect(parseObservationSnapshot(JSON.parse(JSON.stringify(snapshot))).workloads[0]!.queries).toEqual(["0123456789abcdef"]);
    const broken = { ...snapshot, queries: {} };
    expect(() => parseObservationSnapshot(broken, "snap.json")).toThrow(
      `snap.json: invalid observation snapshot:\n  workloads[0].queries[0]: "0123456789abcdef" is not a key of the snapshot's queries; version 2 lists each query once there and workloads refer to it by id`,
    );
  });

  it("gives the decision record the references, not the texts", () => {
    const snapshot = parseObservationSnapshot(VERSION_1);
    const { policy } = loadPolicy({ path: ".github/rightsize.yml", text: "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n" });
    const policySource = { path: ".github/rightsize.yml", apiVersion: "rightsize.dev/v1alpha2", sha256: "" };
    const record = recommendWorkload({ tool: TOOL, observation: snapshot.workloads[0]!, policy, policySource, at: "2026-11-21T06:00:00Z" });
    expect(record.observation.queries).toEqual(snapshot.workloads[0]!.queries);
    expect(record.observation.queries.every((reference) => /^[0-9a-f]{16}$/.test(reference))).toBe(true);
  });
});

describe("query resolution", () => {
  it.each([
    [3600, 60, 61],
    [24 * 3600, 60, 1441],
    [48 * 3600, 120, 1441],
    [7 * 86_400, 300, 2017],
    [30 * 86_400, 1800, 1441],
  ])("a %is window is read at a %is step, %i points from its start to its end", (seconds, step, points) => {
    // 1_736_000_100 is a multiple of 60 and 300 but not of 120 or 1800.
    const to = 1_736_000_100;
    const window = queryWindow(to, seconds);
    expect(window).toEqual({ to, seconds, step, start: Math.ceil((to - seconds) / step) * step, points: expect.any(Number) });
    expect(window.start % step).toBe(0);
    expect(window.start + (window.points - 1) * step).toBeLessThanOrEqual(to);
    expect(window.start + window.points * step).toBeGreaterThan(to);
    if (to % step === 0) expect(window.points).toBe(points);
  });

  it.each([
    // [window, scrape interval, rate range]: four scrape intervals, at least one step, 2m unmeasured.
    [7 * 86_400, 15, 300],
    [7 * 86_400, 30, 300],
    [7 * 86_400, 60, 300],
    [7 * 86_400, 300, 1200],
    [7 * 86_400, 327.3, 1310],
    [48 * 3600, 60, 240],
    [48 * 3600, undefined, 120],
    [3600, 15, 60],
  ])("a %is window scraped every %ss takes rate() over %is", (seconds, interval, range) => {
    expect(rateRange(queryWindow(1_736_000_100, seconds), interval)).toBe(range);
  });

  it("reads the working set through last_over_time only when scrapes are more than half the lookback apart", () => {
    expect(memoryRange(undefined)).toBeUndefined();
    expect(memoryRange(60)).toBeUndefined();
    expect(memoryRange(150)).toBeUndefined();
    expect(memoryRange(300)).toBe(600);
  });

  it("measures the scrape interval from the sample counts of its probe ranges, keeping the smaller estimate", () => {
    // 13 samples in an hour that starts on a scrape, 12 in one that does not (or in a store whose
    // ranges leave out their start): both mean 5m, the whole number of seconds among 3600 ÷ 11 and 3600 ÷ 12.
    expect(scrapeIntervalFrom([{ range: 3600, count: 13 }])).toBe(300);
    expect(scrapeIntervalFrom([{ range: 3600, count: 12 }])).toBe(300);
    // Neither whole (7 samples: 600 or 514.3): range ÷ (n − 1), as before.
    expect(scrapeIntervalFrom([{ range: 3600, count: 7 }])).toBe(600);
    expect(scrapeIntervalFrom([{ range: 3500, count: 8 }])).toBe(500);
    expect(scrapeIntervalFrom([{ range: 3500, count: 9 }])).toBeCloseTo(437.5, 5);
    // Short Jobs never fill an hour: the 10-minute probe sees their 60s scrapes.
    expect(scrapeIntervalFrom([{ range: 600, count: 11 }, { range: 3600, count: 11 }])).toBe(60);
    expect(scrapeIntervalFrom([{ range: 600, count: 1 }])).toBe(600);
    expect(scrapeIntervalFrom([])).toBeUndefined();
  });

  it("keeps charts at hourly points up to ~20 days, then coarser", () => {
    expect(seriesStep(7 * 86_400)).toBe(3600);
    expect(seriesStep(20 * 86_400)).toBe(3600);
    expect(seriesStep(90 * 86_400)).toBe(5 * 3600);
  });
});
