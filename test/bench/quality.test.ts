import { describe, expect, it } from "vitest";
import { ARCHETYPES, STRATEGIES, figures, generateTrace, generateTraces, krrSimple, scoreStrategies, vpa, type ScoredContainer } from "../../bench/quality.js";
import type { TraceContainer } from "../../src/domain/index.js";

/*
 * A smoke test of bench/quality.ts (issue 13): the peer formulas on a flat container, computed
 * by hand from their published definitions, and the scoring on one trace per archetype. The
 * benchmark itself (560 traces) is run by hand: `npx tsx bench/quality.bench.ts`.
 */

const MI = 1024 * 1024;
const STEPS = (14 * 86_400) / 300;

function flat(cpu: number, memory: number, requests = { cpu: "1", memory: "2Gi" }): TraceContainer {
  return { name: "app", current: { requests, limits: {} }, cpu: Array.from({ length: STEPS }, () => cpu), memory: Array.from({ length: STEPS }, () => memory), oomKills: [], restarts: [] };
}

describe("the peer formulas", () => {
  it("KRR simple: p95 CPU with no margin, max memory + 15% as request and limit", () => {
    expect(krrSimple(flat(0.2, 1024 * MI))).toEqual({ cpu: 0.2, memory: 1024 * MI * 1.15, memoryLimit: 1024 * MI * 1.15 });
    // At least 10m and 100Mi.
    expect(krrSimple(flat(0.002, 20 * MI))).toEqual({ cpu: 0.01, memory: 100 * MI, memoryLimit: 100 * MI });
  });

  it("VPA: the end of the p90 bucket + 15%; buckets grow 5% from 10m (CPU) and 1e7 bytes (memory)", () => {
    const bucketEnd = (value: number, first: number) => {
      const index = Math.floor(Math.log((value * 0.05) / first + 1) / Math.log(1.05));
      return (first * (1.05 ** (index + 1) - 1)) / 0.05;
    };
    // 0.2 cores falls in bucket 14 (ln 2 / ln 1.05 = 14.2), which ends at 0.01 × (1.05^15 − 1)/0.05 = 0.21579 cores; × 1.15 = 0.24815.
    const sizing = vpa(flat(0.2, 1024 * MI), 1);
    expect(sizing.cpu).toBeCloseTo(bucketEnd(0.2, 0.01) * 1.15, 12);
    expect(sizing.cpu).toBeCloseTo(0.24815, 5);
    expect(sizing.memory).toBeCloseTo(bucketEnd(1024 * MI, 1e7) * 1.15, 3);
    expect(sizing.memoryLimit).toBeUndefined();
    // At least 25m and 250Mi per pod, split among its containers.
    expect(vpa(flat(0.001, 10 * MI), 2)).toMatchObject({ cpu: 0.0125, memory: 125 * MI });
  });
});

describe("the scoring", () => {
  it("generates the same trace for the same archetype and index", () => {
    expect(generateTrace("leak", 3)).toEqual(generateTrace("leak", 3));
  });

  it("scores every strategy on every container of one trace per archetype", () => {
    const traces = generateTraces(1);
    expect(traces.map((trace) => trace.archetype)).toEqual([...ARCHETYPES]);
    const scored = scoreStrategies(traces);
    const containers = traces.reduce((sum, trace) => sum + trace.workload.containers.length, 0);
    for (const strategy of STRATEGIES) expect(scored.filter((entry) => entry.strategy === strategy)).toHaveLength(containers);
    for (const entry of scored) expect(entry.score.cpuSamples + entry.score.memorySamples).toBeGreaterThan(0);
  });

  it("computes savings over the current requests × replicas and shortfalls over the samples", () => {
    const entry = (current: number, recommended: number, replicas: number, above: number, leakOrOom = false): ScoredContainer => ({
      archetype: "steady",
      strategy: "KRR simple",
      current: { cpu: current, memory: current },
      recommended: { cpu: recommended, memory: recommended },
      replicas,
      score: { cpuSamples: 10, memorySamples: 10, cpuAbove: above, memoryAbove: 0, aboveLimit: above > 5 ? 1 : 0 },
      leakOrOom,
    });
    // (1×2 + 3×1 − 0.5×2 − 1×1) / (2 + 3) = 3/5; above: (1 + 6) / 20; one container over its limit; one cut on a leak.
    expect(figures([entry(1, 0.5, 2, 1), entry(3, 1, 1, 6, true)])).toEqual({ containers: 2, cpuSaved: 0.6, memorySaved: 0.6, cpuAbove: 0.35, memoryAbove: 0, oomRisk: 1, cutsOnLeakOrOom: 1 });
  });
});
