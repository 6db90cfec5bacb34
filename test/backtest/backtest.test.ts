import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { observeTrace, renderBacktestMarkdown, renderBacktestText, replayOfTrace, runBacktest, scoreReplay, traceWindow } from "../../src/backtest/index.js";
import { InputError, parseUsageTrace, type UsageTrace } from "../../src/domain/index.js";
import { CURRENT_API_VERSION } from "../../src/policy/index.js";
import { TOOL } from "../../src/version.js";
import { rightsize } from "../helpers/cli.js";
import { policy } from "../recommend/builders.js";

/*
 * SPEC §11 `rightsize backtest` on an offline trace, with every number worked out by hand:
 * 4 days of hourly samples of one container (2 pods, requests 1 core / 512Mi, no limits).
 * - Observed (the first 2 days): CPU 0.4 every fourth hour, else 0.1 (36 × 0.1, 12 × 0.4: p95 =
 *   p99 = max = 0.4, mean 0.175); memory 100Mi throughout.
 * - Replayed (the last 2 days): CPU 0.5 every eighth hour (6 of 48 samples), else 0.1; memory
 *   120Mi the first day, 100Mi the second.
 * Confidence MEDIUM (window 2d: 50 + 30 × 1/6 = 55; 48 samples cap at 79), rating SAFE, CPU
 * margin p99 ÷ p95 = 1: CPU 400m, memory 100Mi × 1.15 = 115Mi. The default policy cuts by at most
 * 50%: 500m and 256Mi; with maxDecreasePercent 100: 400m and 115Mi.
 */

const MI = 1024 * 1024;
const samples = (count: number, value: (index: number) => number) => Array.from({ length: count }, (_, index) => value(index));

const TRACE: UsageTrace = {
  schemaVersion: 1,
  kind: "UsageTrace",
  start: "2026-11-01T00:00:00Z",
  step: 3600,
  workloads: [
    {
      workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "api" },
      replicas: 2,
      containers: [
        {
          name: "api",
          current: { requests: { cpu: "1", memory: "512Mi" }, limits: {} },
          cpu: samples(96, (i) => (i < 48 ? (i % 4 === 3 ? 0.4 : 0.1) : i % 8 === 7 ? 0.5 : 0.1)),
          memory: samples(96, (i) => (i >= 48 && i < 72 ? 120 : 100) * MI),
          oomKills: [],
          restarts: [],
        },
      ],
    },
  ],
};

const POLICIES = [
  { policy: policy(), source: { path: "default.yml", apiVersion: CURRENT_API_VERSION, sha256: "" } },
  { policy: policy({ recommend: { maxDecreasePercent: 100 } }), source: { path: "uncapped.yml", apiVersion: CURRENT_API_VERSION, sha256: "" } },
];

function report() {
  const window = traceWindow(TRACE);
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  return runBacktest({
    tool: TOOL,
    observations: observeTrace(TRACE, window),
    replay: replayOfTrace(TRACE, window),
    policies: POLICIES,
    window: { from: iso(window.from), split: iso(window.split), to: iso(window.to) },
  });
}

describe("a trace as the Prometheus path would see it", () => {
  it("observes the first half: percentiles like quantile_over_time, coverage, hourly series", () => {
    const window = traceWindow(TRACE);
    expect(window).toEqual({ from: Date.parse("2026-11-01T00:00:00Z") / 1000, split: Date.parse("2026-11-03T00:00:00Z") / 1000, to: Date.parse("2026-11-05T00:00:00Z") / 1000 });
    const [observation] = observeTrace(TRACE, window);
    expect(observation!.window).toEqual({ from: "2026-11-01T00:00:00Z", to: "2026-11-03T00:00:00Z" });
    expect(observation!.coverage).toBe(1);
    expect(observation!.pods).toBe(2);
    const container = observation!.containers[0]!;
    expect(container.cpu).toEqual({ p50: 0.1, p90: 0.4, p95: 0.4, p99: 0.4, max: 0.4, mean: expect.closeTo(0.175, 10), samples: 48 });
    expect(container.memory).toMatchObject({ p95: 100 * MI, max: 100 * MI, samples: 48 });
    // One point per hour, at the end of its hour: the first covers 00:00–01:00.
    expect(container.series?.cpu.slice(0, 4)).toEqual([
      [window.from + 3600, 0.1, 0.1],
      [window.from + 7200, 0.1, 0.1],
      [window.from + 10_800, 0.1, 0.1],
      [window.from + 14_400, 0.4, 0.4],
    ]);
  });

  it("takes --window from the end of the trace and --split from the end of the window", () => {
    const day = 86_400;
    const to = Date.parse("2026-11-05T00:00:00Z") / 1000;
    expect(traceWindow(TRACE, 3 * day, day)).toEqual({ from: to - 3 * day, split: to - day, to });
    expect(() => traceWindow(TRACE, 5 * day)).toThrow("--window 5d is longer than the trace (4d)");
    expect(() => traceWindow(TRACE, 2 * day, 2 * day)).toThrow(InputError);
  });
});

describe("replaying the recommendation against the second half", () => {
  it("scores samples above the request and above the memory limit", () => {
    expect(scoreReplay({ cpu: 0.4, memory: 115 * MI, memoryLimit: 110 * MI }, { cpu: [0.5, 0.1, null, 0.4], memory: [120 * MI, 100 * MI, 111 * MI, null] })).toEqual({
      cpuSamples: 3,
      memorySamples: 3,
      cpuAbove: 1,
      memoryAbove: 1,
      aboveLimit: 2,
    });
  });

  it("saves 1 core and 0.5GiB for 24.62 USD a month with the default policy and nothing goes above; uncapped saves 1.2 cores and 0.79GiB (30.15 USD) with 12.5% and 50% above", () => {
    const [capped, uncapped] = report().policies;
    // (1 − 0.5) × 2 = 1 core; (512 − 256)Mi × 2 = 0.5GiB; (1 × 0.031611 + 0.5 × 0.004237) × 730 = 24.6225 USD.
    expect(capped!.workloads[0]!.containers[0]).toMatchObject({ recommended: { cpu: 0.5, memory: 256 * MI }, action: "change", cpuCoresSaved: 1, memoryGiBSaved: 0.5 });
    expect(capped!.totals).toEqual({ cpuCoresSaved: 1, memoryGiBSaved: 0.5, monthlySaved: expect.closeTo(24.6225, 4), cpuAboveRequest: 0, memoryAboveRequest: 0, samplesAboveLimit: 0, oomRiskContainers: 0 });
    // 400m: the 6 samples at 0.5 are above (12.5%); memory is flat at 100Mi, so its variability margin is 1.05: 105Mi, and the
    // 24 samples at 120Mi are above (50%). (1 − 0.4) × 2 = 1.2 cores; (512 − 105)Mi × 2 = 814Mi = 0.794921875GiB;
    // (1.2 × 0.031611 + 0.794921875 × 0.004237) × 730 = 30.1499 USD.
    expect(uncapped!.totals).toEqual({
      cpuCoresSaved: expect.closeTo(1.2, 10),
      memoryGiBSaved: 0.794921875,
      monthlySaved: expect.closeTo(30.1499, 4),
      cpuAboveRequest: 0.125,
      memoryAboveRequest: 0.5,
      samplesAboveLimit: 0,
      oomRiskContainers: 0,
    });
  });

  it("prints each policy side by side per workload and in total (text and markdown)", () => {
    const result = report();
    expect(renderBacktestText(result)).toBe(
      [
        "observed 2026-11-01T00:00:00Z → 2026-11-03T00:00:00Z, replayed 2026-11-03T00:00:00Z → 2026-11-05T00:00:00Z; savings are for the whole workload (× replicas), money per month; > request is the share of replayed samples above the new request",
        "",
        "WORKLOAD                  POLICY        DECISION  CPU SAVED    MEMORY SAVED  PER MONTH  CPU > REQUEST  MEMORY > REQUEST  > MEMORY LIMIT",
        "prod/shop/Deployment/api  default.yml   propose   1.000 cores  0.50 GiB      24.62 USD  0.0%           0.0%              0",
        "prod/shop/Deployment/api  uncapped.yml  propose   1.200 cores  0.79 GiB      30.15 USD  12.5%          50.0%             0",
        "TOTAL                     default.yml             1.000 cores  0.50 GiB      24.62 USD  0.0%           0.0%              0",
        "TOTAL                     uncapped.yml            1.200 cores  0.79 GiB      30.15 USD  12.5%          50.0%             0",
        "",
      ].join("\n"),
    );
    expect(renderBacktestMarkdown(result).split("\n").slice(4, 7)).toEqual([
      "| WORKLOAD | POLICY | DECISION | CPU SAVED | MEMORY SAVED | PER MONTH | CPU > REQUEST | MEMORY > REQUEST | > MEMORY LIMIT |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      "| prod/shop/Deployment/api | default.yml | propose | 1.000 cores | 0.50 GiB | 24.62 USD | 0.0% | 0.0% | 0 |",
    ]);
  });
});

describe("the trace file", () => {
  it("names the field of a sample list of the wrong length and of an OOM kill outside the trace", () => {
    const broken = structuredClone(TRACE) as unknown as { workloads: Array<{ containers: Array<{ memory: number[]; oomKills: unknown[] }> }> };
    broken.workloads[0]!.containers[0]!.memory.pop();
    broken.workloads[0]!.containers[0]!.oomKills = [{ at: "2026-12-01T00:00:00Z", pod: "api-1" }];
    expect(() => parseUsageTrace(broken, "trace.json")).toThrow(
      [
        "trace.json: invalid usage trace:",
        "  workloads[0].containers[0].memory: has 95 samples, workloads[0].containers[0].cpu has 96; every sample list has one sample per step",
        "  workloads[0].containers[0].oomKills[0]: 2026-12-01T00:00:00Z is outside the trace (2026-11-01T00:00:00Z and 96 steps of 3600s)",
      ].join("\n"),
    );
  });

  it("names a workload listed twice, as a snapshot does", () => {
    const twice = { ...TRACE, workloads: [TRACE.workloads[0]!, TRACE.workloads[0]!] };
    expect(() => parseUsageTrace(twice, "trace.json")).toThrow("workloads[1].workload: prod/shop/Deployment/api is also workloads[0]; list each workload once");
  });

  it("names a sample that is not a number", () => {
    const broken = structuredClone(TRACE) as unknown as { workloads: Array<{ containers: Array<{ cpu: unknown[] }> }> };
    broken.workloads[0]!.containers[0]!.cpu[3] = "0.4";
    expect(() => parseUsageTrace(broken, "trace.json")).toThrow('workloads[0].containers[0].cpu: sample 3 is "0.4"; expected null or a number ≥ 0');
  });
});

describe("rightsize backtest --trace", () => {
  const directory = mkdtempSync(path.join(tmpdir(), "rightsize-backtest-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = path.join(directory, "trace.json");
  writeFileSync(file, JSON.stringify(TRACE));
  const uncapped = path.join(directory, "uncapped.yml");
  writeFileSync(uncapped, "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\nrecommend:\n  maxDecreasePercent: 100\n");
  const defaults = path.join(directory, "defaults.yml");
  writeFileSync(defaults, "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n");

  it("prints JSON with one result per --policy, in order", async () => {
    const { status, stdout, stderr } = await rightsize("backtest", "--trace", file, "--policy", defaults, "--policy", uncapped, "--output", "json");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const printed = JSON.parse(stdout) as ReturnType<typeof report>;
    expect(printed.window).toEqual({ from: "2026-11-01T00:00:00Z", split: "2026-11-03T00:00:00Z", to: "2026-11-05T00:00:00Z" });
    expect(printed.policies.map((entry) => [entry.path, entry.totals.cpuCoresSaved, entry.totals.cpuAboveRequest])).toEqual([
      [defaults, 1, 0],
      [uncapped, expect.closeTo(1.2, 10), 0.125],
    ]);
  });

  it("replays only the last --split of the last --window", async () => {
    const { stdout } = await rightsize("backtest", "--trace", file, "--policy", defaults, "--window", "3d", "--split", "1d", "--output", "json");
    expect(JSON.parse(stdout).window).toEqual({ from: "2026-11-02T00:00:00Z", split: "2026-11-04T00:00:00Z", to: "2026-11-05T00:00:00Z" });
  });

  it("exits 2 for --trace with --prometheus, and for an invalid trace", async () => {
    expect((await rightsize("backtest", "--trace", file, "--prometheus", "http://127.0.0.1:9")).status).toBe(2);
    const bad = path.join(directory, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...TRACE, step: 0 }));
    const result = await rightsize("backtest", "--trace", bad);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("bad.json: invalid usage trace:\n  step: Too small: expected number to be >0");
  });
});
