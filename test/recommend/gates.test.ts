import { describe, expect, it } from "vitest";
import { container, MI, only, policy, recommend, run, usage, workload } from "./builders.js";

/*
 * SPEC §5 as issue 13 changed it: margins per resource, the OOM rule without stacking, limits
 * raised only as far as needed, direction-aware gates (UNSAFE and low confidence hold decreases
 * only), and the CPU margin from the container's own variability. Numbers worked out by hand.
 */

const kill = (at: string) => ({ at, pod: "cart-7d9f-abcde" });

describe("margins per resource", () => {
  it("rates a CPU-spiky container RISKY on CPU only, and does not count the spread twice: cpu max 810m is 8.1× its p95 100m → RISKY, but its margin is the variability one (p99 300m ÷ p90 100m = 3, capped at 1.15): 100m × 1.15 = 115m; smooth memory stays SAFE: 250Mi × 1.15 = 287.5Mi → 288Mi", () => {
    const observed = container({ requests: { cpu: "200m", memory: "512Mi" }, cpu: usage({ p95: 0.1, p99: 0.3, max: 0.81 }) });
    const record = recommend(workload({ containers: [observed] }));
    const decision = only(record);
    expect(decision.safety).toBe("RISKY");
    expect(decision.safetyByResource).toEqual({ cpu: "RISKY", memory: "SAFE" });
    expect(decision.recommended.requests).toEqual({ cpu: "115m", memory: "288Mi" });
    expect(decision.reasons[0]).toBe(
      "rated RISKY: cpu RISKY (cpu max is 8.1× its p95 (RISKY above 3×)), memory SAFE; margins: cpu 1.15 (variability: p99 300m ÷ p90 100m × 1 = 3, within 1–1.15), memory 1.15 (SAFE)",
    );
    // The workload's label and verdict still show the worst rating.
    expect(record.decision.safety).toBe("RISKY");
  });

  it("gives memory spikes the RISKY margin on memory only: max 800Mi is 4× its p95 200Mi → 800Mi × 1.5 = 1200Mi; CPU keeps its variability margin 1.15: 180m → 210m", () => {
    const observed = container({ requests: { cpu: "300m", memory: "2Gi" }, memory: usage({ p95: 200 * MI, max: 800 * MI }) });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.safetyByResource).toEqual({ cpu: "SAFE", memory: "RISKY" });
    expect(decision.recommended.requests).toEqual({ cpu: "210m", memory: "1200Mi" });
  });

  it("counts a restart caused by an OOM kill as memory evidence only: 2 kills and 2 restarts rate memory CAUTION, CPU SAFE", () => {
    const observed = container({ requests: { cpu: "300m", memory: "512Mi" }, restarts: 2, oomKills: [kill("2026-11-18T10:00:00Z"), kill("2026-11-20T03:12:00Z")] });
    expect(only(recommend(workload({ containers: [observed] }))).safetyByResource).toEqual({ cpu: "SAFE", memory: "CAUTION" });
  });

  it("lets restarts that are not OOM kills count for both: 1 restart rates CPU and memory CAUTION", () => {
    const observed = container({ requests: { cpu: "300m", memory: "512Mi" }, restarts: 1 });
    expect(only(recommend(workload({ containers: [observed] }))).safetyByResource).toEqual({ cpu: "CAUTION", memory: "CAUTION" });
  });
});

describe("CPU margin from the container's own variability", () => {
  const sized = (cpu: ReturnType<typeof usage>, overrides: Record<string, unknown> = {}) =>
    only(recommend(workload({ containers: [container({ requests: { cpu: "250m", memory: "288Mi" }, cpu })] }), { policy: policy({ recommend: overrides }) }));

  it("saves on a steady service: p99 189m ÷ p95 180m = 1.05, so 180m × 1.05 = 189m → 190m (a constant 1.15 gave 210m)", () => {
    const decision = sized(usage({ p95: 0.18, p99: 0.189, max: 0.2 }));
    expect(decision.recommended.requests.cpu).toBe("190m");
    expect(decision.derivation.cpu).toMatchObject({ margin: 1.05, target: "189m", computed: "190m", marginFrom: "variability" });
  });

  it("covers a spiky service up to recommend.cpu.variability.max: p99 300m ÷ p95 180m = 1.67, capped at 1.15 → 207m → 210m", () => {
    expect(sized(usage({ p95: 0.18, p99: 0.3, max: 0.4 })).derivation.cpu).toMatchObject({ margin: 1.15, computed: "210m" });
  });

  it("rounds the ratio up to 0.01 and applies headroom: p99 200m ÷ p95 180m = 1.111 × headroom 1.02 = 1.1333 → 1.14; 180m × 1.14 = 205.2m → 210m", () => {
    const decision = sized(usage({ p95: 0.18, p99: 0.2, max: 0.25 }), { cpu: { variability: { headroom: 1.02 } } });
    expect(decision.derivation.cpu).toMatchObject({ margin: 1.14, target: "205200u", computed: "210m", variability: { percentile: "p99", ratio: 1.1111 } });
    expect(decision.reasons[0]).toBe("rated SAFE; margins: cpu 1.14 (variability: p99 200m ÷ p90 180m × 1.02 = 1.133, within 1–1.15), memory 1.15 (SAFE)");
  });

  it("sizes from the p90, so a busy tail does not inflate the base: p90 150m, p95 180m, p99 170m… → p99 170m ÷ p90 150m = 1.1334 → 1.14; 150m × 1.14 = 171m → 175m", () => {
    const decision = sized(usage({ p90: 0.15, p95: 0.16, p99: 0.17, max: 0.2 }));
    expect(decision.derivation.cpu).toMatchObject({ percentile: "p90", observed: "150m", margin: 1.14, target: "171m", computed: "175m", variability: { percentile: "p99", ratio: 1.1333 } });
  });

  it("keeps the rating's margin as a floor when CPU evidence other than the spread rates it: throttled in 15% of periods (CAUTION) with max 8× p95 → 1.3, not 1.15: 100m × 1.3 = 130m", () => {
    const observed = container({ requests: { cpu: "200m", memory: "288Mi" }, cpu: usage({ p95: 0.1, p99: 0.3, max: 0.8 }), throttledRatio: 0.15 });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.safetyByResource).toEqual({ cpu: "RISKY", memory: "SAFE" });
    expect(decision.derivation.cpu).toMatchObject({ margin: 1.3, marginFrom: "rating", target: "130m", computed: "130m" });
    expect(decision.reasons[0]).toBe(
      "rated RISKY: cpu RISKY (cpu max is 8.0× its p95 (RISKY above 3×)), memory SAFE; margins: cpu 1.3 (CAUTION; above its variability margin 1.15: p99 300m ÷ p90 100m × 1 = 3, within 1–1.15), memory 1.15 (SAFE)",
    );
  });

  it("keeps the old constant with recommend.cpu.margin: rating: 180m × 1.15 = 207m → 210m for a steady service", () => {
    expect(sized(usage({ p95: 0.18, p99: 0.189, max: 0.2 }), { cpu: { margin: "rating" } }).derivation.cpu).toMatchObject({ margin: 1.15, marginFrom: "rating", computed: "210m" });
  });
});

describe("the OOM rule without stacking, and limits raised only as far as needed", () => {
  it("raises 640Mi to 1536Mi after OOM kills at a 1280Mi limit: used = 1280Mi, max(1280Mi + 100Mi, 1280Mi × 1.2 = 1536Mi), no margin on top; the limit goes to 1536Mi (before: 640Mi → 1664Mi, limit 3328Mi)", () => {
    const observed = container({
      requests: { cpu: "210m", memory: "640Mi" },
      limits: { memory: "1280Mi" },
      memory: usage({ p95: 1200 * MI, max: 1280 * MI }),
      restarts: 2,
      oomKills: [kill("2026-11-18T10:00:00Z"), kill("2026-11-20T03:12:00Z")],
    });
    const decision = only(recommend(workload({ containers: [observed] })));
    expect(decision.recommended).toEqual({ requests: { cpu: "210m", memory: "1536Mi" }, limits: { memory: "1536Mi" } });
    expect(decision.change.memory).toBe(140);
    expect(decision.reasons).toContain(
      "memory request 640Mi → 1536Mi (+140%): max 1280Mi × 1 = 1280Mi; raised to 1536Mi: the OOM rule max(used + 100Mi, used × 1.2) with used = 1280Mi (the current limit)",
    );
    expect(decision.reasons).toContain("memory limit 1280Mi → 1536Mi: raised to the OOM rule's 1536Mi: the container was OOM-killed at its limit 1280Mi");
  });
});

describe("direction-aware gates: UNSAFE and low confidence hold decreases only", () => {
  it("proposes the memory an UNSAFE container (7 OOM kills at its 512Mi limit) needs at once: 512Mi → 615Mi (512Mi × 1.2 = 614.4Mi), limit too; its CPU (rated SAFE) still goes 300m → 210m", () => {
    const kills = [14, 15, 16, 17, 18, 19, 20].map((day) => kill(`2026-11-${day}T03:12:00Z`));
    const observed = container({ requests: { cpu: "300m", memory: "512Mi" }, limits: { memory: "512Mi" }, memory: usage({ p95: 480 * MI, max: 512 * MI }), restarts: 7, oomKills: kills });
    const record = recommend(workload({ containers: [observed] }));
    const decision = only(record);
    expect(decision.safety).toBe("UNSAFE");
    expect(decision.safetyByResource).toEqual({ cpu: "SAFE", memory: "UNSAFE" });
    expect(decision.action).toBe("change");
    expect(decision.recommended).toEqual({ requests: { cpu: "210m", memory: "615Mi" }, limits: { memory: "615Mi" } });
    const attention =
      "needs attention: rated UNSAFE: 7 OOM kills in the window (UNSAFE at 5 or more); proposed at once: memory 512Mi → 615Mi because it was OOM-killed (7 OOM kills in the window, last 2026-11-20T03:12Z); find out why it is OOM-killed (a leak, a traffic spike, a limit set too low)";
    expect(decision.attention).toEqual([attention]);
    expect(record.decision).toMatchObject({ action: "propose", safety: "UNSAFE", attention: [`server: ${attention}`] });
    expect(record.decision.reasons).toEqual(["changes in 1 of 1 container: server (cpu 300m → 210m, memory 512Mi → 615Mi, memory limit 512Mi → 615Mi)", `server: ${attention}`]);
  });

  it("holds an UNSAFE container's decreases while proposing its increase: 20 restarts, memory 250Mi × 1.5 = 375Mi over 288Mi goes up, CPU 180m × 1.5 = 270m under 300m stays", () => {
    const decision = only(recommend(workload({ containers: [container({ requests: { cpu: "300m", memory: "288Mi" }, restarts: 20 })] })));
    expect(decision.action).toBe("change");
    expect(decision.recommended.requests).toEqual({ cpu: "300m", memory: "375Mi" });
    expect(decision.change).toEqual({ cpu: 0, memory: 30.2 });
    expect(decision.reasons).toContain(
      "cpu request held at 300m instead of 270m (p90 180m × 1.5 = 270m): decreases are held (rated UNSAFE: 20 restarts in the window (UNSAFE at 20 or more))",
    );
  });

  it("proposes an undersized sidecar's memory at LOW confidence: a 64Mi request under a 91Mi peak, 91Mi × 1.3 (CAUTION: LOW) = 118.3Mi → 119Mi; its CPU decrease 50m → 30m waits", () => {
    const envoy = container({ name: "envoy", requests: { cpu: "50m", memory: "64Mi" }, cpu: usage({ p95: 0.02, p99: 0.03, max: 0.03 }), memory: usage({ p95: 85 * MI, max: 91 * MI }) });
    const record = recommend(workload({ windowHours: 12, containers: [envoy] }));
    const decision = only(record, "envoy");
    expect(decision.confidence.level).toBe("LOW");
    expect(decision.recommended.requests).toEqual({ cpu: "50m", memory: "119Mi" });
    expect(decision.change).toEqual({ cpu: 0, memory: 85.9 });
    const gate = "waiting for data: confidence LOW (25) is below the policy minimum MEDIUM (apply.minConfidence)";
    expect(decision.reasons).toContain(`cpu request held at 50m instead of 30m (p90 20m × 1.3 = 26m; rounded up to 30m (a multiple of 5m)): decreases are held (${gate})`);
    const attention = `needs attention: ${gate}; proposed at once: memory 64Mi → 119Mi because its usage is above the request (max 91Mi > 64Mi); decreases stay held`;
    expect(decision.attention).toEqual([attention]);
    expect(record.decision).toMatchObject({ action: "propose", safety: "CAUTION", confidence: "LOW", attention: [`envoy: ${attention}`] });
  });

  it("proposes a CronJob's increase before apply.jobs.minRuns: 3 runs peaking at 1.2–1.4 cores and 1200Mi under a 1-core, 1Gi request", () => {
    const runs = [1.2, 1.3, 1.4].map((cpu, index) => run(index + 1, { cpu, memory: 1200 * MI }));
    const job = workload({
      kind: "CronJob",
      name: "export",
      mode: "run-based",
      runs,
      containers: [container({ name: "job", requests: { cpu: "1", memory: "1Gi" }, cpu: null, memory: null })],
    });
    const record = recommend(job);
    // p95 of 1.2, 1.3, 1.4 = 1.3 + 0.9 × 0.1 = 1.39 × 1.5 (job CAUTION: LOW confidence) = 2.085 → 2100m; 1200Mi × 1.5 = 1800Mi → 1808Mi (16Mi steps).
    expect(only(record, "job").recommended.requests).toEqual({ cpu: "2100m", memory: "1808Mi" });
    expect(record.decision.action).toBe("propose");
    expect(record.decision.attention?.[0]).toMatch(/^job: needs attention: waiting for data: 3 successful runs observed; the policy needs 5 \(apply\.jobs\.minRuns\); proposed at once: cpu 1 → 2100m because its usage is above the request/);
  });

  it("still holds everything when Jobs are turned off (apply.jobs.enabled: false)", () => {
    const runs = [1.2, 1.3, 1.4, 1.3, 1.2].map((cpu, index) => run(index + 1, { cpu, memory: 1200 * MI }));
    const job = workload({ kind: "CronJob", name: "export", mode: "run-based", runs, containers: [container({ name: "job", requests: { cpu: "1", memory: "1Gi" }, cpu: null, memory: null })] });
    expect(recommend(job, { policy: policy({ apply: { jobs: { enabled: false } } }) }).decision.action).toBe("hold");
  });
});
