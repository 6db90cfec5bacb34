import { TOOL } from "../../src/version.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuantity, UsageStatisticsSchema, WorkloadObservationSchema, type WorkloadObservation } from "../../src/domain/index.js";
import { LIMIT_MODES, type Policy } from "../../src/policy/index.js";
import { DecisionRecordSchema, recommendWorkload, type DecisionRecord } from "../../src/recommend/index.js";
import { AT, DEFAULTS_SOURCE, MI, policy, run } from "./builders.js";

/*
 * Invariants from the OptiPod design (Properties 4, 13, 14) and SPEC §5, over random
 * observations and policies. Quantities are generated in whole millicores and MiB so the test
 * can compute the exact expectations itself.
 */

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_MIB = BigInt(MI) * 1_000_000_000n;

const sortedFive = (min: number, max: number) =>
  fc.array(fc.integer({ min, max }), { minLength: 5, maxLength: 5 }).map((values) => [...values].sort((a, b) => a - b) as [number, number, number, number, number]);

// Dividing (4419 / 1000) gives the double nearest 4.419; multiplying (4419 × 0.001) does not.
const statistics = (values: [number, number, number, number, number], toUnits: (value: number) => number, samples: number) => ({
  p50: toUnits(values[0]),
  p90: toUnits(values[1]),
  p95: toUnits(values[2]),
  p99: toUnits(values[3]),
  max: toUnits(values[4]),
  mean: toUnits(values[0]),
  samples,
});

interface Scenario {
  observation: WorkloadObservation;
  policy: Policy;
  bounds: { cpu: [number, number]; memory: [number, number] };
  /** Per container: observed max memory (MiB), current memory request (MiB), OOM-killed. */
  memory: { maxMib: number; currentMib: number; oomKilled: boolean }[];
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    cpuBounds: fc.tuple(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 64_000 })),
    memoryBounds: fc.tuple(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 0, max: 300_000 })),
    margins: fc.tuple(fc.integer({ min: 100, max: 300 }), fc.integer({ min: 100, max: 300 }), fc.integer({ min: 100, max: 300 })),
    limits: fc.constantFrom(...LIMIT_MODES),
    maxDecreasePercent: fc.integer({ min: 0, max: 100 }),
    windowHours: fc.integer({ min: 1, max: 400 }),
    coverage: fc.double({ min: 0, max: 1, noNaN: true }),
    containers: fc.array(
      fc.record({
        cpu: sortedFive(0, 8_000),
        memory: sortedFive(1, 20_000),
        samples: fc.integer({ min: 0, max: 30_000 }),
        currentCpu: fc.double({ min: 0, max: 1, noNaN: true }),
        currentMemory: fc.double({ min: 0, max: 1, noNaN: true }),
        limitFactor: fc.option(fc.integer({ min: 1, max: 4 })),
        oomKills: fc.integer({ min: 0, max: 6 }),
        restarts: fc.integer({ min: 0, max: 25 }),
        throttledRatio: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map((generated): Scenario => {
    const cpuBounds: [number, number] = [generated.cpuBounds[0], generated.cpuBounds[0] + generated.cpuBounds[1]];
    const memoryBounds: [number, number] = [generated.memoryBounds[0], generated.memoryBounds[0] + generated.memoryBounds[1]];
    const within = ([min, max]: [number, number], fraction: number) => Math.round(min + (max - min) * fraction);
    const memory: Scenario["memory"] = [];
    const containers = generated.containers.map((spec, index) => {
      const cpuMilli = within(cpuBounds, spec.currentCpu);
      const memoryMib = within(memoryBounds, spec.currentMemory);
      memory.push({ maxMib: spec.memory[4], currentMib: memoryMib, oomKilled: spec.oomKills > 0 });
      return {
        name: `c${index}`,
        current: {
          requests: { cpu: `${cpuMilli}m`, memory: `${memoryMib}Mi` },
          limits: spec.limitFactor === null ? {} : { cpu: `${cpuMilli * spec.limitFactor}m`, memory: `${memoryMib * spec.limitFactor}Mi` },
        },
        cpu: statistics(spec.cpu, (milli) => milli / 1000, spec.samples),
        memory: statistics(spec.memory, (mib) => mib * MI, spec.samples),
        // Minutes before the end, so every kill lies inside even a one-hour window.
        oomKills: Array.from({ length: spec.oomKills }, (_, kill) => ({ at: new Date(Date.parse("2026-11-21T00:00:00Z") - (kill + 1) * 60_000).toISOString(), pod: "p" })),
        restarts: spec.restarts,
        throttledRatio: spec.throttledRatio,
      };
    });
    const observation = WorkloadObservationSchema.parse({
      workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "cart" },
      source: "prometheus",
      mode: "continuous",
      window: { from: new Date(Date.parse("2026-11-21T00:00:00Z") - generated.windowHours * 3_600_000).toISOString(), to: "2026-11-21T00:00:00Z" },
      pods: 2,
      coverage: generated.coverage,
      containers,
    });
    const [safe, caution, risky] = generated.margins.map((hundredths) => hundredths / 100) as [number, number, number];
    return {
      observation,
      policy: policy({
        recommend: {
          margins: { SAFE: safe, CAUTION: caution, RISKY: risky },
          bounds: { cpu: { min: `${cpuBounds[0]}m`, max: `${cpuBounds[1]}m` }, memory: { min: `${memoryBounds[0]}Mi`, max: `${memoryBounds[1]}Mi` } },
          limits: generated.limits,
          maxDecreasePercent: generated.maxDecreasePercent,
        },
      }),
      bounds: { cpu: cpuBounds, memory: memoryBounds },
      memory,
    };
  });

function decide(input: Scenario): DecisionRecord {
  return recommendWorkload({ tool: TOOL, observation: input.observation, policy: input.policy, policySource: DEFAULTS_SOURCE, at: AT });
}

const nanos = (text: string | undefined) => parseQuantity(text ?? "0").nanos;

describe("properties of the recommendation", () => {
  it("always produces a record that validates against its schema", () => {
    fc.assert(fc.property(scenario, (input) => DecisionRecordSchema.safeParse(decide(input)).success));
  });

  it("keeps every recommended request within the policy bounds (OptiPod Property 4)", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        for (const container of decide(input).containers) {
          const cpu = nanos(container.recommended.requests.cpu);
          const memory = nanos(container.recommended.requests.memory);
          expect(cpu).toBeGreaterThanOrEqual(BigInt(input.bounds.cpu[0]) * NANOS_PER_MILLI);
          expect(cpu).toBeLessThanOrEqual(BigInt(input.bounds.cpu[1]) * NANOS_PER_MILLI);
          expect(memory).toBeGreaterThanOrEqual(BigInt(input.bounds.memory[0]) * NANOS_PER_MIB);
          expect(memory).toBeLessThanOrEqual(BigInt(input.bounds.memory[1]) * NANOS_PER_MIB);
        }
      }),
    );
  });

  it("derives percentile × the resource's margin before bounds, and the result never falls below it except at the maximum (OptiPod Property 14)", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const record = decide(input);
        record.containers.forEach((container, index) => {
          if (container.action === "blocked") return;
          const observed = input.observation.containers[index]!;
          const byRating = (rating: string) => input.policy.recommend.margins[rating === "UNSAFE" ? "RISKY" : (rating as "SAFE" | "CAUTION" | "RISKY")];
          // SPEC §5: CPU from its variability, clamp(p99 ÷ p90, 1, 1.15) rounded up to 0.01, at least the margin of the rating that
          // CPU evidence other than the spread gives (restarts that were not OOM kills, throttling > 10%, LOW confidence);
          // memory from its rating (no series here), or none after OOM kills (the OOM rule is not stacked with a margin).
          const ratings = container.safetyByResource!;
          const ratio = observed.cpu!.p90 > 0 ? observed.cpu!.p99 / observed.cpu!.p90 : 1;
          const variable = Math.min(1.15, Math.max(1, Math.ceil(ratio * 100 - 1e-9) / 100));
          const cpuRestarts = Math.max(0, observed.restarts - observed.oomKills.length);
          const low = container.confidence.level === "LOW";
          const floor =
            cpuRestarts >= 20 ? "UNSAFE" : cpuRestarts > 5 ? "RISKY" : cpuRestarts >= 1 || observed.throttledRatio > 0.1 || low ? "CAUTION" : "SAFE";
          const margins = {
            cpu: floor !== "SAFE" && byRating(floor) > variable ? byRating(floor) : variable,
            memory: observed.oomKills.length > 0 ? 1 : byRating(ratings.memory),
          };
          const bases = {
            cpu: BigInt(Math.round(observed.cpu!.p90 * 1000)) * NANOS_PER_MILLI,
            memory: (BigInt(observed.memory!.max) * NANOS_PER_MIB) / BigInt(MI),
          };
          const ceil = (value: bigint) => (value + 99n) / 100n;
          for (const resource of ["cpu", "memory"] as const) {
            const hundredths = BigInt(Math.round(margins[resource] * 100));
            expect(container.derivation[resource]?.margin).toBe(margins[resource]);
            expect(nanos(container.derivation[resource]?.target)).toBe(ceil(bases[resource] * hundredths));
            const bounds = input.bounds[resource];
            const unit = resource === "cpu" ? NANOS_PER_MILLI : NANOS_PER_MIB;
            const [min, max] = [BigInt(bounds[0]) * unit, BigInt(bounds[1]) * unit];
            const clampedTarget = [ceil(bases[resource] * hundredths), min].reduce((a, b) => (a > b ? a : b));
            const expectedFloor = clampedTarget < max ? clampedTarget : max;
            expect(nanos(container.derivation[resource]?.computed)).toBeGreaterThanOrEqual(expectedFloor);
          }
        });
      }),
    );
  });

  it("never recommends memory below the observed max when the bounds allow it", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        decide(input).containers.forEach((container, index) => {
          const { maxMib } = input.memory[index]!;
          if (container.action === "blocked" || maxMib > input.bounds.memory[1]) return;
          expect(nanos(container.recommended.requests.memory)).toBeGreaterThanOrEqual(BigInt(maxMib) * NANOS_PER_MIB);
        });
      }),
    );
  });

  it("never gives an OOM-killed container less memory than it has", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        decide(input).containers.forEach((container, index) => {
          const { currentMib, oomKilled } = input.memory[index]!;
          if (!oomKilled) return;
          expect(nanos(container.recommended.requests.memory)).toBeGreaterThanOrEqual(BigInt(currentMib) * NANOS_PER_MIB);
          expect(container.change.memory ?? 0).toBeGreaterThanOrEqual(0);
        });
      }),
    );
  });

  it("is deterministic: the same input gives the same bytes, whatever the order of its keys", () => {
    const reverseKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reverseKeys);
      if (value === null || typeof value !== "object") return value;
      return Object.fromEntries(Object.entries(value).reverse().map(([key, child]) => [key, reverseKeys(child)]));
    };
    fc.assert(
      fc.property(scenario, (input) => {
        const first = JSON.stringify(decide(input));
        expect(JSON.stringify(decide(input))).toBe(first);
        const reordered = { ...input, observation: reverseKeys(input.observation) as WorkloadObservation };
        expect(decide(reordered).inputsDigest).toBe(decide(input).inputsDigest);
      }),
    );
  });
});

const WINDOW_END_SECONDS = Date.parse("2026-11-21T00:00:00Z") / 1000;

/** A 7-day window whose hourly memory max only rises, by 0.1–0.3% of the base an hour (≥ 16.8% a week): a leak. */
const leaking = fc
  .record({
    baseMib: fc.integer({ min: 100, max: 4_000 }),
    steps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 168, maxLength: 168 }),
    currentMib: fc.integer({ min: 64, max: 16_000 }),
    margin: fc.integer({ min: 100, max: 300 }),
    maxDecreasePercent: fc.integer({ min: 0, max: 100 }),
    minGrowthPercent: fc.integer({ min: 0, max: 10 }),
  })
  .map(({ baseMib, steps, currentMib, margin, maxDecreasePercent, minGrowthPercent }) => {
    let level = baseMib * MI;
    const series = steps.map((step, index): [number, number, number] => {
      level += (baseMib * MI * step) / 1000;
      return [WINDOW_END_SECONDS - (167 - index) * 3600, level * 0.98, level];
    });
    const max = series[series.length - 1]![2];
    const observation = WorkloadObservationSchema.parse({
      workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "cart" },
      source: "prometheus",
      mode: "continuous",
      window: { from: new Date((WINDOW_END_SECONDS - 7 * 86_400) * 1000).toISOString(), to: "2026-11-21T00:00:00Z" },
      pods: 2,
      coverage: 1,
      containers: [
        {
          name: "app",
          current: { requests: { cpu: "100m", memory: `${currentMib}Mi` }, limits: {} },
          cpu: { p50: 0.05, p90: 0.08, p95: 0.09, p99: 0.1, max: 0.12, mean: 0.05, samples: 2_016 },
          memory: { p50: baseMib * MI, p90: max * 0.95, p95: max * 0.97, p99: max * 0.99, max, mean: baseMib * MI, samples: 2_016 },
          series: { step: "1h", cpu: [], memory: series },
        },
      ],
    });
    const margins = { SAFE: margin / 100, CAUTION: margin / 100, RISKY: margin / 100 };
    return { observation, currentMib, policy: policy({ recommend: { margins, maxDecreasePercent, trend: { minGrowthPercent } } }) };
  });

/** LOW confidence (a window under a day) with any usage and requests. */
const unsure = fc
  .record({
    windowHours: fc.integer({ min: 1, max: 23 }),
    cpu: sortedFive(1, 4_000),
    memory: sortedFive(8, 8_000),
    currentCpu: fc.integer({ min: 10, max: 4_000 }),
    currentMemory: fc.integer({ min: 32, max: 8_000 }),
    restarts: fc.integer({ min: 0, max: 25 }),
    oomKills: fc.integer({ min: 0, max: 6 }),
  })
  .map((generated) => ({
    generated,
    observation: WorkloadObservationSchema.parse({
      workload: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "cart" },
      source: "prometheus",
      mode: "continuous",
      window: { from: new Date(Date.parse("2026-11-21T00:00:00Z") - generated.windowHours * 3_600_000).toISOString(), to: "2026-11-21T00:00:00Z" },
      pods: 2,
      coverage: 1,
      containers: [
        {
          name: "app",
          current: { requests: { cpu: `${generated.currentCpu}m`, memory: `${generated.currentMemory}Mi` }, limits: {} },
          cpu: statistics(generated.cpu, (milli) => milli / 1000, 500),
          memory: statistics(generated.memory, (mib) => mib * MI, 500),
          oomKills: Array.from({ length: generated.oomKills }, (_, kill) => ({ at: new Date(Date.parse("2026-11-21T00:00:00Z") - (kill + 1) * 60_000).toISOString(), pod: "p" })),
          restarts: generated.restarts,
        },
      ],
    }),
  }));

describe("properties of the direction-aware rules (issue 13)", () => {
  it("never cuts a growing memory series, whatever the margins, the decrease cap and the current request", () => {
    fc.assert(
      fc.property(leaking, (input) => {
        const record = recommendWorkload({ tool: TOOL, observation: input.observation, policy: input.policy, policySource: DEFAULTS_SOURCE, at: AT });
        const container = record.containers[0]!;
        expect(container.derivation.memory?.trend?.growing).toBe(true);
        expect(nanos(container.recommended.requests.memory)).toBeGreaterThanOrEqual(BigInt(input.currentMib) * NANOS_PER_MIB);
        expect(container.change.memory ?? 0).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("never holds an increase for confidence: at LOW confidence a material increase is proposed at once", () => {
    fc.assert(
      fc.property(unsure, ({ observation }) => {
        const resolved = policy();
        const record = recommendWorkload({ tool: TOOL, observation, policy: resolved, policySource: DEFAULTS_SOURCE, at: AT });
        const container = record.containers[0]!;
        expect(container.confidence.level).toBe("LOW");
        const current = observation.containers[0]!.current!.requests;
        for (const resource of ["cpu", "memory"] as const) {
          // No derivation: the container is blocked (UNSAFE with nothing to raise), so no increase is held either.
          const derivation = container.derivation[resource];
          if (!derivation) continue;
          const computed = nanos(derivation.computed);
          const now = nanos(current[resource]);
          const material = computed * 100n >= now * BigInt(100 + resolved.recommend.minChangePercent) && computed - now >= resolved.recommend.minChange[resource].nanos;
          if (!material) continue;
          expect(nanos(container.recommended.requests[resource])).toBe(computed);
          expect(container.action).toBe("change");
          expect(record.decision.action).toBe("propose");
        }
      }),
    );
  });
});

describe("percentile order p50 ≤ p90 ≤ p95 ≤ p99 ≤ max (OptiPod Property 13)", () => {
  it("is accepted in a snapshot when ordered and rejected when not", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 5, maxLength: 5 }), (values) => {
        const [p50, p90, p95, p99, max] = values as [number, number, number, number, number];
        const ordered = p50 <= p90 && p90 <= p95 && p95 <= p99 && p99 <= max;
        expect(UsageStatisticsSchema.safeParse({ p50, p90, p95, p99, max, mean: p50, samples: 10 }).success).toBe(ordered);
      }),
    );
  });

  it("holds for the cross-run percentiles computed from per-run peaks, which lie between the lowest and highest peak", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 16_000 }), { minLength: 1, maxLength: 30 }), (milliPeaks) => {
        const runs = milliPeaks.map((milli, index) => run(index + 1, { cpu: milli / 1000, memory: (milli + 1) * MI }));
        const observation = WorkloadObservationSchema.parse({
          workload: { cluster: "prod", namespace: "batch", kind: "CronJob", name: "export" },
          source: "prometheus",
          mode: "run-based",
          window: { from: "2026-11-01T00:00:00Z", to: "2026-11-21T00:00:00Z" },
          pods: 0,
          coverage: 1,
          containers: [{ name: "job" }],
          runs,
        });
        const record = recommendWorkload({ tool: TOOL, observation, policy: policy(), policySource: DEFAULTS_SOURCE, at: AT });
        for (const usage of [record.containers[0]!.usage.cpu!, record.containers[0]!.usage.memory!]) {
          expect(usage.p50).toBeLessThanOrEqual(usage.p90);
          expect(usage.p90).toBeLessThanOrEqual(usage.p95);
          expect(usage.p95).toBeLessThanOrEqual(usage.p99);
          expect(usage.p99).toBeLessThanOrEqual(usage.max);
        }
        expect(record.containers[0]!.usage.cpu!.max).toBe(Math.max(...milliPeaks) / 1000);
        expect(record.containers[0]!.usage.cpu!.p50).toBeGreaterThanOrEqual(Math.min(...milliPeaks) / 1000);
      }),
    );
  });
});
