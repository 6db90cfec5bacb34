import { z } from "zod";
import { InputError } from "./errors.js";
import { checkUniqueWorkloads, IsoTimeSchema, formatFieldPath } from "./observation.js";
import { isQuantity } from "./quantity.js";
import { WORKLOAD_KINDS, type WorkloadRef } from "./workload.js";

/**
 * The usage trace (SPEC §11): measured usage, step by step, that `rightsize backtest --trace`
 * replays offline — the first part is observed and recommended on, the rest is replayed against
 * the recommendation. The tests and `bench/quality.bench.ts` use it; this zod schema is the only
 * definition and `schemas/trace.schema.json` is generated from it.
 *
 * Samples are those of the busiest replica at each step (what the Prometheus path reads), one
 * per `step` seconds from `start`; `null` where nothing was measured (a pod not yet started, a
 * CronJob between runs). Every sample list of the file has the same length.
 */

type Sample = number | null;

function samplesProblem(value: unknown, upper?: number): string | undefined {
  if (!Array.isArray(value)) return "expected a list of samples (numbers or null)";
  for (let index = 0; index < value.length; index++) {
    const sample: unknown = value[index];
    if (sample === null) continue;
    if (typeof sample !== "number" || !Number.isFinite(sample) || sample < 0 || (upper !== undefined && sample > upper)) {
      return `sample ${index} is ${JSON.stringify(sample)}; expected null or a number ≥ 0${upper !== undefined ? ` and ≤ ${upper}` : ""}`;
    }
  }
  return undefined;
}

/**
 * Sample lists run to thousands of numbers per container; they are checked in one pass rather
 * than as a zod number each (as the snapshot's series are); the published schema is the array's.
 */
function samples(description: string, upper?: number) {
  const element = upper === undefined ? z.number().nonnegative() : z.number().min(0).max(upper);
  const { $schema: _dialect, ...fragment } = z.toJSONSchema(z.array(element.nullable()).describe(description), { io: "input" });
  return z.custom<Sample[]>((value) => samplesProblem(value, upper) === undefined, { error: (issue) => samplesProblem(issue.input, upper) }).meta(fragment);
}

const quantityText = z.string().refine(isQuantity, { message: 'expected a Kubernetes quantity such as "250m", "0.5", "512Mi"' });
const resourceQuantities = z.object({ cpu: quantityText.optional(), memory: quantityText.optional() });

export const TraceContainerSchema = z.object({
  name: z.string().min(1).describe("container name, as in the manifest"),
  /** Requests and limits the container ran with (what a recommendation is compared with). */
  current: z
    .object({ requests: resourceQuantities.default({}), limits: resourceQuantities.default({}) })
    .prefault({})
    .describe("requests and limits the container ran with, as written in a manifest (\"250m\", \"512Mi\")"),
  cpu: samples("CPU usage in cores at each step (busiest replica)"),
  memory: samples("memory working set in bytes at each step (busiest replica)"),
  /** Share of CFS periods throttled in each step (0–1); absent means none. */
  throttled: samples("share of CFS periods throttled in each step", 1).optional(),
  oomKills: z.array(z.object({ at: IsoTimeSchema, pod: z.string() })).default([]).describe("OOM kills of the container, each with its time and pod"),
  /** Every restart (OOM kills included), by time. */
  restarts: z.array(IsoTimeSchema).default([]).describe("the time of every restart, OOM kills included"),
});

export const TraceWorkloadSchema = z.object({
  workload: z.object({ cluster: z.string().min(1), namespace: z.string().min(1), kind: z.enum(WORKLOAD_KINDS), name: z.string().min(1) }),
  /** Pods the workload runs (continuous), for totals and cost. */
  replicas: z.number().int().nonnegative().default(1).describe("pods the workload runs: savings and cost are per pod × replicas"),
  hpa: z.object({ name: z.string().optional(), metrics: z.array(z.string()) }).optional(),
  containers: z.array(TraceContainerSchema).min(1),
});

export const UsageTraceSchema = z
  .object({
    schemaVersion: z.literal(1),
    kind: z.literal("UsageTrace"),
    /** Time of the first sample. */
    start: IsoTimeSchema.describe("time of the first sample"),
    /** Seconds between samples. */
    step: z.number().int().positive().describe("seconds between samples"),
    workloads: z.array(TraceWorkloadSchema),
  })
  .describe(
    "Measured usage, step by step, that rightsize backtest --trace replays: the first part of the window is observed and recommended on, the rest is replayed against the recommendation. Every sample list has one sample per step.",
  )
  .superRefine((trace, context) => {
    checkUniqueWorkloads(trace, context);
    checkTrace(trace, context);
  });

export type UsageTrace = z.infer<typeof UsageTraceSchema>;

/**
 * Measured usage of one workload container over a stretch of time, one sample per `step`
 * seconds from `start` (busiest replica; null where nothing was measured): what a backtest
 * replays a recommendation against, from a trace file or from Prometheus.
 */
export interface MeasuredUsage {
  workload: WorkloadRef;
  container: string;
  /** Unix seconds of the first sample. */
  start: number;
  step: number;
  cpu: ReadonlyArray<number | null>;
  memory: ReadonlyArray<number | null>;
}
export type TraceWorkload = z.infer<typeof TraceWorkloadSchema>;
export type TraceContainer = z.infer<typeof TraceContainerSchema>;

/** Sample lists of one length, events inside the trace, each container of a workload once (checkUniqueWorkloads: each workload once). */
function checkTrace(trace: { start: string; step: number; workloads: ReadonlyArray<z.infer<typeof TraceWorkloadSchema>> }, context: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => context.addIssue({ code: "custom", path, message, input: undefined });
  const length = trace.workloads[0]?.containers[0]?.cpu.length;
  const start = Date.parse(trace.start);
  const end = start + (length ?? 0) * trace.step * 1000;
  trace.workloads.forEach((entry, index) => {
    const names = new Map<string, number>();
    entry.containers.forEach((container, containerIndex) => {
      const path = ["workloads", index, "containers", containerIndex];
      const firstName = names.get(container.name);
      if (firstName === undefined) names.set(container.name, containerIndex);
      else issue([...path, "name"], `"${container.name}" is also containers[${firstName}]; list each container once`);
      for (const series of ["cpu", "memory", "throttled"] as const) {
        const values = container[series];
        if (values !== undefined && values.length !== length) issue([...path, series], `has ${values.length} samples, workloads[0].containers[0].cpu has ${length}; every sample list has one sample per step`);
      }
      const outside = (at: string) => Date.parse(at) < start || Date.parse(at) > end;
      container.oomKills.forEach((kill, killIndex) => {
        if (outside(kill.at)) issue([...path, "oomKills", killIndex], `${kill.at} is outside the trace (${trace.start} and ${length ?? 0} steps of ${trace.step}s)`);
      });
      container.restarts.forEach((at, restartIndex) => {
        if (outside(at)) issue([...path, "restarts", restartIndex], `${at} is outside the trace (${trace.start} and ${length ?? 0} steps of ${trace.step}s)`);
      });
    });
  });
}

/** Validates a trace; errors name the JSON path of the field and what was expected. */
export function parseUsageTrace(json: unknown, file = "trace"): UsageTrace {
  const result = UsageTraceSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatFieldPath(issue.path)}: ${issue.message}`);
  throw new InputError(`${file}: invalid usage trace:\n  ${problems.join("\n  ")}\nFix these fields (schemas/trace.schema.json describes the format).`, { file });
}

export function parseUsageTraceText(text: string, file = "trace"): UsageTrace {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`, { file });
  }
  return parseUsageTrace(json, file);
}
