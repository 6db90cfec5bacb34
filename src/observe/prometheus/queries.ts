/**
 * The PromQL rightsize runs (SPEC §4). Prometheus's cost should grow with the samples it reads,
 * not with the number of statistics asked for, and what one query holds in memory should not grow
 * with the namespace. So the plan per namespace is:
 *
 * 1. Owners (pods, ReplicaSets, Jobs), Job timing and HPAs: instant queries, each reading every
 *    sample of its series in the window once.
 * 2. Per batch of pods, the pod containers' facts in one instant query: the exact peak memory,
 *    the CPU sample count, restarts, CFS periods, exit codes, requests, limits, and the counts
 *    that measure the scrape interval.
 * 3. Per batch, the usage: range queries at the window's step of every container's CPU rate (over
 *    four measured scrape intervals) and working set, nothing aggregated on the server (an
 *    aggregation costs Prometheus more than sending the points). rightsize maps pods to workloads
 *    itself and computes the busiest replica, every statistic, the run peaks and the chart series
 *    from these points.
 * 4. Only where the facts call for it: the OOM-kill steps of pods that restarted, and the last
 *    sample of Job pods whose completion time kube-state-metrics does not export.
 */

export interface QueryWindow {
  /** End of the window, unix seconds; instant queries are evaluated here. */
  to: number;
  seconds: number;
  /** Resolution of the usage series (and of OOM-kill times). */
  step: number;
  /**
   * First point of the usage grid: the first multiple of `step` at or after the window's start,
   * where Prometheus puts a subquery's first point, so the grid is the one `quantile_over_time(…[7d:5m])`
   * would read. The grid runs to `to`.
   */
  start: number;
  /** Points of the grid. */
  points: number;
}

const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400];
/** Enough points per container for HIGH confidence (≥ 1,000 samples over 7d, SPEC §5), few enough to stay cheap. */
const MAX_POINTS_PER_WINDOW = 2500;
/** rate() range when the scrape interval cannot be measured (no CPU samples among the pods read). */
const UNMEASURED_RATE_RANGE = 120;

export function queryWindow(to: number, seconds: number): QueryWindow {
  const step = STEPS.find((candidate) => seconds / candidate <= MAX_POINTS_PER_WINDOW) ?? STEPS[STEPS.length - 1]!;
  const start = Math.ceil((to - seconds) / step) * step;
  return { to, seconds, step, start, points: Math.floor((to - start) / step) + 1 };
}

/**
 * The range of rate(): at least four scrape intervals (Prometheus's guidance: two samples in
 * every range even when scrapes are late, missed or not aligned to the query steps) and at least
 * one step (so every sample counts).
 */
export function rateRange(window: QueryWindow, scrapeIntervalSeconds: number | undefined): number {
  const needed = scrapeIntervalSeconds === undefined ? UNMEASURED_RATE_RANGE : Math.ceil(4 * scrapeIntervalSeconds);
  return Math.max(window.step, needed);
}

/**
 * A working-set sample older than Prometheus' lookback (5m by default) is not seen at a step, so
 * with a scrape interval near the lookback some steps would have no memory value; then each step
 * takes the last sample of the two intervals before it instead. Undefined: the plain selector.
 */
export function memoryRange(scrapeIntervalSeconds: number | undefined): number | undefined {
  return scrapeIntervalSeconds !== undefined && scrapeIntervalSeconds > 150 ? Math.ceil(2 * scrapeIntervalSeconds) : undefined;
}

/**
 * Ranges over which the scrape interval is measured: samples per hour, and per 10 minutes where
 * short-lived pods (Jobs) are read, in every such range of the window. A container that ran for
 * only part of a range has fewer samples than the interval gives, never more, so each range's
 * count overestimates the interval or meets it, and the smaller estimate is kept: the hourly count
 * is the precise one for long-lived pods, the 10-minute count the one that short runs fill.
 */
export function intervalProbeRanges(window: QueryWindow, shortLived: boolean): number[] {
  const ranges = (shortLived ? [600, 3600] : [3600]).filter((range) => range <= window.seconds);
  return ranges.length > 0 ? ranges : [window.seconds];
}

/**
 * How far from each end of the window a counter's first and last samples are looked for: a
 * series with samples in both ends spans the window, and its increase is its last sample minus
 * its first, read from two short ranges instead of the whole window.
 */
export function endRange(window: QueryWindow): number {
  return Math.min(3600, Math.floor(window.seconds / 4));
}

/**
 * The scrape interval from the probes' sample counts (`count` samples over `range` seconds): a
 * range that holds n samples spans n − 1 intervals at least.
 */
export function scrapeIntervalFrom(counts: ReadonlyArray<{ range: number; count: number }>): number | undefined {
  const estimates = counts.filter(({ count }) => count >= 1).map(({ range, count }) => (count >= 2 ? intervalOf(range, count) : range));
  return estimates.length === 0 ? undefined : Math.min(...estimates);
}

/**
 * The interval of `count` samples in a range of `range` seconds. A range that holds both its ends
 * (Prometheus 2) counts one sample more than one that holds only its end (Prometheus 3,
 * VictoriaMetrics, Thanos over either) when samples fall on its edges: of range ÷ (count − 1) and
 * range ÷ count, the whole number of seconds is the interval (scrape intervals are configured in
 * seconds), so every store measures the same one; neither whole, the first, as before.
 */
function intervalOf(range: number, count: number): number {
  const closed = range / (count - 1);
  const open = range / count;
  return Number.isInteger(closed) || !Number.isInteger(open) ? closed : open;
}

const CONTAINERS = `container!="",container!="POD"`;

function quoted(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * The series of one cluster in a store that holds several (Thanos, Mimir, VictoriaMetrics, a
 * federating Prometheus): a label and its value, applied to every selector of every query.
 */
export interface ClusterScope {
  label: string;
  value: string;
}

export function scopeMatcher(scope: ClusterScope | undefined): string {
  return scope ? `${scope.label}=${quoted(scope.value)}` : "";
}

export function namespaceMatcher(namespace: string, scope?: ClusterScope): string {
  return scope ? `${scopeMatcher(scope)},namespace=${quoted(namespace)}` : `namespace=${quoted(namespace)}`;
}

/** `pod=~"a|b|c"`: Prometheus looks each name up in its index (a set of literals, not a scan). */
function podMatcher(pods: readonly string[]): string {
  return `pod=~${quoted(pods.map((pod) => pod.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"))}`;
}

function tagged(label: "fact", value: string, expression: string): string {
  return `label_replace(${expression}, "${label}", "${value}", "", "")`;
}

function union(parts: string[]): string {
  return parts.join(" or ");
}

/** At each step, the step's time for every series present: a cheap "last seen" (timestamp() in a subquery is slow). */
function presentAt(expression: string): string {
  return `(0 * ${expression} + time())`;
}

export interface NamespaceQueries {
  /** Pods, ReplicaSets and Jobs with their owners seen in the window. */
  owners: string;
  /** Start, completion and outcome of every Job seen in the window. */
  jobs: string;
  /** HPAs, their targets and metrics. */
  hpas: string;
}

export function namespaceQueries(namespace: string, window: QueryWindow, scope?: ClusterScope): NamespaceQueries {
  const ns = namespaceMatcher(namespace, scope);
  const w = `${window.seconds}s`;
  return {
    owners: union([
      `max by (namespace, pod, owner_kind, owner_name) (max_over_time(kube_pod_owner{${ns}}[${w}]))`,
      `max by (namespace, replicaset, owner_kind, owner_name) (max_over_time(kube_replicaset_owner{${ns}}[${w}]))`,
      `max by (namespace, job_name, owner_kind, owner_name) (max_over_time(kube_job_owner{${ns}}[${w}]))`,
    ]),
    jobs: union([
      tagged("fact", "start", `max by (namespace, job_name) (max_over_time(kube_job_status_start_time{${ns}}[${w}]))`),
      tagged("fact", "completion", `max by (namespace, job_name) (max_over_time(kube_job_status_completion_time{${ns}}[${w}]))`),
      tagged("fact", "succeeded", `max by (namespace, job_name) (max_over_time(kube_job_status_succeeded{${ns}}[${w}]))`),
      tagged("fact", "failed", `max by (namespace, job_name) (max_over_time(kube_job_status_failed{${ns}}[${w}]))`),
      tagged("fact", "failed_at", `min by (namespace, job_name) (min_over_time(${presentAt(`(kube_job_status_failed{${ns}} > 0)`)}[${w}:${window.step}s]))`),
    ]),
    hpas: union([
      tagged("fact", "target", `max by (namespace, horizontalpodautoscaler, scaletargetref_kind, scaletargetref_name) (last_over_time(kube_horizontalpodautoscaler_info{${ns}}[1h]))`),
      tagged("fact", "metric", `max by (namespace, horizontalpodautoscaler, metric_name) (last_over_time(kube_horizontalpodautoscaler_spec_target_metric{${ns}}[1h]))`),
    ]),
  };
}

/**
 * Instant, per container of these pods: peak memory (raw samples), CPU sample count, exit code,
 * and the scrape interval's probes (intervalProbeRanges): per probe range, the 90th percentile
 * over the containers of their CPU sample count in each such range of the window, the largest kept
 * (a percentile, so that one container scraped far more often than the rest does not set the
 * interval). Restarts, CFS periods, requests and limits are read at the window's ends only (most
 * pods span the window, which `spans` says from kube_pod_owner; those that do not are read again
 * with podHistoryQuery): restarts and periods as last minus first sample of each series with
 * samples in both ends, requests and limits as the last sample.
 */
export function podFactsQuery(namespace: string, pods: readonly string[], window: QueryWindow, shortLived: boolean, scope?: ClusterScope): string {
  const selected = `${namespaceMatcher(namespace, scope)},${podMatcher(pods)}`;
  const w = `${window.seconds}s`;
  const end = endRange(window);
  const perContainer = "namespace, pod, container";
  const spanned = (selector: string) => `(max_over_time(${selector}[${end}s]) - min_over_time(${selector}[${end}s] offset ${window.seconds - end}s))`;
  const owner = `kube_pod_owner{${selected}}`;
  return union([
    tagged("fact", "spans", `max by (namespace, pod) (last_over_time(${owner}[${end}s]) and last_over_time(${owner}[${end}s] offset ${window.seconds - end}s))`),
    tagged("fact", "memory_max", `max by (${perContainer}) (max_over_time(container_memory_working_set_bytes{${selected},${CONTAINERS}}[${w}]))`),
    tagged("fact", "cpu_samples", `max by (${perContainer}) (count_over_time(container_cpu_usage_seconds_total{${selected},${CONTAINERS}}[${w}]))`),
    tagged("fact", "restarts", `max by (${perContainer}) ${spanned(`kube_pod_container_status_restarts_total{${selected}}`)}`),
    tagged("fact", "throttled_periods", `sum by (${perContainer}) ${spanned(`container_cpu_cfs_throttled_periods_total{${selected},${CONTAINERS}}`)}`),
    tagged("fact", "periods", `sum by (${perContainer}) ${spanned(`container_cpu_cfs_periods_total{${selected},${CONTAINERS}}`)}`),
    tagged("fact", "exit_code", `max by (${perContainer}) (last_over_time(kube_pod_container_status_last_terminated_exitcode{${selected}}[${w}]))`),
    tagged("fact", "request", `max by (${perContainer}, resource) (last_over_time(kube_pod_container_resource_requests{${selected},resource=~"cpu|memory"}[${end}s]))`),
    tagged("fact", "limit", `max by (${perContainer}, resource) (last_over_time(kube_pod_container_resource_limits{${selected},resource=~"cpu|memory"}[${end}s]))`),
    ...intervalProbeRanges(window, shortLived).map((probe) =>
      tagged("fact", `samples_per_${probe}s`, `max_over_time(quantile(0.9, count_over_time(container_cpu_usage_seconds_total{${selected},${CONTAINERS}}[${probe}s]))[${w}:${probe}s])`),
    ),
  ]);
}

/**
 * Instant, for pods that did not span the window or restarted in it (a restarted container is a
 * new cAdvisor series): restarts and CFS periods as last minus first sample of each series over
 * the whole window, and the last requests and limits in it.
 */
export function podHistoryQuery(namespace: string, pods: readonly string[], window: QueryWindow, scope?: ClusterScope): string {
  const selected = `${namespaceMatcher(namespace, scope)},${podMatcher(pods)}`;
  const w = `${window.seconds}s`;
  const perContainer = "namespace, pod, container";
  const increase = (selector: string) => `(max_over_time(${selector}[${w}]) - min_over_time(${selector}[${w}]))`;
  return union([
    tagged("fact", "restarts", `max by (${perContainer}) ${increase(`kube_pod_container_status_restarts_total{${selected}}`)}`),
    tagged("fact", "throttled_periods", `sum by (${perContainer}) ${increase(`container_cpu_cfs_throttled_periods_total{${selected},${CONTAINERS}}`)}`),
    tagged("fact", "periods", `sum by (${perContainer}) ${increase(`container_cpu_cfs_periods_total{${selected},${CONTAINERS}}`)}`),
    tagged("fact", "request", `max by (${perContainer}, resource) (last_over_time(kube_pod_container_resource_requests{${selected},resource=~"cpu|memory"}[${w}]))`),
    tagged("fact", "limit", `max by (${perContainer}, resource) (last_over_time(kube_pod_container_resource_limits{${selected},resource=~"cpu|memory"}[${w}]))`),
  ]);
}

/**
 * Range query: the CPU rate of every container of these pods, one series per cAdvisor series (a
 * container may have several; rightsize sums them per pod and container, as `sum by` would).
 */
export function cpuUsageQuery(namespace: string, pods: readonly string[], range: number, scope?: ClusterScope): string {
  return `rate(container_cpu_usage_seconds_total{${namespaceMatcher(namespace, scope)},${CONTAINERS},${podMatcher(pods)}}[${range}s])`;
}

/** Range query: the working set of every container of these pods (rightsize takes the largest series per pod and container). */
export function memoryUsageQuery(namespace: string, pods: readonly string[], range: number | undefined, scope?: ClusterScope): string {
  const selector = `container_memory_working_set_bytes{${namespaceMatcher(namespace, scope)},${CONTAINERS},${podMatcher(pods)}}`;
  return range === undefined ? selector : `last_over_time(${selector}[${range}s])`;
}

/**
 * Range query (step = window.step) over pods that restarted in the window: the steps in which a
 * container restarted while OOMKilled was its last termination reason. `x - x offset step` tiles
 * the window exactly (unlike increase() over adjacent ranges, which loses a restart that falls
 * between two scrapes on either side of a step boundary).
 */
export function oomKillsQuery(namespace: string, pods: readonly string[], window: QueryWindow, scope?: ClusterScope): string {
  const selected = `${namespaceMatcher(namespace, scope)},${podMatcher(pods)}`;
  const restarts = `kube_pod_container_status_restarts_total{${selected}}`;
  const perContainer = "namespace, pod, container";
  return (
    `(max by (${perContainer}) (${restarts}) - max by (${perContainer}) (${restarts} offset ${window.step}s) > 0)` +
    ` and on (${perContainer}) (max by (${perContainer}) (kube_pod_container_status_last_terminated_reason{${selected},reason="OOMKilled"}) > 0)`
  );
}

/**
 * Instant: the time of each pod's last working-set sample. timestamp() of a plain selector is the
 * sample's, not the step's, so a run without kube_job_status_completion_time ends exactly at its
 * last scrape rather than up to the lookback after it.
 */
export function lastSampleQuery(namespace: string, pods: readonly string[], window: QueryWindow, scope?: ClusterScope): string {
  return `max by (namespace, pod) (max_over_time(timestamp(container_memory_working_set_bytes{${namespaceMatcher(namespace, scope)},${CONTAINERS},${podMatcher(pods)}})[${window.seconds}s:${window.step}s]))`;
}

/** Namespaces with pods in the window, for a policy that names none. */
export function namespacesQuery(window: QueryWindow, scope?: ClusterScope): string {
  const selector = scope ? `kube_pod_owner{${scopeMatcher(scope)}}` : "kube_pod_owner";
  return `count by (namespace) (max_over_time(${selector}[${window.seconds}s]))`;
}

/**
 * Range queries (at the window's step) of each workload container's busiest replica, CPU in
 * cores and memory working set in bytes: the usage `rightsize backtest` replays a
 * recommendation against (SPEC §11). The owner join is done by Prometheus here: a backtest reads
 * one window once, where observation reads many and joins in rightsize.
 */
export function replayUsageQueries(namespace: string, window: QueryWindow, scope?: ClusterScope): { cpu: string; memory: string } {
  const ns = namespaceMatcher(namespace, scope);
  const cpuPerPod = `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${ns},${CONTAINERS}}[${rateRange(window, undefined)}s]))`;
  const memoryPerPod = `max by (namespace, pod, container) (container_memory_working_set_bytes{${ns},${CONTAINERS}})`;
  return { cpu: busiestReplica(ns, cpuPerPod, window), memory: busiestReplica(ns, memoryPerPod, window) };
}

function busiestReplica(ns: string, perPod: string, window: QueryWindow): string {
  return `max by (namespace, owner_kind, owner_name, container) (${perPod} * on (namespace, pod) group_left (owner_kind, owner_name) ${podOwners(ns, window)})`;
}

function podOwners(ns: string, window: QueryWindow): string {
  const seen = (selector: string) => `max_over_time(${selector}[${window.seconds}s] @ ${window.to})`;
  const replicaSetOwners = `max by (namespace, replicaset, owner_kind, owner_name) (${seen(`kube_replicaset_owner{${ns},owner_kind=~"Deployment|Rollout"}`)})`;
  const replicaSetPods = `label_replace(${seen(`kube_pod_owner{${ns},owner_kind="ReplicaSet"}`)}, "replicaset", "$1", "owner_name", "(.+)")`;
  return `max by (namespace, pod, owner_kind, owner_name) (${replicaSetPods} * on (namespace, replicaset) group_left (owner_kind, owner_name) ${replicaSetOwners} or on (namespace, pod) ${seen(`kube_pod_owner{${ns}}`)})`;
}
