import type { RecommendPolicy } from "../policy/index.js";

/**
 * SPEC §5 trends, read from the downsampled series the observation carries (`[time, p95, max]`
 * points, hourly from Prometheus): memory reads the max column, CPU the p95 column.
 *
 * 1. **Step change** (a release mid-window): at each point t, the mean of the next 24h minus the
 *    mean of the previous 24h. The largest difference is a step when it is at least
 *    `trend.step.minPercent` of the level, stands out (≥ 3× the median difference, which a linear
 *    trend does not), leaves at least `trend.step.minAfter` of data after it, and no later
 *    difference of at least half its size undoes it (a weekend is a cycle, not a release).
 *    Sizing then uses the part after the step.
 * 2. **Slope**: Theil–Sen (the median of the pairwise slopes) over the daily peaks of the part
 *    used, days counted back from the end of the window, so daily cycles cancel out. Robust: a
 *    few outlying days do not move it.
 * 3. **Growing** when the Mann–Kendall test of the daily peaks is significant (one-sided, z ≥
 *    1.645, p < 0.05; at least 4 days are needed) and the slope over `trend.horizon` adds at
 *    least `trend.minGrowthPercent` of the current level.
 *
 * Pure and cheap: O(points) for the step, O(days²) for the slope.
 */

export type SeriesPoint = readonly [time: number, p95: number, max: number];

export interface StepChange {
  /** Unix seconds of the first point at the new level. */
  at: number;
  /** 24h mean before and after (cores or bytes). */
  before: number;
  after: number;
  /** Seconds of data from the step to the end of the window. */
  secondsAfter: number;
}

export interface TrendAnalysis {
  step?: StepChange;
  /** Every point of the window, in time order. */
  series: readonly SeriesPoint[];
  /** Points after the step (all points without one). */
  points: readonly SeriesPoint[];
  /** Theil–Sen slope of the daily peaks, per day; undefined with fewer than 2 days. */
  slopePerDay?: number;
  days: number;
  /** Mann–Kendall z of the daily peaks (0 when not computed). */
  z: number;
  /** The fitted level of the daily peaks at the end of the window. */
  level?: number;
  growing: boolean;
}

const DAY = 86_400;
const MIN_DAYS_FOR_TREND = 4;
/** One-sided 95% quantile of the standard normal distribution. */
const Z_95 = 1.645;
const STEP_STANDS_OUT = 3;
const STEP_UNDONE = 0.5;

/** The column a resource's rules read: the hourly max for memory, the hourly p95 for CPU. */
export function signalOf(point: SeriesPoint, resource: "cpu" | "memory"): number {
  return resource === "memory" ? point[2] : point[1];
}

export function analyseTrend(
  series: readonly SeriesPoint[],
  resource: "cpu" | "memory",
  windowEnd: number,
  policy: RecommendPolicy["trend"],
): TrendAnalysis {
  const sorted = isSorted(series) ? series : [...series].sort((a, b) => a[0] - b[0]);
  const step = findStep(sorted, resource, windowEnd, policy);
  const points = step ? sorted.filter((point) => point[0] >= step.at) : sorted;
  const peaks = dailyPeaks(points, resource, windowEnd);
  const none: TrendAnalysis = { ...(step ? { step } : {}), series: sorted, points, days: peaks.length, z: 0, growing: false };
  if (peaks.length < 2 || policy.horizon.seconds === 0) return none;
  const slopePerSecond = theilSenSlope(peaks);
  const level = theilSenLevel(peaks, slopePerSecond, windowEnd);
  const z = peaks.length >= MIN_DAYS_FOR_TREND ? mannKendallZ(peaks.map((peak) => peak[1])) : 0;
  const growth = slopePerSecond * policy.horizon.seconds;
  const growing = slopePerSecond > 0 && z >= Z_95 && growth >= (policy.minGrowthPercent / 100) * Math.max(level, 0);
  // Whole bytes and nanocores per day: an estimate needs no more digits, and projections stay exact.
  const slopePerDay = resource === "memory" ? Math.round(slopePerSecond * DAY) : Math.round(slopePerSecond * DAY * 1e9) / 1e9;
  return { ...none, slopePerDay, z, level, growing };
}

function isSorted(series: readonly SeriesPoint[]): boolean {
  for (let index = 1; index < series.length; index++) if (series[index]![0] < series[index - 1]![0]) return false;
  return true;
}

/**
 * Daily peaks counted back from the end of the window: day d covers (end − (d+1)·24h, end − d·24h].
 * A day with fewer points than half the day's worth (at the series' own step) is left out.
 */
export function dailyPeaks(points: readonly SeriesPoint[], resource: "cpu" | "memory", windowEnd: number): Array<[number, number]> {
  if (points.length === 0) return [];
  const step = seriesStepSeconds(points);
  const expected = Math.max(1, Math.floor(DAY / step));
  const days = new Map<number, { peak: number; count: number }>();
  for (const point of points) {
    const day = Math.max(0, Math.floor((windowEnd - point[0]) / DAY - 1e-9));
    const value = signalOf(point, resource);
    const entry = days.get(day);
    if (entry) {
      entry.peak = Math.max(entry.peak, value);
      entry.count++;
    } else days.set(day, { peak: value, count: 1 });
  }
  return [...days]
    .filter(([, entry]) => entry.count * 2 >= expected)
    .map(([day, entry]): [number, number] => [windowEnd - (day + 0.5) * DAY, entry.peak])
    .sort((a, b) => a[0] - b[0]);
}

/** The smallest positive spacing of the points: the series' step. */
function seriesStepSeconds(points: readonly SeriesPoint[]): number {
  let step = Infinity;
  for (let index = 1; index < points.length; index++) {
    const gap = points[index]![0] - points[index - 1]![0];
    if (gap > 0 && gap < step) step = gap;
  }
  return Number.isFinite(step) ? step : 3600;
}

/** Theil–Sen: the median of the slopes between every pair of points (per second). */
export function theilSenSlope(points: ReadonlyArray<readonly [number, number]>): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j]![0] - points[i]![0];
      if (dt !== 0) slopes.push((points[j]![1] - points[i]![1]) / dt);
    }
  }
  return median(slopes);
}

/** The line's level at `time`: the median of the intercepts y − slope × t, moved to `time`. */
function theilSenLevel(points: ReadonlyArray<readonly [number, number]>, slope: number, time: number): number {
  return median(points.map(([t, y]) => y + slope * (time - t)));
}

/**
 * Mann–Kendall: S = Σ sign(y_j − y_i) over i < j; Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18
 * over groups of t tied values; z = (S − 1)/√Var for S > 0 (continuity correction), 0 otherwise.
 */
export function mannKendallZ(values: readonly number[]): number {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += Math.sign(values[j]! - values[i]!);
  const ties = new Map<number, number>();
  for (const value of values) ties.set(value, (ties.get(value) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (s <= 0 || variance <= 0) return 0;
  return (s - 1) / Math.sqrt(variance);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** SPEC §5 step change (see the module comment); undefined when there is none. */
export function findStep(points: readonly SeriesPoint[], resource: "cpu" | "memory", windowEnd: number, policy: RecommendPolicy["trend"]): StepChange | undefined {
  const n = points.length;
  if (n < 4) return undefined;
  const step = seriesStepSeconds(points);
  const perDay = DAY / step;
  if (perDay < 4) return undefined;
  const prefix = new Float64Array(n + 1);
  for (let index = 0; index < n; index++) prefix[index + 1] = prefix[index]! + signalOf(points[index]!, resource);
  const times = points.map((point) => point[0]);
  // Whole days on both sides, so a daily cycle cancels out of both means.
  const minimum = Math.floor(perDay * 0.9);
  const candidates: Array<{ index: number; difference: number; before: number; after: number }> = [];
  for (let k = 1; k < n; k++) {
    const t = times[k]!;
    const start = lowerBound(times, t - DAY);
    const end = lowerBound(times, t + DAY);
    if (k - start < minimum || end - k < minimum) continue;
    const before = (prefix[k]! - prefix[start]!) / (k - start);
    const after = (prefix[end]! - prefix[k]!) / (end - k);
    candidates.push({ index: k, difference: after - before, before, after });
  }
  if (candidates.length === 0) return undefined;
  let best = candidates[0]!;
  for (const candidate of candidates) if (Math.abs(candidate.difference) > Math.abs(best.difference)) best = candidate;
  const size = Math.abs(best.difference);
  const level = Math.max(best.before, best.after);
  if (size === 0 || size < (policy.step.minPercent / 100) * level) return undefined;
  if (size < STEP_STANDS_OUT * median(candidates.map((candidate) => Math.abs(candidate.difference)))) return undefined;
  const at = times[best.index]!;
  const secondsAfter = windowEnd - at;
  if (secondsAfter < policy.step.minAfter.seconds) return undefined;
  const undone = candidates.some(
    (candidate) => times[candidate.index]! >= at + DAY && Math.sign(candidate.difference) !== Math.sign(best.difference) && Math.abs(candidate.difference) >= STEP_UNDONE * size,
  );
  if (undone) return undefined;
  return { at, before: best.before, after: best.after, secondsAfter };
}

/** The first index whose time is ≥ `time` (times ascending). */
function lowerBound(times: readonly number[], time: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (times[middle]! < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

