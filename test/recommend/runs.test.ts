import { describe, expect, it } from "vitest";
import { container, MI, only, policy, recommend, run, workload } from "./builders.js";

/*
 * SPEC §5 Job / CronJob (kubenow v0.3 Feature 2): percentiles across the per-run peaks of the
 * successful runs, failed runs excluded but counted, more than half failed → blocked,
 * confidence by successful runs, the more conservative job margins.
 */

const CPU_PEAKS = [0.5, 0.6, 0.7, 0.8, 0.9];
const MEMORY_PEAKS = [1000, 1100, 1200, 1300, 1250].map((mib) => mib * MI);

const fiveRuns = () => CPU_PEAKS.map((cpu, index) => run(index + 1, { cpu, memory: MEMORY_PEAKS[index]! }));
const runsOf = (count: number, failed = 0) => [
  ...Array.from({ length: count }, (_, index) => run(index + 1, { cpu: 0.5, memory: 1000 * MI })),
  ...Array.from({ length: failed }, (_, index) => run(count + index + 1, { cpu: 4, memory: 4000 * MI }, false)),
];

function cronJob(runs: unknown[], spec: { restarts?: number; kind?: string } = {}) {
  return workload({
    kind: spec.kind ?? "CronJob",
    name: "data-export",
    mode: "run-based",
    runs,
    containers: [container({ name: "job", requests: { cpu: "2", memory: "2Gi" }, cpu: null, memory: null, restarts: spec.restarts ?? 0 })],
  });
}

describe("cross-run percentiles of per-run peaks", () => {
  it("recommends 1100m CPU from 5 runs: p95 of peaks 0.5…0.9 is 0.8 + 0.8 × 0.1 = 0.88 cores, × 1.2 (job SAFE) = 1.056, rounded up to 50m", () => {
    const decision = only(recommend(cronJob(fiveRuns())), "job");
    expect(decision.usage.cpu).toEqual({ p50: 0.7, p90: 0.86, p95: 0.88, p99: 0.896, max: 0.9, mean: 0.7, samples: 5 });
    expect(decision.derivation.cpu).toEqual({ percentile: "p95", observed: "880m", margin: 1.2, target: "1056m", computed: "1100m", marginFrom: "rating" });
    expect(decision.recommended.requests.cpu).toBe("1100m");
    expect(decision.change.cpu).toBe(-45);
  });

  it("recommends 1568Mi memory from 5 runs: highest peak 1300Mi × 1.2 = 1560Mi, rounded up to 16Mi", () => {
    const decision = only(recommend(cronJob(fiveRuns())), "job");
    expect(decision.usage.memory).toMatchObject({ p50: 1200 * MI, p95: 1290 * MI, max: 1300 * MI, samples: 5 });
    expect(decision.recommended.requests.memory).toBe("1568Mi");
    expect(decision.change.memory).toBe(-23.4);
  });

  it("takes p95 of 20 runs (peaks 0.1…2.0) as 1.9 + 0.05 × 0.1 = 1.905 cores → × 1.2 = 2.286 → 2300m", () => {
    const runs = Array.from({ length: 20 }, (_, index) => run(index + 1, { cpu: (index + 1) / 10, memory: 1000 * MI }));
    const decision = only(recommend(cronJob(runs)), "job");
    expect(decision.usage.cpu?.p95).toBe(1.905);
    expect(decision.recommended.requests.cpu).toBe("2300m");
  });

  it("records the runs and their peaks in the decision record", () => {
    const record = recommend(cronJob(fiveRuns()));
    expect(record.observation.mode).toBe("run-based");
    expect(record.observation.runs).toMatchObject({ observed: 5, succeeded: 5, failed: 0 });
    expect(record.observation.runs?.perRunPeaks[0]).toEqual({
      run: "run-1",
      startedAt: "2026-11-19T09:00:00.000Z",
      durationSeconds: 200,
      exitCode: 0,
      succeeded: true,
      containers: { job: { cpuPeak: 0.5, memoryPeak: 1000 * MI } },
    });
    expect(record.decision.action).toBe("propose");
  });
});

describe("failed runs", () => {
  it("excludes a failed run's 4-core, 4000Mi peaks from the percentiles but counts it (still 1100m and 1568Mi)", () => {
    const record = recommend(cronJob([...fiveRuns(), run(6, { cpu: 4, memory: 4000 * MI }, false)]));
    const decision = only(record, "job");
    expect(record.observation.runs).toMatchObject({ observed: 6, succeeded: 5, failed: 1 });
    expect(decision.recommended.requests).toEqual({ cpu: "1100m", memory: "1568Mi" });
    expect(decision.usage.cpu?.max).toBe(0.9);
    expect(decision.reasons).toContain("percentiles over the per-run peaks of 5 successful runs (1 failed run excluded)");
  });

  it("blocks when more than half of the runs failed (3 of 5)", () => {
    const record = recommend(cronJob(runsOf(2, 3)));
    expect(record.decision.action).toBe("blocked");
    expect(record.decision.reasons).toEqual(["3 of 5 observed runs failed (more than half); fix the failing runs before resizing"]);
    expect(only(record, "job")).toMatchObject({ action: "blocked", recommended: { requests: { cpu: "2", memory: "2Gi" }, limits: {} } });
  });

  it("blocks with the failed runs as the only reason when every run failed (3 of 3)", () => {
    const record = recommend(cronJob(runsOf(0, 3)));
    expect(record.decision.reasons).toEqual(["3 of 3 observed runs failed (more than half); fix the failing runs before resizing"]);
    expect(only(record, "job").reasons).toEqual(["3 of 3 observed runs failed (more than half); fix the failing runs before resizing"]);
  });

  it("does not block when exactly half failed (5 of 10): 5 successful runs are MEDIUM and it proposes", () => {
    const record = recommend(cronJob(runsOf(5, 5)));
    expect(only(record, "job").confidence).toMatchObject({ level: "MEDIUM", score: 50 });
    expect(record.decision.action).toBe("propose");
  });
});

describe("confidence by successful runs: 1–4 LOW, 5–9 MEDIUM, 10 or more HIGH", () => {
  it.each([
    [1, 10, "LOW"],
    [4, 40, "LOW"],
    [5, 50, "MEDIUM"],
    [9, 74, "MEDIUM"],
    [10, 80, "HIGH"],
    [15, 90, "HIGH"],
    [25, 100, "HIGH"],
  ] as const)("%i successful run(s) → score %i, %s", (runs, score, level) => {
    const confidence = only(recommend(cronJob(runsOf(runs))), "job").confidence;
    expect(confidence.score).toBe(score);
    expect(confidence.level).toBe(level);
    expect(confidence.factors).toEqual([{ name: "successful runs", observed: String(runs), points: score, effect: "cap" }]);
  });

  it("is not HIGH with 10 successful runs when one run failed (kubenow: HIGH only if all runs succeeded): 79, MEDIUM", () => {
    const record = recommend(cronJob(runsOf(10, 1)));
    expect(only(record, "job").confidence).toMatchObject({ score: 79, level: "MEDIUM" });
    expect(record.confidenceFormula).toMatch(/^score by successful runs r/);
  });

  it("holds with 4 successful runs, below apply.jobs.minRuns 5, and shows what it would recommend", () => {
    const record = recommend(cronJob(runsOf(4)));
    const decision = only(record, "job");
    expect(decision.action).toBe("none");
    // 0.5 cores × 1.5 (CAUTION: LOW confidence) = 0.75 → 750m, lowered only to half of 2 cores: "1".
    expect(decision.recommended.requests.cpu).toBe("1");
    expect(decision.derivation.cpu?.target).toBe("750m");
    expect(record.decision).toMatchObject({ action: "hold", reasons: ["waiting for data: 4 successful runs observed; the policy needs 5 (apply.jobs.minRuns)"] });
  });

  it("proposes after 4 runs when the policy asks for 3 runs and accepts LOW confidence", () => {
    const lenient = policy({ apply: { minConfidence: "LOW", jobs: { minRuns: 3 } } });
    expect(recommend(cronJob(runsOf(4)), { policy: lenient }).decision.action).toBe("propose");
  });

  it("holds when no run has completed yet", () => {
    const record = recommend(cronJob([]));
    expect(record.decision).toMatchObject({ action: "hold", reasons: ["waiting for data: 0 successful runs observed; the policy needs 5 (apply.jobs.minRuns)"] });
    expect(only(record, "job")).toMatchObject({ action: "none", usage: { cpu: null, memory: null } });
  });

  it("holds Jobs and CronJobs when the policy turns them off", () => {
    const record = recommend(cronJob(fiveRuns()), { policy: policy({ apply: { jobs: { enabled: false } } }) });
    expect(record.decision).toMatchObject({ action: "hold", reasons: ["Job and CronJob proposals are turned off in the policy (apply.jobs.enabled: false)"] });
  });
});

describe("job margins: SAFE 1.2, CAUTION 1.5, RISKY 2.0", () => {
  it("uses 1.5 for a CAUTION CronJob (1 restart): 0.88 × 1.5 = 1.32 → 1350m; 1300Mi × 1.5 = 1950Mi → 1952Mi is within 10% of 2Gi, which stays", () => {
    const decision = only(recommend(cronJob(fiveRuns(), { restarts: 1 })), "job");
    expect(decision.safety).toBe("CAUTION");
    expect(decision.derivation.memory?.computed).toBe("1952Mi");
    expect(decision.recommended.requests).toEqual({ cpu: "1350m", memory: "2Gi" });
  });

  it("uses 2.0 for a RISKY CronJob (6 restarts): 0.88 × 2 = 1.76 → 1800m, 1300Mi × 2 = 2600Mi → 2608Mi", () => {
    const decision = only(recommend(cronJob(fiveRuns(), { restarts: 6 })), "job");
    expect(decision.safety).toBe("RISKY");
    expect(decision.recommended.requests).toEqual({ cpu: "1800m", memory: "2608Mi" });
  });

  it("uses the policy's jobMargins: SAFE 1.3 gives 0.88 × 1.3 = 1.144 → 1150m", () => {
    const custom = policy({ recommend: { jobMargins: { SAFE: 1.3 } } });
    expect(only(recommend(cronJob(fiveRuns()), { policy: custom }), "job").recommended.requests.cpu).toBe("1150m");
  });

  it("uses the job margins for a Job observed continuously: 180m × 1.2 = 216m → 220m", () => {
    const job = workload({ kind: "Job", containers: [container({ requests: { cpu: "300m", memory: "300Mi" } })] });
    expect(only(recommend(job)).recommended.requests.cpu).toBe("220m");
  });

  it("uses the continuous margins for a Deployment: 180m × 1.15 = 207m → 210m", () => {
    const deployment = workload({ kind: "Deployment", containers: [container({ requests: { cpu: "300m", memory: "300Mi" } })] });
    expect(only(recommend(deployment)).recommended.requests.cpu).toBe("210m");
  });
});
