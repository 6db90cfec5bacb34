import { parseQuantity, workloadKey, type ContainerObservation, type WorkloadObservation } from "../../domain/index.js";
import type { ContainerDecision, DecisionRecord } from "../../recommend/index.js";

/**
 * Mermaid `xychart-beta` charts for PR bodies and verification comments (SPEC §8). Every
 * proposal gets at least one: usage over the window when the observation has series, else the
 * per-run peaks of a Job or CronJob, else the distribution (p50 … max) — each against the
 * current and the recommended request. A container with no request runs at its limit's value
 * (Kubernetes defaults the request to the limit), which is then its current line; with neither,
 * the chart has no current line and the legend says so.
 */
const CHART_POINTS = 42;

type Resource = "cpu" | "memory";

const UNIT: Record<Resource, { name: string; scale: number }> = {
  cpu: { name: "millicores", scale: 1000 },
  memory: { name: "MiB", scale: 1 / (1024 * 1024) },
};

export function renderCharts(records: readonly DecisionRecord[], observations: readonly WorkloadObservation[]): string {
  const charts: string[] = [];
  const kinds = new Set<string>();
  let unset = false;
  for (const record of records) {
    const observation = observations.find((candidate) => workloadKey(candidate.workload) === workloadKey(record.workload));
    for (const container of record.containers.filter((candidate) => candidate.action === "change")) {
      const observed = observation?.containers.find((candidate) => candidate.name === container.name);
      for (const resource of ["cpu", "memory"] as const) {
        if (container.current.requests[resource] === container.recommended.requests[resource]) continue;
        const series = observed ? seriesChart(record, container, observed, resource) : undefined;
        const chart = series ?? runPeaksChart(record, container, resource) ?? distributionChart(record, container, resource);
        if (!chart) continue;
        charts.push(chart.text);
        kinds.add(chart.kind);
        unset ||= requestsOf(container, resource)?.current === undefined;
      }
    }
  }
  if (charts.length === 0) return "";
  const legend = [
    kinds.has("series") ? "Usage over time: two lines for p95 and max usage, then the current and the recommended request (flat)." : "",
    kinds.has("runs") ? "Per run: the bars are each run's peak; the lines are the current and the recommended request." : "",
    kinds.has("distribution") ? "Distribution: the bars are p50, p90, p95, p99 and max of usage; the lines are the current and the recommended request." : "",
    unset ? "Where a container had no request and no limit, there is no current line: its one flat line is the recommended request." : "",
  ].filter(Boolean);
  return ["#### Usage", "", ...legend, "", charts.join("\n\n")].join("\n");
}

interface Chart {
  kind: "series" | "runs" | "distribution";
  text: string;
}

function seriesChart(record: DecisionRecord, container: ContainerDecision, observed: ContainerObservation, resource: Resource): Chart | undefined {
  const points = observed.series?.[resource] ?? [];
  const requests = requestsOf(container, resource);
  if (points.length < 2 || !requests) return undefined;
  const { scale } = UNIT[resource];
  const bucketed = bucket(points, CHART_POINTS);
  const p95 = bucketed.map(([, value]) => round(value * scale));
  const max = bucketed.map(([, , value]) => round(value * scale));
  const hours = Math.round((points[points.length - 1]![0] - points[0]![0]) / 3600);
  return {
    kind: "series",
    text: xychart({
      title: `${record.workload.name}/${container.name} ${resource} (${UNIT[resource].name})`,
      xAxis: `"hours since ${new Date(points[0]![0] * 1000).toISOString().slice(0, 16)}Z" 0 --> ${hours}`,
      unit: UNIT[resource].name,
      lines: [p95, max, ...requestLines(requests, bucketed.length)],
      bars: [],
    }),
  };
}

function runPeaksChart(record: DecisionRecord, container: ContainerDecision, resource: Resource): Chart | undefined {
  const runs = (record.observation.runs?.perRunPeaks ?? []).filter((run) => run.containers[container.name] !== undefined);
  const requests = requestsOf(container, resource);
  if (runs.length === 0 || !requests) return undefined;
  const peaks = runs.map((run) => round((resource === "cpu" ? run.containers[container.name]!.cpuPeak : run.containers[container.name]!.memoryPeak) * UNIT[resource].scale));
  return {
    kind: "runs",
    text: xychart({
      title: `${record.workload.name}/${container.name} ${resource} peak per run (${UNIT[resource].name})`,
      xAxis: `[${runs.map((run) => `"${run.startedAt.slice(5, 16).replace("T", " ")}${run.succeeded ? "" : " failed"}"`).join(", ")}]`,
      unit: UNIT[resource].name,
      bars: [peaks],
      lines: requestLines(requests, peaks.length),
    }),
  };
}

function distributionChart(record: DecisionRecord, container: ContainerDecision, resource: Resource): Chart | undefined {
  const usage = container.usage[resource];
  const requests = requestsOf(container, resource);
  if (!usage || !requests) return undefined;
  const values = [usage.p50, usage.p90, usage.p95, usage.p99, usage.max].map((value) => round(value * UNIT[resource].scale));
  return {
    kind: "distribution",
    text: xychart({
      title: `${record.workload.name}/${container.name} ${resource} usage (${UNIT[resource].name})`,
      xAxis: `["p50", "p90", "p95", "p99", "max"]`,
      unit: UNIT[resource].name,
      bars: [values],
      lines: requestLines(requests, values.length),
    }),
  };
}

/** A bar chart of usage before and after a change against the old and the new request (verification comments). */
export function beforeAfterChart(title: string, resource: Resource, bars: { label: string; value: number }[], oldRequest: string | undefined, newRequest: string | undefined): string {
  const values = bars.map((bar) => round(bar.value * UNIT[resource].scale));
  const lines = [oldRequest, newRequest].filter((request): request is string => request !== undefined).map((request) => values.map(() => inUnit(request, resource)));
  return xychart({ title: `${title} (${UNIT[resource].name})`, xAxis: `[${bars.map((bar) => `"${bar.label}"`).join(", ")}]`, unit: UNIT[resource].name, bars: [values], lines });
}

function xychart(chart: { title: string; xAxis: string; unit: string; bars: number[][]; lines: number[][] }): string {
  const top = Math.max(1, Math.ceil(Math.max(...chart.bars.flat(), ...chart.lines.flat()) * 1.1));
  return [
    "```mermaid",
    "xychart-beta",
    `  title "${chart.title}"`,
    `  x-axis ${chart.xAxis}`,
    `  y-axis "${chart.unit}" 0 --> ${top}`,
    ...chart.bars.map((values) => `  bar [${values.join(", ")}]`),
    ...chart.lines.map((values) => `  line [${values.join(", ")}]`),
    "```",
  ].join("\n");
}

interface RequestLevels {
  /** What the container runs with today: its request, else its limit; undefined with neither. */
  current: number | undefined;
  recommended: number;
}

function requestsOf(container: ContainerDecision, resource: Resource): RequestLevels | undefined {
  const recommended = container.recommended.requests[resource];
  if (recommended === undefined) return undefined;
  const current = container.current.requests[resource] ?? container.current.limits[resource];
  return { current: current === undefined ? undefined : inUnit(current, resource), recommended: inUnit(recommended, resource) };
}

/** The flat lines of the current (when there is one) and the recommended request. */
function requestLines(requests: RequestLevels, points: number): number[][] {
  const flat = (value: number) => Array.from({ length: points }, () => value);
  return [...(requests.current === undefined ? [] : [flat(requests.current)]), flat(requests.recommended)];
}

function inUnit(quantity: string, resource: Resource): number {
  return round((Number(parseQuantity(quantity).nanos) / 1e9) * UNIT[resource].scale);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Downsamples to at most `count` points, keeping each bucket's highest p95 and max. */
function bucket(points: readonly (readonly [number, number, number])[], count: number): [number, number, number][] {
  const size = Math.ceil(points.length / count);
  const result: [number, number, number][] = [];
  for (let start = 0; start < points.length; start += size) {
    const slice = points.slice(start, start + size);
    result.push([slice[0]![0], Math.max(...slice.map((point) => point[1])), Math.max(...slice.map((point) => point[2]))]);
  }
  return result;
}
