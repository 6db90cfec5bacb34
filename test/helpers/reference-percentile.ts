/**
 * The tests' own linear-interpolation quantile, as Prometheus defines quantile_over_time: expected
 * values are computed with this, never with rightsize's code.
 */
export function percentile(values: number[], phi: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = phi * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}
