import { code, describeSeconds, EVIDENCE_NAMES, ExternalError, prose, RightsizeError } from "../domain/index.js";
import { isoTime, parseInstant } from "./request.js";
import { PrometheusClient, type PrometheusSourceOptions } from "./prometheus/client.js";
import { METRIC_REQUIREMENTS, requiredMetricsSelector, type MetricRequirement } from "./prometheus/metrics.js";
import { scopeMatcher } from "./prometheus/queries.js";

/**
 * `rightsize doctor` (SPEC §4): for a cluster's store, which of the metrics rightsize reads exist,
 * at what scrape interval and over how much history, what each missing one costs (the evidence
 * that becomes unknown) and the exact fix. Proposing works when every essential metric exists.
 */
export interface MetricDiagnosis {
  metric: string;
  exporter: MetricRequirement["exporter"];
  present: boolean;
  /** Series in the window (present metrics). */
  series?: number;
  /** Median scrape interval of its series over the last hour of the window, seconds. */
  scrapeIntervalSeconds?: number;
  /** The longest history of one series within the window, seconds (samples × interval). */
  historySeconds?: number;
  essential: boolean;
  /** Missing metrics: the evidence that becomes unknown, what that costs, and the fix. */
  unknown?: string[];
  cost?: string;
  fix?: string;
}

export interface ClusterDiagnosis {
  cluster: string;
  source: "prometheus" | "metrics-server" | "snapshot";
  window: { from: string; to: string };
  /** The store could not be asked (unreachable, refused): nothing else is known. */
  error?: string;
  metrics: MetricDiagnosis[];
  canPropose: boolean;
}

export interface DoctorReport {
  at: string;
  clusters: ClusterDiagnosis[];
  /** Every cluster can be proposed for: the exit status of `rightsize doctor`. */
  canPropose: boolean;
}

export interface PrometheusDoctorRequest {
  cluster: string;
  at: string;
  windowSeconds: number;
  /** Look only at these namespaces (default: every namespace of the cluster). */
  namespaces?: readonly string[];
}

const HOUR = 3600;

/** Checks a Prometheus-compatible store for the metrics rightsize reads. A store that cannot be asked is reported, not thrown. */
export async function diagnosePrometheus(options: PrometheusSourceOptions, request: PrometheusDoctorRequest): Promise<ClusterDiagnosis> {
  const to = parseInstant(request.at, "at");
  const window = { from: isoTime(to - request.windowSeconds), to: request.at };
  const client = new PrometheusClient(options);
  const matchers = [
    client.cluster ? scopeMatcher(client.cluster) : "",
    request.namespaces && request.namespaces.length > 0 ? `namespace=~"${request.namespaces.map((namespace) => namespace.replace(/[.*+?^${}()|[\]\\"]/g, "\\$&")).join("|")}"` : "",
  ]
    .filter(Boolean)
    .join(",");
  let present: Set<string>;
  try {
    present = new Set(await client.metricNames(requiredMetricsSelector(matchers), { start: to - request.windowSeconds, end: to }));
  } catch (error) {
    if (error instanceof RightsizeError) return { cluster: request.cluster, source: "prometheus", window, error: error.message, metrics: [], canPropose: false };
    throw error;
  }
  const metrics: MetricDiagnosis[] = [];
  for (const requirement of METRIC_REQUIREMENTS) {
    const base = { metric: requirement.metric, exporter: requirement.exporter, essential: requirement.essential };
    if (!present.has(requirement.metric)) {
      metrics.push({
        ...base,
        present: false,
        unknown: requirement.evidence.map((evidence) => EVIDENCE_NAMES[evidence]),
        cost: requirement.cost,
        fix: requirement.fix,
      });
      continue;
    }
    metrics.push({ ...base, present: true, ...(await measure(client, requirement.metric, matchers, to, request.windowSeconds)) });
  }
  return { cluster: request.cluster, source: "prometheus", window, metrics, canPropose: metrics.every((metric) => metric.present || !metric.essential) };
}

/** Series, scrape interval and history of one metric, in one instant query. */
async function measure(client: PrometheusClient, metric: string, matchers: string, to: number, windowSeconds: number): Promise<Pick<MetricDiagnosis, "series" | "scrapeIntervalSeconds" | "historySeconds">> {
  const selector = `${metric}{${matchers}}`;
  const tag = (fact: string, expression: string) => `label_replace(${expression}, "fact", "${fact}", "", "")`;
  const query = [
    tag("series", `count(count_over_time(${selector}[${windowSeconds}s]))`),
    tag("per_hour", `quantile(0.5, count_over_time(${selector}[${Math.min(HOUR, windowSeconds)}s]))`),
    tag("most", `max(count_over_time(${selector}[${windowSeconds}s]))`),
  ].join(" or ");
  let facts: Record<string, number>;
  try {
    const { result } = await client.query(query, to);
    facts = Object.fromEntries(result.map((sample) => [sample.metric.fact ?? "", Number(sample.value[1])]));
  } catch (error) {
    if (error instanceof RightsizeError || (error as Error).name === "QueryProblem") return {};
    throw error;
  }
  const perHour = facts.per_hour;
  const range = Math.min(HOUR, windowSeconds);
  const interval = perHour !== undefined && perHour >= 2 ? wholeInterval(range, perHour) : undefined;
  return {
    ...(facts.series !== undefined ? { series: facts.series } : {}),
    ...(interval !== undefined ? { scrapeIntervalSeconds: interval } : {}),
    ...(interval !== undefined && facts.most !== undefined ? { historySeconds: Math.min(windowSeconds, Math.round(facts.most * interval)) } : {}),
  };
}

/** As queries.ts reads the interval: the whole number of seconds among range ÷ (n − 1) and range ÷ n. */
function wholeInterval(range: number, count: number): number {
  const closed = range / (count - 1);
  const open = range / count;
  return Math.round(Number.isInteger(closed) || !Number.isInteger(open) ? closed : open);
}

export function doctorReport(at: string, clusters: ClusterDiagnosis[]): DoctorReport {
  return { at, clusters, canPropose: clusters.length > 0 && clusters.every((cluster) => cluster.canPropose) };
}

/** A cluster observed by sampling metrics-server or replayed from a snapshot: nothing to check in a store. */
export function diagnoseWithoutStore(cluster: string, source: "metrics-server" | "snapshot", at: string, error?: string): ClusterDiagnosis {
  return { cluster, source, window: { from: at, to: at }, metrics: [], canPropose: error === undefined, ...(error ? { error } : {}) };
}

/** For messages: the store failed as a whole. */
export function doctorFailure(error: unknown): string {
  if (error instanceof ExternalError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Rendering (pure): text for a terminal, markdown for an issue comment, JSON as the report itself.

function describeMetric(metric: MetricDiagnosis): string {
  if (!metric.present) return "missing";
  const parts = [
    metric.series !== undefined ? `${metric.series} series` : "",
    metric.scrapeIntervalSeconds !== undefined ? `every ${describeSeconds(metric.scrapeIntervalSeconds)}` : "",
    metric.historySeconds !== undefined ? `${describeSeconds(roundHistory(metric.historySeconds))} of history` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "present";
}

/** History to the minute (hour above a day), so it reads `6d 23h` rather than `601140s`. */
function roundHistory(seconds: number): number {
  return seconds >= 86_400 ? Math.round(seconds / HOUR) * HOUR : Math.round(seconds / 60) * 60;
}

function verdict(cluster: ClusterDiagnosis): string {
  if (cluster.error) return `cannot be checked: ${cluster.error}`;
  const missing = cluster.metrics.filter((metric) => !metric.present);
  if (cluster.source !== "prometheus") return `observed by ${cluster.source === "snapshot" ? "replaying a snapshot" : "sampling metrics-server"}: no metric store to check`;
  if (missing.length === 0) return `all ${cluster.metrics.length} metrics rightsize reads are there; proposing works`;
  const essential = missing.filter((metric) => metric.essential);
  return essential.length > 0
    ? `${missing.length} of ${cluster.metrics.length} metrics missing; proposing cannot work without ${essential.map((metric) => metric.metric).join(", ")}`
    : `${missing.length} of ${cluster.metrics.length} metrics missing; proposing works, with the evidence below unknown`;
}

export function renderDoctorText(report: DoctorReport): string {
  const lines: string[] = [];
  for (const cluster of report.clusters) {
    lines.push(`cluster ${cluster.cluster} (${cluster.source}${cluster.source === "prometheus" ? `, ${cluster.window.from} → ${cluster.window.to}` : ""}): ${verdict(cluster)}`);
    for (const metric of cluster.metrics) {
      lines.push(`  ${metric.present ? "ok     " : "MISSING"} ${metric.metric} (${metric.exporter}): ${describeMetric(metric)}`);
      if (!metric.present) {
        if (metric.unknown && metric.unknown.length > 0) lines.push(`          unknown: ${metric.unknown.join(", ")}`);
        lines.push(`          costs: ${metric.cost}`, `          fix: ${metric.fix}`);
      }
    }
  }
  lines.push(report.canPropose ? "proposing can work" : "proposing cannot work: fix what is missing above");
  return `${lines.join("\n")}\n`;
}

/**
 * Markdown for an issue comment or a step summary. Cluster names and what a store answered are
 * data: names go in code spans, verdicts (which may quote a store's error) are prose, after
 * `redact` has replaced the stores' addresses.
 */
export function renderDoctorMarkdown(report: DoctorReport, redact: (text: string) => string = (text) => text): string {
  const lines = [`### rightsize doctor`, "", report.canPropose ? "Proposing can work." : "**Proposing cannot work** until the essential metrics below are there."];
  for (const cluster of report.clusters) {
    lines.push("", `#### Cluster ${code(cluster.cluster)}`, "", prose(redact(verdict(cluster))));
    if (cluster.metrics.length === 0) continue;
    lines.push("", "| Metric | Exporter | Found | Unknown without it |", "| --- | --- | --- | --- |");
    for (const metric of cluster.metrics) {
      lines.push(`| \`${metric.metric}\` | ${metric.exporter} | ${metric.present ? describeMetric(metric) : "**missing**"} | ${metric.present ? "" : (metric.unknown ?? []).join(", ")} |`);
    }
    const missing = cluster.metrics.filter((metric) => !metric.present);
    if (missing.length > 0) {
      lines.push("", "What each missing metric costs, and the fix:", "");
      for (const metric of missing) lines.push(`- \`${metric.metric}\`: ${metric.cost}. **Fix:** ${metric.fix}.`);
    }
  }
  return lines.join("\n");
}
