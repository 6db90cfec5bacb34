/**
 * The statistics as rightsize computed them on the server before issue 14: one instant query per
 * statistic, each over the busiest-replica series (the per-pod usage joined to the pod's owner,
 * the largest pod per step) as a subquery of the whole window, and the chart series as range
 * queries of hourly subqueries. Tests and the observe bench use it as the oracle for the
 * statistics rightsize now computes from the usage series: same data, same numbers.
 */

export interface ServerSideWindow {
  /** End of the window, unix seconds. */
  to: number;
  seconds: number;
  step: number;
}

export const STATISTICS = ["p50", "p90", "p95", "p99", "max", "mean", "samples"] as const;
export type Statistic = (typeof STATISTICS)[number];

/** Per `Kind/name/container`, each statistic; memory without `max` (that one was, and is, the largest raw sample). */
export type ServerSideStatistics = Map<string, Partial<Record<Statistic, number>>>;

const CONTAINERS = `container!="",container!="POD"`;

function podOwners(ns: string, window: ServerSideWindow): string {
  const seen = (selector: string) => `max_over_time(${selector}[${window.seconds}s] @ ${window.to})`;
  const replicaSetOwners = `max by (namespace, replicaset, owner_kind, owner_name) (${seen(`kube_replicaset_owner{${ns},owner_kind=~"Deployment|Rollout"}`)})`;
  const replicaSetPods = `label_replace(${seen(`kube_pod_owner{${ns},owner_kind="ReplicaSet"}`)}, "replicaset", "$1", "owner_name", "(.+)")`;
  return `max by (namespace, pod, owner_kind, owner_name) (${replicaSetPods} * on (namespace, replicaset) group_left (owner_kind, owner_name) ${replicaSetOwners} or on (namespace, pod) ${seen(`kube_pod_owner{${ns}}`)})`;
}

export function busiestReplica(namespace: string, resource: "cpu" | "memory", window: ServerSideWindow, rateRange: number): string {
  const ns = `namespace="${namespace}"`;
  const perPod =
    resource === "cpu"
      ? `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${ns},${CONTAINERS}}[${rateRange}s]))`
      : `max by (namespace, pod, container) (container_memory_working_set_bytes{${ns},${CONTAINERS}})`;
  return `max by (namespace, owner_kind, owner_name, container) (${perPod} * on (namespace, pod) group_left (owner_kind, owner_name) ${podOwners(ns, window)})`;
}

function statisticQuery(statistic: Statistic, series: string, window: ServerSideWindow): string {
  const range = `${series}[${window.seconds}s:${window.step}s]`;
  const phi = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 }[statistic as "p50"];
  if (phi !== undefined) return `quantile_over_time(${phi}, ${range})`;
  return statistic === "max" ? `max_over_time(${range})` : statistic === "mean" ? `avg_over_time(${range})` : `count_over_time(${range})`;
}

interface Answer {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

async function ask(url: string, path: string, form: Record<string, string>): Promise<Answer[]> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
  const body = (await response.json()) as { status: string; error?: string; data?: { result: Answer[] } };
  if (body.status !== "success") throw new Error(`Prometheus refused a server-side statistic: ${body.error ?? response.status}`);
  return body.data!.result;
}

const key = (metric: Record<string, string>) => `${metric.owner_kind}/${metric.owner_name}/${metric.container}`;

/** Every statistic of one resource of a namespace, one query each, as rightsize asked for them before. */
export async function serverSideStatistics(url: string, namespace: string, resource: "cpu" | "memory", window: ServerSideWindow, rateRange: number): Promise<ServerSideStatistics> {
  const series = busiestReplica(namespace, resource, window, rateRange);
  const statistics: ServerSideStatistics = new Map();
  for (const statistic of STATISTICS) {
    if (resource === "memory" && statistic === "max") continue;
    for (const { metric, value } of await ask(url, "/api/v1/query", { query: statisticQuery(statistic, series, window), time: String(window.to) })) {
      const entry = statistics.get(key(metric)) ?? {};
      entry[statistic] = Number(value![1]);
      statistics.set(key(metric), entry);
    }
  }
  return statistics;
}

/** The chart series `[time, p95, max]` per `Kind/name/container`: hourly subqueries evaluated by a range query. */
export async function serverSideChart(url: string, namespace: string, resource: "cpu" | "memory", window: ServerSideWindow, rateRange: number, bucket = 3600): Promise<Map<string, Array<[number, number, number]>>> {
  const series = busiestReplica(namespace, resource, window, rateRange);
  const range = { start: String(window.to - window.seconds + bucket), end: String(window.to), step: String(bucket) };
  const p95 = await ask(url, "/api/v1/query_range", { query: `quantile_over_time(0.95, ${series}[${bucket}s:${window.step}s])`, ...range });
  const max = await ask(url, "/api/v1/query_range", { query: `max_over_time(${series}[${bucket}s:${window.step}s])`, ...range });
  const charts = new Map<string, Array<[number, number, number]>>();
  for (const answer of p95) {
    const peaks = new Map((max.find((candidate) => key(candidate.metric) === key(answer.metric))?.values ?? []).map(([time, text]) => [time, Number(text)]));
    charts.set(
      key(answer.metric),
      answer.values!.map(([time, text]) => [time, Math.max(0, Number(text)), Math.max(0, peaks.get(time) ?? 0, Number(text))]),
    );
  }
  return charts;
}
