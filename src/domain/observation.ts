import { z } from "zod";
import { InputError } from "./errors.js";
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

export const UsageStatisticsSchema = sortedObject({
  p50: z.number().nonnegative(),
  p90: z.number().nonnegative(),
  p95: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
  mean: z.number().nonnegative(),
  samples: z.number().int().nonnegative(),
}).refine((s) => s.p50 <= s.p90 && s.p90 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max, {
  message: "percentiles must be ordered p50 ≤ p90 ≤ p95 ≤ p99 ≤ max",
});

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

function seriesProblem(value: unknown): string | undefined {
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

export const ContainerObservationSchema = sortedObject({
  name: z.string().min(1),
  current: sortedObject({ requests: resourceQuantities.default({}), limits: resourceQuantities.default({}) }).optional(),
  /** CPU usage in cores. Absent when the source had no CPU metrics for this container. */
  cpu: UsageStatisticsSchema.optional(),
  /** Memory working set in bytes. */
  memory: UsageStatisticsSchema.optional(),
  oomKills: z.array(sortedObject({ at: IsoTimeSchema, pod: z.string() })).default([]),
  restarts: z.number().int().nonnegative().default(0),
  throttledRatio: z.number().min(0).max(1).default(0),
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
  containers: z.record(z.string(), sortedObject({ cpuPeak: z.number().nonnegative(), memoryPeak: z.number().nonnegative() })),
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
  queries: z.array(z.string()).default([]),
  containers: z.array(ContainerObservationSchema),
  runs: z.array(JobRunSchema).optional(),
  hpa: sortedObject({ name: z.string().optional(), metrics: z.array(z.string()) }).optional(),
  /** Why the source could not observe (part of) this workload: 403, 404, timeouts. */
  problems: z.array(z.string()).default([]),
});

export const ObservationSnapshotSchema = sortedObject({
  schemaVersion: z.literal(1),
  kind: z.literal("ObservationSnapshot"),
  createdAt: IsoTimeSchema,
  workloads: z.array(WorkloadObservationSchema),
  /** Namespaces a source could not observe at all (e.g. 403 on listing them): no workload is known there. */
  problems: z.array(sortedObject({ cluster: z.string().min(1), namespace: z.string().optional(), message: z.string().min(1) })).optional(),
});

export type UsageStatistics = z.infer<typeof UsageStatisticsSchema>;
export type ContainerObservation = z.infer<typeof ContainerObservationSchema>;
export type JobRun = z.infer<typeof JobRunSchema>;
export type WorkloadObservation = z.infer<typeof WorkloadObservationSchema>;
export type ObservationSnapshot = z.infer<typeof ObservationSnapshotSchema>;

/** Validates a snapshot; errors name the JSON path of the field and what was expected. */
export function parseObservationSnapshot(json: unknown, file = "snapshot"): ObservationSnapshot {
  const result = ObservationSnapshotSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatFieldPath(issue.path)}: ${issue.message}`);
  throw new InputError(`${file}: invalid observation snapshot:\n  ${problems.join("\n  ")}`, { file });
}

export function parseObservationSnapshotText(text: string, file = "snapshot"): ObservationSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`, { file });
  }
  return parseObservationSnapshot(json, file);
}

/** `workloads[3].containers[0].cpu.p95`: how errors name a field of a JSON or YAML file. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "") || "(root)";
}
