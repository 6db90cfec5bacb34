import { describe, expect, it } from "vitest";
import { AT, container, GI, MI, only, policy, recommend, usage, workload, type ContainerSpec } from "./builders.js";

/*
 * SPEC §5 for continuous workloads, rule by rule. Every expected number is worked out by hand
 * in the test name: percentile × margin, then floors, rounding, holds, the decrease cap, bounds.
 */

const REQUESTS = { cpu: "300m", memory: "288Mi" };
const kill = (at: string) => ({ at, pod: "cart-7d9f-abcde" });

describe("CPU request = p90 × margin (the builder's p90 is its p95, 180m)", () => {
  it("recommends 210m CPU when p90 is 180m, p99 250m and the rating is SAFE (variability 250m ÷ 180m = 1.389, capped at 1.15; 180m × 1.15 = 207m, rounded up to 5m)", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: REQUESTS })] })));
    expect(decision.safety).toBe("SAFE");
    expect(decision.recommended.requests.cpu).toBe("210m");
    expect(decision.change.cpu).toBe(-30);
    expect(decision.derivation.cpu).toEqual({
      percentile: "p90",
      observed: "180m",
      margin: 1.15,
      target: "207m",
      computed: "210m",
      marginFrom: "variability",
      variability: { percentile: "p99", ratio: 1.3889 },
    });
    expect(decision.action).toBe("change");
    expect(decision.reasons).toContain("cpu request 300m → 210m (−30%): p90 180m × 1.15 = 207m; rounded up to 210m (a multiple of 5m)");
  });

  it("recommends 235m when p95 is 180m and one restart makes it CAUTION (180m × 1.3 = 234m → 235m)", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: REQUESTS, restarts: 1 })] })));
    expect(decision.safety).toBe("CAUTION");
    expect(decision.recommended.requests.cpu).toBe("235m");
    expect(decision.reasons[0]).toBe(
      "rated CAUTION: 1 restart in the window; margins: cpu 1.3 (CAUTION; above its variability margin 1.15: p99 250m ÷ p90 180m × 1 = 1.389, within 1–1.15), memory 1.3 (CAUTION)",
    );
  });

  it("recommends 270m when p95 is 180m and 6 restarts (> 5) make it RISKY (180m × 1.5 = 270m)", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: REQUESTS, restarts: 6 })] })));
    expect(decision.safety).toBe("RISKY");
    expect(decision.recommended.requests.cpu).toBe("270m");
    expect(decision.reasons[0]).toBe(
      "rated RISKY: 6 restarts in the window (RISKY above 5); margins: cpu 1.5 (RISKY; above its variability margin 1.15: p99 250m ÷ p90 180m × 1 = 1.389, within 1–1.15), memory 1.5 (RISKY)",
    );
  });

  it("uses the policy's margins: SAFE 1.4 gives memory 250Mi × 1.4 = 350Mi and, with cpu.margin: rating, CPU 180m × 1.4 = 252m → 255m", () => {
    const custom = policy({ recommend: { margins: { SAFE: 1.4 }, cpu: { margin: "rating" } } });
    const decision = only(recommend(workload({ containers: [container({ requests: REQUESTS })] }), { policy: custom }));
    expect(decision.recommended.requests).toEqual({ cpu: "255m", memory: "350Mi" });
    expect(decision.derivation.cpu).toMatchObject({ margin: 1.4, marginFrom: "rating" });
    expect(decision.reasons[0]).toBe("rated SAFE; margins: cpu 1.4 (SAFE), memory 1.4 (SAFE)");
  });

  it("uses the policy's CPU percentile: p99 200m × 1.15 = 230m (cpu.margin: rating)", () => {
    const custom = policy({ recommend: { cpu: { percentile: "p99", margin: "rating" } } });
    const observed = container({ requests: REQUESTS, cpu: usage({ p95: 0.18, p99: 0.2, max: 0.25 }) });
    const decision = only(recommend(workload({ containers: [observed] }), { policy: custom }));
    expect(decision.derivation.cpu?.observed).toBe("200m");
    expect(decision.recommended.requests.cpu).toBe("230m");
  });
});

describe("safety rating from the evidence in the window", () => {
  const rate = (spec: ContainerSpec) => only(recommend(workload({ containers: [container({ requests: REQUESTS, ...spec })] })));

  it.each<[string, ContainerSpec, string]>([
    ["no OOM kills, restarts or throttling", {}, "SAFE"],
    ["1 OOM kill (≥ 1)", { oomKills: [kill("2026-11-20T03:12:00Z")] }, "CAUTION"],
    ["1 restart (≥ 1)", { restarts: 1 }, "CAUTION"],
    ["5 restarts (not > 5)", { restarts: 5 }, "CAUTION"],
    ["throttling of 11% (> 10%)", { throttledRatio: 0.11 }, "CAUTION"],
    ["throttling of exactly 10% (not > 10%)", { throttledRatio: 0.1 }, "SAFE"],
    ["3 OOM kills (≥ 3)", { oomKills: [1, 2, 3].map((day) => kill(`2026-11-1${day}T00:00:00Z`)) }, "RISKY"],
    ["6 restarts (> 5)", { restarts: 6 }, "RISKY"],
    ["CPU max 350m against a p95 of 100m (3.5× > 3)", { cpu: usage({ p95: 0.1, max: 0.35 }) }, "RISKY"],
    ["CPU max exactly 3× its p95 (not > 3)", { cpu: usage({ p95: 0.1, max: 0.3 }) }, "SAFE"],
    ["memory max 800Mi against a p95 of 200Mi (4×)", { memory: usage({ p95: 200 * MI, max: 800 * MI }) }, "RISKY"],
    ["5 OOM kills (≥ 5)", { oomKills: [1, 2, 3, 4, 5].map((day) => kill(`2026-11-1${day}T00:00:00Z`)) }, "UNSAFE"],
    ["20 restarts (≥ 20)", { restarts: 20 }, "UNSAFE"],
  ])("rates %s as %s", (_, spec, rating) => {
    expect(rate(spec).safety).toBe(rating);
  });

  it("rates a container CAUTION when confidence is LOW (a 12h window) and holds its decreases: 180m × 1.3 = 234m → 235m and 250Mi × 1.3 = 325Mi (under 512Mi) are not proposed", () => {
    const record = recommend(workload({ windowHours: 12, containers: [container({ requests: { cpu: "300m", memory: "512Mi" } })] }));
    const decision = only(record);
    expect(decision.confidence.level).toBe("LOW");
    expect(decision.safety).toBe("CAUTION");
    expect(decision.recommended.requests).toEqual({ cpu: "235m", memory: "325Mi" });
    expect(decision.action).toBe("none");
    expect(decision.reasons).toContain("waiting for data: confidence LOW (25) is below the policy minimum MEDIUM (apply.minConfidence)");
    expect(record.decision).toEqual({
      action: "hold",
      reasons: ["server: waiting for data: confidence LOW (25) is below the policy minimum MEDIUM (apply.minConfidence)"],
      safety: "CAUTION",
      confidence: "LOW",
    });
  });

  it("blocks an UNSAFE container (20 restarts) whose every change is a decrease: 180m × 1.5 = 270m under 300m, 250Mi × 1.5 = 375Mi under 512Mi", () => {
    const requests = { cpu: "300m", memory: "512Mi" };
    const record = recommend(workload({ containers: [container({ requests, restarts: 20 })] }));
    const decision = only(record);
    expect(decision.action).toBe("blocked");
    expect(decision.recommended).toEqual({ requests, limits: {} });
    expect(decision.change).toEqual({ cpu: null, memory: null });
    expect(decision.reasons).toEqual(["rated UNSAFE: 20 restarts in the window (UNSAFE at 20 or more)"]);
    expect(record.decision.action).toBe("blocked");
    expect(record.decision.reasons).toEqual(["server: rated UNSAFE: 20 restarts in the window (UNSAFE at 20 or more)"]);
  });

  it("uses the policy's thresholds: with risky.restartsAbove 1, two restarts are RISKY", () => {
    const custom = policy({ recommend: { safety: { risky: { restartsAbove: 1 } } } });
    const decision = only(recommend(workload({ containers: [container({ requests: REQUESTS, restarts: 2 })] }), { policy: custom }));
    expect(decision.safety).toBe("RISKY");
  });
});

describe("memory request = max working set × margin, never below the observed max", () => {
  it("recommends 288Mi when the max is 250Mi and the rating is SAFE (250Mi × 1.15 = 287.5Mi, rounded up to 1Mi)", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: { cpu: "210m", memory: "512Mi" } })] })));
    expect(decision.recommended.requests.memory).toBe("288Mi");
    expect(decision.change.memory).toBe(-43.8);
    expect(decision.derivation.memory).toEqual({ percentile: "max", observed: "250Mi", margin: 1.15, target: "294400Ki", computed: "288Mi", marginFrom: "rating" });
    expect(decision.reasons).toContain("memory request 512Mi → 288Mi (−43.8%): max 250Mi × 1.15 = 287.5Mi; rounded up to 288Mi (a multiple of 1Mi)");
  });

  it("raises a p95-based memory target to the observed max: p95 200Mi × 1.15 = 230Mi < max 300Mi → 300Mi", () => {
    const custom = policy({ recommend: { memory: { percentile: "p95" } } });
    const observed = container({ requests: { cpu: "210m", memory: "512Mi" }, memory: usage({ p95: 200 * MI, max: 300 * MI }) });
    const decision = only(recommend(workload({ containers: [observed] }), { policy: custom }));
    expect(decision.derivation.memory?.target).toBe("230Mi");
    expect(decision.recommended.requests.memory).toBe("300Mi");
    expect(decision.reasons).toContain("memory request 512Mi → 300Mi (−41.4%): p95 200Mi × 1.15 = 230Mi; raised to 300Mi: memory is never below the observed max 300Mi");
  });

  it("rounds memory of 1Gi and more to 16Mi: max 1000Mi × 1.15 = 1150Mi → 1152Mi", () => {
    const observed = container({ requests: { cpu: "210m", memory: "2Gi" }, memory: usage({ p95: 900 * MI, max: 1000 * MI }) });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.recommended.requests.memory).toBe("1152Mi");
    expect(decision.change.memory).toBe(-43.8);
  });
});

describe("OOM kills (VPA's rule): memory = max(used + 100Mi, used × 1.2), no margin on top, never decreased", () => {
  it("recommends 1232Mi after an OOM kill with a 1Gi limit: used = 1Gi, 1Gi × 1.2 = 1228.8Mi beats 1Gi + 100Mi, rounded up to 16Mi; the limit goes to the same 1232Mi", () => {
    const observed = container({
      requests: { cpu: "210m", memory: "512Mi" },
      limits: { memory: "1Gi" },
      memory: usage({ p95: 480 * MI, max: 500 * MI }),
      oomKills: [kill("2026-11-18T10:00:00Z"), kill("2026-11-20T03:12:00Z")],
    });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.safety).toBe("CAUTION");
    expect(decision.recommended.requests.memory).toBe("1232Mi");
    expect(decision.change.memory).toBe(140.6);
    expect(decision.reasons).toContain("memory not lowered: 2 OOM kills in the window, last 2026-11-20T03:12Z");
    expect(decision.reasons).toContain(
      "memory request 512Mi → 1232Mi (+140.6%): max 500Mi × 1 = 500Mi; raised to 1228.8Mi: the OOM rule max(used + 100Mi, used × 1.2) with used = 1Gi (the current limit); rounded up to 1232Mi (a multiple of 16Mi)",
    );
    expect(decision.derivation.memory).toMatchObject({ margin: 1, marginFrom: "oom-rule", target: "500Mi", computed: "1232Mi" });
    // keep mode: the limit is raised only as far as needed, to the OOM rule's 1232Mi (before: by the request's factor, 1Gi × 1232/512 = 2464Mi).
    expect(decision.recommended.limits.memory).toBe("1232Mi");
    expect(decision.reasons).toContain("memory limit 1Gi → 1232Mi: raised to the OOM rule's 1232Mi: the container was OOM-killed at its limit 1Gi");
  });

  it("adds 100Mi for a small container: used = observed max 300Mi, 300Mi + 100Mi = 400Mi beats 360Mi, with no margin on top (before: 300Mi × 1.3 = 390Mi competed)", () => {
    const observed = container({
      requests: { cpu: "210m", memory: "256Mi" },
      memory: usage({ p95: 280 * MI, max: 300 * MI }),
      oomKills: [kill("2026-11-20T03:12:00Z")],
    });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.recommended.requests.memory).toBe("400Mi");
    expect(decision.reasons).toContain(
      "memory request 256Mi → 400Mi (+56.3%): max 300Mi × 1 = 300Mi; raised to 400Mi: the OOM rule max(used + 100Mi, used × 1.2) with used = 300Mi (the observed max)",
    );
  });

  it("never lowers memory of an OOM-killed container: 2Gi request, 500Mi max → used 2Gi × 1.2 = 2457.6Mi → 2464Mi", () => {
    const observed = container({
      requests: { cpu: "210m", memory: "2Gi" },
      memory: usage({ p95: 480 * MI, max: 500 * MI }),
      oomKills: [kill("2026-11-20T03:12:00Z")],
    });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.recommended.requests.memory).toBe("2464Mi");
    expect(decision.change.memory).toBeGreaterThan(0);
  });
});

describe("throttling above 25% with a CPU limit: CPU is never decreased", () => {
  const throttled = (ratio: number, limits: { cpu?: string }) =>
    only(recommend(workload({ containers: [container({ requests: { cpu: "500m", memory: "325Mi" }, limits, throttledRatio: ratio, cpu: usage({ p95: 0.1, max: 0.2 }) })] })));

  it("keeps 500m when throttled 30% under a limit of 1 core, although p95 100m × 1.3 = 130m; throttling rates only CPU, so memory takes SAFE 1.15: 250Mi → 288Mi", () => {
    const decision = throttled(0.3, { cpu: "1" });
    expect(decision.recommended.requests).toEqual({ cpu: "500m", memory: "288Mi" });
    expect(decision.safetyByResource).toEqual({ cpu: "CAUTION", memory: "SAFE" });
    expect(decision.reasons).toContain(
      "cpu request stays 500m: p90 100m × 1.3 = 130m; kept at the current 500m: CPU was throttled in 30% of periods under the CPU limit 1 (above 25%, CPU is never lowered)",
    );
  });

  it("lowers CPU of a container throttled 30% that has no CPU limit: 130m, capped at 250m (50% of 500m)", () => {
    expect(throttled(0.3, {}).recommended.requests.cpu).toBe("250m");
  });

  it("lowers CPU when throttling is exactly 25% (not above): 100m × 1.3 = 130m, capped at 250m", () => {
    expect(throttled(0.25, { cpu: "1" }).recommended.requests.cpu).toBe("250m");
  });
});

describe("bounds: clamp to the policy minimum and maximum", () => {
  it("raises 2m × 1.15 = 2.3m → 5m to the 10m minimum", () => {
    const observed = container({ requests: { memory: "288Mi" }, cpu: usage({ p95: 0.002, max: 0.004 }) });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.recommended.requests.cpu).toBe("10m");
    expect(decision.reasons).toContain("cpu request (not set) → 10m: p90 2m × 1.15 = 2.3m; rounded up to 5m (a multiple of 5m); raised to recommend.bounds.cpu.min 10m");
  });

  it("caps 3 cores × 1.15 = 3.45 cores at a policy maximum of 2 cores", () => {
    const custom = policy({ recommend: { bounds: { cpu: { max: "2" } } } });
    const observed = container({ requests: { cpu: "1", memory: "288Mi" }, cpu: usage({ p95: 3, max: 3.5 }) });
    const decision = only(recommend(workload({ containers: [observed] }), { policy: custom }));
    expect(decision.derivation.cpu?.target).toBe("3450m");
    expect(decision.recommended.requests.cpu).toBe("2");
    expect(decision.reasons).toContain("cpu request 1 → 2 (+100%): p90 3 × 1.15 = 3450m; clamped to recommend.bounds.cpu.max 2");
  });

  it("raises memory of 10Mi × 1.15 = 11.5Mi → 12Mi to the 32Mi minimum", () => {
    const observed = container({ requests: { cpu: "210m", memory: "64Mi" }, memory: usage({ p95: 8 * MI, max: 10 * MI }) });
    expect(only(recommend(workload({ containers: [observed] }))).recommended.requests.memory).toBe("32Mi");
  });

  it("caps memory at a 1Gi policy maximum even below the observed max of 1200Mi (written 1024Mi, the manifest's Mi style)", () => {
    const custom = policy({ recommend: { bounds: { memory: { max: "1Gi" } } } });
    const observed = container({ requests: { cpu: "210m", memory: "900Mi" }, memory: usage({ p95: 1100 * MI, max: 1200 * MI }) });
    const decision = only(recommend(workload({ containers: [observed] }), { policy: custom }));
    expect(decision.recommended.requests.memory).toBe("1024Mi");
    expect(decision.reasons.at(-1)).toBe(
      "memory request 900Mi → 1024Mi (+13.8%): max 1200Mi × 1.15 = 1380Mi; rounded up to 1392Mi (a multiple of 16Mi); clamped to recommend.bounds.memory.max 1Gi (below the observed max 1200Mi, so the container may be OOM-killed; raise recommend.bounds.memory.max if it needs more)",
    );
  });
});

describe("rounding up to tidy values", () => {
  it("rounds CPU from one core to 50m: 1.3 cores × 1.15 = 1.495 → 1500m", () => {
    const observed = container({ requests: { cpu: "2", memory: "288Mi" }, cpu: usage({ p95: 1.3, max: 1.5 }) });
    expect(only(recommend(workload({ containers: [observed] }))).recommended.requests.cpu).toBe("1500m");
  });

  it("uses the 50m step once the value reaches one core: 870m × 1.15 = 1000.5m → 1050m", () => {
    const observed = container({ requests: { cpu: "2", memory: "288Mi" }, cpu: usage({ p95: 0.87, max: 1 }) });
    expect(only(recommend(workload({ containers: [observed] }))).recommended.requests.cpu).toBe("1050m");
  });

  it("uses the policy's rounding steps: with 10m below one core, 175m × 1.15 = 201.25m becomes 210m (not 205m)", () => {
    const custom = policy({ recommend: { rounding: { cpu: { belowOneCore: "10m" } } } });
    const observed = container({ requests: REQUESTS, cpu: usage({ p95: 0.175, max: 0.25 }) });
    expect(only(recommend(workload({ containers: [observed] }), { policy: custom })).recommended.requests.cpu).toBe("210m");
  });
});

describe("the manifest's unit style is kept where it expresses the value exactly", () => {
  const styled = (requests: { cpu: string; memory: string }, cpu: number, memoryMax: number) =>
    only(recommend(workload({ containers: [container({ requests, cpu: usage({ p95: cpu, max: cpu }), memory: usage({ p95: memoryMax, max: memoryMax }) })] })));

  it("writes 2Gi for a 1Gi manifest when max 1780Mi × 1.15 = 2047Mi rounds up to 2048Mi", () => {
    expect(styled({ cpu: "210m", memory: "1Gi" }, 0.18, 1780 * MI).recommended.requests.memory).toBe("2Gi");
  });

  it("writes 1536Mi for a Gi manifest when the value is not whole gibibytes (1335Mi × 1.15 = 1535.25Mi → 1536Mi)", () => {
    expect(styled({ cpu: "210m", memory: "1Gi" }, 0.18, 1335 * MI).recommended.requests.memory).toBe("1536Mi");
  });

  it('writes "0.25" for a manifest that writes "0.5" cores (p95 217m × 1.15 = 249.55m → 250m)', () => {
    expect(styled({ cpu: "0.5", memory: "288Mi" }, 0.217, 250 * MI).recommended.requests.cpu).toBe("0.25");
  });

  it('writes "1300m" for a manifest that writes whole cores as "2" (steady: p99 = p95, variability margin 1; 1.3 cores → 1300m)', () => {
    expect(styled({ cpu: "2", memory: "288Mi" }, 1.3, 250 * MI).recommended.requests.cpu).toBe("1300m");
  });

  it("writes plain bytes for a manifest in plain bytes: 288Mi = 301989888", () => {
    expect(styled({ cpu: "210m", memory: "536870912" }, 0.18, 250 * MI).recommended.requests.memory).toBe("301989888");
  });
});

describe("hysteresis: a change must be at least 10% and at least 10m CPU / 16Mi memory", () => {
  const sized = (requests: { cpu: string; memory: string }, cpu: number, memoryMax: number) =>
    only(recommend(workload({ containers: [container({ requests, cpu: usage({ p95: cpu, max: cpu * 1.2 }), memory: usage({ p95: memoryMax, max: memoryMax }) })] })));

  it("keeps 200m when p95 174m × 1.15 = 200.1m → 205m (+2.5%, 5m)", () => {
    const decision = sized({ cpu: "200m", memory: "288Mi" }, 0.174, 250 * MI);
    expect(decision.recommended.requests.cpu).toBe("200m");
    expect(decision.derivation.cpu?.computed).toBe("205m");
    expect(decision.action).toBe("none");
    expect(decision.reasons).toContain(
      "cpu request stays 200m: p90 174m × 1.15 = 200.1m; rounded up to 205m (a multiple of 5m); a change of +2.5% (5m) is below the threshold of 10% and 10m",
    );
  });

  it("keeps 30m when 20m × 1.15 = 23m → 25m: −16.7% but only 5m", () => {
    expect(sized({ cpu: "30m", memory: "288Mi" }, 0.02, 250 * MI).recommended.requests.cpu).toBe("30m");
  });

  it('keeps "4" cores when 3.3 × 1.15 = 3.795 → 3800m: 200m but only −5%', () => {
    expect(sized({ cpu: "4", memory: "288Mi" }, 3.3, 250 * MI).recommended.requests.cpu).toBe("4");
  });

  it("keeps 1Gi when 850Mi × 1.15 = 977.5Mi → 978Mi: 46Mi but only −4.5%", () => {
    expect(sized({ cpu: "210m", memory: "1Gi" }, 0.18, 850 * MI).recommended.requests.memory).toBe("1Gi");
  });

  it("keeps 100Mi when 75Mi × 1.15 = 86.25Mi → 87Mi: −13% but only 13Mi", () => {
    expect(sized({ cpu: "210m", memory: "100Mi" }, 0.18, 75 * MI).recommended.requests.memory).toBe("100Mi");
  });

  it("changes 100m → 115m (+15%, 15m): both thresholds are met", () => {
    expect(sized({ cpu: "100m", memory: "288Mi" }, 0.1, 250 * MI).recommended.requests.cpu).toBe("115m");
  });

  it("changes memory below the observed max however small the step: 100Mi → 101Mi with margin 1 and max 101Mi", () => {
    const custom = policy({ recommend: { margins: { SAFE: 1 } } });
    const observed = container({ requests: { cpu: "210m", memory: "100Mi" }, memory: usage({ p95: 101 * MI, max: 101 * MI }) });
    expect(only(recommend(workload({ containers: [observed] }), { policy: custom })).recommended.requests.memory).toBe("101Mi");
  });

  it("changes a request outside the bounds however small the step: 5m → the 10m minimum", () => {
    const observed = container({ requests: { cpu: "5m", memory: "288Mi" }, cpu: usage({ p95: 0.004, max: 0.004 }) });
    expect(only(recommend(workload({ containers: [observed] }))).recommended.requests.cpu).toBe("10m");
  });

  it("uses the policy's thresholds: minChangePercent 2 and minChange.cpu 1m let 200m → 205m through", () => {
    const custom = policy({ recommend: { minChangePercent: 2, minChange: { cpu: "1m" } } });
    const observed = container({ requests: { cpu: "200m", memory: "288Mi" }, cpu: usage({ p95: 0.174, max: 0.2 }) });
    expect(only(recommend(workload({ containers: [observed] }), { policy: custom })).recommended.requests.cpu).toBe("205m");
  });

  it("holds the workload when no container changes materially", () => {
    const record = recommend(workload({ containers: [container({ requests: { cpu: "210m", memory: "288Mi" } })] }));
    expect(record.decision.action).toBe("hold");
    expect(record.decision.reasons).toEqual(["no material change: every request is within the change threshold of its current value"]);
  });
});

describe("maxDecreasePercent: decreases are capped per proposal, increases are not", () => {
  const step = (cpu: string, maxDecreasePercent?: number) => {
    const custom = policy(maxDecreasePercent === undefined ? {} : { recommend: { maxDecreasePercent } });
    const observed = container({ requests: { cpu, memory: "288Mi" }, cpu: usage({ p95: 0.1, max: 0.2 }) });
    return only(recommend(workload({ containers: [observed] }), { policy: custom }));
  };

  it("steps 1 core toward 115m (100m × 1.15) in halves: 1 → 500m → 250m → 125m, then 125m → 115m is below the threshold", () => {
    expect(step("1").recommended.requests.cpu).toBe("500m");
    expect(step("500m").recommended.requests.cpu).toBe("250m");
    expect(step("250m").recommended.requests.cpu).toBe("125m");
    expect(step("125m").recommended.requests.cpu).toBe("125m");
  });

  it("explains the step: lowered only to 500m, the target is reached later", () => {
    expect(step("1").reasons).toContain(
      "cpu request 1 → 500m (−50%): p90 100m × 1.15 = 115m; lowered only to 500m in this proposal (maxDecreasePercent 50%; the target 115m is reached in later steps)",
    );
  });

  it("rounds the cap up to a tidy value: half of 333m is 166.5m → 170m", () => {
    expect(step("333m").recommended.requests.cpu).toBe("170m");
  });

  it("uses the policy's cap: 25% takes 1 core to 750m", () => {
    expect(step("1", 25).recommended.requests.cpu).toBe("750m");
  });

  it("does not cap increases: 100m → 1150m when p95 is 1 core", () => {
    const observed = container({ requests: { cpu: "100m", memory: "288Mi" }, cpu: usage({ p95: 1, max: 1.2 }) });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.recommended.requests.cpu).toBe("1150m");
    expect(decision.change.cpu).toBe(1050);
  });
});

describe("limits", () => {
  const limited = (mode: string, requests: { cpu?: string; memory?: string }, limits: { cpu?: string; memory?: string }, cpu = 0.18) =>
    only(recommend(workload({ containers: [container({ requests, limits, cpu: usage({ p95: cpu, max: cpu * 1.2 }) })] }), { policy: policy({ recommend: { limits: mode } }) }));

  it("keep: leaves limits untouched when the new requests stay below them", () => {
    const decision = limited("keep", { cpu: "500m", memory: "512Mi" }, { cpu: "1", memory: "1Gi" });
    expect(decision.recommended).toEqual({ requests: { cpu: "250m", memory: "288Mi" }, limits: { cpu: "1", memory: "1Gi" } });
  });

  it("keep: raises a limit only to the new request when the request would exceed it (100m → 345m over a 200m limit: 345m, not 200m × 3.45 = 690m)", () => {
    const decision = limited("keep", { cpu: "100m", memory: "288Mi" }, { cpu: "200m" }, 0.3);
    expect(decision.recommended.requests.cpu).toBe("345m");
    expect(decision.recommended.limits.cpu).toBe("345m");
    expect(decision.reasons).toContain("cpu limit 200m → 345m: raised to the new request, which would exceed the limit 200m");
  });

  it("ratio: keeps limit/request: 500m/1 → 250m/500m and 512Mi/1Gi → 288Mi/576Mi", () => {
    const decision = limited("ratio", { cpu: "500m", memory: "512Mi" }, { cpu: "1", memory: "1Gi" });
    expect(decision.recommended).toEqual({ requests: { cpu: "250m", memory: "288Mi" }, limits: { cpu: "500m", memory: "576Mi" } });
  });

  it("memory-equals-request: the memory limit becomes 288Mi, the CPU limit stays 1", () => {
    const decision = limited("memory-equals-request", { cpu: "500m", memory: "512Mi" }, { cpu: "1", memory: "1Gi" });
    expect(decision.recommended.limits).toEqual({ cpu: "1", memory: "288Mi" });
  });

  it("memory-equals-request: sets a memory limit where there was none", () => {
    const decision = limited("memory-equals-request", { cpu: "500m", memory: "512Mi" }, {});
    expect(decision.recommended.limits).toEqual({ memory: "288Mi" });
  });

  it("remove-cpu: removes the CPU limit even when the requests do not change, and that is a change", () => {
    const decision = limited("remove-cpu", { cpu: "210m", memory: "288Mi" }, { cpu: "1", memory: "1Gi" });
    expect(decision.recommended).toEqual({ requests: { cpu: "210m", memory: "288Mi" }, limits: { memory: "1Gi" } });
    expect(decision.action).toBe("change");
    expect(decision.reasons).toContain("cpu limit 1 removed: the policy removes CPU limits (limits: remove-cpu)");
  });
});

describe("QoS class: a Guaranteed pod (requests equal limits in every container)", () => {
  // requests = limits = 500m / 512Mi; p95 180m × 1.15 = 207m → 210m, capped at −50%: 250m; max 250Mi × 1.15 = 287.5Mi → 288Mi.
  const guaranteed = { cpu: "500m", memory: "512Mi" };
  const decide = (mode: string, containers = [container({ requests: guaranteed, limits: guaranteed })]) =>
    recommend(workload({ containers }), { policy: policy({ recommend: { limits: mode } }) });
  const QOS_CHANGE = (what: string, mode: string) =>
    `QoS class: the pod is Guaranteed today (every container's requests equal its limits) and becomes Burstable: the ${what} (limits: ${mode}); Burstable pods are evicted before Guaranteed ones under node pressure; recommend.limits: keep keeps the class`;

  it("keep: moves both limits with the requests, 500m/512Mi → 250m/288Mi, so the pod stays Guaranteed", () => {
    const decision = only(decide("keep"));
    expect(decision.recommended).toEqual({ requests: { cpu: "250m", memory: "288Mi" }, limits: { cpu: "250m", memory: "288Mi" } });
    expect(decision.reasons).toContain("cpu limit 500m → 250m: moves with the request to keep the pod's QoS class Guaranteed (every container's requests equal its limits; limits: keep)");
    expect(decision.reasons).toContain("memory limit 512Mi → 288Mi: moves with the request to keep the pod's QoS class Guaranteed (every container's requests equal its limits; limits: keep)");
    expect(decision.reasons.some((reason) => reason.startsWith("QoS class"))).toBe(false);
  });

  it("keep: leaves the limits alone when another container makes the pod Burstable already", () => {
    const record = decide("keep", [container({ requests: guaranteed, limits: guaranteed }), container({ name: "sidecar", limits: {} })]);
    expect(only(record).recommended).toEqual({ requests: { cpu: "250m", memory: "288Mi" }, limits: guaranteed });
  });

  it("ratio: limit/request is 1, so the limits follow the requests without a warning", () => {
    const decision = only(decide("ratio"));
    expect(decision.recommended.limits).toEqual({ cpu: "250m", memory: "288Mi" });
    expect(decision.reasons.some((reason) => reason.startsWith("QoS class"))).toBe(false);
  });

  it("memory-equals-request: says that the pod becomes Burstable because the CPU limit stays 500m", () => {
    const decision = only(decide("memory-equals-request"));
    expect(decision.recommended.limits).toEqual({ cpu: "500m", memory: "288Mi" });
    expect(decision.reasons.at(-1)).toBe(QOS_CHANGE("cpu request no longer equals its limit", "memory-equals-request"));
  });

  it("remove-cpu: says that the pod becomes Burstable", () => {
    const decision = only(decide("remove-cpu"));
    expect(decision.recommended.limits).toEqual({ memory: "512Mi" });
    expect(decision.reasons.at(-1)).toBe(QOS_CHANGE("cpu and memory requests no longer equal their limits", "remove-cpu"));
  });
});

describe("HPA: the request of a resource an HPA scales on is held unless the policy allows it", () => {
  const scaled = (metrics: string[], requests = { cpu: "500m", memory: "512Mi" }, allowWithHpa = false) =>
    recommend(workload({ hpa: { name: "cart", metrics }, containers: [container({ requests })] }), { policy: policy({ apply: { allowWithHpa } }) });

  it("holds CPU at 500m (instead of 250m) under a CPU HPA and still proposes memory 512Mi → 288Mi", () => {
    const record = scaled(["cpu"]);
    const decision = only(record);
    expect(decision.recommended.requests).toEqual({ cpu: "500m", memory: "288Mi" });
    expect(decision.change.cpu).toBe(0);
    expect(record.decision.action).toBe("propose");
    const held =
      "cpu request held at 500m instead of 250m (p90 180m × 1.15 = 207m; rounded up to 210m (a multiple of 5m); lowered only to 250m in this proposal (maxDecreasePercent 50%; the target 210m is reached in later steps)): the HPA cart scales on cpu utilisation, which is measured against the request; set apply.allowWithHpa: true to change it";
    expect(decision.reasons).toContain(held);
    expect(record.decision.reasons).toEqual(["changes in 1 of 1 container: server (memory 512Mi → 288Mi)", `server: ${held}`]);
  });

  it("blocks the workload as an HPA conflict when the held CPU change was the only change", () => {
    const record = scaled(["cpu"], { cpu: "500m", memory: "288Mi" });
    expect(record.decision.action).toBe("blocked");
    expect(record.decision.reasons[0]).toMatch(/^HPA conflict: server: cpu request held at 500m instead of 250m/);
  });

  it("changes CPU under an HPA when apply.allowWithHpa is true", () => {
    expect(only(scaled(["cpu"], undefined, true)).recommended.requests.cpu).toBe("250m");
  });

  it("ignores an HPA on an external metric", () => {
    expect(only(scaled(["requests_per_second"])).recommended.requests.cpu).toBe("250m");
  });
});

describe("continuous confidence: score 0–100 and level", () => {
  const confidence = (windowHours: number, coverage: number, samples = 20_160, restarts = 0) =>
    only(recommend(workload({ windowHours, coverage, containers: [container({ requests: REQUESTS, restarts, cpu: usage({ p95: 0.18, max: 0.25, samples }) })] })))
      .confidence;

  it.each([
    ["14d, 100% coverage, 20,160 samples", 14 * 24, 1, 20_160, 0, 100, "HIGH"],
    ["7d, 90% coverage, 1,000 samples (every HIGH threshold exactly)", 7 * 24, 0.9, 1_000, 0, 80, "HIGH"],
    ["10.5d, 95% coverage: window 80 + 20 × 3.5/7 = 90, coverage 80 + 20 × 0.05/0.1 = 90", 10.5 * 24, 0.95, 20_160, 0, 90, "HIGH"],
    ["7d, 90% coverage, 999 samples (fewer than 1,000 caps at 79)", 7 * 24, 0.9, 999, 0, 79, "MEDIUM"],
    ["7d, 89% coverage: 50 + 30 × 0.19/0.2 = 78.5 → 78", 7 * 24, 0.89, 20_160, 0, 78, "MEDIUM"],
    ["6d, 100% coverage: 50 + 30 × 5/6 = 75", 6 * 24, 1, 20_160, 0, 75, "MEDIUM"],
    ["24h, 70% coverage (every MEDIUM threshold exactly)", 24, 0.7, 20_160, 0, 50, "MEDIUM"],
    ["23h, 100% coverage: 50 × 23/24 = 47.9 → 47", 23, 1, 20_160, 0, 47, "LOW"],
    ["24h, 69% coverage: 50 × 0.69/0.7 = 49.3 → 49", 24, 0.69, 20_160, 0, 49, "LOW"],
    ["14d with 2 restarts: 100 − 2 × 5 = 90", 14 * 24, 1, 20_160, 2, 90, "HIGH"],
    ["7d, 90% with 1 restart: 80 − 5 = 75", 7 * 24, 0.9, 20_160, 1, 75, "MEDIUM"],
    ["14d with 6 restarts: the restart penalty stops at 20", 14 * 24, 1, 20_160, 6, 80, "HIGH"],
  ] as const)("%s → %i %s", (_, hours, coverage, samples, restarts, score, level) => {
    const result = confidence(hours, coverage, samples, restarts);
    expect(result.score).toBe(score);
    expect(result.level).toBe(level);
  });

  it("documents its factors in the record, and the formula once per record", () => {
    const record = recommend(workload());
    expect(record.confidenceFormula).toMatch(/^score = min\(window, coverage, samples\) − 5 per restart/);
    const result = confidence(7 * 24, 0.9, 1_000, 1);
    expect(result.factors).toEqual([
      { name: "window", observed: "7d", points: 80, effect: "cap" },
      { name: "coverage", observed: "90%", points: 80, effect: "cap" },
      { name: "samples", observed: "1,000", points: 100, effect: "cap" },
      { name: "restarts", observed: "1", points: 5, effect: "penalty" },
    ]);
  });

  it("proposes at MEDIUM confidence (the default minimum) and holds at MEDIUM when the policy wants HIGH", () => {
    const observation = workload({ windowHours: 6 * 24, containers: [container({ requests: REQUESTS })] });
    expect(recommend(observation).decision.action).toBe("propose");
    const strict = recommend(observation, { policy: policy({ apply: { minConfidence: "HIGH" } }) });
    expect(strict.decision.action).toBe("hold");
    expect(strict.decision.reasons).toEqual(["server: waiting for data: confidence MEDIUM (75) is below the policy minimum HIGH (apply.minConfidence)"]);
  });

  it("blocks a container without memory metrics; its confidence loses 25 points (100 → 75)", () => {
    const record = recommend(workload({ containers: [container({ requests: REQUESTS, memory: null })] }));
    const decision = only(record);
    expect(decision.action).toBe("blocked");
    expect(decision.confidence.score).toBe(75);
    expect(decision.usage.memory).toBeNull();
    expect(record.decision.reasons).toEqual(["server: no memory usage was measured for this container"]);
  });
});

describe("current values", () => {
  it("takes current from the manifest when given, and keeps the manifest's style (0.5 → 0.25)", () => {
    const record = recommend(workload({ containers: [container({ requests: { cpu: "300m", memory: "512Mi" }, cpu: usage({ p95: 0.217, max: 0.25 }) })] }), {
      manifest: { path: "apps/cart.yaml", document: 1, yamlPath: ["spec", "template"], current: { server: { requests: { cpu: "0.5", memory: "512Mi" }, limits: {} } } },
    });
    expect(only(record).current.requests.cpu).toBe("0.5");
    expect(only(record).recommended.requests.cpu).toBe("0.25");
    expect(record.workload.manifest).toEqual({ path: "apps/cart.yaml", document: 1, yamlPath: ["spec", "template"] });
  });

  it("recommends a request where none is set: 210m with no change percentage", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: {} })] })));
    expect(decision.recommended.requests).toEqual({ cpu: "210m", memory: "288Mi" });
    expect(decision.change).toEqual({ cpu: null, memory: null });
    expect(decision.reasons).toContain("cpu request (not set) → 210m: p90 180m × 1.15 = 207m; rounded up to 210m (a multiple of 5m)");
  });

  it("measures a missing request against the limit Kubernetes uses in its place: limit 400m, 210m is −47.5%", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: { memory: "288Mi" }, limits: { cpu: "400m" } })] })));
    expect(decision.recommended.requests.cpu).toBe("210m");
    expect(decision.change.cpu).toBe(-47.5);
    expect(decision.recommended.limits.cpu).toBe("400m");
  });

  const VAULT_NOTE =
    'container "vault-agent" runs in the cluster but is not in the manifest (injected at admission?); it is left out — add it to selector.containers.exclude to silence this';

  it("proposes the containers of the manifest and reports a sidecar injected at admission, which it leaves out", () => {
    const vault = container({ name: "vault-agent", requests: { cpu: "250m", memory: "64Mi" }, cpu: usage({ p95: 0.01, max: 0.02 }), memory: usage({ p95: 20 * MI, max: 30 * MI }) });
    const manifest = { path: "apps/cart.yaml", document: 0, current: { server: { requests: { cpu: "300m", memory: "512Mi" }, limits: {} } } };
    const record = recommend(workload({ containers: [container(), vault] }), { manifest });
    // server: p95 180m × 1.15 = 207m → 210m; max 250Mi × 1.15 = 287.5Mi → 288Mi.
    expect(record.decision).toMatchObject({
      action: "propose",
      reasons: ["changes in 1 of 1 container: server (cpu 300m → 210m, memory 512Mi → 288Mi)", VAULT_NOTE],
    });
    expect(only(record, "vault-agent")).toMatchObject({
      action: "none",
      reasons: [VAULT_NOTE],
      current: { requests: { cpu: "250m", memory: "64Mi" }, limits: {} },
      recommended: { requests: { cpu: "250m", memory: "64Mi" }, limits: {} },
    });
  });

  it("says nothing of a missing sidecar the policy excludes", () => {
    const vault = container({ name: "vault-agent" });
    const manifest = { path: "apps/cart.yaml", document: 0, current: { server: { requests: { cpu: "300m", memory: "512Mi" }, limits: {} } } };
    const record = recommend(workload({ containers: [container(), vault] }), { manifest, policy: policy({ selector: { containers: { exclude: ["vault-agent"] } } }) });
    expect(record.decision.reasons).toEqual(["changes in 1 of 1 container: server (cpu 300m → 210m, memory 512Mi → 288Mi)"]);
  });

  it("holds a workload none of whose observed containers is in the manifest, and says why", () => {
    const record = recommend(workload({ containers: [container({ name: "vault-agent" })] }), { manifest: { path: "apps/cart.yaml", document: 0, current: { web: { requests: {}, limits: {} } } } });
    expect(record.decision).toMatchObject({
      action: "hold",
      reasons: ["nothing to resize: no observed container is both in the manifest and not excluded by the policy", VAULT_NOTE],
    });
  });

  it("blocks a container whose manifest value is not a quantity", () => {
    const record = recommend(workload(), { manifest: { path: "apps/cart.yaml", document: 0, current: { server: { requests: { cpu: "lots" }, limits: {} } } } });
    expect(record.decision.action).toBe("blocked");
    expect(only(record).reasons).toEqual(['the current requests.cpu "lots" is not a Kubernetes quantity; fix the manifest first']);
  });
});

describe("the workload decision", () => {
  it("blocks a workload the source could not observe, naming the problem", () => {
    const record = recommend(workload({ problems: ["Prometheus answered 403 Forbidden for namespace shop"] }));
    expect(record.decision.action).toBe("blocked");
    expect(record.decision.reasons).toEqual(["not observed: Prometheus answered 403 Forbidden for namespace shop"]);
    expect(only(record).action).toBe("blocked");
  });

  it("blocks a workload whose manifest cannot be edited", () => {
    const record = recommend(workload(), { manifest: { path: "charts/cart/templates/deploy.yaml", document: 0, problems: ["the file is a Helm template"] } });
    expect(record.decision).toMatchObject({ action: "blocked", reasons: ["manifest not editable: the file is a Helm template"] });
  });

  it("blocks the whole workload when one container is blocked, even if another would change", () => {
    const record = recommend(workload({ containers: [container({ requests: REQUESTS }), container({ name: "sidecar", cpu: null })] }));
    expect(record.containers.map((entry) => entry.action)).toEqual(["change", "blocked"]);
    expect(record.decision.action).toBe("blocked");
    expect(record.decision.reasons).toEqual(["sidecar: no CPU usage was measured for this container"]);
  });

  it("leaves containers excluded by the policy alone and does not let them block (istio-proxy without metrics)", () => {
    const record = recommend(workload({ containers: [container({ requests: REQUESTS }), container({ name: "istio-proxy", cpu: null, memory: null })] }));
    expect(only(record, "istio-proxy")).toMatchObject({ action: "none", reasons: ["left unchanged: excluded by the policy (selector.containers.exclude)"] });
    expect(record.decision.action).toBe("propose");
    expect(record.decision.reasons).toEqual(["changes in 1 of 1 container: server (cpu 300m → 210m)"]);
  });

  it("reports the worst safety and the lowest confidence of its containers", () => {
    const record = recommend(workload({ windowHours: 6 * 24, containers: [container({ requests: REQUESTS }), container({ name: "worker", requests: REQUESTS, restarts: 6 })] }));
    expect(record.decision).toMatchObject({ action: "propose", safety: "RISKY", confidence: "MEDIUM" });
  });

  it("stamps the record with the evaluation time given, not the clock", () => {
    expect(recommend(workload()).createdAt).toBe(AT);
  });

  it("keeps GiB-sized memory requests exact: 4Gi stays 4Gi when max 3.5Gi × 1.15 = 4121.6Mi → 4128Mi (+0.8%)", () => {
    const observed = container({ requests: { cpu: "210m", memory: "4Gi" }, memory: usage({ p95: 3.4 * GI, max: 3.5 * GI }) });
    expect(only(recommend(workload({ containers: [observed] }))).recommended.requests.memory).toBe("4Gi");
  });
});
