import { ceilDivide, quantityFromNumber, toNumber, type JobRun, type Quantity, type UsageStatistics } from "../domain/index.js";
import type { PERCENTILES } from "../policy/index.js";

export type Percentile = (typeof PERCENTILES)[number];

/** Usage statistics of one resource: as the record shows them, and held exactly on demand. */
export interface Usage {
  /** Cores or bytes, for the decision record. */
  numbers: UsageStatistics;
  samples: number;
  /** The statistic as an exact quantity. */
  quantity(statistic: Percentile): Quantity;
}

const NANOS_PER_UNIT = 1_000_000_000n;

/** Observed statistics become exact quantities only when a rule reads them (most are only shown). */
export function usageFromObservation(statistics: UsageStatistics): Usage {
  // Every member from the start, so all of these objects share one shape.
  const exact: Partial<Record<Percentile, Quantity>> = { p50: undefined, p90: undefined, p95: undefined, p99: undefined, max: undefined };
  return {
    numbers: statistics,
    samples: statistics.samples,
    quantity: (statistic) => (exact[statistic] ??= measured(statistics[statistic])),
  };
}

/** Byte counts are whole numbers: they convert without the decimal round trip. */
function measured(value: number): Quantity {
  return Number.isSafeInteger(value) ? { nanos: BigInt(value) * NANOS_PER_UNIT } : quantityFromNumber(value);
}

export interface RunCounts {
  observed: number;
  succeeded: number;
  failed: number;
}

export function countRuns(runs: readonly JobRun[]): RunCounts {
  const succeeded = runs.filter((run) => run.succeeded).length;
  return { observed: runs.length, succeeded, failed: runs.length - succeeded };
}

/**
 * SPEC §5 run-based observation (kubenow v0.3 Feature 2): percentiles across the per-run peaks
 * of the successful runs; failed runs are left out (they are counted elsewhere).
 */
export function usageFromRuns(runs: readonly JobRun[], container: string, resource: "cpu" | "memory"): Usage | undefined {
  const peaks = runs
    .filter((run) => run.succeeded)
    .map((run) => run.containers[container])
    .filter((peak) => peak !== undefined)
    .map((peak) => measured(resource === "cpu" ? peak.cpuPeak : peak.memoryPeak).nanos)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (peaks.length === 0) return undefined;
  const total = peaks.reduce((sum, peak) => sum + peak, 0n);
  const exact: Record<Percentile, Quantity> = {
    p50: { nanos: percentileOfSorted(peaks, 50) },
    p90: { nanos: percentileOfSorted(peaks, 90) },
    p95: { nanos: percentileOfSorted(peaks, 95) },
    p99: { nanos: percentileOfSorted(peaks, 99) },
    max: { nanos: peaks[peaks.length - 1]! },
  };
  const numbers: UsageStatistics = {
    p50: toNumber(exact.p50),
    p90: toNumber(exact.p90),
    p95: toNumber(exact.p95),
    p99: toNumber(exact.p99),
    max: toNumber(exact.max),
    mean: toNumber({ nanos: ceilDivide(total, BigInt(peaks.length)) }),
    samples: peaks.length,
  };
  return { numbers, samples: peaks.length, quantity: (statistic) => exact[statistic] };
}

/**
 * Linear interpolation between closest ranks at rank `p/100 × (n − 1)`, the definition
 * Prometheus' `quantile_over_time` uses, so a p95 means the same in both observation modes.
 * Exact (bigint), rounded up to a nano-unit.
 */
export function percentileOfSorted(sorted: readonly bigint[], percent: number): bigint {
  const scaledRank = BigInt(percent) * BigInt(sorted.length - 1);
  const lower = Number(scaledRank / 100n);
  const fraction = scaledRank % 100n;
  const low = sorted[lower]!;
  if (fraction === 0n) return low;
  const high = sorted[lower + 1]!;
  return low + ceilDivide((high - low) * fraction, 100n);
}
