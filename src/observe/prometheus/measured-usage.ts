import { ExternalError, type MeasuredUsage } from "../../domain/index.js";
import { parseWindow, requireNamespaces, type ObservationCallbacks } from "../request.js";
import { workloadKindOf } from "../workloads.js";
import { PrometheusClient, QueryProblem, type PrometheusSourceOptions, type RangeSeries } from "./client.js";
import { queryWindow, replayUsageQueries } from "./queries.js";

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
  const steps = Math.floor((to - start) / window.step) + 1;
  const usage = new Map<string, MeasuredUsage & { cpu: Array<number | null>; memory: Array<number | null> }>();
  for (const namespace of request.namespaces) {
    const before = usage.size;
    const queries = replayUsageQueries(namespace, window, client.cluster);
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
    request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: usage of ${usage.size - before} containers to replay`);
  }
  return [...usage.values()];
}
