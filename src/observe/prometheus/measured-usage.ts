import { ExternalError, type MeasuredUsage } from "../../domain/index.js";
import { parseWindow, requireNamespaces, type ObservationCallbacks } from "../request.js";
import { workloadKindOf } from "../workloads.js";
import { PrometheusClient, QueryProblem, type PrometheusSourceOptions, type RangeSeries } from "./client.js";
import { queryWindow, rateRange, type QueryWindow } from "./queries.js";

export interface UsageRequest extends ObservationCallbacks {
  cluster: string;
  namespaces: string[];
  window: { from: string; to: string };
}

/**
 * SPEC §11: the measured usage of every continuous workload container of the namespaces, step by
 * step (busiest replica, the window's query step), for `rightsize backtest` to replay a
 * recommendation against. Two range queries per namespace. Jobs and CronJobs are observed run by
 * run and are not part of it.
 */
export async function observeUsageWithPrometheus(options: PrometheusSourceOptions, request: UsageRequest): Promise<MeasuredUsage[]> {
  requireNamespaces(request.namespaces);
  const { from, to } = parseWindow(request.window);
  const client = new PrometheusClient(options);
  const window = queryWindow(to, to - from);
  const start = to - window.seconds + window.step;
  const steps = Math.round((to - start) / window.step) + 1;
  const usage = new Map<string, MeasuredUsage & { cpu: Array<number | null>; memory: Array<number | null> }>();
  for (const namespace of request.namespaces) {
    const queries = usageQueries(namespace, window);
    for (const resource of ["cpu", "memory"] as const) {
      let series: RangeSeries[];
      try {
        series = (await client.queryRange(queries[resource], { start, end: to, step: window.step })).result;
      } catch (error) {
        if (!(error instanceof QueryProblem)) throw error;
        const message = `namespace ${namespace}: cannot read ${resource} usage from Prometheus: ${error.message}`;
        if (!request.onProblem) throw new ExternalError(message, {}, { cause: error });
        request.onProblem({ cluster: request.cluster, namespace, message });
        continue;
      }
      for (const { metric, values } of series) {
        const kind = workloadKindOf(metric.owner_kind ?? "");
        if (!kind || kind === "Job" || kind === "CronJob" || !metric.owner_name || !metric.container) continue;
        const key = `${kind}/${metric.owner_name}/${metric.container}`;
        let entry = usage.get(`${namespace}/${key}`);
        if (!entry) {
          entry = {
            workload: { cluster: request.cluster, namespace, kind, name: metric.owner_name },
            container: metric.container,
            start,
            step: window.step,
            cpu: Array.from({ length: steps }, () => null),
            memory: Array.from({ length: steps }, () => null),
          };
          usage.set(`${namespace}/${key}`, entry);
        }
        for (const [time, text] of values) {
          const index = Math.round((time - start) / window.step);
          const value = Number(text);
          if (index >= 0 && index < steps && Number.isFinite(value)) entry[resource][index] = Math.max(0, value);
        }
      }
    }
    request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: usage of ${[...usage.keys()].filter((key) => key.startsWith(`${namespace}/`)).length} containers to replay`);
  }
  return [...usage.values()];
}

const CONTAINERS = `container!="",container!="POD"`;

/**
 * Range queries (at the window's step) of each workload container's busiest replica, CPU in
 * cores and memory working set in bytes: the usage `rightsize backtest` replays a
 * recommendation against (SPEC §11). The owner join is done by Prometheus here: a backtest reads
 * one window once, where observation reads many and joins in rightsize.
 */
function usageQueries(namespace: string, window: QueryWindow): { cpu: string; memory: string } {
  const ns = `namespace="${namespace.replace(/["\\]/g, "\\$&")}"`;
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
