/**
 * The PromQL rightsize runs, one batch per namespace (SPEC §4): every query returns all
 * containers of the namespace at once, so the number of queries grows with namespaces, never
 * with pods or containers. Several statistics travel in one query, told apart by a `stat` or
 * `fact` label added with label_replace.
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
 * Pod → workload at one instant, on the server: a ReplicaSet owned by a Deployment or Rollout
 * counts as that owner; every other pod as its direct owner (StatefulSet, DaemonSet, Job, bare
 * ReplicaSet). Jobs of a CronJob stay separate here: a CronJob is observed run by run.
 * group_left overwrites the pod's owner labels with the ReplicaSet's owner.
 */
function podOwners(ns: string): string {
  const replicaSetOwners = `max by (namespace, replicaset, owner_kind, owner_name) (kube_replicaset_owner{${ns},owner_kind=~"Deployment|Rollout"})`;
  const replicaSetPods = `label_replace(kube_pod_owner{${ns},owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)")`;
  return `max by (namespace, pod, owner_kind, owner_name) (${replicaSetPods} * on (namespace, replicaset) group_left (owner_kind, owner_name) ${replicaSetOwners} or on (namespace, pod) kube_pod_owner{${ns}})`;
}

/**
 * Per step, the busiest replica of each workload container. Percentiles over this series
 * describe the replica that needs the most, and the series continues across pod replacements.
 */
function busiestReplica(ns: string, perPod: string): string {
  return `max by (namespace, owner_kind, owner_name, container) (${perPod} * on (namespace, pod) group_left (owner_kind, owner_name) ${podOwners(ns)})`;
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

function statistics(series: string, window: QueryWindow, withMax: boolean): string {
  const range = `${series}[${window.seconds}s:${window.step}s]`;
  return union([
    ...PERCENTILES.map(([name, phi]) => tagged("stat", name, `quantile_over_time(${phi}, ${range})`)),
    ...(withMax ? [tagged("stat", "max", `max_over_time(${range})`)] : []),
    tagged("stat", "mean", `avg_over_time(${range})`),
    tagged("stat", "samples", `count_over_time(${range})`),
  ]);
}

export interface NamespaceQueries {
  /** Instant: pods, ReplicaSets and Jobs with their owners seen in the window, and when each pod was last seen. */
  owners: string;
  /** Instant: CPU statistics (cores) per workload container. */
  cpu: string;
  /** Instant: memory working-set statistics (bytes) per workload container; the max comes from `containers`. */
  memory: string;
  /** Instant: per pod container: peak memory, peak CPU, restarts, CFS periods, exit code, requests and limits. */
  containers: string;
  /** Range (step = window.step): steps in which a container restarted with OOMKilled as its last reason. */
  oomKills: string;
  /** Instant: start, completion and outcome of every Job seen in the window. */
  jobs: string;
  /** Instant: HPAs, their targets and metrics. */
  hpas: string;
  /** Range (step = seriesStep): hourly p95 and max for charts. */
  series: string;
}

export function namespaceQueries(namespace: string, window: QueryWindow): NamespaceQueries {
  const ns = namespaceMatcher(namespace);
  const w = `${window.seconds}s`;
  const subquery = `[${w}:${window.step}s]`;
  const busyCpu = busiestReplica(ns, cpuPerPod(ns, window));
  const busyMemory = busiestReplica(ns, memoryPerPod(ns));
  const perContainer = "namespace, pod, container";
  const restarts = `kube_pod_container_status_restarts_total{${ns}}`;
  const hourly = `[${seriesStep(window.seconds)}s:${window.step}s]`;
  return {
    owners: union([
      `max by (namespace, pod, owner_kind, owner_name) (max_over_time(kube_pod_owner{${ns}}[${w}]))`,
      `max by (namespace, replicaset, owner_kind, owner_name) (max_over_time(kube_replicaset_owner{${ns}}[${w}]))`,
      `max by (namespace, job_name, owner_kind, owner_name) (max_over_time(kube_job_owner{${ns}}[${w}]))`,
      tagged("fact", "last_seen", `max by (namespace, pod) (max_over_time(timestamp(kube_pod_owner{${ns}})${subquery}))`),
    ]),
    cpu: statistics(busyCpu, window, true),
    memory: statistics(busyMemory, window, false),
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
      tagged("fact", "failed_at", `min by (namespace, job_name) (min_over_time(timestamp(kube_job_status_failed{${ns}} > 0)${subquery}))`),
    ]),
    hpas: union([
      tagged("fact", "target", `max by (namespace, horizontalpodautoscaler, scaletargetref_kind, scaletargetref_name) (last_over_time(kube_horizontalpodautoscaler_info{${ns}}[1h]))`),
      tagged("fact", "metric", `max by (namespace, horizontalpodautoscaler, metric_name) (last_over_time(kube_horizontalpodautoscaler_spec_target_metric{${ns}}[1h]))`),
    ]),
    series: union([
      tagged("stat", "cpu_p95", `quantile_over_time(0.95, ${busyCpu}${hourly})`),
      tagged("stat", "cpu_max", `max_over_time(${busyCpu}${hourly})`),
      tagged("stat", "memory_p95", `quantile_over_time(0.95, ${busyMemory}${hourly})`),
      tagged("stat", "memory_max", `max_over_time(${busyMemory}${hourly})`),
    ]),
  };
}

/** Namespaces with pods in the window, for a policy that names none. */
export function namespacesQuery(window: QueryWindow): string {
  return `count by (namespace) (max_over_time(kube_pod_owner[${window.seconds}s]))`;
}
