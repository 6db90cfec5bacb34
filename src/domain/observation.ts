import { createHash } from "node:crypto";
import { z } from "zod";
import { isQuantity } from "./quantity.js";
import { WORKLOAD_KINDS } from "./workload.js";

/**
 * The observation snapshot: what `src/observe` produces and `src/recommend` consumes (SPEC §4).
 * It is a public file format (`rightsize snapshot` writes it; tests and the demo replay it), so
 * this zod schema is its only definition; `schemas/observation.schema.json` is generated from it.
 * Objects are loose: unknown fields are kept and ignored, so older readers accept newer files.
 */

/** An ISO 8601 time with a zone (`2026-11-23T06:00:00Z`): every time in rightsize's files. */
export const IsoTimeSchema = z.iso.datetime({ offset: true });

/**
 * z.looseObject with its members registered in sorted order, so parsed observations have sorted
 * keys. The decision record's inputsDigest hashes the canonical (sorted-key) JSON of each
 * observation, and a tree that is already sorted serialises natively instead of member by
 * member: that was a third of `rightsize recommend`. Declarations below keep their natural order.
 */
function sortedObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const sorted = Object.fromEntries(Object.keys(shape).sort().map((key) => [key, shape[key]])) as Shape;
  return z.looseObject(sorted);
}

const quantityText = z.string().refine(isQuantity, { message: 'expected a Kubernetes quantity such as "250m", "0.5", "512Mi"' });

const resourceQuantities = sortedObject({
  cpu: quantityText.optional(),
  memory: quantityText.optional(),
});

/**
 * Upper bounds of a plausible measurement of one container. No node has more (the largest offer
 * about 2,000 CPUs and 32Ti of memory), so a larger number is a broken metric or a corrupt file,
 * not a reason to ask for 262144Mi at HIGH confidence; it also keeps every number far from the
 * range where exact quantity arithmetic would fail.
 */
export const PLAUSIBLE_USAGE = { cpu: 10_000, memory: 64 * 2 ** 40 } as const;

const PLAUSIBLE_TEXT = { cpu: "10000 cores", memory: "64Ti" } as const;

/**
 * A measured amount. The upper bound is checked by checkWorkloadConsistency, one loop over a
 * workload's numbers, which is several times cheaper than a zod check on each of the hundreds
 * of thousands of numbers of a large snapshot; the published schema states it all the same.
 */
function plausibleUsage(resource: "cpu" | "memory") {
  return z.number().nonnegative().meta({ maximum: PLAUSIBLE_USAGE[resource] });
}

function implausible(resource: "cpu" | "memory", value: number): string {
  return `${String(value)} ${resource === "cpu" ? "cores" : "bytes"} is more than any node has (at most ${PLAUSIBLE_TEXT[resource]} per container); the metric is broken — fix the source or drop this container from the snapshot`;
}

function usageStatisticsOf(resource: "cpu" | "memory") {
  const amount = plausibleUsage(resource);
  return sortedObject({
    p50: amount,
    p90: amount,
    p95: amount,
    p99: amount,
    max: amount,
    mean: amount,
    samples: z.number().int().nonnegative(),
  }).refine((s) => s.p50 <= s.p90 && s.p90 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max, {
    message: "percentiles must be ordered p50 ≤ p90 ≤ p95 ≤ p99 ≤ max",
  });
}

/** CPU usage statistics in cores. */
export const UsageStatisticsSchema = usageStatisticsOf("cpu");
const MemoryStatisticsSchema = usageStatisticsOf("memory");

type SeriesPoint = [time: number, p95: number, max: number];

const SERIES_POINTS_JSON_SCHEMA = publishedFragment(z.array(z.tuple([z.number(), z.number().nonnegative(), z.number().nonnegative()])));

/**
 * `[[time, p95, max], …]`. Series run to hundreds of points per container and resource and only
 * feed the PR charts, so they are checked in one pass rather than as a zod tuple per point (which
 * took seconds on a snapshot of 10,000 containers); the published schema is the tuple's.
 */
const seriesPoints = z
  .custom<SeriesPoint[]>((value) => seriesProblem(value) === undefined, { error: (issue) => seriesProblem(issue.input) })
  .meta(SERIES_POINTS_JSON_SCHEMA);

export function seriesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return "expected a list of [time, p95, max] points";
  for (let index = 0; index < value.length; index++) {
    const point: unknown = value[index];
    const valid =
      Array.isArray(point) &&
      point.length === 3 &&
      Number.isFinite(point[0]) &&
      Number.isFinite(point[1]) &&
      Number.isFinite(point[2]) &&
      point[1] >= 0 &&
      point[2] >= 0;
    if (!valid) return `point ${index} is ${JSON.stringify(point)}; expected [time, p95, max] with numbers and p95, max ≥ 0`;
  }
  return undefined;
}

function publishedFragment(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...fragment } = z.toJSONSchema(schema, { io: "input" });
  return fragment;
}

/**
 * SPEC §4 "missing evidence is never health": the evidence a source can lack, each named by what
 * it means. A container's evidence that is listed in its `unknown` was not measured (the source
 * lacked the metric named there); its number in the observation (0 restarts, no OOM kill, 0%
 * throttled) then means nothing and is never read as health.
 */
export const CONTAINER_EVIDENCE = ["cpu", "memory", "oomKills", "restarts", "throttling", "requests"] as const;
export type ContainerEvidence = (typeof CONTAINER_EVIDENCE)[number];
/** Evidence of a whole workload: who owns its pods (Deployment over ReplicaSet, CronJob over Job) and when its Jobs ran. */
export const WORKLOAD_EVIDENCE = ["owners", "jobTiming"] as const;
export type WorkloadEvidence = (typeof WORKLOAD_EVIDENCE)[number];

/** Evidence → the metric (or metrics) whose absence left it unknown. */
const unknownEvidence = <Keys extends readonly [string, ...string[]]>(keys: Keys) =>
  sortedObject(Object.fromEntries(keys.map((key) => [key, z.string().min(1).optional()])) as { [Key in Keys[number]]: z.ZodOptional<z.ZodString> });

export const ContainerObservationSchema = sortedObject({
  name: z.string().min(1),
  current: sortedObject({ requests: resourceQuantities.default({}), limits: resourceQuantities.default({}) }).optional(),
  /** CPU usage in cores. Absent when the source had no CPU metrics for this container. */
  cpu: UsageStatisticsSchema.optional(),
  /** Memory working set in bytes. */
  memory: MemoryStatisticsSchema.optional(),
  oomKills: z.array(sortedObject({ at: IsoTimeSchema, pod: z.string() })).default([]),
  restarts: z.number().int().nonnegative().default(0),
  throttledRatio: z.number().min(0).max(1).default(0),
  /** Version 3: evidence that was not measured, with the missing metric; absent when everything was. */
  unknown: unknownEvidence(CONTAINER_EVIDENCE).optional(),
  series: sortedObject({
    step: z.string(),
    cpu: seriesPoints.default([]),
    memory: seriesPoints.default([]),
  }).optional(),
});

export const JobRunSchema = sortedObject({
  run: z.string().min(1),
  startedAt: IsoTimeSchema,
  durationSeconds: z.number().nonnegative(),
  exitCode: z.number().int().nullable(),
  succeeded: z.boolean(),
  containers: z.record(z.string(), sortedObject({ cpuPeak: plausibleUsage("cpu"), memoryPeak: plausibleUsage("memory") })),
});

export const WorkloadObservationSchema = sortedObject({
  workload: sortedObject({
    cluster: z.string().min(1),
    namespace: z.string().min(1),
    kind: z.enum(WORKLOAD_KINDS),
    name: z.string().min(1),
  }),
  source: z.string().min(1),
  mode: z.enum(["continuous", "run-based"]),
  window: sortedObject({ from: IsoTimeSchema, to: IsoTimeSchema }),
  pods: z.number().int().nonnegative(),
  coverage: z.number().min(0).max(1),
  /**
   * What the observation rests on. Version 2: ids of the snapshot's `queries` (the PromQL text is
   * stored once per snapshot, not once per workload); version 1: the PromQL text itself.
   */
  queries: z.array(z.string()).default([]),
  containers: z.array(ContainerObservationSchema),
  runs: z.array(JobRunSchema).optional(),
  hpa: sortedObject({ name: z.string().optional(), metrics: z.array(z.string()) }).optional(),
  /** Why the source could not observe (part of) this workload: 403, 404, timeouts. */
  problems: z.array(z.string()).default([]),
  /** Version 3: workload evidence that was not measured, with the missing metric. */
  unknown: unknownEvidence(WORKLOAD_EVIDENCE).optional(),
}).superRefine(checkWorkloadConsistency);

/**
 * One query a source ran: the PromQL text and when it was evaluated, so a reviewer can run it
 * again. An instant query has `at`; a range query has `range` (step in seconds). Snapshots
 * upgraded from version 1 know only the text.
 */
export const ObservationQuerySchema = sortedObject({
  promql: z.string().min(1),
  at: IsoTimeSchema.optional(),
  range: sortedObject({ start: IsoTimeSchema, end: IsoTimeSchema, step: z.number().positive() }).optional(),
});

/**
 * The version `rightsize snapshot` writes. Version 3 marks evidence the source could not measure
 * (`unknown`); versions 1 (query text on every workload) and 2 are still read, and their evidence
 * is taken as measured, which is all they could say.
 */
export const SNAPSHOT_SCHEMA_VERSION = 3;

export const ObservationSnapshotSchema = sortedObject({
  schemaVersion: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  kind: z.literal("ObservationSnapshot"),
  createdAt: IsoTimeSchema,
  /** Version 2: every query the sources ran, by id (observationQueryId); workloads list the ids they rest on. */
  queries: z.record(z.string(), ObservationQuerySchema).optional(),
  workloads: z.array(WorkloadObservationSchema),
  /**
   * What a source could not observe, or observed only in part, beyond one workload: a namespace it
   * could not list (no workload is known there), metrics it had to do without, containers left
   * without statistics and why.
   */
  problems: z.array(sortedObject({ cluster: z.string().min(1), namespace: z.string().optional(), message: z.string().min(1) })).optional(),
}).superRefine((snapshot, context) => {
  checkUniqueWorkloads(snapshot, context);
  checkQueryReferences(snapshot, context);
});

/**
 * Sources that read OOM kills from container statuses: the last termination of a container,
 * however long before the sampling window it was (README "Observing"). Every other source
 * reports only what happened inside its window.
 */
export const CONTAINER_STATUS_SOURCES: ReadonlySet<string> = new Set(["kubernetes-api", "metrics-server"]);

type Statistics = Readonly<Record<(typeof STATISTICS)[number], number>>;

interface ConsistencyInput {
  source: string;
  window: { from: string; to: string };
  containers: ReadonlyArray<{
    name: string;
    oomKills: ReadonlyArray<{ at: string }>;
    cpu?: Statistics | undefined;
    memory?: Statistics | undefined;
    series?: { step: string; cpu: readonly SeriesPoint[]; memory: readonly SeriesPoint[] } | undefined;
  }>;
  runs?: ReadonlyArray<{ run: string; startedAt: string; durationSeconds: number; containers: Readonly<Record<string, { cpuPeak: number; memoryPeak: number }>> }> | undefined;
}

// In the order zod reports the members (sorted), so the issues read the same as the schema's own.
const STATISTICS = ["max", "mean", "p50", "p90", "p95", "p99"] as const;

/**
 * What a field-by-field schema cannot see: a window that ends before it starts, evidence dated
 * outside the window, and a container or run listed twice (the second would silently win); and
 * usage no node could have (PLAUSIBLE_USAGE).
 */
export function checkWorkloadConsistency(observation: ConsistencyInput, context: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => context.addIssue({ code: "custom", path, message, input: undefined });
  observation.containers.forEach((container, index) => {
    for (const resource of ["cpu", "memory"] as const) {
      const statistics = container[resource];
      if (statistics === undefined) continue;
      for (const name of STATISTICS) {
        if (statistics[name] > PLAUSIBLE_USAGE[resource]) issue(["containers", index, resource, name], implausible(resource, statistics[name]));
      }
    }
  });
  observation.runs?.forEach((run, index) => {
    for (const name in run.containers) {
      const peak = run.containers[name]!;
      if (peak.cpuPeak > PLAUSIBLE_USAGE.cpu) issue(["runs", index, "containers", name, "cpuPeak"], implausible("cpu", peak.cpuPeak));
      if (peak.memoryPeak > PLAUSIBLE_USAGE.memory) issue(["runs", index, "containers", name, "memoryPeak"], implausible("memory", peak.memoryPeak));
    }
  });
  const { from: fromText, to: toText } = observation.window;
  const from = Date.parse(fromText);
  const to = Date.parse(toText);
  if (from > to) {
    issue(["window"], `from ${fromText} is after to ${toText}; a window starts before it ends`);
    return;
  }
  const killsBeforeWindow = CONTAINER_STATUS_SOURCES.has(observation.source);
  const containers = new Map<string, number>();
  observation.containers.forEach((container, index) => {
    const first = containers.get(container.name);
    if (first === undefined) containers.set(container.name, index);
    else issue(["containers", index, "name"], `"${container.name}" is also containers[${first}]; list each container once`);
    container.oomKills.forEach((kill, killIndex) => {
      const at = Date.parse(kill.at);
      if (at > to) issue(["containers", index, "oomKills", killIndex], `${kill.at} is after window.to ${toText}`);
      else if (at < from && !killsBeforeWindow) issue(["containers", index, "oomKills", killIndex], `${kill.at} is before window.from ${fromText}`);
    });
    // The series is evidence too (trends and step changes are read from it, SPEC §5). A point is
    // stamped with the end of its bucket, so the last one may lie up to a step after window.to.
    const step = seriesStepMilliseconds(container.series?.step);
    for (const resource of ["cpu", "memory"] as const) {
      const points = container.series?.[resource] ?? [];
      const outside = points.findIndex((point) => point[0] * 1000 < from || point[0] * 1000 >= to + step);
      if (outside >= 0) {
        const time = new Date(points[outside]![0] * 1000).toISOString();
        issue(["containers", index, "series", resource, outside], `${time} is outside the window ${fromText} → ${toText}`);
      }
    }
  });
  const runs = new Map<string, number>();
  observation.runs?.forEach((run, index) => {
    const first = runs.get(run.run);
    if (first === undefined) runs.set(run.run, index);
    else issue(["runs", index, "run"], `"${run.run}" is also runs[${first}]; list each run once`);
    const started = Date.parse(run.startedAt);
    if (started > to) issue(["runs", index, "startedAt"], `${run.startedAt} is after window.to ${toText}`);
    else if (started + run.durationSeconds * 1000 < from) {
      issue(["runs", index], `the run ended (startedAt + durationSeconds) before window.from ${fromText}`);
    }
  });
}

const SERIES_STEP_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h`, `2h`, `1m`: the series' bucket length (an hour when it says nothing readable). */
function seriesStepMilliseconds(step: string | undefined): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(step ?? "");
  return match ? Number(match[1]) * SERIES_STEP_UNITS[match[2]!]! : 3_600_000;
}

export function checkUniqueWorkloads(snapshot: { workloads: ReadonlyArray<{ workload: { cluster: string; namespace: string; kind: string; name: string } }> }, context: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  snapshot.workloads.forEach(({ workload }, index) => {
    const key = `${workload.cluster}/${workload.namespace}/${workload.kind}/${workload.name}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else context.addIssue({ code: "custom", path: ["workloads", index, "workload"], message: `${key} is also workloads[${first}]; list each workload once`, input: undefined });
  });
}

/** From version 2 on, a workload's query ids must name queries of the snapshot. */
export function checkQueryReferences(snapshot: { schemaVersion: number; queries?: Readonly<Record<string, unknown>> | undefined; workloads: ReadonlyArray<{ queries: readonly string[] }> }, context: z.RefinementCtx): void {
  if (snapshot.schemaVersion < 2) return;
  const known = snapshot.queries ?? {};
  snapshot.workloads.forEach((workload, index) => {
    workload.queries.forEach((id, queryIndex) => {
      if (!Object.hasOwn(known, id)) {
        const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
        context.addIssue({ code: "custom", path: ["workloads", index, "queries", queryIndex], message: `"${shown}" is not a key of the snapshot's queries; version 2 lists each query once there and workloads refer to it by id`, input: undefined });
      }
    });
  });
}

/** The id of a query: the first 16 hex digits of the SHA-256 of its canonical JSON, the same in every snapshot that ran it. */
export function observationQueryId(query: ObservationQuery): string {
  const canonical = JSON.stringify({
    ...(query.at !== undefined ? { at: query.at } : {}),
    promql: query.promql,
    ...(query.range ? { range: { end: query.range.end, start: query.range.start, step: query.range.step } } : {}),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/**
 * An older snapshot as the current version. Version 1: the query texts of its workloads move to
 * the snapshot's `queries` and the workloads refer to them by id. Versions 1 and 2 have no
 * `unknown`: their evidence stays as it was recorded. A current snapshot is returned as it is.
 */
export function upgradeObservationSnapshot(snapshot: ObservationSnapshot): ObservationSnapshot {
  if (snapshot.schemaVersion === SNAPSHOT_SCHEMA_VERSION) return snapshot;
  if (snapshot.schemaVersion === 2) return { ...snapshot, schemaVersion: SNAPSHOT_SCHEMA_VERSION };
  const queries: Record<string, ObservationQuery> = {};
  const workloads = snapshot.workloads.map((workload) => {
    const ids = workload.queries.map((promql) => {
      const query = { promql };
      const id = observationQueryId(query);
      queries[id] = query;
      return id;
    });
    return { ...workload, queries: ids };
  });
  return { ...snapshot, schemaVersion: SNAPSHOT_SCHEMA_VERSION, queries, workloads };
}

export type UsageStatistics = z.infer<typeof UsageStatisticsSchema>;
export type ObservationQuery = z.infer<typeof ObservationQuerySchema>;
export type ContainerObservation = z.infer<typeof ContainerObservationSchema>;
export type JobRun = z.infer<typeof JobRunSchema>;
export type WorkloadObservation = z.infer<typeof WorkloadObservationSchema>;
export type ObservationSnapshot = z.infer<typeof ObservationSnapshotSchema>;

/** `workloads[3].containers[0].cpu.p95`: how errors name a field of a JSON or YAML file. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "") || "(root)";
}

/** How evidence is named in messages, PR bodies and the doctor's report. */
export const EVIDENCE_NAMES: Readonly<Record<ContainerEvidence | WorkloadEvidence, string>> = {
  cpu: "CPU usage",
  memory: "memory working set",
  oomKills: "OOM kills",
  restarts: "restarts",
  throttling: "CPU throttling",
  requests: "live requests and limits",
  owners: "pod owners",
  jobTiming: "Job timing",
};

/** `restarts unknown (no kube_pod_container_status_restarts_total)`: one unknown piece of evidence in words. */
export function describeUnknownEvidence(evidence: ContainerEvidence | WorkloadEvidence, metric: string): string {
  return `${EVIDENCE_NAMES[evidence]} unknown (no ${metric})`;
}

/** A container's unknown evidence in the order of CONTAINER_EVIDENCE. */
export function unknownEvidenceOf(container: Pick<ContainerObservation, "unknown">): Array<{ evidence: ContainerEvidence; metric: string }> {
  const unknown = container.unknown;
  if (!unknown) return [];
  return CONTAINER_EVIDENCE.flatMap((evidence) => (unknown[evidence] ? [{ evidence, metric: unknown[evidence] }] : []));
}
