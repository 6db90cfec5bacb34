import { ExternalError, InputError, observationQueryId, type ObservationQuery, type WorkloadObservation } from "../../domain/index.js";
import { isoTime, parseInstant, requireNamespaces, type ObservationCallbacks } from "../request.js";
import { PrometheusClient, QueryProblem, type PrometheusSourceOptions, type QueryResult } from "./client.js";
import { NamespaceObservation } from "./namespace.js";
import {
  cpuUsageQuery,
  inventoryQueries,
  lastSampleQuery,
  memoryRange,
  memoryUsageQuery,
  namespacesQuery,
  oomKillsQuery,
  queryWindow,
  rateRange,
  type QueryWindow,
} from "./queries.js";

export { PROMETHEUS_SOURCE } from "./namespace.js";

export interface PrometheusRequest extends ObservationCallbacks {
  cluster: string;
  namespaces: string[];
  window: { from: string; to: string };
}

/** What observeWithPrometheus returns: the workloads, and every query it ran by id (a snapshot's `queries`). */
export interface PrometheusObservation {
  workloads: WorkloadObservation[];
  queries: Record<string, ObservationQuery>;
}

/**
 * Observes every workload of the namespaces over the window from Prometheus history (SPEC §4):
 * cAdvisor usage, kube-state-metrics ownership, restarts, OOM kills, requests and Jobs. Per
 * namespace, a few instant queries for the facts, then the usage series split by pod batches
 * (queries.ts); the statistics are computed here.
 */
export async function observeWithPrometheus(options: PrometheusSourceOptions, request: PrometheusRequest): Promise<PrometheusObservation> {
  requireNamespaces(request.namespaces);
  const from = parseInstant(request.window.from, "window.from");
  const to = parseInstant(request.window.to, "window.to");
  if (!(from < to)) throw new InputError(`window: from (${request.window.from}) must be before to (${request.window.to})`, { field: "window" });
  const client = new PrometheusClient(options);
  const window = queryWindow(to, to - from);
  const log = new QueryLog();
  const slots = new QuerySlots(CONCURRENT_QUERIES);
  const observed: WorkloadObservation[][] = [];
  let next = 0;
  let failed = false;
  // Namespaces overlap (one's facts while another's usage is read); the queries share the slots.
  const worker = async () => {
    while (next < request.namespaces.length && !failed) {
      const index = next++;
      const namespace = request.namespaces[index]!;
      const started = Date.now();
      try {
        observed[index] = await observeNamespace(client, slots, request, namespace, window, log);
      } catch (error) {
        failed = true;
        throw error;
      }
      const count = observed[index].length;
      request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: ${count} workload${count === 1 ? "" : "s"} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(NAMESPACES_IN_FLIGHT, request.namespaces.length) }, worker));
  return { workloads: observed.flat(), queries: log.queries };
}

/** Every query sent, by id, with when it was evaluated. */
class QueryLog {
  readonly queries: Record<string, ObservationQuery> = {};

  instant(promql: string, at: number): string {
    return this.add({ promql, at: isoTime(at) });
  }

  range(promql: string, range: { start: number; end: number; step: number }): string {
    return this.add({ promql, range: { start: isoTime(range.start), end: isoTime(range.end), step: range.step } });
  }

  private add(query: ObservationQuery): string {
    const id = observationQueryId(query);
    this.queries[id] = query;
    return id;
  }
}

interface Outcome<T> {
  value?: T;
  problem?: string;
}

/**
 * Queries in flight at once: Prometheus evaluates a query on one core, and rightsize parses each
 * answer while the next ones are evaluated; more would only raise Prometheus' peak memory.
 */
const CONCURRENT_QUERIES = Number(process.env.RS_CONC ?? 3);
/** Namespaces observed at once; each holds its usage grids until it is built. */
const NAMESPACES_IN_FLIGHT = Number(process.env.RS_NS ?? 2);
/**
 * Points per usage query, and pods per query (the pod matcher's length): bounds the memory of
 * one answer, on Prometheus' side and here, whatever the size of the namespace.
 */
const MAX_POINTS_PER_QUERY = Number(process.env.RS_POINTS ?? 200_000);
const MAX_PODS_PER_QUERY = 400;

/** At most `size` queries in flight; after a failure of the source as a whole, no further query starts. */
class QuerySlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  private failure: { error: unknown } | undefined;

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(query: () => Promise<T>): Promise<Outcome<T>> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      if (this.failure) throw this.failure.error;
      return await attempt(query());
    } catch (error) {
      this.failure ??= { error };
      throw error;
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

async function observeNamespace(client: PrometheusClient, slots: QuerySlots, request: PrometheusRequest, namespace: string, window: QueryWindow, log: QueryLog): Promise<WorkloadObservation[]> {
  const inventory = inventoryQueries(namespace, window);
  const builder = new NamespaceObservation(request.cluster, namespace, window);
  const instant = (promql: string) => {
    builder.usedByAll(log.instant(promql, window.to));
    return slots.run(() => client.query(promql, window.to));
  };

  // 1. The cheap facts: owners (without them no workload is known), containers, Jobs and HPAs.
  const factQueries: Array<[string, string, (result: QueryResult<never>) => void]> = [
    ["workloads", inventory.owners, (result) => builder.addOwners(result.result)],
    ["restarts, peaks, throttling and current requests", inventory.containers, (result) => builder.addContainerFacts(result.result)],
    ["Job runs", inventory.jobs, (result) => builder.addJobs(result.result)],
    ["HPAs", inventory.hpas, (result) => builder.addHpas(result.result)],
  ];
  // Owners alone first: a source that fails as a whole fails on one query, not on four.
  const owners = await instant(inventory.owners);
  if (!owners.value) {
    const message = `namespace ${namespace}: cannot list workloads from Prometheus: ${owners.problem}`;
    if (!request.onProblem) throw new ExternalError(message);
    request.onProblem({ cluster: request.cluster, namespace, message });
    return [];
  }
  const outcomes = [owners, ...(await Promise.all(factQueries.slice(1).map(([, promql]) => instant(promql))))];
  for (const [index, [what, , add]] of factQueries.entries()) {
    const outcome = outcomes[index]!;
    if (outcome.value) add(outcome.value as QueryResult<never>);
    if (outcome.problem) builder.problem(`${what} unavailable: ${outcome.problem}`);
    for (const warning of new Set(outcome.value?.warnings ?? [])) builder.problem(`Prometheus warned about ${what} (partial data): ${warning}`);
  }

  // 2. Usage by pod batches, and only where the facts call for them, OOM kills and Job ends.
  const interval = builder.scrapeInterval();
  const cpuRange = rateRange(window, interval);
  builder.rateRangeSeconds = cpuRange;
  const tasks: Array<() => Promise<void>> = [];
  const grid = { start: window.start, end: window.to, step: window.step };
  for (const pods of podBatches(builder.usagePods())) {
    for (const resource of ["cpu", "memory"] as const) {
      const promql = resource === "cpu" ? cpuUsageQuery(namespace, pods, cpuRange) : memoryUsageQuery(namespace, pods, memoryRange(interval));
      builder.usedBy(pods, log.range(promql, grid));
      const what = `${resource === "cpu" ? "CPU" : "memory"} statistics`;
      tasks.push(async () => {
        const outcome = await slots.run(() => client.queryRange(promql, grid));
        if (outcome.value) builder.addUsage(resource, outcome.value.result);
        report(builder, pods, what, outcome, resource);
      });
    }
  }
  for (const pods of chunks(builder.restartedPods(), MAX_PODS_PER_QUERY)) {
    const promql = oomKillsQuery(namespace, pods, window);
    // Steps of the window's end, as rate() and offset tile it back from there.
    const range = { start: window.to - window.seconds + window.step, end: window.to, step: window.step };
    builder.usedBy(pods, log.range(promql, range));
    tasks.push(async () => {
      const outcome = await slots.run(() => client.queryRange(promql, range));
      if (outcome.value) builder.addOomKills(outcome.value.result);
      report(builder, pods, "OOM kills", outcome);
    });
  }
  for (const pods of chunks(builder.podsNeedingLastSample(), MAX_PODS_PER_QUERY)) {
    const promql = lastSampleQuery(namespace, pods, window);
    builder.usedBy(pods, log.instant(promql, window.to));
    tasks.push(async () => {
      const outcome = await slots.run(() => client.query(promql, window.to));
      if (outcome.value) builder.addLastSamples(outcome.value.result);
      report(builder, pods, "Job runs", outcome);
    });
  }
  await Promise.all(tasks.map((task) => task()));

  const observations = builder.build();
  for (const message of builder.namespaceProblems()) {
    if (request.onProblem) request.onProblem({ cluster: request.cluster, namespace, message });
    else request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: ${message}`);
  }
  return observations;
}

function report(builder: NamespaceObservation, pods: readonly string[], what: string, outcome: Outcome<QueryResult<unknown>>, resource?: "cpu" | "memory"): void {
  if (outcome.problem) builder.problemOf(pods, `${what} unavailable: ${outcome.problem}`, resource);
  for (const warning of new Set(outcome.value?.warnings ?? [])) builder.problemOf(pods, `Prometheus warned about ${what} (partial data): ${warning}`);
}

/** Pods in order, cut where a batch would exceed the points or pods a query may return. */
function podBatches(pods: Array<{ pod: string; points: number }>): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let points = 0;
  for (const { pod, points: podPoints } of pods) {
    if (batch.length > 0 && (points + podPoints > MAX_POINTS_PER_QUERY || batch.length >= MAX_PODS_PER_QUERY)) {
      batches.push(batch);
      batch = [];
      points = 0;
    }
    batch.push(pod);
    points += podPoints;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

async function attempt<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await promise };
  } catch (error) {
    if (error instanceof QueryProblem) return { problem: error.message };
    throw error;
  }
}

/** Namespaces that had pods in the window, for a policy that does not list any. */
export async function discoverPrometheusNamespaces(options: PrometheusSourceOptions, window: { from: string; to: string }): Promise<string[]> {
  const from = parseInstant(window.from, "window.from");
  const to = parseInstant(window.to, "window.to");
  const client = new PrometheusClient(options);
  const { result } = await client.query(namespacesQuery(queryWindow(to, to - from)), to);
  return result.flatMap((sample) => (sample.metric.namespace ? [sample.metric.namespace] : [])).sort();
}
