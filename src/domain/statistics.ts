import type { UsageStatistics } from "./observation.js";

/**
 * The φ-quantile Prometheus' quantile_over_time computes (linear interpolation between the
 * closest ranks), so statistics from metrics-server samples mean the same as those from history.
 */
export function quantile(sorted: ArrayLike<number>, phi: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = phi * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const weight = rank - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

export function summarize(values: readonly number[]): UsageStatistics | undefined {
  return summarizeSorted([...values].sort((a, b) => a - b));
}

/** p50…p99 (quantile_over_time's interpolation), max, mean and count of values already sorted ascending. */
export function summarizeSorted(sorted: ArrayLike<number>): UsageStatistics | undefined {
  if (sorted.length === 0) return undefined;
  let sum = 0;
  for (let index = 0; index < sorted.length; index++) sum += sorted[index]!;
  return ordered({
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    mean: sum / sorted.length,
    samples: sorted.length,
  });
}

/**
 * Guards the p50 ≤ … ≤ max invariant of the snapshot format against floating-point noise and
 * against a max that comes from raw samples while the percentiles come from a subquery.
 */
export function ordered(statistics: UsageStatistics): UsageStatistics {
  const p90 = Math.max(statistics.p90, statistics.p50);
  const p95 = Math.max(statistics.p95, p90);
  const p99 = Math.max(statistics.p99, p95);
  return { ...statistics, p90, p95, p99, max: Math.max(statistics.max, p99) };
}

/** Chart series: 1h buckets (SPEC §4), coarser for long windows so a chart stays under ~500 points. */
export function seriesStep(windowSeconds: number): number {
  return Math.max(3600, Math.ceil(windowSeconds / 500 / 3600) * 3600);
}
