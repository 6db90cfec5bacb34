import { describeSeconds, formatCpu, formatMemory, isRunBased, ordered, quantityFromNumber, seriesStep, type ContainerObservation, type JobRun, type UsageStatistics, type WorkloadKind, type WorkloadObservation } from "../../domain/index.js";
import { isoTime } from "../request.js";
import { resolvePodOwnership, type OwnerReference, type PodOwnership } from "../workloads.js";
import type { InstantSample, RangeSeries } from "./client.js";
import { intervalProbeRanges, scrapeIntervalFrom, type QueryWindow } from "./queries.js";
import { chartPoints, emptySteps, foldBusiest, maxOfSteps, perContainer, presence, stepStatistics, stepTime, type StepValues } from "./usage.js";

export const PROMETHEUS_SOURCE = "prometheus";

function numberOf(sample: InstantSample): number | undefined {
  const value = Number(sample.value[1]);
  return Number.isFinite(value) ? value : undefined;
}

interface PodFacts {
  memoryMax?: number;
  /** Raw CPU samples in the window. */
  cpuSamples?: number;
  /** Peak of the CPU rate over the grid (from the usage series). */
  cpuMax?: number;
  restarts?: number;
  throttledPeriods?: number;
  periods?: number;
  exitCode?: number;
  requests: { cpu?: number; memory?: number };
  limits: { cpu?: number; memory?: number };
}

interface ContainerAccumulator {
  /** Busiest replica per grid step. */
  cpu?: StepValues;
  memory?: StepValues;
  oomKills: Array<{ at: string; pod: string }>;
}

interface WorkloadAccumulator {
  kind: WorkloadKind;
  name: string;
  pods: Set<string>;
  containers: Map<string, ContainerAccumulator>;
  hpa?: { name: string; metrics: string[] };
  /** Ids of the queries the observation rests on, with the order they were planned in. */
  queries: Map<string, number>;
  /** Problems with the order of the query they come from. */
  problems: Map<string, number>;
  /** Resources whose usage query failed for (some of) its pods: their statistics are left out. */
  unavailable: Set<"cpu" | "memory">;
}

interface JobFacts {
  start?: number;
  completion?: number;
  succeeded?: number;
  failed?: number;
  failedAt?: number;
}

type Resource = "cpu" | "memory";

/** Why a container has no statistics, for the snapshot's problems: items grouped by the reason. */
type MissingReport = Map<string, string[]>;

/**
 * One namespace's observation, assembled from the answers of its queries (queries.ts) as they
 * arrive: facts first, then each batch of usage series folded into the busiest-replica grids and
 * dropped.
 */
export class NamespaceObservation {
  private readonly podOwner = new Map<string, OwnerReference>();
  private readonly replicaSetOwner = new Map<string, OwnerReference>();
  private readonly jobOwner = new Map<string, OwnerReference>();
  private readonly workloads = new Map<string, WorkloadAccumulator>();
  private readonly podFacts = new Map<string, Map<string, PodFacts>>();
  /** Grid indexes of each pod's first and last working-set point. */
  private readonly podSeen = new Map<string, { first: number; last: number }>();
  /** Exact time of each pod's last working-set sample, where asked for (Jobs without completion time). */
  private readonly podLastSample = new Map<string, number>();
  private readonly jobs = new Map<string, JobFacts>();
  /** Per pod, the scrape interval measured for its batch and the rate() range its CPU was read with. */
  private readonly podRate = new Map<string, { interval: number | undefined; range: number }>();
  /** Pods whose container facts arrived: a statistic missing elsewhere has no known reason (the workload carries the failure). */
  private readonly podsWithFacts = new Set<string>();
  /** Pods with kube-state-metrics samples at both ends of the window. */
  private readonly podsSpanning = new Set<string>();
  private readonly namespaceQueries = new Set<string>();
  private readonly problems: string[] = [];
  /** Per Job-owning workload, the kube-state-metrics Job metrics that were missing. */
  private readonly missingJobMetrics = new Map<string, Set<string>>();
  private readonly missing: Record<"cpu statistics" | "memory statistics" | "cpu peaks" | "memory peaks", MissingReport> = {
    "cpu statistics": new Map(),
    "memory statistics": new Map(),
    "cpu peaks": new Map(),
    "memory peaks": new Map(),
  };

  /** The metrics rightsize reads that have series in the namespace over the window; undefined when the store could not say. */
  private present: ReadonlySet<string> | undefined;

  constructor(
    private readonly cluster: string,
    private readonly namespace: string,
    private readonly window: QueryWindow,
  ) {}

  /** Which of the metrics rightsize reads exist in the namespace (metrics.ts): their absence makes evidence unknown. */
  presentMetrics(names: readonly string[]): void {
    this.present = new Set(names);
  }

  /** Whether a metric is known to be absent from the namespace (not merely unasked). */
  private absent(metric: string): boolean {
    return this.present !== undefined && !this.present.has(metric);
  }

  /** A problem of every workload of the namespace (a failed fact query, a Prometheus warning). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** A query every workload of the namespace rests on. */
  usedByAll(id: string): void {
    this.namespaceQueries.add(id);
  }

  /** A query the workloads of these pods rest on; `order`: where it comes in the plan (answers arrive in any order). */
  usedBy(pods: readonly string[], id: string, order: number): void {
    for (const workload of this.workloadsOf(pods)) if (!workload.queries.has(id)) workload.queries.set(id, order);
  }

  /** A problem of the workloads of these pods (a batch's query that failed); `resources`: the statistics it leaves out. */
  problemOf(pods: readonly string[], message: string, order: number, resources: readonly Resource[] = []): void {
    for (const workload of this.workloadsOf(pods)) {
      if (!workload.problems.has(message)) workload.problems.set(message, order);
      for (const resource of resources) workload.unavailable.add(resource);
    }
  }

  private workloadsOf(pods: readonly string[]): Set<WorkloadAccumulator> {
    const found = new Set<WorkloadAccumulator>();
    for (const pod of pods) {
      const ownership = this.ownershipOf(pod);
      if (ownership) found.add(this.workload(ownership.workload.kind, ownership.workload.name));
    }
    return found;
  }

  addOwners(samples: InstantSample[]): void {
    for (const { metric } of samples) {
      if (!metric.owner_kind || !metric.owner_name) continue;
      else if (metric.pod) this.podOwner.set(metric.pod, { kind: metric.owner_kind, name: metric.owner_name });
      else if (metric.replicaset) this.replicaSetOwner.set(metric.replicaset, { kind: metric.owner_kind, name: metric.owner_name });
      else if (metric.job_name) this.jobOwner.set(metric.job_name, { kind: metric.owner_kind, name: metric.owner_name });
    }
    for (const pod of this.podOwner.keys()) {
      const ownership = this.ownershipOf(pod);
      if (ownership) this.workload(ownership.workload.kind, ownership.workload.name).pods.add(pod);
    }
  }


  private ownershipOf(pod: string): PodOwnership | undefined {
    return resolvePodOwnership(
      this.podOwner.get(pod),
      (name) => this.replicaSetOwner.get(name),
      (name) => this.jobOwner.get(name),
    );
  }

  private workload(kind: WorkloadKind, name: string): WorkloadAccumulator {
    const key = `${kind}/${name}`;
    let workload = this.workloads.get(key);
    if (!workload) {
      workload = { kind, name, pods: new Set(), containers: new Map(), queries: new Map(), problems: new Map(), unavailable: new Set() };
      this.workloads.set(key, workload);
    }
    return workload;
  }

  private container(workload: WorkloadAccumulator, name: string): ContainerAccumulator {
    let container = workload.containers.get(name);
    if (!container) {
      container = { oomKills: [] };
      workload.containers.set(name, container);
    }
    return container;
  }

  private facts(pod: string, container: string): PodFacts {
    let byContainer = this.podFacts.get(pod);
    if (!byContainer) this.podFacts.set(pod, (byContainer = new Map()));
    let facts = byContainer.get(container);
    if (!facts) byContainer.set(container, (facts = { requests: {}, limits: {} }));
    return facts;
  }

  /**
   * The pods of the namespace's workloads (bare pods are not read), in batches of at most `size`,
   * sorted by workload so that a workload's pods tend to share a batch.
   */
  podBatches(size: number): string[][] {
    const pods: Array<{ pod: string; workload: string }> = [];
    for (const pod of this.podOwner.keys()) {
      const ownership = this.ownershipOf(pod);
      if (ownership) pods.push({ pod, workload: `${ownership.workload.kind}/${ownership.workload.name}` });
    }
    pods.sort((a, b) => a.workload.localeCompare(b.workload) || a.pod.localeCompare(b.pod));
    const batches: string[][] = [];
    for (let index = 0; index < pods.length; index += size) batches.push(pods.slice(index, index + size).map(({ pod }) => pod));
    return batches;
  }

  /**
   * Of a batch whose facts arrived, the pods with cAdvisor samples, each with the points its usage
   * answer will hold (its containers' samples spread over the grid, at most the whole grid).
   */
  usagePods(pods: readonly string[], interval: number | undefined): Array<{ pod: string; points: number }> {
    const pointsOf = (facts: PodFacts) =>
      facts.cpuSamples !== undefined && interval !== undefined ? Math.min(this.window.points, Math.ceil((facts.cpuSamples * interval) / this.window.step) + 2) : this.window.points;
    return pods.flatMap((pod) => {
      const sampled = [...(this.podFacts.get(pod)?.values() ?? [])].filter((facts) => facts.cpuSamples !== undefined || facts.memoryMax !== undefined);
      if (this.podsWithFacts.has(pod) && sampled.length === 0) return [];
      return [{ pod, points: sampled.length > 0 ? sampled.reduce((sum, facts) => sum + pointsOf(facts), 0) : 2 * this.window.points }];
    });
  }

  /** Records how these pods' CPU is read, for the reason given when a container has no CPU statistics. */
  readCpuWith(pods: readonly string[], interval: number | undefined, range: number): void {
    for (const pod of pods) this.podRate.set(pod, { interval, range });
  }

  /** Of these pods, those with a restart in the window: the only ones whose OOM kills are looked for. */
  restartedPods(pods: readonly string[]): string[] {
    return pods.filter((pod) => [...(this.podFacts.get(pod)?.values() ?? [])].some((facts) => (facts.restarts ?? 0) > 0));
  }

  /** Pods of Jobs that succeeded without kube_job_status_completion_time: their run ends at their last sample. */
  podsNeedingLastSample(): string[] {
    const pods: string[] = [];
    for (const pod of this.podOwner.keys()) {
      const job = this.ownershipOf(pod)?.job;
      const facts = job ? this.jobs.get(job) : undefined;
      if (job && (facts?.succeeded ?? 0) > 0 && facts?.completion === undefined) pods.push(pod);
    }
    return pods.sort();
  }

  /** Whether any of these pods belongs to a Job: short-lived pods, whose scrape interval needs a shorter probe. */
  hasJobPods(pods: readonly string[]): boolean {
    return pods.some((pod) => this.ownershipOf(pod)?.job !== undefined);
  }

  /**
   * The container facts of a batch of pods (queries.ts podFactsQuery); returns the scrape
   * interval the batch's probes measured (seconds), if its pods have CPU samples.
   */
  addPodFacts(pods: readonly string[], samples: InstantSample[]): number | undefined {
    for (const pod of pods) this.podsWithFacts.add(pod);
    const probes = new Set(intervalProbeRanges(this.window, true));
    const counts: Array<{ range: number; count: number }> = [];
    const facts: InstantSample[] = [];
    for (const sample of samples) {
      const probe = /^samples_per_(\d+)s$/.exec(sample.metric.fact ?? "");
      const count = numberOf(sample);
      if (sample.metric.fact === "spans") {
        if (sample.metric.pod) this.podsSpanning.add(sample.metric.pod);
      } else if (!probe) facts.push(sample);
      else if (count !== undefined && probes.has(Number(probe[1]))) counts.push({ range: Number(probe[1]), count });
    }
    this.addContainerFacts(facts);
    return scrapeIntervalFrom(counts);
  }

  /**
   * Of a batch whose facts arrived, the pods whose restarts, CFS periods, requests and limits
   * must be read over the whole window: those that started or ended in it, and those that
   * restarted (a restarted container continues in a new cAdvisor series).
   */
  podsNeedingHistory(pods: readonly string[]): string[] {
    return pods.filter((pod) => !this.podsSpanning.has(pod) || [...(this.podFacts.get(pod)?.values() ?? [])].some((facts) => (facts.restarts ?? 0) > 0));
  }

  /** The whole-window facts of these pods (queries.ts podHistoryQuery), in place of those read at the ends. */
  addPodHistory(pods: readonly string[], samples: InstantSample[]): void {
    for (const pod of pods) {
      for (const facts of this.podFacts.get(pod)?.values() ?? []) {
        delete facts.restarts;
        delete facts.throttledPeriods;
        delete facts.periods;
        facts.requests = {};
        facts.limits = {};
      }
    }
    this.addContainerFacts(samples);
  }

  private addContainerFacts(samples: InstantSample[]): void {
    for (const sample of samples) {
      const { pod, container, fact, resource } = sample.metric;
      const value = numberOf(sample);
      if (!pod || !container || value === undefined) continue;
      const facts = this.facts(pod, container);
      if (fact === "memory_max") facts.memoryMax = value;
      else if (fact === "cpu_samples") facts.cpuSamples = Math.round(value);
      else if (fact === "restarts") facts.restarts = Math.round(value);
      else if (fact === "throttled_periods") facts.throttledPeriods = value;
      else if (fact === "periods") facts.periods = value;
      else if (fact === "exit_code") facts.exitCode = Math.round(value);
      else if ((fact === "request" || fact === "limit") && (resource === "cpu" || resource === "memory")) {
        (fact === "request" ? facts.requests : facts.limits)[resource] = value;
      }
    }
  }

  /**
   * One batch of usage series: per pod and container summed (CPU) or the larger (memory) across
   * cAdvisor's series, then folded into the workload's busiest replica; each pod container's CPU
   * peak and each pod's first and last working-set point are kept for runs and recency.
   */
  addUsage(resource: Resource, series: RangeSeries[]): void {
    for (const { pod, container, values } of perContainer(this.window, series, resource === "cpu" ? "sum" : "max")) {
      const ownership = this.ownershipOf(pod);
      if (!ownership) continue;
      const facts = this.facts(pod, container);
      if (resource === "cpu") {
        const peak = maxOfSteps(values);
        if (peak !== undefined) facts.cpuMax = Math.max(facts.cpuMax ?? peak, peak);
      } else {
        const seen = presence(values);
        if (seen) {
          const known = this.podSeen.get(pod);
          this.podSeen.set(pod, known ? { first: Math.min(known.first, seen.first), last: Math.max(known.last, seen.last) } : seen);
        }
      }
      // Jobs of a CronJob are observed run by run, not as one usage series.
      if (ownership.workload.kind === "CronJob") continue;
      const accumulator = this.container(this.workload(ownership.workload.kind, ownership.workload.name), container);
      const busiest = (accumulator[resource] ??= emptySteps(this.window));
      foldBusiest(busiest, values);
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
      const { job_name: job, fact } = sample.metric;
      const value = numberOf(sample);
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

  addLastSamples(samples: InstantSample[]): void {
    for (const sample of samples) {
      const value = numberOf(sample);
      if (sample.metric.pod && value !== undefined) this.podLastSample.set(sample.metric.pod, value);
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

  build(): WorkloadObservation[] {
    const from = this.window.to - this.window.seconds;
    return [...this.workloads.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
      .map((workload) => {
        const runBased = isRunBased(workload.kind);
        const runs = runBased ? this.runsOf(workload) : undefined;
        const containers = this.containersOf(workload, !runBased);
        const observation: WorkloadObservation = {
          workload: { cluster: this.cluster, namespace: this.namespace, kind: workload.kind, name: workload.name },
          source: PROMETHEUS_SOURCE,
          mode: runBased ? "run-based" : "continuous",
          window: { from: isoTime(from), to: isoTime(this.window.to) },
          pods: workload.pods.size,
          coverage: runs ? this.runCoverage(runs) : this.sampledCoverage(containers),
          queries: [...this.namespaceQueries, ...inOrder(workload.queries)],
          containers,
          problems: [...this.problems, ...inOrder(workload.problems)],
        };
        if (runs) observation.runs = runs;
        if (workload.hpa) observation.hpa = workload.hpa;
        const unknown = this.workloadUnknown(workload);
        if (unknown) observation.unknown = unknown;
        return observation;
      });
  }

  /** Owners and Job timing the namespace's kube-state-metrics did not export for this workload. */
  private workloadUnknown(workload: WorkloadAccumulator): WorkloadObservation["unknown"] {
    const unknown: NonNullable<WorkloadObservation["unknown"]> = {};
    // Without kube_replicaset_owner a Deployment's pods look like a bare ReplicaSet's; without kube_job_owner a CronJob's runs look like Jobs.
    if (workload.kind === "ReplicaSet" && this.absent("kube_replicaset_owner")) unknown.owners = "kube_replicaset_owner";
    if (workload.kind === "Job" && this.absent("kube_job_owner")) unknown.owners = "kube_job_owner";
    const jobMetrics = this.missingJobMetrics.get(`${workload.kind} ${workload.name}`);
    if (jobMetrics) unknown.jobTiming = [...jobMetrics].sort().join(", ");
    return Object.keys(unknown).length > 0 ? unknown : undefined;
  }

  /**
   * SPEC §4: evidence whose metric is missing is unknown, never zero. Restarts: no restart
   * counter for any of the container's pods. OOM kills: restarts unknown, or restarts without the
   * termination reason. Throttling: no CFS counters for a container with a CPU limit (or whose
   * limits are unknown); cAdvisor exports them only under a CFS quota, so without a limit 0% is
   * measured. Requests: the namespace has no requests metric. CPU and memory: no statistics.
   */
  private containerUnknown(perPod: ReadonlyArray<{ facts: PodFacts }>, container: ContainerObservation, reportMissing: boolean): ContainerObservation["unknown"] {
    const unknown: NonNullable<ContainerObservation["unknown"]> = {};
    if (reportMissing && !container.cpu) unknown.cpu = "container_cpu_usage_seconds_total";
    if (reportMissing && !container.memory) unknown.memory = "container_memory_working_set_bytes";
    const restartsKnown = perPod.some(({ facts }) => facts.restarts !== undefined) && !this.absent("kube_pod_container_status_restarts_total");
    if (!restartsKnown) {
      unknown.restarts = "kube_pod_container_status_restarts_total";
      unknown.oomKills = "kube_pod_container_status_restarts_total";
    } else if (container.restarts > 0 && this.absent("kube_pod_container_status_last_terminated_reason")) {
      unknown.oomKills = "kube_pod_container_status_last_terminated_reason";
    }
    // kube-state-metrics exports limits only where they are set: without the limits metric but with
    // the requests metric, no container here has one. Without either, whether one is set is unknown.
    const limitsUnknown = this.absent("kube_pod_container_resource_limits") && this.absent("kube_pod_container_resource_requests");
    const cpuLimited = limitsUnknown || perPod.some(({ facts }) => facts.limits.cpu !== undefined && facts.limits.cpu > 0);
    const periodsKnown = perPod.some(({ facts }) => facts.periods !== undefined);
    if (cpuLimited && !periodsKnown) {
      unknown.throttling = this.absent("container_cpu_cfs_throttled_periods_total") && !this.absent("container_cpu_cfs_periods_total")
        ? "container_cpu_cfs_throttled_periods_total"
        : "container_cpu_cfs_periods_total";
    }
    if (this.absent("kube_pod_container_resource_requests")) unknown.requests = "kube_pod_container_resource_requests";
    return Object.keys(unknown).length > 0 ? unknown : undefined;
  }

  private containersOf(workload: WorkloadAccumulator, reportMissing: boolean): ContainerObservation[] {
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
      const cpu = workload.unavailable.has("cpu") ? undefined : complete(accumulated?.cpu ? stepStatistics(accumulated.cpu) : undefined);
      if (cpu) container.cpu = cpu;
      const memorySteps = workload.unavailable.has("memory") || !accumulated?.memory ? undefined : stepStatistics(accumulated.memory);
      const memory = memoryMax === undefined || !memorySteps ? undefined : complete({ ...memorySteps, max: memoryMax });
      if (memory) container.memory = memory;
      const bucket = seriesStep(this.window.seconds);
      const cpuPoints = accumulated?.cpu && !workload.unavailable.has("cpu") ? chartPoints(this.window, accumulated.cpu, bucket) : [];
      const memoryPoints = accumulated?.memory && !workload.unavailable.has("memory") ? chartPoints(this.window, accumulated.memory, bucket) : [];
      if (cpuPoints.length > 0 || memoryPoints.length > 0) container.series = { step: `${bucket / 3600}h`, cpu: cpuPoints, memory: memoryPoints };
      const unknown = this.containerUnknown(perPod, container, reportMissing && !workload.unavailable.has("cpu") && !workload.unavailable.has("memory"));
      if (unknown) container.unknown = unknown;
      if (reportMissing && this.factsOfAll(workload.pods)) {
        const item = `${workload.kind} ${workload.name}/${name}`;
        if (!cpu && !workload.unavailable.has("cpu")) this.reportMissing("cpu statistics", item, this.missingCpuReason(perPod));
        if (!memory && !workload.unavailable.has("memory")) this.reportMissing("memory statistics", item, missingMemoryReason(perPod.map(({ facts }) => facts), this.window));
      }
      return container;
    });
  }

  private factsOfAll(pods: Iterable<string>): boolean {
    for (const pod of pods) if (!this.podsWithFacts.has(pod)) return false;
    return true;
  }

  private reportMissing(what: keyof NamespaceObservation["missing"], item: string, reason: string): void {
    const items = this.missing[what].get(reason);
    if (items) items.push(item);
    else this.missing[what].set(reason, [item]);
  }

  private missingCpuReason(perPod: ReadonlyArray<{ pod: string; facts: PodFacts }>): string {
    const samples = perPod.map(({ facts }) => facts.cpuSamples ?? 0);
    if (samples.every((count) => count === 0)) return "cAdvisor exported no container_cpu_usage_seconds_total sample for them in the window";
    if (samples.every((count) => count <= 1)) return "each pod had one container_cpu_usage_seconds_total sample in the window (it ran for less than two scrapes), and a rate needs two";
    const read = perPod.map(({ pod }) => this.podRate.get(pod)).find((rate) => rate !== undefined);
    const range = read ? describeSeconds(read.range) : "its";
    const interval = read?.interval === undefined ? "could not be measured" : `was measured as ${describeSeconds(read.interval)}`;
    return `no two of their container_cpu_usage_seconds_total samples are within rate()'s ${range} range (at least 4 scrape intervals; the interval of the pods read with them ${interval}): they are scraped less often than the pods around them`;
  }

  /** Requests and limits of the most recently seen pod: the template the workload runs now. */
  private currentResources(perPod: Array<{ pod: string; facts: PodFacts }>): ContainerObservation["current"] | undefined {
    const latest = perPod
      .filter(({ facts }) => Object.keys(facts.requests).length + Object.keys(facts.limits).length > 0)
      .sort((a, b) => (this.podSeen.get(b.pod)?.last ?? -1) - (this.podSeen.get(a.pod)?.last ?? -1))[0];
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
      const seen = pods.map((pod) => this.podSeen.get(pod)).filter((span) => span !== undefined);
      if (facts.start === undefined && pods.length > 0) missing.add("kube_job_status_start_time");
      if (facts.succeeded === undefined && facts.failed === undefined && pods.length > 0) missing.add("kube_job_status_succeeded and kube_job_status_failed");
      // Without kube_job_status_start_time, the run starts at the first step with a working-set sample of its pods.
      const firstSeen = minOf(seen.map((span) => span.first));
      const start = facts.start ?? (firstSeen === undefined ? undefined : stepTime(this.window, firstSeen));
      if (start === undefined || start < from || start > this.window.to) continue;
      const finished = (facts.succeeded ?? 0) > 0;
      if (finished && facts.completion === undefined) missing.add("kube_job_status_completion_time");
      const completion = facts.completion ?? maxOf(pods.map((pod) => this.podLastSample.get(pod)));
      const succeeded = finished && completion !== undefined;
      const failed = !succeeded && (facts.failed ?? 0) > 0;
      // A Job still running at the end of the window is not a run yet.
      if (!succeeded && !failed) continue;
      const lastSeen = maxOf(seen.map((span) => stepTime(this.window, span.last)));
      const end = succeeded ? completion! : (facts.failedAt ?? lastSeen ?? start);
      const containerNames = new Set(pods.flatMap((pod) => [...(this.podFacts.get(pod)?.keys() ?? [])]));
      const containers: JobRun["containers"] = {};
      let exitCode: number | undefined;
      for (const name of [...containerNames].sort()) {
        const facts = pods.map((pod) => this.podFacts.get(pod)?.get(name)).filter((value) => value !== undefined);
        const cpuPeak = maxOf(facts.map((fact) => fact.cpuMax));
        const memoryPeak = maxOf(facts.map((fact) => fact.memoryMax));
        if (cpuPeak !== undefined && memoryPeak !== undefined) containers[name] = { cpuPeak, memoryPeak };
        else if (!workload.unavailable.has("cpu") && !workload.unavailable.has("memory") && this.factsOfAll(pods)) {
          const item = `${workload.kind} ${workload.name} run ${job}/${name}`;
          const perPod = pods.flatMap((pod) => {
            const podFacts = this.podFacts.get(pod)?.get(name);
            return podFacts ? [{ pod, facts: podFacts }] : [];
          });
          if (cpuPeak === undefined) this.reportMissing("cpu peaks", item, this.missingCpuReason(perPod));
          if (memoryPeak === undefined) this.reportMissing("memory peaks", item, missingMemoryReason(facts, this.window));
        }
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
   * What the namespace was observed without (call after build()), for the snapshot's problems:
   * the kube-state-metrics Job metrics that were missing (an old or trimmed kube-state-metrics; the
   * fallback still times the runs), and every container left without statistics or run peaks,
   * with the reason. They inform; the recommendation decides what missing statistics mean.
   */
  namespaceProblems(): string[] {
    return [...this.ownerProblems(), ...this.jobMetricProblems(), ...this.missingStatisticsProblems()];
  }

  private ownerProblems(): string[] {
    if (!this.absent("kube_pod_owner") || this.podOwner.size > 0) return [];
    return ["kube-state-metrics exports no kube_pod_owner in this namespace, so no pod is known to belong to a workload and nothing is observed here; install kube-state-metrics (run \"rightsize doctor\" to see every missing metric)"];
  }

  private jobMetricProblems(): string[] {
    const byMetrics = new Map<string, string[]>();
    for (const [workload, metrics] of [...this.missingJobMetrics].sort(([a], [b]) => a.localeCompare(b))) {
      const key = [...metrics].sort().join(", ");
      byMetrics.set(key, [...(byMetrics.get(key) ?? []), workload]);
    }
    return [...byMetrics].map(([metrics, workloads]) => {
      const consequence = metrics.includes("kube_job_status_succeeded")
        ? "rightsize cannot tell finished runs from running ones and counts none"
        : `their runs start and end at their pods' first and last working-set samples (to the ${describeSeconds(this.window.step)} query step)`;
      return `kube-state-metrics exports no ${metrics} for the Jobs of ${workloads.join(", ")}: ${consequence}; enable them in kube-state-metrics (the jobs resource, and its --metric-allowlist or --metric-denylist)`;
    });
  }

  private missingStatisticsProblems(): string[] {
    const heading = { "cpu statistics": "no CPU statistics", "memory statistics": "no memory statistics", "cpu peaks": "no CPU peak", "memory peaks": "no memory peak" } as const;
    return (Object.keys(this.missing) as Array<keyof NamespaceObservation["missing"]>).flatMap((what) =>
      [...this.missing[what]].map(([reason, items]) => `${heading[what]} for ${items.join(", ")}: ${reason}`),
    );
  }
}

/** Keys of a map in the order of their values. */
function inOrder(entries: ReadonlyMap<string, number>): string[] {
  return [...entries].sort((a, b) => a[1] - b[1]).map(([key]) => key);
}

function missingMemoryReason(facts: PodFacts[], window: QueryWindow): string {
  if (facts.every((fact) => fact.memoryMax === undefined)) return "cAdvisor exported no container_memory_working_set_bytes sample for them in the window";
  return `none of their container_memory_working_set_bytes samples is within Prometheus' lookback of a ${describeSeconds(window.step)} query step`;
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
