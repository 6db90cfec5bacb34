import {
  ExternalError,
  InputError,
  formatCpu,
  formatMemory,
  quantityFromNumber,
  type ContainerObservation,
  type JobRun,
  type UsageStatistics,
  type WorkloadKind,
  type WorkloadObservation,
} from "../../domain/index.js";
import { isoTime, parseInstant, requireNamespaces, type ObservationCallbacks } from "../request.js";
import { ordered } from "../statistics.js";
import { isRunBased, resolvePodOwnership, workloadKindOf, type OwnerReference } from "../workloads.js";
import { PrometheusClient, QueryProblem, type InstantSample, type PrometheusSourceOptions, type QueryResult, type RangeSeries } from "./client.js";
import { namespaceQueries, namespacesQuery, queryWindow, seriesStep, type NamespaceQueries, type QueryWindow } from "./queries.js";

export interface PrometheusRequest extends ObservationCallbacks {
  cluster: string;
  namespaces: string[];
  window: { from: string; to: string };
}

export const PROMETHEUS_SOURCE = "prometheus";

/**
 * Observes every workload of the namespaces over the window from Prometheus history (SPEC §4):
 * cAdvisor usage, kube-state-metrics ownership, restarts, OOM kills, requests and Jobs. A fixed
 * batch of queries per namespace, aggregated on the server.
 */
export async function observeWithPrometheus(options: PrometheusSourceOptions, request: PrometheusRequest): Promise<WorkloadObservation[]> {
  requireNamespaces(request.namespaces);
  const from = parseInstant(request.window.from, "window.from");
  const to = parseInstant(request.window.to, "window.to");
  if (!(from < to)) throw new InputError(`window: from (${request.window.from}) must be before to (${request.window.to})`, { field: "window" });
  const client = new PrometheusClient(options);
  const window = queryWindow(to, to - from);
  const workloads: WorkloadObservation[] = [];
  for (const namespace of request.namespaces) {
    const started = Date.now();
    const observed = await observeNamespace(client, request, namespace, window);
    workloads.push(...observed);
    request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: ${observed.length} workload${observed.length === 1 ? "" : "s"} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  return workloads;
}

interface Outcome<T> {
  value?: T;
  problem?: string;
}

/** Queries of one namespace in flight at once: enough to use a multi-core Prometheus, few enough not to crowd it. */
const CONCURRENT_QUERIES = 4;

async function observeNamespace(client: PrometheusClient, request: PrometheusRequest, namespace: string, window: QueryWindow): Promise<WorkloadObservation[]> {
  const queries = namespaceQueries(namespace, window);
  const instant = (expression: string): Query<InstantSample> => () => attempt(client.query(expression, window.to));
  const range = (expression: string, step: number): Query<RangeSeries> => () =>
    attempt(client.queryRange(expression, { start: window.to - window.seconds + step, end: window.to, step }));

  const owners = await attempt(client.query(queries.owners, window.to));
  if (!owners.value) {
    const message = `namespace ${namespace}: cannot list workloads from Prometheus: ${owners.problem}`;
    if (!request.onProblem) throw new ExternalError(message);
    request.onProblem({ cluster: request.cluster, namespace, message });
    return [];
  }
  const seriesStepSeconds = seriesStep(window.seconds);
  const cpu = batch(Object.values(queries.cpu).map(instant));
  const memory = batch(Object.values(queries.memory).map(instant));
  const containers = batch([instant(queries.containers)]);
  const oomKills = batch([range(queries.oomKills, window.step)]);
  const jobs = batch([instant(queries.jobs)]);
  const hpas = batch([instant(queries.hpas)]);
  const series = batch([range(queries.cpuSeries, seriesStepSeconds), range(queries.memorySeries, seriesStepSeconds)]);
  await inPool([cpu, memory, containers, oomKills, jobs, hpas, series].flatMap((group) => group.run), CONCURRENT_QUERIES);

  const builder = new NamespaceObservation(request.cluster, namespace, window, queryList(queries));
  builder.addOwners(owners.value.result);
  builder.addStatistics("cpu", cpu.samples());
  builder.addStatistics("memory", memory.samples());
  builder.addContainerFacts(containers.samples());
  builder.addOomKills(oomKills.samples());
  builder.addJobs(jobs.samples());
  builder.addHpas(hpas.samples());
  builder.addSeries(series.samples());
  const reported: Array<[string, Array<Outcome<QueryResult<unknown>>>]> = [
    ["workloads", [owners]],
    ["CPU statistics", cpu.outcomes],
    ["memory statistics", memory.outcomes],
    ["restarts, peaks, throttling and current requests", containers.outcomes],
    ["OOM kills", oomKills.outcomes],
    ["Job runs", jobs.outcomes],
    ["HPAs", hpas.outcomes],
  ];
  for (const [what, group] of reported) {
    const problem = group.find((outcome) => outcome.problem)?.problem;
    if (problem) builder.problem(`${what} unavailable: ${problem}`);
    for (const warning of new Set(group.flatMap((outcome) => outcome.value?.warnings ?? []))) builder.problem(`Prometheus warned about ${what} (partial data): ${warning}`);
  }
  // Charts are illustration, not evidence: a failed chart query does not hold a proposal back.
  const chartProblem = series.outcomes.find((outcome) => outcome.problem)?.problem;
  if (chartProblem) request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: no usage charts: ${chartProblem}`);
  const observations = builder.build();
  for (const message of builder.jobMetricProblems()) {
    if (request.onProblem) request.onProblem({ cluster: request.cluster, namespace, message });
    else request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: ${message}`);
  }
  return observations;
}

/** Every query text of a namespace, in the order they are listed in the snapshot. */
function queryList(queries: NamespaceQueries): string[] {
  return [
    queries.owners,
    ...Object.values(queries.cpu),
    ...Object.values(queries.memory),
    queries.containers,
    queries.oomKills,
    queries.jobs,
    queries.hpas,
    queries.cpuSeries,
    queries.memorySeries,
  ];
}

type Query<T> = () => Promise<Outcome<QueryResult<T>>>;

/** Queries whose answers are read together (e.g. the seven CPU statistics). */
function batch<T>(queries: Array<Query<T>>) {
  const outcomes: Array<Outcome<QueryResult<T>>> = [];
  return {
    outcomes,
    run: queries.map((query, index) => async () => {
      outcomes[index] = await query();
    }),
    samples: (): T[] => outcomes.flatMap((outcome) => outcome.value?.result ?? []),
  };
}

/** Runs tasks `size` at a time; after a failure no further task starts (the failure is the answer). */
async function inPool(tasks: Array<() => Promise<void>>, size: number): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < tasks.length && !failed) {
      try {
        await tasks[next++]!();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, tasks.length) }, worker));
}

async function attempt<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await promise };
  } catch (error) {
    if (error instanceof QueryProblem) return { problem: error.message };
    throw error;
  }
}

function numberOf(sample: InstantSample): number | undefined {
  const value = Number(sample.value[1]);
  return Number.isFinite(value) ? value : undefined;
}

interface PodFacts {
  memoryMax?: number;
  cpuMax?: number;
  restarts?: number;
  throttledPeriods?: number;
  periods?: number;
  exitCode?: number;
  requests: { cpu?: number; memory?: number };
  limits: { cpu?: number; memory?: number };
}

interface ContainerAccumulator {
  statistics: { cpu: Partial<UsageStatistics>; memory: Partial<UsageStatistics> };
  series: { cpu: Map<number, [number?, number?]>; memory: Map<number, [number?, number?]> };
  oomKills: Array<{ at: string; pod: string }>;
}

interface WorkloadAccumulator {
  kind: WorkloadKind;
  name: string;
  pods: Set<string>;
  containers: Map<string, ContainerAccumulator>;
  hpa?: { name: string; metrics: string[] };
}

interface JobFacts {
  start?: number;
  completion?: number;
  succeeded?: number;
  failed?: number;
  failedAt?: number;
}

class NamespaceObservation {
  private readonly podOwner = new Map<string, OwnerReference>();
  private readonly replicaSetOwner = new Map<string, OwnerReference>();
  private readonly jobOwner = new Map<string, OwnerReference>();
  private readonly lastSeen = new Map<string, number>();
  private readonly workloads = new Map<string, WorkloadAccumulator>();
  private readonly podFacts = new Map<string, Map<string, PodFacts>>();
  private readonly jobs = new Map<string, JobFacts>();
  /** First and last working-set sample of each pod a Job owns (unix seconds). */
  private readonly podSampled = new Map<string, { first: number; last: number }>();
  private readonly problems: string[] = [];
  /** Per Job-owning workload, the kube-state-metrics Job metrics that were missing. */
  private readonly missingJobMetrics = new Map<string, Set<string>>();

  constructor(
    private readonly cluster: string,
    private readonly namespace: string,
    private readonly window: QueryWindow,
    private readonly queries: string[],
  ) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  addOwners(samples: InstantSample[]): void {
    for (const { metric, value } of samples) {
      if (metric.fact === "last_seen" && metric.pod) this.lastSeen.set(metric.pod, Number(value[1]));
      else if (!metric.owner_kind || !metric.owner_name) continue;
      else if (metric.pod) this.podOwner.set(metric.pod, { kind: metric.owner_kind, name: metric.owner_name });
      else if (metric.replicaset) this.replicaSetOwner.set(metric.replicaset, { kind: metric.owner_kind, name: metric.owner_name });
      else if (metric.job_name) this.jobOwner.set(metric.job_name, { kind: metric.owner_kind, name: metric.owner_name });
    }
    for (const pod of this.podOwner.keys()) {
      const ownership = this.ownershipOf(pod);
      if (ownership) this.workload(ownership.workload.kind, ownership.workload.name).pods.add(pod);
    }
  }

  private ownershipOf(pod: string) {
    return resolvePodOwnership(
      this.podOwner.get(pod),
      (name) => this.replicaSetOwner.get(name),
      (name) => this.jobOwner.get(name),
    );
  }

  /** Rows grouped on the server by the pod's owner (queries.ts podOwners); Jobs of a CronJob are observed as runs. */
  private workloadOfOwnerRow(metric: Record<string, string>): WorkloadAccumulator | undefined {
    const kind = workloadKindOf(metric.owner_kind ?? "");
    if (!kind || !metric.owner_name) return undefined;
    if (kind === "Job" && this.jobOwner.get(metric.owner_name)?.kind === "CronJob") return undefined;
    return this.workload(kind, metric.owner_name);
  }

  private workload(kind: WorkloadKind, name: string): WorkloadAccumulator {
    const key = `${kind}/${name}`;
    let workload = this.workloads.get(key);
    if (!workload) {
      workload = { kind, name, pods: new Set(), containers: new Map() };
      this.workloads.set(key, workload);
    }
    return workload;
  }

  private container(workload: WorkloadAccumulator, name: string): ContainerAccumulator {
    let container = workload.containers.get(name);
    if (!container) {
      container = { statistics: { cpu: {}, memory: {} }, series: { cpu: new Map(), memory: new Map() }, oomKills: [] };
      workload.containers.set(name, container);
    }
    return container;
  }

  addStatistics(resource: "cpu" | "memory", samples: InstantSample[]): void {
    for (const sample of samples) {
      const workload = this.workloadOfOwnerRow(sample.metric);
      const value = numberOf(sample);
      const stat = sample.metric.stat as keyof UsageStatistics | undefined;
      if (!workload || !sample.metric.container || value === undefined || !stat) continue;
      this.container(workload, sample.metric.container).statistics[resource][stat] = value;
    }
  }

  addContainerFacts(samples: InstantSample[]): void {
    for (const sample of samples) {
      const { pod, container, fact, resource } = sample.metric;
      const value = numberOf(sample);
      if (!pod || !container || value === undefined) continue;
      let byContainer = this.podFacts.get(pod);
      if (!byContainer) this.podFacts.set(pod, (byContainer = new Map()));
      let facts = byContainer.get(container);
      if (!facts) byContainer.set(container, (facts = { requests: {}, limits: {} }));
      if (fact === "memory_max") facts.memoryMax = value;
      else if (fact === "cpu_max") facts.cpuMax = value;
      else if (fact === "restarts") facts.restarts = Math.round(value);
      else if (fact === "throttled_periods") facts.throttledPeriods = value;
      else if (fact === "periods") facts.periods = value;
      else if (fact === "exit_code") facts.exitCode = Math.round(value);
      else if ((fact === "request" || fact === "limit") && (resource === "cpu" || resource === "memory")) {
        (fact === "request" ? facts.requests : facts.limits)[resource] = value;
      }
    }
  }

  addOomKills(series: RangeSeries[]): void {
    for (const { metric, values } of series) {
      const ownership = metric.pod ? this.ownershipOf(metric.pod) : undefined;
      if (!ownership || !metric.container || !metric.pod) continue;
      const container = this.container(this.workload(ownership.workload.kind, ownership.workload.name), metric.container);
      for (const [time, text] of values) {
        // Several restarts in one step, with OOMKilled as the last reason, count as that many kills.
        const kills = Math.max(1, Math.round(Number(text)));
        for (let kill = 0; kill < kills; kill++) container.oomKills.push({ at: isoTime(time), pod: metric.pod });
      }
    }
  }

  addJobs(samples: InstantSample[]): void {
    for (const sample of samples) {
      const { job_name: job, pod, fact } = sample.metric;
      const value = numberOf(sample);
      if (value !== undefined && pod && fact === "first_sample") this.podSampled.set(pod, { first: value, last: this.podSampled.get(pod)?.last ?? value });
      if (value !== undefined && pod && fact === "last_sample") this.podSampled.set(pod, { first: this.podSampled.get(pod)?.first ?? value, last: value });
      if (!job || value === undefined) continue;
      let facts = this.jobs.get(job);
      if (!facts) this.jobs.set(job, (facts = {}));
      if (fact === "start") facts.start = value;
      else if (fact === "completion") facts.completion = value;
      else if (fact === "succeeded") facts.succeeded = value;
      else if (fact === "failed") facts.failed = value;
      else if (fact === "failed_at") facts.failedAt = value;
    }
  }

  addHpas(samples: InstantSample[]): void {
    const targets = new Map<string, OwnerReference>();
    const metrics = new Map<string, string[]>();
    for (const { metric } of samples) {
      const name = metric.horizontalpodautoscaler;
      if (!name) continue;
      if (metric.fact === "target" && metric.scaletargetref_kind && metric.scaletargetref_name) {
        targets.set(name, { kind: metric.scaletargetref_kind, name: metric.scaletargetref_name });
      } else if (metric.fact === "metric" && metric.metric_name) {
        metrics.set(name, [...(metrics.get(name) ?? []), metric.metric_name]);
      }
    }
    for (const [name, target] of [...targets].sort(([a], [b]) => a.localeCompare(b))) {
      const workload = this.workloads.get(`${target.kind}/${target.name}`);
      if (workload && !workload.hpa) workload.hpa = { name, metrics: [...new Set(metrics.get(name) ?? [])].sort() };
    }
  }

  addSeries(series: RangeSeries[]): void {
    for (const { metric, values } of series) {
      const workload = this.workloadOfOwnerRow(metric);
      const [resource, stat] = (metric.stat ?? "").split("_") as ["cpu" | "memory", "p95" | "max"];
      if (!workload || !metric.container || (resource !== "cpu" && resource !== "memory")) continue;
      const points = this.container(workload, metric.container).series[resource];
      for (const [time, text] of values) {
        const value = Number(text);
        if (!Number.isFinite(value)) continue;
        const point = points.get(time) ?? [];
        point[stat === "p95" ? 0 : 1] = value;
        points.set(time, point);
      }
    }
  }

  build(): WorkloadObservation[] {
    const from = this.window.to - this.window.seconds;
    const queries = this.queries;
    return [...this.workloads.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
      .map((workload) => {
        const runBased = isRunBased(workload.kind);
        const runs = runBased ? this.runsOf(workload) : undefined;
        const containers = this.containersOf(workload);
        const observation: WorkloadObservation = {
          workload: { cluster: this.cluster, namespace: this.namespace, kind: workload.kind, name: workload.name },
          source: PROMETHEUS_SOURCE,
          mode: runBased ? "run-based" : "continuous",
          window: { from: isoTime(from), to: isoTime(this.window.to) },
          pods: [...workload.pods].filter((pod) => this.lastSeen.has(pod)).length,
          coverage: runs ? this.runCoverage(runs) : this.sampledCoverage(containers),
          queries,
          containers,
          problems: [...this.problems],
        };
        if (runs) observation.runs = runs;
        if (workload.hpa) observation.hpa = workload.hpa;
        return observation;
      });
  }

  private containersOf(workload: WorkloadAccumulator): ContainerObservation[] {
    const names = new Set(workload.containers.keys());
    for (const pod of workload.pods) for (const name of this.podFacts.get(pod)?.keys() ?? []) names.add(name);
    return [...names].sort().map((name) => {
      const accumulated = workload.containers.get(name);
      const perPod = [...workload.pods].flatMap((pod) => {
        const facts = this.podFacts.get(pod)?.get(name);
        return facts ? [{ pod, facts }] : [];
      });
      const memoryMax = maxOf(perPod.map(({ facts }) => facts.memoryMax));
      const throttled = sumOf(perPod.map(({ facts }) => facts.throttledPeriods));
      const periods = sumOf(perPod.map(({ facts }) => facts.periods));
      const container: ContainerObservation = {
        name,
        oomKills: [...(accumulated?.oomKills ?? [])].sort((a, b) => a.at.localeCompare(b.at)),
        restarts: sumOf(perPod.map(({ facts }) => facts.restarts)),
        throttledRatio: periods > 0 ? Math.min(1, Math.max(0, throttled / periods)) : 0,
      };
      const current = this.currentResources(perPod);
      if (current) container.current = current;
      const cpu = complete(accumulated?.statistics.cpu);
      if (cpu) container.cpu = cpu;
      const memory = memoryMax === undefined ? undefined : complete({ ...accumulated?.statistics.memory, max: memoryMax });
      if (memory) container.memory = memory;
      if (accumulated && (accumulated.series.cpu.size > 0 || accumulated.series.memory.size > 0)) {
        container.series = { step: `${seriesStep(this.window.seconds) / 3600}h`, cpu: points(accumulated.series.cpu), memory: points(accumulated.series.memory) };
      }
      return container;
    });
  }

  /** Requests and limits of the most recently seen pod: the template the workload runs now. */
  private currentResources(perPod: Array<{ pod: string; facts: PodFacts }>): ContainerObservation["current"] | undefined {
    const latest = perPod
      .filter(({ facts }) => Object.keys(facts.requests).length + Object.keys(facts.limits).length > 0)
      .sort((a, b) => (this.lastSeen.get(b.pod) ?? 0) - (this.lastSeen.get(a.pod) ?? 0))[0];
    if (!latest) return undefined;
    return { requests: quantities(latest.facts.requests), limits: quantities(latest.facts.limits) };
  }

  private sampledCoverage(containers: ContainerObservation[]): number {
    const samples = Math.max(0, ...containers.map((container) => Math.max(container.cpu?.samples ?? 0, container.memory?.samples ?? 0)));
    return Math.min(1, (samples * this.window.step) / this.window.seconds);
  }

  /** A burst workload is observed while it runs: its coverage is the run time over the window. */
  private runCoverage(runs: JobRun[]): number {
    const running = runs.reduce((sum, run) => sum + run.durationSeconds, 0);
    return Math.min(1, running / this.window.seconds);
  }

  private runsOf(workload: WorkloadAccumulator): JobRun[] {
    const from = this.window.to - this.window.seconds;
    const podsByJob = new Map<string, string[]>();
    for (const pod of workload.pods) {
      const job = this.ownershipOf(pod)?.job;
      if (job) podsByJob.set(job, [...(podsByJob.get(job) ?? []), pod]);
    }
    // Jobs known from any of their metrics: a kube-state-metrics without the Job status metrics still has kube_job_owner.
    const known = new Set([...this.jobs.keys(), ...this.jobOwner.keys(), ...podsByJob.keys()]);
    const jobsOfWorkload = [...known].sort().filter((job) =>
      workload.kind === "CronJob" ? this.jobOwner.get(job)?.kind === "CronJob" && this.jobOwner.get(job)?.name === workload.name : job === workload.name,
    );
    const missing = new Set<string>();
    const runs: JobRun[] = [];
    for (const job of jobsOfWorkload) {
      const facts = this.jobs.get(job) ?? {};
      const pods = podsByJob.get(job) ?? [];
      const sampled = pods.map((pod) => this.podSampled.get(pod)).filter((span) => span !== undefined);
      if (facts.start === undefined && pods.length > 0) missing.add("kube_job_status_start_time");
      if (facts.succeeded === undefined && facts.failed === undefined && pods.length > 0) missing.add("kube_job_status_succeeded and kube_job_status_failed");
      // Without kube_job_status_start_time, the run starts with its first pod's first sample.
      const start = facts.start ?? minOf(sampled.map((span) => span.first));
      if (start === undefined || start < from || start > this.window.to) continue;
      const finished = (facts.succeeded ?? 0) > 0;
      if (finished && facts.completion === undefined) missing.add("kube_job_status_completion_time");
      const completion = facts.completion ?? maxOf(sampled.map((span) => span.last));
      const succeeded = finished && completion !== undefined;
      const failed = !succeeded && (facts.failed ?? 0) > 0;
      // A Job still running at the end of the window is not a run yet.
      if (!succeeded && !failed) continue;
      const lastSeen = maxOf(pods.map((pod) => this.lastSeen.get(pod)));
      const end = succeeded ? completion! : (facts.failedAt ?? lastSeen ?? start);
      const containerNames = new Set(pods.flatMap((pod) => [...(this.podFacts.get(pod)?.keys() ?? [])]));
      const containers: JobRun["containers"] = {};
      let exitCode: number | undefined;
      for (const name of [...containerNames].sort()) {
        const facts = pods.map((pod) => this.podFacts.get(pod)?.get(name)).filter((value) => value !== undefined);
        const cpuPeak = maxOf(facts.map((fact) => fact.cpuMax));
        const memoryPeak = maxOf(facts.map((fact) => fact.memoryMax));
        if (cpuPeak !== undefined && memoryPeak !== undefined) containers[name] = { cpuPeak, memoryPeak };
        const code = maxOf(facts.map((fact) => fact.exitCode));
        if (code !== undefined && code !== 0) exitCode = code;
      }
      runs.push({
        run: job,
        startedAt: isoTime(start),
        durationSeconds: Math.max(0, end - start),
        // A Job succeeds only when its containers exit 0; kube-state-metrics exposes the code of
        // a failed container only when it was restarted (lastState), so a failure may be null.
        exitCode: succeeded ? 0 : (exitCode ?? null),
        succeeded,
        containers,
      });
    }
    if (missing.size > 0) this.missingJobMetrics.set(`${workload.kind} ${workload.name}`, missing);
    return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.run.localeCompare(b.run));
  }

  /**
   * What the Job runs of this namespace were observed without (call after build()): an old or
   * trimmed kube-state-metrics lacks the Job timing or status metrics. Namespace-level, so it
   * informs without blocking the recommendation the fallback still allows.
   */
  jobMetricProblems(): string[] {
    const byMetrics = new Map<string, string[]>();
    for (const [workload, metrics] of [...this.missingJobMetrics].sort(([a], [b]) => a.localeCompare(b))) {
      const key = [...metrics].sort().join(", ");
      byMetrics.set(key, [...(byMetrics.get(key) ?? []), workload]);
    }
    return [...byMetrics].map(([metrics, workloads]) => {
      const consequence = metrics.includes("kube_job_status_succeeded")
        ? "rightsize cannot tell finished runs from running ones and counts none"
        : `their runs start and end at their pods' first and last working-set samples (to the ${describeStep(this.window.step)} query step)`;
      return `kube-state-metrics exports no ${metrics} for the Jobs of ${workloads.join(", ")}: ${consequence}; enable them in kube-state-metrics (the jobs resource, and its --metric-allowlist or --metric-denylist)`;
    });
  }
}

function quantities(values: { cpu?: number; memory?: number }): { cpu?: string; memory?: string } {
  const result: { cpu?: string; memory?: string } = {};
  if (values.cpu !== undefined) result.cpu = formatCpu(quantityFromNumber(values.cpu));
  if (values.memory !== undefined) result.memory = formatMemory(quantityFromNumber(Math.round(values.memory)));
  return result;
}

function complete(partial: Partial<UsageStatistics> | undefined): UsageStatistics | undefined {
  if (!partial) return undefined;
  const { p50, p90, p95, p99, max, mean, samples } = partial;
  if (p50 === undefined || p90 === undefined || p95 === undefined || p99 === undefined || max === undefined || mean === undefined || !samples) return undefined;
  const nonNegative = (value: number) => Math.max(0, value);
  return ordered({
    p50: nonNegative(p50),
    p90: nonNegative(p90),
    p95: nonNegative(p95),
    p99: nonNegative(p99),
    max: nonNegative(max),
    mean: nonNegative(mean),
    samples: Math.round(samples),
  });
}

function points(byTime: Map<number, [number?, number?]>): Array<[number, number, number]> {
  return [...byTime]
    .filter((entry): entry is [number, [number, number]] => entry[1][0] !== undefined && entry[1][1] !== undefined)
    .sort(([a], [b]) => a - b)
    .map(([time, [p95, max]]) => [time, Math.max(0, p95), Math.max(0, max, p95)]);
}

function describeStep(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

function minOf(values: Array<number | undefined>): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

function maxOf(values: Array<number | undefined>): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

function sumOf(values: Array<number | undefined>): number {
  return values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
}

/** Namespaces that had pods in the window, for a policy that does not list any. */
export async function discoverPrometheusNamespaces(options: PrometheusSourceOptions, window: { from: string; to: string }): Promise<string[]> {
  const from = parseInstant(window.from, "window.from");
  const to = parseInstant(window.to, "window.to");
  const client = new PrometheusClient(options);
  const { result } = await client.query(namespacesQuery(queryWindow(to, to - from)), to);
  return result.flatMap((sample) => (sample.metric.namespace ? [sample.metric.namespace] : [])).sort();
}
