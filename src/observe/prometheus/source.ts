import { ExternalError, InputError, observationQueryId, type ObservationQuery, type WorkloadObservation } from "../../domain/index.js";
import { isoTime, parseWindow, requireNamespaces, type ObservationCallbacks } from "../request.js";
import { PrometheusClient, QueryProblem, type PrometheusSourceOptions, type QueryResult } from "./client.js";
import { requiredMetricsSelector } from "./metrics.js";
import { NamespaceObservation } from "./namespace.js";
import {
  cpuUsageQuery,
  lastSampleQuery,
  memoryRange,
  memoryUsageQuery,
  namespaceMatcher,
  namespaceQueries,
  namespacesQuery,
  oomKillsQuery,
  podFactsQuery,
  podHistoryQuery,
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
  const { from, to } = parseWindow(request.window);
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
const CONCURRENT_QUERIES = 3;
/** Namespaces observed at once; each holds its usage grids until it is built. */
const NAMESPACES_IN_FLIGHT = 2;
/**
 * Pods per batch, and points per usage query (a batch's usage is split further when its pods have
 * many containers): what one query holds in memory, on Prometheus' side and here, stays the same
 * however large the namespace.
 */
const PODS_PER_BATCH = 20;
const MAX_POINTS_PER_QUERY = 50_000;
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
  const scope = client.cluster;
  const queries = namespaceQueries(namespace, window, scope);
  const builder = new NamespaceObservation(request.cluster, namespace, window);
  const instant = (promql: string) => slots.run(() => client.query(promql, window.to));
  const grid = { start: window.start, end: window.to, step: window.step };
  const fit = (pods: string[], build: (pods: string[]) => string) => fitQueryLength(pods, build, client.maxQueryLength);

  // 1. Owners alone first: without them no workload is known, and a source that fails as a
  //    whole fails on one query. With them, which of the metrics rightsize reads exist here:
  //    evidence whose metric is missing is unknown, never zero (SPEC §4).
  builder.usedByAll(log.instant(queries.owners, window.to));
  const owners = await instant(queries.owners);
  const present = !owners.value
    ? {}
    : await slots.run(() =>
      client.metricNames(requiredMetricsSelector(namespaceMatcher(namespace, scope)), { start: window.to - window.seconds, end: window.to }).catch((error: unknown) => {
        // A store without the metric-names API still observes; only per-container absences are then seen.
        if (error instanceof ExternalError) return { failed: error.message };
        throw error;
      }),
    );
  if (Array.isArray(present.value)) builder.presentMetrics(present.value);
  else if (owners.value) {
    const why = present.value?.failed ?? present.problem;
    request.onProblem?.({ cluster: request.cluster, namespace, message: `cannot list which metrics exist (${why}); only metrics missing for single containers are marked unknown` });
  }
  if (!owners.value) {
    const message = `namespace ${namespace}: cannot list workloads from Prometheus: ${owners.problem}`;
    if (!request.onProblem) throw new ExternalError(message);
    request.onProblem({ cluster: request.cluster, namespace, message });
    return [];
  }
  builder.addOwners(owners.value.result);
  // A partial answer (a Thanos store or Mimir ingester that did not answer) may lack workloads or owners.
  for (const warning of new Set(owners.value.warnings)) builder.problem(`Prometheus warned about pod owners (partial data): ${warning}`);

  // 2. Jobs and HPAs of the namespace; and per batch of pods, the facts of its containers, then
  //    their usage (the CPU rate over four scrape intervals measured for the batch), then the OOM
  //    kills of those that restarted.
  const namespaceFacts: Array<[string, string, (result: QueryResult<never>) => void]> = [
    ["Job runs", queries.jobs, (result) => builder.addJobs(result.result)],
    ["HPAs", queries.hpas, (result) => builder.addHpas(result.result)],
  ];
  for (const [, promql] of namespaceFacts) builder.usedByAll(log.instant(promql, window.to));
  const batch = async (pods: string[], index: number) => {
    let step = 0;
    const order = () => (index + 1) * 1000 + step++;
    const factsQuery = podFactsQuery(namespace, pods, window, builder.hasJobPods(pods), scope);
    const factsOrder = order();
    builder.usedBy(pods, log.instant(factsQuery, window.to), factsOrder);
    const facts = await instant(factsQuery);
    const interval = facts.value ? builder.addPodFacts(pods, facts.value.result) : undefined;
    report(builder, pods, "restarts, peaks, throttling and current requests", facts, factsOrder);
    const cpuRange = rateRange(window, interval);
    builder.readCpuWith(pods, interval, cpuRange);
    const reads: Array<Promise<void>> = [];
    for (const usagePods of byPoints(builder.usagePods(pods, interval))) {
      for (const resource of ["cpu", "memory"] as const) {
        const promql = resource === "cpu" ? cpuUsageQuery(namespace, usagePods, cpuRange, scope) : memoryUsageQuery(namespace, usagePods, memoryRange(interval), scope);
        const position = order();
        builder.usedBy(usagePods, log.range(promql, grid), position);
        reads.push(
          slots.run(() => client.queryRange(promql, grid)).then((outcome) => {
            if (outcome.value) builder.addUsage(resource, outcome.value.result);
            report(builder, usagePods, `${resource === "cpu" ? "CPU" : "memory"} statistics`, outcome, position, [resource]);
          }),
        );
      }
    }
    // Pods that did not span the window, or restarted, have their counters read over all of it.
    const history = facts.value ? builder.podsNeedingHistory(pods) : [];
    if (history.length > 0) {
      const promql = podHistoryQuery(namespace, history, window, scope);
      const position = order();
      builder.usedBy(history, log.instant(promql, window.to), position);
      const outcome = await instant(promql);
      if (outcome.value) builder.addPodHistory(history, outcome.value.result);
      report(builder, history, "restarts, peaks, throttling and current requests", outcome, position);
    }
    const restarted = builder.restartedPods(pods);
    if (restarted.length > 0) {
      const promql = oomKillsQuery(namespace, restarted, window, scope);
      // Steps back from the window's end, as `offset` tiles it.
      const range = { start: window.to - window.seconds + window.step, end: window.to, step: window.step };
      const position = order();
      builder.usedBy(restarted, log.range(promql, range), position);
      reads.push(
        slots.run(() => client.queryRange(promql, range)).then((outcome) => {
          if (outcome.value) builder.addOomKills(outcome.value.result);
          report(builder, restarted, "OOM kills", outcome, position);
        }),
      );
    }
    await Promise.all(reads);
  };
  // A batch whose facts query would be longer than the store accepts is cut further; the facts
  // query names its pods most often, so every later query of a batch's pods is shorter.
  const batches = builder.podBatches(PODS_PER_BATCH).flatMap((pods) => fit(pods, (part) => podFactsQuery(namespace, part, window, builder.hasJobPods(part), scope)));
  const [factOutcomes] = await Promise.all([Promise.all(namespaceFacts.map(([, promql]) => instant(promql))), ...batches.map(batch)]);
  for (const [index, [what, , add]] of namespaceFacts.entries()) {
    const outcome = factOutcomes[index]!;
    if (outcome.value) add(outcome.value as QueryResult<never>);
    if (outcome.problem) builder.problem(`${what} unavailable: ${outcome.problem}`);
    for (const warning of new Set(outcome.value?.warnings ?? [])) builder.problem(`Prometheus warned about ${what} (partial data): ${warning}`);
  }

  // 3. Jobs that succeeded without a completion time end at their pods' last sample.
  const lastSampleBatches = chunks(builder.podsNeedingLastSample(), MAX_PODS_PER_QUERY).flatMap((pods) => fit(pods, (part) => lastSampleQuery(namespace, part, window, scope)));
  for (const [index, pods] of lastSampleBatches.entries()) {
    const promql = lastSampleQuery(namespace, pods, window, scope);
    const position = 1_000_000 + index;
    builder.usedBy(pods, log.instant(promql, window.to), position);
    const outcome = await instant(promql);
    if (outcome.value) builder.addLastSamples(outcome.value.result);
    report(builder, pods, "Job runs", outcome, position);
  }

  const observations = builder.build();
  for (const message of builder.namespaceProblems()) {
    if (request.onProblem) request.onProblem({ cluster: request.cluster, namespace, message });
    else request.onProgress?.(`prometheus: ${request.cluster}/${namespace}: ${message}`);
  }
  return observations;
}

function report(builder: NamespaceObservation, pods: readonly string[], what: string, outcome: Outcome<QueryResult<unknown>>, order: number, resources: ReadonlyArray<"cpu" | "memory"> = []): void {
  if (outcome.problem) builder.problemOf(pods, `${what} unavailable: ${outcome.problem}`, order, resources);
  for (const warning of new Set(outcome.value?.warnings ?? [])) builder.problemOf(pods, `Prometheus warned about ${what} (partial data): ${warning}`, order);
}

/** Pods in order, cut where a usage query would exceed the points or pods it may return. */
function byPoints(pods: Array<{ pod: string; points: number }>): string[][] {
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

/**
 * The pods cut into runs whose query is at most `maxLength` characters (halving a run until it
 * fits); a single pod whose query is still too long is an error naming the setting to raise.
 */
export function fitQueryLength(pods: string[], build: (pods: string[]) => string, maxLength: number): string[][] {
  if (pods.length === 0) return [];
  const length = build(pods).length;
  if (length <= maxLength) return [pods];
  if (pods.length === 1) {
    throw new InputError(
      `the query for pod ${pods[0]} alone is ${length} characters, longer than the maximum query length ${maxLength} (prometheus.maxQueryLength, --max-query-length); raise it to what the store accepts`,
      { field: "prometheus.maxQueryLength" },
    );
  }
  const half = Math.ceil(pods.length / 2);
  return [...fitQueryLength(pods.slice(0, half), build, maxLength), ...fitQueryLength(pods.slice(half), build, maxLength)];
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
  const { from, to } = parseWindow(window);
  const client = new PrometheusClient(options);
  const { result } = await client.query(namespacesQuery(queryWindow(to, to - from), client.cluster), to);
  return result.flatMap((sample) => (sample.metric.namespace ? [sample.metric.namespace] : [])).sort();
}
