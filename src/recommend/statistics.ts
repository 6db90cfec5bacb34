import { quantityFromNumber, toNumber, type JobRun, type Quantity, type UsageStatistics } from "../domain/index.js";
import type { PERCENTILES } from "../policy/index.js";

export type Percentile = (typeof PERCENTILES)[number];

/** Usage statistics held exactly: cores or bytes as quantities. */
export interface UsageQuantities {
  p50: Quantity;
  p90: Quantity;
  p95: Quantity;
  p99: Quantity;
  max: Quantity;
  mean: Quantity;
  samples: number;
}

export function usageFromObservation(statistics: UsageStatistics): UsageQuantities {
  return {
    p50: quantityFromNumber(statistics.p50),
    p90: quantityFromNumber(statistics.p90),
    p95: quantityFromNumber(statistics.p95),
    p99: quantityFromNumber(statistics.p99),
    max: quantityFromNumber(statistics.max),
    mean: quantityFromNumber(statistics.mean),
    samples: statistics.samples,
  };
}

export function usageAsNumbers(usage: UsageQuantities): UsageStatistics {
  return {
    p50: toNumber(usage.p50),
    p90: toNumber(usage.p90),
    p95: toNumber(usage.p95),
    p99: toNumber(usage.p99),
    max: toNumber(usage.max),
    mean: toNumber(usage.mean),
    samples: usage.samples,
  };
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
export function usageFromRuns(runs: readonly JobRun[], container: string, resource: "cpu" | "memory"): UsageQuantities | undefined {
  const peaks = runs
    .filter((run) => run.succeeded)
    .map((run) => run.containers[container])
    .filter((peak) => peak !== undefined)
    .map((peak) => quantityFromNumber(resource === "cpu" ? peak.cpuPeak : peak.memoryPeak).nanos)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (peaks.length === 0) return undefined;
  const total = peaks.reduce((sum, peak) => sum + peak, 0n);
  return {
    p50: { nanos: percentileOfSorted(peaks, 50) },
    p90: { nanos: percentileOfSorted(peaks, 90) },
    p95: { nanos: percentileOfSorted(peaks, 95) },
    p99: { nanos: percentileOfSorted(peaks, 99) },
    max: { nanos: peaks[peaks.length - 1]! },
    mean: { nanos: ceilDivide(total, BigInt(peaks.length)) },
    samples: peaks.length,
  };
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

function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return quotient * denominator === numerator ? quotient : quotient + 1n;
}

export function statisticFor(usage: UsageQuantities, percentile: Percentile): Quantity {
  return usage[percentile];
}
