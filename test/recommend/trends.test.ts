import { describe, expect, it } from "vitest";
import { dailyPeaks, mannKendallZ, theilSenSlope } from "../../src/recommend/trend.js";
import { container, hourly, MI, only, policy, recommend, usage, workload } from "./builders.js";

/*
 * SPEC §5 trends (issue 13): a robust slope of the series, growing memory never cut, requests
 * covering the projected peak over recommend.trend.horizon, step changes sized from the part
 * after the step. Every number is worked out by hand in the test.
 */

const DAY = 86_400;
const WEEK_HOURS = 7 * 24;

/** A leak: hourly max 760Mi + 90Mi/day, reaching 1390Mi at the end of a 7-day window. */
const leak = hourly(7, (hours) => {
  const max = (760 + (90 * hours) / 24) * MI;
  return [max - 20 * MI, max];
});

describe("Theil–Sen and Mann–Kendall", () => {
  it("takes the median of the pairwise slopes: (1,1) (2,2) (3,30) (4,4) has slopes 1, 14.5, 1, 28, 1, −26 → median (1 + 1)/2 = 1", () => {
    expect(theilSenSlope([[1, 1], [2, 2], [3, 30], [4, 4]])).toBe(1);
  });

  it("scores 7 increasing values S = 21, Var = 7·6·19/18 = 44.33, z = 20/√44.33 = 3.004; one tie lowers Var by 2·1·9/18 = 1", () => {
    expect(mannKendallZ([1, 2, 3, 4, 5, 6, 7])).toBeCloseTo(20 / Math.sqrt(44 + 1 / 3), 10);
    // 1,2,2,3: S = 1+1+1 +0+1 +1 = 5; Var = (4·3·13 − 2·1·9)/18 = 138/18; z = 4/√7.667.
    expect(mannKendallZ([1, 2, 2, 3])).toBeCloseTo(4 / Math.sqrt(138 / 18), 10);
    expect(mannKendallZ([3, 2, 1])).toBe(0);
  });

  it("counts days back from the end of the window and drops a day with fewer than half its hours", () => {
    const end = 10 * DAY;
    // 30 hourly points ending at `end`: day 0 has 24 points (peak at the end), day 1 only 6 (dropped).
    const points = Array.from({ length: 30 }, (_, index) => [end - (29 - index) * 3600, 1, index] as const);
    expect(dailyPeaks(points, "memory", end)).toEqual([[end - 0.5 * DAY, 29]]);
  });
});

describe("a growing memory is never cut and covers its projected peak", () => {
  const leaking = (memory: string) =>
    workload({
      windowHours: WEEK_HOURS,
      containers: [container({ requests: { cpu: "210m", memory }, memory: usage({ p95: 1350 * MI, max: 1390 * MI }), series: { memory: leak } })],
    });

  it("keeps 2Gi for a leak of 90Mi/day (max 1390Mi): the projected peak 1390Mi + 90Mi/day × 7d = 2020Mi → 2032Mi is a cut, and growing memory is not cut", () => {
    const decision = only(recommend(leaking("2Gi")));
    expect(decision.recommended.requests.memory).toBe("2Gi");
    expect(decision.action).toBe("none");
    expect(decision.reasons).toContain(
      "memory grows ~90Mi/day: likely a leak (Theil–Sen slope of 7 daily peaks, Mann–Kendall z 3); memory is not lowered while it grows, and the request covers the projected peak over 7d",
    );
    expect(decision.reasons).toContain(
      "memory request stays 2Gi: max 1390Mi × 1.15 = 1598.5Mi; raised to 2020Mi: the projected peak over 7d: max 1390Mi + ~90Mi/day × 7d; rounded up to 2032Mi (a multiple of 16Mi); kept at the current 2Gi: memory grows",
    );
    // 90Mi = 94,371,840 bytes a day; S = 21 over 7 rising daily peaks, z = 20/√44.33.
    expect(decision.derivation.memory?.trend).toEqual({ slopePerDay: 94_371_840, days: 7, z: 3.004, growing: true, horizon: "7d", projected: "2020Mi" });
  });

  it("raises 1536Mi to 2032Mi for the same leak (+32.3%)", () => {
    const decision = only(recommend(leaking("1536Mi")));
    expect(decision.recommended.requests.memory).toBe("2032Mi");
    expect(decision.change.memory).toBe(32.3);
  });

  it("does not call 7 flat days growing, and a flat memory takes the small variability margin: max 1390Mi ÷ p99 1390Mi = 1, no rise → 1.05; 1390Mi × 1.05 = 1459.5Mi → 1472Mi, a cut from 2Gi", () => {
    const flat = hourly(7, () => [1350 * MI, 1390 * MI]);
    const observed = container({ requests: { cpu: "210m", memory: "2Gi" }, memory: usage({ p95: 1350 * MI, max: 1390 * MI }), series: { memory: flat } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.recommended.requests.memory).toBe("1472Mi");
    expect(decision.derivation.memory).toMatchObject({ margin: 1.05, marginFrom: "variability", variability: { percentile: "p99", ratio: 1, drift: 1 } });
    expect(decision.derivation.memory?.trend).toEqual({ slopePerDay: 0, days: 7, z: 0, growing: false, horizon: "7d", projected: null });
    expect(decision.reasons[0]).toBe(
      "rated SAFE; margins: cpu 1.15 (variability: p99 250m ÷ p90 180m × 1 = 1.389, within 1–1.15), memory 1.05 (variability: max 1390Mi ÷ p99 1390Mi = 1 (daily peaks not rising) × 1 = 1, within 1.05–1.15)",
    );
  });

  it("does not call growth of 5% a week growing (below recommend.trend.minGrowthPercent 10): the margin covers it", () => {
    // 1000Mi rising by 50Mi over the week: slope 50/7 Mi/day × 7d = 50Mi, 4.8% of the level.
    const slow = hourly(7, (hours) => [950 * MI, (1000 + (50 * hours) / WEEK_HOURS) * MI]);
    const observed = container({ requests: { cpu: "210m", memory: "2Gi" }, memory: usage({ p95: 1000 * MI, max: 1050 * MI }), series: { memory: slow } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.derivation.memory?.trend?.growing).toBe(false);
    // drift (1050Mi + 50Mi) ÷ 1050Mi = 1.0476 → at least min 1.05; 1050Mi × 1.05 = 1102.5Mi → 1104Mi, above 1050Mi + 50Mi.
    expect(decision.derivation.memory).toMatchObject({ margin: 1.05, variability: { drift: 1.0476 } });
    expect(decision.recommended.requests.memory).toBe("1104Mi");
  });

  it("lets a rise that is not called growing widen the memory margin: 1000Mi → 1080Mi over the week (7.4%, below 10%) → drift (1080Mi + 80Mi) ÷ 1080Mi = 1.0741 → 1.08; 1080Mi × 1.08 = 1166.4Mi → 1168Mi", () => {
    const rising = hourly(7, (hours) => [950 * MI, (1000 + (80 * hours) / WEEK_HOURS) * MI]);
    const observed = container({ requests: { cpu: "210m", memory: "2Gi" }, memory: usage({ p95: 1070 * MI, max: 1080 * MI }), series: { memory: rising } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.derivation.memory?.trend?.growing).toBe(false);
    expect(decision.derivation.memory).toMatchObject({ margin: 1.08, marginFrom: "variability", variability: { ratio: 1, drift: 1.0741 } });
    expect(decision.recommended.requests.memory).toBe("1168Mi");
    expect(decision.reasons[0]).toContain("memory 1.08 (variability: max(max 1080Mi ÷ p99 1080Mi = 1, drift ~11Mi/day × 7d = 1.074) × 1 = 1.074, within 1.05–1.15)");
  });

  it("keeps the rating's memory margin without series (no slope to read) and with recommend.memory.margin: rating: 1390Mi × 1.15 = 1598.5Mi → 1600Mi", () => {
    const flat = hourly(7, () => [1350 * MI, 1390 * MI]);
    const spec = { requests: { cpu: "210m", memory: "2Gi" }, memory: usage({ p95: 1350 * MI, max: 1390 * MI }) };
    const bare = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [container(spec)] })));
    expect(bare.derivation.memory).toMatchObject({ margin: 1.15, marginFrom: "rating", computed: "1600Mi" });
    const rated = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [container({ ...spec, series: { memory: flat } })] }), { policy: policy({ recommend: { memory: { margin: "rating" } } }) }));
    expect(rated.derivation.memory).toMatchObject({ margin: 1.15, marginFrom: "rating", computed: "1600Mi" });
  });

  it("turns projection off with recommend.trend.horizon 0", () => {
    const decision = only(recommend(leaking("2Gi"), { policy: policy({ recommend: { trend: { horizon: "0" } } }) }));
    expect(decision.recommended.requests.memory).toBe("1600Mi");
  });
});

describe("growing CPU is projected the same way", () => {
  it("projects a CPU p90 growing 10m/day: (160m + 10m/day × 7d = 230m) × 1.07 (p99 170m ÷ p90 160m = 1.0625, rounded up) = 246.1m → 250m", () => {
    // Hourly p95 = 100m + 10m/day: each day's peak is 10m above the day before.
    const growing = hourly(7, (hours) => [0.1 + (0.01 * hours) / 24, 0.2]);
    const observed = container({ requests: { cpu: "200m", memory: "288Mi" }, cpu: usage({ p95: 0.16, p99: 0.17, max: 0.2 }), series: { cpu: growing } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.recommended.requests.cpu).toBe("250m");
    expect(decision.derivation.cpu).toMatchObject({ observed: "160m", margin: 1.07, target: "246100u", computed: "250m" });
    expect(decision.derivation.cpu?.trend).toMatchObject({ slopePerDay: 0.01, growing: true, projected: "230m" });
    expect(decision.reasons).toContain("cpu request 200m → 250m (+25%): p90 160m + ~10m/day × 7d = 230m; × 1.07 = 246.1m; rounded up to 250m (a multiple of 5m)");
  });
});

describe("a step change (a release mid-window) is sized from the part after it", () => {
  // Memory at 1200Mi for 3 days, then 800Mi for 4 days; CPU flat.
  const stepped = hourly(7, (hours) => (hours <= 72 ? [1180 * MI, 1200 * MI] : [780 * MI, 800 * MI]));

  it("uses the max after the step: 800Mi × 1.05 (flat after it) = 840Mi, not 1200Mi × 1.05 = 1260Mi", () => {
    const observed = container({ requests: { cpu: "210m", memory: "1536Mi" }, memory: usage({ p95: 1180 * MI, max: 1200 * MI }), series: { memory: stepped } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.recommended.requests.memory).toBe("840Mi");
    // The step is the first hour at the new level: hour 73 ends 2026-11-17T01:00Z (the window starts 2026-11-14T00:00Z).
    expect(decision.derivation.memory?.step).toEqual({ at: "2026-11-17T01:00:00.000Z", before: 1200 * MI, after: 800 * MI, secondsAfter: 4 * DAY - 3600 });
    expect(decision.reasons).toContain(
      "memory step change at 2026-11-17T01:00Z: 24h mean 1200Mi → 800Mi; sized from the 4d after it (max 800Mi, from the series)",
    );
    expect(decision.reasons).toContain("memory request 1536Mi → 840Mi (−45.3%): max after the step 800Mi × 1.05 = 840Mi");
  });

  it("ignores a step with less than recommend.trend.step.minAfter (3d) after it: 1200Mi × 1.05 = 1260Mi → 1264Mi", () => {
    const late = hourly(7, (hours) => (hours <= 120 ? [1180 * MI, 1200 * MI] : [780 * MI, 800 * MI]));
    const observed = container({ requests: { cpu: "210m", memory: "2Gi" }, memory: usage({ p95: 1180 * MI, max: 1200 * MI }), series: { memory: late } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.derivation.memory?.step).toBeUndefined();
    expect(decision.recommended.requests.memory).toBe("1264Mi");
  });

  it("ignores a weekend: a drop that comes back up is a cycle, not a release (weekdays 1000m, two days at 300m, three weekdays after)", () => {
    // Days 1–2 weekdays, 3–4 weekend, 5–7 weekdays: the drop at day 3 is undone at day 5.
    const weekly = hourly(7, (hours) => (hours > 48 && hours <= 96 ? [0.3, 0.35] : [1, 1.1]));
    const observed = container({ requests: { cpu: "2", memory: "288Mi" }, cpu: usage({ p95: 1, p99: 1.05, max: 1.1 }), series: { cpu: weekly } });
    const decision = only(recommend(workload({ windowHours: WEEK_HOURS, containers: [observed] })));
    expect(decision.derivation.cpu?.step).toBeUndefined();
    // p95 1 core × 1.05 (p99 1.05 ÷ p90 1) = 1050m.
    expect(decision.recommended.requests.cpu).toBe("1050m");
  });
});
