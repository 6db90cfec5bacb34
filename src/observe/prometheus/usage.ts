import { quantile, summarizeSorted, type UsageStatistics } from "../../domain/index.js";
import type { RangeSeries } from "./client.js";
import type { QueryWindow } from "./queries.js";

/**
 * Usage on the window's step grid (queries.ts queryWindow), computed in rightsize from the
 * per-container series Prometheus returns: the busiest replica of each workload container at each
 * step, and from it every statistic and the chart series. Each range-query answer is folded in
 * once and dropped, so memory holds one array per workload container and resource, not the
 * answers.
 */

/** One value per grid point; NaN where there is none. */
export type StepValues = Float64Array;

export function emptySteps(window: QueryWindow): StepValues {
  return new Float64Array(window.points).fill(Number.NaN);
}

/** The grid index of a step time, or -1 off the grid (a point Prometheus should not have returned). */
function stepIndex(window: QueryWindow, time: number): number {
  const offset = (time - window.start) / window.step;
  return Number.isInteger(offset) && offset >= 0 && offset < window.points ? offset : -1;
}

export function stepTime(window: QueryWindow, index: number): number {
  return window.start + index * window.step;
}

interface ContainerSteps {
  pod: string;
  container: string;
  values: StepValues;
}

/**
 * Series of one answer grouped per pod and container, as `sum by (namespace, pod, container)`
 * (CPU) or `max by (…)` (memory) would group them on the server: cAdvisor may export a
 * container twice (e.g. under two cgroup paths).
 */
export function perContainer(window: QueryWindow, series: readonly RangeSeries[], combine: "sum" | "max"): ContainerSteps[] {
  const grouped = new Map<string, ContainerSteps>();
  for (const { metric, values } of series) {
    const { pod, container } = metric;
    if (!pod || !container) continue;
    const key = `${pod}\u0000${container}`;
    let entry = grouped.get(key);
    if (!entry) grouped.set(key, (entry = { pod, container, values: emptySteps(window) }));
    const steps = entry.values;
    for (const [time, text] of values) {
      const index = stepIndex(window, time);
      const value = Number(text);
      if (index < 0 || !Number.isFinite(value)) continue;
      const current = steps[index]!;
      steps[index] = Number.isNaN(current) ? value : combine === "sum" ? current + value : Math.max(current, value);
    }
  }
  return [...grouped.values()];
}

/** Folds one pod's values into the workload's busiest-replica series: the larger value at each step. */
export function foldBusiest(busiest: StepValues, values: StepValues): void {
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (!Number.isNaN(value) && !(busiest[index]! >= value)) busiest[index] = value;
  }
}

export function maxOfSteps(values: StepValues): number | undefined {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > max) max = value;
  return max === Number.NEGATIVE_INFINITY ? undefined : max;
}

/** First and last grid index with a value, or undefined when there is none. */
export function presence(values: StepValues): { first: number; last: number } | undefined {
  let first = -1;
  let last = -1;
  for (let index = 0; index < values.length; index++) {
    if (Number.isNaN(values[index]!)) continue;
    if (first < 0) first = index;
    last = index;
  }
  return first < 0 ? undefined : { first, last };
}

function present(values: StepValues): Float64Array {
  return values.filter((value) => !Number.isNaN(value));
}

/**
 * p50…p99 (linear interpolation, as quantile_over_time), max, mean and sample count of the values
 * on the grid: what `quantile_over_time(φ, busiest[window:step])` and its siblings return, read
 * from the same points.
 */
export function stepStatistics(values: StepValues): UsageStatistics | undefined {
  return summarizeSorted(present(values).sort());
}

/**
 * Chart points `[time, p95, max]` per bucket of `bucketSeconds`, ending at `window.to - window.seconds
 * + bucketSeconds` and every bucket after: the points of `quantile_over_time(0.95, busiest[1h:step])`
 * evaluated at each bucket's end (a subquery includes both ends of its range).
 */
export function chartPoints(window: QueryWindow, values: StepValues, bucketSeconds: number): Array<[number, number, number]> {
  const points: Array<[number, number, number]> = [];
  const from = window.to - window.seconds;
  for (let end = from + bucketSeconds; end <= window.to; end += bucketSeconds) {
    const firstIndex = Math.max(0, Math.ceil((end - bucketSeconds - window.start) / window.step));
    const lastIndex = Math.min(window.points - 1, Math.floor((end - window.start) / window.step));
    if (lastIndex < firstIndex) continue;
    const sorted = present(values.subarray(firstIndex, lastIndex + 1)).sort();
    if (sorted.length === 0) continue;
    const p95 = Math.max(0, quantile(sorted, 0.95));
    points.push([end, p95, Math.max(0, sorted[sorted.length - 1]!, p95)]);
  }
  return points;
}
