/**
 * The PromQL rightsize runs, one batch per namespace (SPEC §4): every query returns all
 * containers of the namespace at once, so the number of queries grows with namespaces, never
 * with pods or containers. Cheap facts travel together in one query, told apart by a `fact`
 * label added with label_replace; each statistic over the busiest-replica series is a query of
 * its own, because Prometheus evaluates one query on one core and each of them walks every step
 * of the window (one query each keeps every query within the timeout and lets a larger
 * Prometheus run them in parallel).
 */

export interface QueryWindow {
  /** Evaluation time of instant queries: the end of the window, unix seconds. */
  to: number;
  seconds: number;
  /** Subquery resolution; also the resolution of OOM-kill times. */
  step: number;
  /** Range of rate(): at least two scrapes even when Prometheus scrapes every minute. */
  rateRange: number;
}

const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400];
/** Enough points per container for HIGH confidence (≥ 1,000 samples over 7d, SPEC §5), few enough to stay cheap. */
const MAX_POINTS_PER_WINDOW = 2500;
const MIN_RATE_RANGE = 120;

export function queryWindow(to: number, seconds: number): QueryWindow {
  const step = STEPS.find((candidate) => seconds / candidate <= MAX_POINTS_PER_WINDOW) ?? STEPS[STEPS.length - 1]!;
  return { to, seconds, step, rateRange: Math.max(step, MIN_RATE_RANGE) };
}

/** Chart series: 1h buckets (SPEC §4), coarser for long windows so a chart stays under ~500 points. */
export function seriesStep(windowSeconds: number): number {
  return Math.max(3600, Math.ceil(windowSeconds / 500 / 3600) * 3600);
}

const CONTAINERS = `container!="",container!="POD"`;

function namespaceMatcher(namespace: string): string {
  return `namespace="${namespace.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function tagged(label: "stat" | "fact", value: string, expression: string): string {
  return `label_replace(${expression}, "${label}", "${value}", "", "")`;
}

function union(parts: string[]): string {
  return parts.join(" or ");
}

/**
 * Pod → workload for every pod of the window, on the server: a ReplicaSet owned by a Deployment
 * or Rollout counts as that owner; every other pod as its direct owner (StatefulSet, DaemonSet,
 * Job, bare ReplicaSet). Jobs of a CronJob stay separate here: a CronJob is observed run by run.
 * group_left overwrites the pod's owner labels with the ReplicaSet's owner. Owners never change,
 * so the mapping is pinned with `@` to the end of the window: Prometheus evaluates it once per
 * query instead of once per subquery step.
 */
function podOwners(ns: string, window: QueryWindow): string {
  const seen = (selector: string) => `max_over_time(${selector}[${window.seconds}s] @ ${window.to})`;
  const replicaSetOwners = `max by (namespace, replicaset, owner_kind, owner_name) (${seen(`kube_replicaset_owner{${ns},owner_kind=~"Deployment|Rollout"}`)})`;
  const replicaSetPods = `label_replace(${seen(`kube_pod_owner{${ns},owner_kind="ReplicaSet"}`)}, "replicaset", "$1", "owner_name", "(.+)")`;
  return `max by (namespace, pod, owner_kind, owner_name) (${replicaSetPods} * on (namespace, replicaset) group_left (owner_kind, owner_name) ${replicaSetOwners} or on (namespace, pod) ${seen(`kube_pod_owner{${ns}}`)})`;
}

/**
 * Per step, the busiest replica of each workload container. Percentiles over this series
 * describe the replica that needs the most, and the series continues across pod replacements.
 */
function busiestReplica(ns: string, perPod: string, window: QueryWindow): string {
  return `max by (namespace, owner_kind, owner_name, container) (${perPod} * on (namespace, pod) group_left (owner_kind, owner_name) ${podOwners(ns, window)})`;
}

/** At each step, the step's time for every series present: a cheap "last seen" (timestamp() in a subquery is slow). */
function presentAt(expression: string): string {
  return `(0 * ${expression} + time())`;
}

/**
 * The time of each working-set sample itself: timestamp() of a plain selector is the sample's,
 * not the step's, so the end of a run is exact to the scrape, where the step's time (presentAt,
 * cheaper, good enough for the start: the first step after the first sample) would run up to
 * the 5-minute lookback past it.
 */
function lastSampleTime(ns: string): string {
  return `timestamp(container_memory_working_set_bytes{${ns},${CONTAINERS}})`;
}

function jobPods(ns: string, w: string, expression: string): string {
  return `${expression} and on (namespace, pod) max by (namespace, pod) (max_over_time(kube_pod_owner{${ns},owner_kind="Job"}[${w}]))`;
}

function cpuPerPod(ns: string, window: QueryWindow): string {
  return `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${ns},${CONTAINERS}}[${window.rateRange}s]))`;
}

function memoryPerPod(ns: string): string {
  return `max by (namespace, pod, container) (container_memory_working_set_bytes{${ns},${CONTAINERS}})`;
}

const PERCENTILES: ReadonlyArray<[string, number]> = [
  ["p50", 0.5],
  ["p90", 0.9],
  ["p95", 0.95],
  ["p99", 0.99],
];

export const CPU_STATISTICS = ["p50", "p90", "p95", "p99", "max", "mean", "samples"] as const;
/** The memory max comes from raw samples (`containers`), exact rather than per step. */
export const MEMORY_STATISTICS = ["p50", "p90", "p95", "p99", "mean", "samples"] as const;

function statistic(name: (typeof CPU_STATISTICS)[number], series: string, window: QueryWindow): string {
  const range = `${series}[${window.seconds}s:${window.step}s]`;
  const phi = PERCENTILES.find(([percentile]) => percentile === name)?.[1];
  const expression =
    phi !== undefined ? `quantile_over_time(${phi}, ${range})` : name === "max" ? `max_over_time(${range})` : name === "mean" ? `avg_over_time(${range})` : `count_over_time(${range})`;
  return tagged("stat", name, expression);
}

export interface NamespaceQueries {
  /** Instant: pods, ReplicaSets and Jobs with their owners seen in the window, and when each pod was last seen. */
  owners: string;
  /** Instant, one per statistic: CPU (cores) per workload container. */
  cpu: Record<(typeof CPU_STATISTICS)[number], string>;
  /** Instant, one per statistic: memory working set (bytes) per workload container. */
  memory: Record<(typeof MEMORY_STATISTICS)[number], string>;
  /** Instant: per pod container: peak memory, peak CPU, restarts, CFS periods, exit code, requests and limits. */
  containers: string;
  /** Range (step = window.step): steps in which a container restarted with OOMKilled as its last reason. */
  oomKills: string;
  /**
   * Instant: start, completion and outcome of every Job seen in the window, and the first and
   * last cAdvisor sample of every pod a Job owns (a run's start and end when kube-state-metrics
   * lacks the Job timing metrics).
   */
  jobs: string;
  /** Instant: HPAs, their targets and metrics. */
  hpas: string;
  /** Range (step = seriesStep): hourly p95 and max for charts. */
  cpuSeries: string;
  memorySeries: string;
}

export function namespaceQueries(namespace: string, window: QueryWindow): NamespaceQueries {
  const ns = namespaceMatcher(namespace);
  const w = `${window.seconds}s`;
  const subquery = `[${w}:${window.step}s]`;
  const busyCpu = busiestReplica(ns, cpuPerPod(ns, window), window);
  const busyMemory = busiestReplica(ns, memoryPerPod(ns), window);
  const perContainer = "namespace, pod, container";
  const restarts = `kube_pod_container_status_restarts_total{${ns}}`;
  const hourly = `[${seriesStep(window.seconds)}s:${window.step}s]`;
  return {
    owners: union([
      `max by (namespace, pod, owner_kind, owner_name) (max_over_time(kube_pod_owner{${ns}}[${w}]))`,
      `max by (namespace, replicaset, owner_kind, owner_name) (max_over_time(kube_replicaset_owner{${ns}}[${w}]))`,
      `max by (namespace, job_name, owner_kind, owner_name) (max_over_time(kube_job_owner{${ns}}[${w}]))`,
      tagged("fact", "last_seen", `max by (namespace, pod) (max_over_time(${presentAt(`kube_pod_owner{${ns}}`)}${subquery}))`),
    ]),
    cpu: Object.fromEntries(CPU_STATISTICS.map((name) => [name, statistic(name, busyCpu, window)])) as NamespaceQueries["cpu"],
    memory: Object.fromEntries(MEMORY_STATISTICS.map((name) => [name, statistic(name, busyMemory, window)])) as NamespaceQueries["memory"],
    containers: union([
      tagged("fact", "memory_max", `max by (${perContainer}) (max_over_time(container_memory_working_set_bytes{${ns},${CONTAINERS}}[${w}]))`),
      tagged("fact", "cpu_max", `max by (${perContainer}) (max_over_time(${cpuPerPod(ns, window)}${subquery}))`),
      tagged("fact", "restarts", `max by (${perContainer}) (max_over_time(${restarts}[${w}]) - min_over_time(${restarts}[${w}]))`),
      tagged("fact", "throttled_periods", `sum by (${perContainer}) (increase(container_cpu_cfs_throttled_periods_total{${ns},${CONTAINERS}}[${w}]))`),
      tagged("fact", "periods", `sum by (${perContainer}) (increase(container_cpu_cfs_periods_total{${ns},${CONTAINERS}}[${w}]))`),
      tagged("fact", "exit_code", `max by (${perContainer}) (last_over_time(kube_pod_container_status_last_terminated_exitcode{${ns}}[${w}]))`),
      tagged("fact", "request", `max by (${perContainer}, resource) (last_over_time(kube_pod_container_resource_requests{${ns},resource=~"cpu|memory"}[${w}]))`),
      tagged("fact", "limit", `max by (${perContainer}, resource) (last_over_time(kube_pod_container_resource_limits{${ns},resource=~"cpu|memory"}[${w}]))`),
    ]),
    // x - x offset step tiles the window exactly (unlike increase() over adjacent ranges, which
    // loses a restart that falls between two scrapes on either side of a step boundary).
    oomKills:
      `(max by (${perContainer}) (${restarts}) - max by (${perContainer}) (${restarts} offset ${window.step}s) > 0)` +
      ` and on (${perContainer}) (max by (${perContainer}) (kube_pod_container_status_last_terminated_reason{${ns},reason="OOMKilled"}) > 0)`,
    jobs: union([
      tagged("fact", "start", `max by (namespace, job_name) (max_over_time(kube_job_status_start_time{${ns}}[${w}]))`),
      tagged("fact", "completion", `max by (namespace, job_name) (max_over_time(kube_job_status_completion_time{${ns}}[${w}]))`),
      tagged("fact", "succeeded", `max by (namespace, job_name) (max_over_time(kube_job_status_succeeded{${ns}}[${w}]))`),
      tagged("fact", "failed", `max by (namespace, job_name) (max_over_time(kube_job_status_failed{${ns}}[${w}]))`),
      tagged("fact", "failed_at", `min by (namespace, job_name) (min_over_time(${presentAt(`(kube_job_status_failed{${ns}} > 0)`)}${subquery}))`),
      tagged("fact", "first_sample", jobPods(ns, w, `min by (namespace, pod) (min_over_time(${presentAt(`container_memory_working_set_bytes{${ns},${CONTAINERS}}`)}${subquery}))`)),
      tagged("fact", "last_sample", jobPods(ns, w, `max by (namespace, pod) (max_over_time(${lastSampleTime(ns)}${subquery}))`)),
    ]),
    hpas: union([
      tagged("fact", "target", `max by (namespace, horizontalpodautoscaler, scaletargetref_kind, scaletargetref_name) (last_over_time(kube_horizontalpodautoscaler_info{${ns}}[1h]))`),
      tagged("fact", "metric", `max by (namespace, horizontalpodautoscaler, metric_name) (last_over_time(kube_horizontalpodautoscaler_spec_target_metric{${ns}}[1h]))`),
    ]),
    cpuSeries: union([
      tagged("stat", "cpu_p95", `quantile_over_time(0.95, ${busyCpu}${hourly})`),
      tagged("stat", "cpu_max", `max_over_time(${busyCpu}${hourly})`),
    ]),
    memorySeries: union([
      tagged("stat", "memory_p95", `quantile_over_time(0.95, ${busyMemory}${hourly})`),
      tagged("stat", "memory_max", `max_over_time(${busyMemory}${hourly})`),
    ]),
  };
}

/** Namespaces with pods in the window, for a policy that names none. */
export function namespacesQuery(window: QueryWindow): string {
  return `count by (namespace) (max_over_time(kube_pod_owner[${window.seconds}s]))`;
}

/**
 * Range queries (at the window's step) of each workload container's busiest replica, CPU in
 * cores and memory working set in bytes: the usage `rightsize backtest` replays a
 * recommendation against (SPEC §11). The same series the statistics are taken over.
 */
export function usageQueries(namespace: string, window: QueryWindow): { cpu: string; memory: string } {
  const ns = namespaceMatcher(namespace);
  return { cpu: busiestReplica(ns, cpuPerPod(ns, window), window), memory: busiestReplica(ns, memoryPerPod(ns), window) };
}
