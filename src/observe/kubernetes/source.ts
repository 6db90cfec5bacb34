import type { V1Container, V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import {
  ExternalError,
  InputError,
  isRunBased,
  parseQuantity,
  quantile,
  summarize,
  toNumber,
  type ContainerObservation,
  type WorkloadObservation,
} from "../../domain/index.js";
import { isoTime, parseInstant, requireNamespaces, type ObservationCallbacks } from "../request.js";
import { ApiProblem, KubernetesApi, type KubernetesConnectionOptions } from "./api.js";
import { attachPods, readInventory, workloadKey, type LiveWorkload, type NamespaceInventory } from "./inventory.js";
import { RunTracker, type RunLimits } from "./runs.js";
import { KUBERNETES_SOURCE, METRICS_SERVER_SOURCE, SAMPLING_LIMITS } from "./constants.js";

export interface SamplingRequest {
  intervalSeconds: number;
  durationSeconds: number;
  signal?: AbortSignal;
}

export interface KubernetesRequest extends ObservationCallbacks {
  cluster: string;
  namespaces: string[];
  /** metrics-server sampling; without it only the API's state (restarts, OOM kills, requests, HPAs) is observed. */
  sampling?: SamplingRequest;
  /** Keep watching Jobs and CronJobs until this many runs completed (or a timeout). */
  runs?: RunLimits;
  /** Start of the observation: the window runs from here for as long as sampling lasts. */
  at: string;
}


interface Usage {
  cpu: number;
  memory: number;
}

interface Tick {
  at: number;
  byPod: Map<string, Map<string, Usage>>;
}

interface NamespaceState {
  inventory: NamespaceInventory;
  ticks: Tick[];
  metricsProblem?: string;
  runs: RunTracker;
}

/**
 * Observes workloads through the Kubernetes API (SPEC §4): workloads and their pods by owner
 * chain, container statuses, HPAs, and, when asked, metrics-server samples at an interval for a
 * duration and live Job runs (kubenow v0.3 Feature 2). Nothing is written to the cluster.
 */
export async function observeWithKubernetesApi(options: KubernetesConnectionOptions, request: KubernetesRequest): Promise<WorkloadObservation[]> {
  requireNamespaces(request.namespaces);
  const from = parseInstant(request.at, "at");
  const sampling = request.sampling ?? (request.runs ? { intervalSeconds: 15, durationSeconds: 0 } : undefined);
  if (sampling) checkSampling(sampling, request.runs);
  const api = new KubernetesApi(options);
  const states: NamespaceState[] = [];
  for (const namespace of request.namespaces) {
    const { inventory, namespaceProblems } = await readInventory(api, namespace);
    for (const message of namespaceProblems) {
      const problem = { cluster: request.cluster, namespace, message };
      if (!request.onProblem) throw new ExternalError(message);
      request.onProblem(problem);
    }
    states.push({ inventory, ticks: [], runs: new RunTracker(inventory, request.runs?.runTimeoutSeconds ?? Number.POSITIVE_INFINITY) });
    request.onProgress?.(`kubernetes: ${request.cluster}/${namespace}: ${inventory.workloads.size} workloads`);
  }
  const elapsed = sampling ? await sample(api, states, sampling, request, from) : 0;
  const window = { from: isoTime(from), to: isoTime(from + elapsed), seconds: elapsed };
  return states.flatMap((state) => observations(state, request, window, sampling));
}

function checkSampling(sampling: SamplingRequest, runs: RunLimits | undefined): void {
  const { intervalSeconds, durationSeconds } = sampling;
  if (!(intervalSeconds > 0)) throw new InputError(`sample interval must be more than 0 seconds, got ${intervalSeconds}`, { field: "sampling.interval" });
  if (!(durationSeconds >= 0) || durationSeconds > SAMPLING_LIMITS.maxDurationSeconds) {
    throw new InputError(`sample duration must be between 0 and ${SAMPLING_LIMITS.maxDurationSeconds / 3600}h, got ${durationSeconds}s`, { field: "sampling.duration" });
  }
  const longest = Math.max(durationSeconds, runs?.totalTimeoutSeconds ?? 0);
  if (longest / intervalSeconds > SAMPLING_LIMITS.maxSamples) {
    throw new InputError(`sampling every ${intervalSeconds}s for ${longest}s takes more than ${SAMPLING_LIMITS.maxSamples} samples; sample less often`, { field: "sampling.interval" });
  }
  if (runs) {
    if (!Number.isInteger(runs.count) || runs.count < 1) throw new InputError(`runs must be a whole number of at least 1, got ${runs.count}`, { field: "runs" });
    if (!(runs.runTimeoutSeconds > 0)) throw new InputError(`run timeout must be more than 0 seconds`, { field: "runTimeout" });
    if (!(runs.totalTimeoutSeconds > 0) || runs.totalTimeoutSeconds > SAMPLING_LIMITS.maxTotalTimeoutSeconds) {
      throw new InputError(`total timeout must be more than 0 and at most ${SAMPLING_LIMITS.maxTotalTimeoutSeconds / 86_400}d`, { field: "totalTimeout" });
    }
  }
}

/**
 * Samples until the duration is over and, when runs are asked for, every Job/CronJob has them (or
 * time is up). Sample times count from `from` (the request's `at`), so the window, the series
 * and the runs share one clock.
 */
async function sample(api: KubernetesApi, states: NamespaceState[], sampling: SamplingRequest, request: KubernetesRequest, from: number): Promise<number> {
  const started = Date.now();
  const sampleUntil = started + sampling.durationSeconds * 1000;
  const runsUntil = request.runs ? started + request.runs.totalTimeoutSeconds * 1000 : sampleUntil;
  const runs = request.runs;
  const wantsRuns = (state: NamespaceState) => runs !== undefined && state.runs.runBasedWorkloads().some((workload) => state.runs.completedRuns(workload) < runs.count);
  let lastProgress = started;
  let samples = 0;
  for (;;) {
    const tickStarted = Date.now();
    const at = from + (tickStarted - started) / 1000;
    for (const state of states) await sampleNamespace(api, state, at, tickStarted <= sampleUntil || wantsRuns(state));
    samples++;
    const now = Date.now();
    if (now - lastProgress >= 30_000) {
      lastProgress = now;
      request.onProgress?.(`sampling: ${samples} samples, ${Math.round((now - started) / 1000)}s${runProgress(states, request.runs)}`);
    }
    const samplingDone = now >= sampleUntil;
    const runsDone = !request.runs || now >= runsUntil || !states.some(wantsRuns);
    if ((samplingDone && runsDone) || sampling.signal?.aborted) break;
    const wait = Math.max(0, tickStarted + sampling.intervalSeconds * 1000 - now);
    if (!(await sleep(wait, sampling.signal))) break;
  }
  if (request.runs) {
    for (const state of states) {
      for (const workload of state.runs.runBasedWorkloads()) {
        const completed = state.runs.completedRuns(workload);
        if (completed < request.runs.count) {
          state.runs.addProblem(
            workload,
            `observed ${completed} of ${request.runs.count} runs before the ${sampling.signal?.aborted ? "observation was cancelled" : `total timeout (${request.runs.totalTimeoutSeconds}s)`}`,
          );
        }
      }
    }
  }
  if (sampling.signal?.aborted) request.onProgress?.(`sampling cancelled after ${samples} samples`);
  return (Date.now() - started) / 1000;
}

function runProgress(states: NamespaceState[], runs: RunLimits | undefined): string {
  if (!runs) return "";
  const parts = states.flatMap((state) => state.runs.runBasedWorkloads().map((workload) => `${state.inventory.namespace}/${workload} ${state.runs.completedRuns(workload)}/${runs.count}`));
  return parts.length > 0 ? `; runs: ${parts.join(", ")}` : "";
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface PodMetricsItem {
  metadata?: { name?: string };
  containers?: Array<{ name?: string; usage?: { cpu?: string; memory?: string } }>;
}

/**
 * One sample of a namespace. Jobs come first, so a run that started since the last sample is
 * watched before its pods' usage is recorded, and a run that finished is closed with the peaks
 * recorded so far.
 */
async function sampleNamespace(api: KubernetesApi, state: NamespaceState, now: number, continuing: boolean): Promise<void> {
  if (!continuing) return;
  if (state.runs.runBasedWorkloads().length > 0) await updateRuns(api, state, now);
  if (!state.metricsProblem) await sampleMetrics(api, state, now);
}

async function updateRuns(api: KubernetesApi, state: NamespaceState, now: number): Promise<void> {
  const namespace = state.inventory.namespace;
  try {
    const jobs = await api.listAll(`jobs in ${namespace}`, (page) => api.batch.listNamespacedJob({ namespace, ...page }));
    for (const job of jobs) {
      const owner = job.metadata?.ownerReferences?.find((reference) => reference.controller);
      if (job.metadata?.name && owner) state.inventory.jobOwners.set(job.metadata.name, { kind: owner.kind, name: owner.name });
    }
    await state.runs.updateJobs(jobs, now, async (job) => {
      try {
        return await api.listAll<V1Pod>(`pods of job ${job} in ${namespace}`, (page) => api.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}`, ...page }));
      } catch (error) {
        if (error instanceof ApiProblem) return undefined;
        throw error;
      }
    });
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    for (const workload of state.runs.runBasedWorkloads()) state.runs.addProblem(workload, error.message);
  }
}

async function sampleMetrics(api: KubernetesApi, state: NamespaceState, now: number): Promise<void> {
  const namespace = state.inventory.namespace;
  let items: PodMetricsItem[];
  try {
    items = await api.listAll<PodMetricsItem>(`pod metrics (metrics.k8s.io) in ${namespace}`, (page) =>
      api.custom.listNamespacedCustomObject({ group: "metrics.k8s.io", version: "v1beta1", plural: "pods", namespace, ...page }) as Promise<{ items: PodMetricsItem[] }>,
    );
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    // A sample that times out is a missed sample (coverage shows it); a missing API ends sampling.
    if (error.kind === "timeout") return;
    state.metricsProblem = error.kind === "not-found" ? `${error.message}: metrics-server is not installed; install it or observe through Prometheus` : error.message;
    return;
  }
  const byPod = new Map<string, Map<string, Usage>>();
  for (const item of items) {
    const pod = item.metadata?.name;
    if (!pod) continue;
    const usage = new Map<string, Usage>();
    for (const container of item.containers ?? []) {
      if (container.name && container.usage?.cpu !== undefined && container.usage.memory !== undefined) {
        usage.set(container.name, { cpu: toNumber(parseQuantity(container.usage.cpu)), memory: toNumber(parseQuantity(container.usage.memory)) });
      }
    }
    byPod.set(pod, usage);
  }
  if ([...byPod.keys()].some((pod) => !state.inventory.ownership.has(pod))) await refreshPods(api, state);
  state.ticks.push({ at: now, byPod });
  for (const [pod, usage] of byPod) {
    const job = state.inventory.ownership.get(pod)?.job;
    if (job) state.runs.recordUsage(job, usage);
  }
}

async function refreshPods(api: KubernetesApi, state: NamespaceState): Promise<void> {
  const namespace = state.inventory.namespace;
  try {
    attachPods(state.inventory, await api.listAll<V1Pod>(`pods in ${namespace}`, (page) => api.core.listNamespacedPod({ namespace, ...page })));
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
  }
}

function observations(
  state: NamespaceState,
  request: KubernetesRequest,
  window: { from: string; to: string; seconds: number },
  sampling: SamplingRequest | undefined,
): WorkloadObservation[] {
  const sampleUntil = sampling && state.ticks.length > 0 ? state.ticks[0]!.at + sampling.durationSeconds : 0;
  const ticks = state.ticks.filter((tick) => tick.at <= sampleUntil + 0.001);
  return [...state.inventory.workloads.values()]
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
    .map((workload) => {
      const key = workloadKey(workload.kind, workload.name);
      const runBased = isRunBased(workload.kind);
      const podNames = new Set(workload.pods.flatMap((pod) => (pod.metadata?.name ? [pod.metadata.name] : [])));
      const usage = runBased || !sampling ? [] : ticks.map((tick) => busiestReplica(tick, podNames));
      const sampled = usage.filter((tick) => tick.size > 0).length;
      const problems = [...workload.problems];
      if (sampling && state.metricsProblem) problems.push(state.metricsProblem);
      problems.push(...state.runs.problemsOf(key));
      const runs = runBased && sampling ? state.runs.runsOf(key) : undefined;
      const observation: WorkloadObservation = {
        workload: { cluster: request.cluster, namespace: state.inventory.namespace, kind: workload.kind, name: workload.name },
        source: sampling ? METRICS_SERVER_SOURCE : KUBERNETES_SOURCE,
        mode: runBased ? "run-based" : "continuous",
        window: { from: window.from, to: window.to },
        pods: workload.pods.length,
        coverage: coverageOf(sampling, sampled, runs, window.seconds),
        queries: [],
        containers: containersOf(workload, usage, ticks, sampling),
        problems,
      };
      if (runs) observation.runs = runs;
      if (workload.hpa) observation.hpa = workload.hpa;
      return observation;
    });
}

/** Observed time over the window: sampled time for continuous workloads, run time for Jobs and CronJobs. */
function coverageOf(sampling: SamplingRequest | undefined, sampled: number, runs: WorkloadObservation["runs"], windowSeconds: number): number {
  if (!sampling) return 0;
  if (runs) return windowSeconds > 0 ? Math.min(1, runs.reduce((sum, run) => sum + run.durationSeconds, 0) / windowSeconds) : 0;
  if (sampling.durationSeconds === 0) return sampled > 0 ? 1 : 0;
  return Math.min(1, (sampled * sampling.intervalSeconds) / sampling.durationSeconds);
}

/** Per container, the usage of the busiest replica at one sample (the Prometheus path's definition). */
function busiestReplica(tick: Tick, pods: Set<string>): Map<string, Usage> {
  const busiest = new Map<string, Usage>();
  for (const [pod, containers] of tick.byPod) {
    if (!pods.has(pod)) continue;
    for (const [name, usage] of containers) {
      const current = busiest.get(name);
      busiest.set(name, { cpu: Math.max(current?.cpu ?? 0, usage.cpu), memory: Math.max(current?.memory ?? 0, usage.memory) });
    }
  }
  return busiest;
}

function containersOf(workload: LiveWorkload, usage: Array<Map<string, Usage>>, ticks: Tick[], sampling: SamplingRequest | undefined): ContainerObservation[] {
  const template: V1Container[] = [...(workload.template?.containers ?? []), ...(workload.template?.initContainers ?? [])];
  const names = new Set(template.map((container) => container.name));
  for (const sample of usage) for (const name of sample.keys()) names.add(name);
  return [...names].sort().map((name) => {
    const spec = template.find((container) => container.name === name);
    const statuses = workload.pods.flatMap((pod) => statusesOf(pod, name).map((status) => ({ pod, status })));
    const container: ContainerObservation = {
      name,
      oomKills: oomKillsOf(statuses),
      restarts: statuses.reduce((sum, { status }) => sum + (status.restartCount ?? 0), 0),
      throttledRatio: 0,
    };
    if (spec?.resources) container.current = { requests: cpuAndMemory(spec.resources.requests), limits: cpuAndMemory(spec.resources.limits) };
    // SPEC §4: metrics-server and the API report no CFS throttling; under a CPU limit it is unknown, not 0%.
    if (spec?.resources?.limits?.cpu !== undefined) container.unknown = { throttling: "container_cpu_cfs_throttled_periods_total" };
    const cpu = summarize(usage.flatMap((sample) => (sample.has(name) ? [sample.get(name)!.cpu] : [])));
    const memory = summarize(usage.flatMap((sample) => (sample.has(name) ? [sample.get(name)!.memory] : [])));
    if (cpu) container.cpu = cpu;
    if (memory) container.memory = memory;
    if (sampling && cpu && memory) container.series = seriesOf(name, usage, ticks, sampling);
    return container;
  });
}

function cpuAndMemory(amounts: Record<string, string> | undefined): { cpu?: string; memory?: string } {
  const result: { cpu?: string; memory?: string } = {};
  if (amounts?.cpu !== undefined) result.cpu = String(amounts.cpu);
  if (amounts?.memory !== undefined) result.memory = String(amounts.memory);
  return result;
}

function statusesOf(pod: V1Pod, container: string): V1ContainerStatus[] {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].filter((status) => status.name === container);
}

function oomKillsOf(statuses: Array<{ pod: V1Pod; status: V1ContainerStatus }>): ContainerObservation["oomKills"] {
  const kills = new Map<string, { at: string; pod: string }>();
  for (const { pod, status } of statuses) {
    for (const terminated of [status.lastState?.terminated, status.state?.terminated]) {
      if (terminated?.reason !== "OOMKilled" || !terminated.finishedAt) continue;
      const at = new Date(terminated.finishedAt).toISOString();
      const podName = pod.metadata?.name ?? "";
      kills.set(`${podName}@${at}`, { at, pod: podName });
    }
  }
  return [...kills.values()].sort((a, b) => a.at.localeCompare(b.at));
}

/** Buckets of a minute (an hour for samples over two hours) with the bucket's p95 and max, for charts. */
function seriesOf(name: string, usage: Array<Map<string, Usage>>, ticks: Tick[], sampling: SamplingRequest): NonNullable<ContainerObservation["series"]> {
  const bucket = sampling.durationSeconds > 2 * 3600 ? 3600 : 60;
  const buckets = new Map<number, { cpu: number[]; memory: number[] }>();
  usage.forEach((sample, index) => {
    const value = sample.get(name);
    const at = ticks[index]?.at;
    if (!value || at === undefined) return;
    const end = (Math.floor(at / bucket) + 1) * bucket;
    const entry = buckets.get(end) ?? { cpu: [], memory: [] };
    entry.cpu.push(value.cpu);
    entry.memory.push(value.memory);
    buckets.set(end, entry);
  });
  const point = (time: number, values: number[]): [number, number, number] => {
    const sorted = [...values].sort((a, b) => a - b);
    return [time, quantile(sorted, 0.95), sorted[sorted.length - 1]!];
  };
  const ordered = [...buckets].sort(([a], [b]) => a - b);
  return {
    step: bucket === 60 ? "1m" : "1h",
    cpu: ordered.map(([time, values]) => point(time, values.cpu)),
    memory: ordered.map(([time, values]) => point(time, values.memory)),
  };
}

/** Every namespace of the cluster, for a policy that does not list any. */
export async function discoverKubernetesNamespaces(options: KubernetesConnectionOptions): Promise<string[]> {
  const api = new KubernetesApi(options);
  const namespaces = await api.listAll("namespaces", (page) => api.core.listNamespace(page));
  return namespaces.flatMap((namespace) => (namespace.metadata?.name ? [namespace.metadata.name] : [])).sort();
}
