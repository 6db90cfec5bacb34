import {
  describeSeconds,
  InputError,
  isRunBased,
  quantile,
  seriesStep,
  summarizeSorted,
  type ContainerObservation,
  type JobRun,
  type TraceContainer,
  type TraceWorkload,
  type UsageStatistics,
  type UsageTrace,
  type WorkloadObservation,
} from "../domain/index.js";
import type { ReplayUsage } from "./replay.js";

/**
 * An offline trace as the Prometheus path would have seen it (SPEC §4, §11): the first part of
 * the window becomes an observation with the same statistics (busiest replica per step,
 * percentiles interpolated like `quantile_over_time`, hourly p95/max series, OOM kills,
 * restarts, throttling), the rest becomes the usage a recommendation is replayed against. Pure.
 */

const TRACE_SOURCE = "trace";

/** Unix seconds: the observed part is [from, split), the replayed part [split, to). */
export interface BacktestWindow {
  from: number;
  split: number;
  to: number;
}

/**
 * `--window` is the end of the trace back by that long (default: the whole trace); `--split` is
 * the replayed part at its end (default: the second half).
 */
export function traceWindow(trace: UsageTrace, windowSeconds?: number, replaySeconds?: number): BacktestWindow {
  const start = Date.parse(trace.start) / 1000;
  const steps = trace.workloads[0]?.containers[0]?.cpu.length ?? 0;
  const to = start + steps * trace.step;
  const length = windowSeconds ?? to - start;
  if (length > to - start) throw new InputError(`--window ${describeSeconds(length)} is longer than the trace (${describeSeconds(to - start)}); shorten it or pass a longer trace`, { field: "window" });
  const replay = replaySeconds ?? Math.floor(length / 2 / trace.step) * trace.step;
  if (!(replay > 0 && replay < length)) throw new InputError(`--split ${describeSeconds(replay)} must be shorter than the window (${describeSeconds(length)}) and longer than 0`, { field: "split" });
  return { from: to - length, split: to - replay, to };
}

/** The observation of [from, split) of every workload of the trace. */
export function observeTrace(trace: UsageTrace, window: BacktestWindow, cluster?: string): WorkloadObservation[] {
  return trace.workloads.map((workload) => observeWorkload(trace, workload, window, cluster));
}

/** The measured usage of [split, to), per container, to replay the recommendation against. */
export function replayOfTrace(trace: UsageTrace, window: BacktestWindow, cluster?: string): ReplayUsage[] {
  const start = Date.parse(trace.start) / 1000;
  const [first, last] = indexRange(start, trace.step, window.split, window.to);
  return trace.workloads.flatMap((workload) =>
    workload.containers.map((container) => ({
      workload: { ...workload.workload, ...(cluster ? { cluster } : {}) },
      container: container.name,
      start: start + first * trace.step,
      step: trace.step,
      cpu: container.cpu.slice(first, last),
      memory: container.memory.slice(first, last),
    })),
  );
}

/** Sample i is at start + i × step; the indices of the samples in [from, to). */
function indexRange(start: number, step: number, from: number, to: number): [number, number] {
  return [Math.max(0, Math.ceil((from - start) / step)), Math.max(0, Math.ceil((to - start) / step))];
}

function observeWorkload(trace: UsageTrace, workload: TraceWorkload, window: BacktestWindow, cluster: string | undefined): WorkloadObservation {
  const start = Date.parse(trace.start) / 1000;
  const [first, last] = indexRange(start, trace.step, window.from, window.split);
  const seconds = window.split - window.from;
  const runBased = isRunBased(workload.workload.kind);
  const iso = (time: number) => new Date(time * 1000).toISOString().replace(".000Z", "Z");
  const within = (at: string) => {
    const time = Date.parse(at) / 1000;
    return time >= window.from && time <= window.split;
  };
  const containers = workload.containers.map((container): ContainerObservation => {
    const observed: ContainerObservation = {
      name: container.name,
      current: { requests: { ...container.current.requests }, limits: { ...container.current.limits } },
      oomKills: container.oomKills.filter((kill) => within(kill.at)).map((kill) => ({ at: kill.at, pod: kill.pod })),
      restarts: container.restarts.filter(within).length,
      throttledRatio: mean(container.throttled?.slice(first, last) ?? []),
    };
    if (runBased) return observed;
    const cpu = summarize(container.cpu.slice(first, last));
    const memory = summarize(container.memory.slice(first, last));
    if (cpu) observed.cpu = cpu;
    if (memory) observed.memory = memory;
    const series = seriesOf(container, start, trace.step, window);
    if (series.cpu.length > 0 || series.memory.length > 0) observed.series = series;
    return observed;
  });
  const observation: WorkloadObservation = {
    workload: { cluster: cluster ?? workload.workload.cluster, namespace: workload.workload.namespace, kind: workload.workload.kind, name: workload.workload.name },
    source: TRACE_SOURCE,
    mode: runBased ? "run-based" : "continuous",
    window: { from: iso(window.from), to: iso(window.split) },
    pods: workload.replicas,
    coverage: 0,
    queries: [],
    containers,
    problems: [],
  };
  if (runBased) {
    const runs = runsOf(workload.containers, first, last, start, trace.step, workload.workload.name);
    observation.runs = runs;
    observation.coverage = Math.min(1, runs.reduce((sum, run) => sum + run.durationSeconds, 0) / seconds);
  } else {
    const samples = Math.max(0, ...containers.map((container) => Math.max(container.cpu?.samples ?? 0, container.memory?.samples ?? 0)));
    observation.coverage = Math.min(1, (samples * trace.step) / seconds);
  }
  if (workload.hpa) observation.hpa = { ...(workload.hpa.name ? { name: workload.hpa.name } : {}), metrics: [...workload.hpa.metrics] };
  return observation;
}

/** The chart step Prometheus uses (1h, coarser for windows over ~500h) and its [time, p95, max] points. */
function seriesOf(container: TraceContainer, start: number, step: number, window: BacktestWindow): NonNullable<ContainerObservation["series"]> {
  const seconds = window.split - window.from;
  const bucket = seriesStep(seconds);
  const points = (samples: ReadonlyArray<number | null>) => {
    const result: Array<[number, number, number]> = [];
    for (let end = window.from + bucket; end <= window.split; end += bucket) {
      const [first, last] = indexRange(start, step, end - bucket, end);
      const values = present(samples.slice(first, last)).sort((a, b) => a - b);
      if (values.length > 0) result.push([end, quantile(values, 0.95), values[values.length - 1]!]);
    }
    return result;
  };
  return { step: `${bucket / 3600}h`, cpu: points(container.cpu), memory: points(container.memory) };
}

/** Runs of a Job/CronJob: the stretches of steps in which any container has a sample. */
function runsOf(containers: readonly TraceContainer[], first: number, last: number, start: number, step: number, name: string): JobRun[] {
  const runs: JobRun[] = [];
  let runStart: number | undefined;
  const close = (end: number) => {
    if (runStart === undefined) return;
    const peaks: JobRun["containers"] = {};
    for (const container of containers) {
      const cpu = present(container.cpu.slice(runStart, end));
      const memory = present(container.memory.slice(runStart, end));
      if (cpu.length > 0 || memory.length > 0) peaks[container.name] = { cpuPeak: peakOf(cpu), memoryPeak: peakOf(memory) };
    }
    runs.push({
      run: `${name}-${runs.length + 1}`,
      startedAt: new Date((start + runStart * step) * 1000).toISOString().replace(".000Z", "Z"),
      durationSeconds: (end - runStart) * step,
      exitCode: 0,
      succeeded: true,
      containers: peaks,
    });
    runStart = undefined;
  };
  for (let index = first; index < last; index++) {
    const running = containers.some((container) => container.cpu[index] != null || container.memory[index] != null);
    if (running && runStart === undefined) runStart = index;
    if (!running) close(index);
  }
  close(last);
  return runs;
}

/** The largest value, at least 0 (a loop: a run may hold more samples than a spread's argument limit). */
function peakOf(values: readonly number[]): number {
  let peak = 0;
  for (const value of values) if (value > peak) peak = value;
  return peak;
}

function present(values: ReadonlyArray<number | null>): number[] {
  const result: number[] = [];
  for (const value of values) if (value !== null) result.push(value);
  return result;
}

function mean(values: ReadonlyArray<number | null>): number {
  const measured = present(values);
  return measured.length === 0 ? 0 : Math.min(1, measured.reduce((sum, value) => sum + value, 0) / measured.length);
}

/** p50…p99 interpolated like Prometheus' quantile_over_time, the max, mean and count of the measured samples. */
function summarize(values: ReadonlyArray<number | null>): UsageStatistics | undefined {
  return summarizeSorted(present(values).sort((a, b) => a - b));
}
