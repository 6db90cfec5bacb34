import { z } from "zod";
import { InputError } from "./errors.js";
import {
  checkQueryReferences,
  checkUniqueWorkloads,
  checkWorkloadConsistency,
  ContainerObservationSchema,
  formatFieldPath,
  IsoTimeSchema,
  JobRunSchema,
  ObservationQuerySchema,
  ObservationSnapshotSchema,
  seriesProblem,
  upgradeObservationSnapshot,
  WorkloadObservationSchema,
  type ObservationSnapshot,
} from "./observation.js";
import { isQuantity } from "./quantity.js";
import { WORKLOAD_KINDS } from "./workload.js";

/**
 * Validates a snapshot of any version and returns it as the current one; errors name the JSON path
 * of the field and what was expected.
 *
 * The schema (ObservationSnapshotSchema) is the format's only definition and gives every error.
 * A snapshot is first read by readCommonSnapshot, a plain walk over the parsed JSON that accepts
 * only what the schema accepts and builds exactly what the schema builds; it was a fifth of
 * `rightsize recommend` on 100,000 containers through the schema (a million objects, each a
 * round of zod's general machinery and its garbage). Whatever the walk is not sure of goes to
 * the schema, so a bad file gets the schema's messages.
 */
export function parseObservationSnapshot(json: unknown, file = "snapshot"): ObservationSnapshot {
  const read = readCommonSnapshot(json);
  if (read) return upgradeObservationSnapshot(read);
  const result = ObservationSnapshotSchema.safeParse(json);
  if (result.success) return upgradeObservationSnapshot(result.data);
  const problems = result.error.issues.map((issue) => `${formatFieldPath(issue.path)}: ${issue.message}`);
  throw new InputError(`${file}: invalid observation snapshot:\n  ${problems.join("\n  ")}\nFix these fields, or write the snapshot again with "rightsize snapshot".`, { file });
}

export function parseObservationSnapshotText(text: string, file = "snapshot"): ObservationSnapshot {
  const read = readCommonSnapshotText(text);
  if (read) return upgradeObservationSnapshot(read);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`, { file });
  }
  return parseObservationSnapshot(json, file);
}

/**
 * The snapshot the schema would return for this JSON, or undefined when the schema must decide
 * (anything it would refuse, and whatever this walk does not handle: `__proto__` or
 * `constructor` keys). The same output means: objects with the schema's members in its (sorted)
 * order and only those present or defaulted, unknown members kept after them in the input's
 * order, new objects and arrays where zod makes new ones, the series arrays passed through.
 * A property test holds it to the schema's output; COMMON_SHAPES turns it off when a shape of
 * the schema changes without it.
 */
export function readCommonSnapshot(json: unknown): ObservationSnapshot | undefined {
  if (!FAST_PATH_ENABLED) return undefined;
  try {
    return snapshotOf(json) as ObservationSnapshot;
  } catch (error) {
    if (error === SCHEMA_DECIDES) return undefined;
    throw error;
  }
}

/**
 * readCommonSnapshot for the text of a snapshot, one workload at a time: each workload's JSON is
 * parsed and read before the next, so the parsed JSON of the whole snapshot never exists beside
 * what is read from it (a third less memory at 100,000 containers, and less for the collector to
 * copy). The text is split where JSON.parse would split it (splitWorkloads); whatever is unusual
 * (a workloads key written twice or with an escape, no workloads array, any piece that JSON.parse
 * refuses) is left to JSON.parse of the whole text and the schema.
 */
export function readCommonSnapshotText(text: string): ObservationSnapshot | undefined {
  if (!FAST_PATH_ENABLED) return undefined;
  const split = splitWorkloads(text);
  if (!split) return undefined;
  try {
    const head = parsePiece(`${text.slice(0, split.open)}[]${text.slice(split.close + 1)}`);
    const workloads = () => split.elements.map(([start, end]) => workloadOf(parsePiece(text.slice(start, end))));
    return snapshotOf(head, workloads) as ObservationSnapshot;
  } catch (error) {
    if (error === SCHEMA_DECIDES) return undefined;
    throw error;
  }
}

function parsePiece(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse of the whole text reports it, with the position in the file.
    return schemaDecides();
  }
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * Where the top-level object's "workloads" array opens and closes, and where each of its elements
 * lies (between the commas at the array's own depth). A scan of brackets and strings only: the
 * pieces are valid JSON when JSON.parse takes each of them, and then the whole text parses to the
 * same value. Undefined when the text does not look like one object with one workloads array.
 */
export function splitWorkloads(text: string): { open: number; close: number; elements: Array<[number, number]> } | undefined {
  const length = text.length;
  let at = 0;
  while (at < length && isJsonSpace(text.charCodeAt(at))) at++;
  if (text.charCodeAt(at) !== OPEN_BRACE) return undefined;
  let depth = 0;
  let expectKey = false;
  let open = -1;
  let close = -1;
  let found = false;
  let awaitingArray = false;
  let start = -1;
  const elements: Array<[number, number]> = [];
  for (; at < length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const end = closingQuote(text, at);
      if (end < 0) return undefined;
      if (depth === 1 && expectKey) {
        const key = text.slice(at + 1, end);
        if (key.includes("\\")) return undefined; // an escape could spell "workloads"
        if (key === "workloads") {
          if (found) return undefined; // JSON.parse keeps the last one
          found = true;
          awaitingArray = true;
        }
        expectKey = false;
      } else if (awaitingArray) return undefined;
      at = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (awaitingArray) {
        if (code !== OPEN_BRACKET) return undefined;
        awaitingArray = false;
        open = at;
        start = at + 1;
      }
      depth++;
      expectKey = code === OPEN_BRACE && depth === 1;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 1 && open >= 0 && close < 0) {
        close = at;
        if (!isBlank(text, start, at) || elements.length > 0) elements.push([start, at]);
      }
      if (depth === 0) {
        at++;
        break;
      }
    } else if (code === COMMA) {
      if (depth === 1) expectKey = true;
      else if (depth === 2 && open >= 0 && close < 0) {
        elements.push([start, at]);
        start = at + 1;
      }
    } else if (awaitingArray && code !== COLON && !isJsonSpace(code)) return undefined;
  }
  while (at < length && isJsonSpace(text.charCodeAt(at))) at++;
  if (at !== length || depth !== 0 || open < 0 || close < 0) return undefined;
  return { open, close, elements };
}

/** The index of the quote that closes the string opening at `open`, or −1. */
function closingQuote(text: string, open: number): number {
  let end = open;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

function isJsonSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (!isJsonSpace(text.charCodeAt(at))) return false;
  return true;
}

const SCHEMA_DECIDES = new Error("the schema decides");

function schemaDecides(): never {
  throw SCHEMA_DECIDES;
}

type JsonObject = Record<string, unknown>;

/** The members of each object this walk builds, in the schema's (sorted) order. */
const COMMON_SHAPES = {
  snapshot: ["createdAt", "kind", "problems", "queries", "schemaVersion", "workloads"],
  query: ["at", "promql", "range"],
  range: ["end", "start", "step"],
  problem: ["cluster", "message", "namespace"],
  workload: ["containers", "coverage", "hpa", "mode", "pods", "problems", "queries", "runs", "source", "unknown", "window", "workload"],
  identity: ["cluster", "kind", "name", "namespace"],
  window: ["from", "to"],
  hpa: ["metrics", "name"],
  workloadUnknown: ["jobTiming", "owners"],
  container: ["cpu", "current", "memory", "name", "oomKills", "restarts", "series", "throttledRatio", "unknown"],
  current: ["limits", "requests"],
  quantities: ["cpu", "memory"],
  statistics: ["max", "mean", "p50", "p90", "p95", "p99", "samples"],
  kill: ["at", "pod"],
  containerUnknown: ["cpu", "memory", "oomKills", "requests", "restarts", "throttling"],
  series: ["cpu", "memory", "step"],
  run: ["containers", "durationSeconds", "exitCode", "run", "startedAt", "succeeded"],
  peak: ["cpuPeak", "memoryPeak"],
} as const;

type Shape = keyof typeof COMMON_SHAPES;

/** The schema's member names of each shape, read from the schema itself. */
export function schemaShapes(): Record<Shape, string[]> {
  const members = (schema: z.ZodType): z.ZodType => {
    // Through optional, default and nullable wrappers to the object, array or record inside.
    let inner = schema as z.ZodType & { def: { innerType?: z.ZodType } };
    while (inner.def.innerType) inner = inner.def.innerType as typeof inner;
    return inner;
  };
  const shapeOf = (schema: z.ZodType) => (members(schema) as unknown as z.ZodObject).shape;
  const keys = (schema: z.ZodType) => Object.keys(shapeOf(schema));
  const snapshot = shapeOf(ObservationSnapshotSchema);
  const workload = WorkloadObservationSchema.shape;
  const container = ContainerObservationSchema.shape;
  const query = ObservationQuerySchema.shape;
  const element = (schema: z.ZodType) => (members(schema) as unknown as z.ZodArray<z.ZodType>).element;
  const recordValue = (schema: z.ZodType) => (members(schema) as unknown as z.ZodRecord<z.ZodString, z.ZodType>).valueType;
  return {
    snapshot: keys(ObservationSnapshotSchema),
    query: keys(ObservationQuerySchema),
    range: keys(query.range),
    problem: keys(element(snapshot.problems as z.ZodType)),
    workload: keys(WorkloadObservationSchema),
    identity: keys(workload.workload),
    window: keys(workload.window),
    hpa: keys(workload.hpa),
    workloadUnknown: keys(workload.unknown),
    container: keys(ContainerObservationSchema),
    current: keys(container.current),
    quantities: keys(shapeOf(container.current).requests as z.ZodType),
    statistics: keys(container.cpu),
    kill: keys(element(container.oomKills)),
    containerUnknown: keys(container.unknown),
    series: keys(container.series),
    run: keys(JobRunSchema),
    peak: keys(recordValue(JobRunSchema.shape.containers)),
  };
}

/** The walk reads only the shapes it was written for; a schema that grew a member is read by the schema alone. */
export const FAST_PATH_ENABLED = (() => {
  const shapes = schemaShapes();
  return (Object.keys(COMMON_SHAPES) as Shape[]).every((shape) => shapes[shape].join() === COMMON_SHAPES[shape].join());
})();

const KNOWN = Object.fromEntries(Object.entries(COMMON_SHAPES).map(([shape, keys]) => [shape, new Set<string>(keys)])) as unknown as Record<Shape, ReadonlySet<string>>;

function object(value: unknown): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) schemaDecides();
  return value as JsonObject;
}

function array(value: unknown): unknown[] {
  if (!Array.isArray(value)) schemaDecides();
  return value;
}

/** Unknown members, kept after the known ones in the input's order (the schema's objects are loose). */
function keepUnknown(input: JsonObject, output: JsonObject, shape: Shape): void {
  const known = KNOWN[shape];
  for (const key in input) {
    if (known.has(key)) continue;
    if (key === "__proto__" || key === "constructor") schemaDecides();
    output[key] = input[key];
  }
}

function string(value: unknown): string {
  if (typeof value !== "string") schemaDecides();
  return value;
}

function nonEmpty(value: unknown): string {
  if (typeof value !== "string" || value.length === 0) schemaDecides();
  return value;
}

function finite(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) schemaDecides();
  return value;
}

function nonNegative(value: unknown): number {
  if (finite(value) < 0) schemaDecides();
  return value as number;
}

function wholeNonNegative(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) schemaDecides();
  return value as number;
}

function ratio(value: unknown): number {
  const number = finite(value);
  if (number < 0 || number > 1) schemaDecides();
  return number;
}

// Times and quantities repeat across a snapshot (every workload's window, the same requests): each
// distinct text is checked once, and the walk returns its first copy (null: refused), so the
// snapshot holds one string per distinct text and the engine's caches keyed by these texts find
// the very string they stored.
const checkedTimes = new Map<string, string | null>();
const checkedQuantities = new Map<string, string | null>();

function time(value: unknown): string {
  if (typeof value !== "string") schemaDecides();
  let seen = checkedTimes.get(value);
  if (seen === undefined) {
    seen = IsoTimeSchema.safeParse(value).success ? value : null;
    if (checkedTimes.size < 10_000) checkedTimes.set(value, seen);
  }
  if (seen === null) schemaDecides();
  return seen;
}

function quantity(value: unknown): string {
  if (typeof value !== "string") schemaDecides();
  let seen = checkedQuantities.get(value);
  if (seen === undefined) {
    seen = isQuantity(value) ? value : null;
    if (checkedQuantities.size < 10_000) checkedQuantities.set(value, seen);
  }
  if (seen === null) schemaDecides();
  return seen;
}

/** The refinements of the schema, run on the output as the schema runs them: any issue and the schema decides. */
const REFUSE = { addIssue: schemaDecides } as unknown as z.RefinementCtx;

function snapshotOf(json: unknown, readWorkloads = (value: unknown) => array(value).map(workloadOf)): JsonObject {
  const input = object(json);
  const output: JsonObject = {};
  output.createdAt = time(input.createdAt);
  if (input.kind !== "ObservationSnapshot") schemaDecides();
  output.kind = input.kind;
  if (input.problems !== undefined) output.problems = array(input.problems).map(problemOf);
  if (input.queries !== undefined) output.queries = recordOf(input.queries, queryOf);
  const version = input.schemaVersion;
  if (version !== 1 && version !== 2 && version !== 3) schemaDecides();
  output.schemaVersion = version;
  output.workloads = readWorkloads(input.workloads);
  keepUnknown(input, output, "snapshot");
  const snapshot = output as ObservationSnapshot;
  checkUniqueWorkloads(snapshot, REFUSE);
  checkQueryReferences(snapshot, REFUSE);
  return output;
}

function recordOf(value: unknown, member: (value: unknown) => JsonObject): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  for (const key in input) {
    if (key === "__proto__" || key === "constructor") schemaDecides();
    output[key] = member(input[key]);
  }
  return output;
}

function queryOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  if (input.at !== undefined) output.at = time(input.at);
  output.promql = nonEmpty(input.promql);
  if (input.range !== undefined) {
    const range = object(input.range);
    const read: JsonObject = { end: time(range.end), start: time(range.start) };
    if (finite(range.step) <= 0) schemaDecides();
    read.step = range.step;
    keepUnknown(range, read, "range");
    output.range = read;
  }
  keepUnknown(input, output, "query");
  return output;
}

function problemOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = { cluster: nonEmpty(input.cluster), message: nonEmpty(input.message) };
  if (input.namespace !== undefined) output.namespace = string(input.namespace);
  keepUnknown(input, output, "problem");
  return output;
}

const KINDS: ReadonlySet<unknown> = new Set(WORKLOAD_KINDS);

function workloadOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  output.containers = array(input.containers).map(containerOf);
  output.coverage = ratio(input.coverage);
  if (input.hpa !== undefined) {
    const hpa = object(input.hpa);
    const read: JsonObject = { metrics: array(hpa.metrics).map(string) };
    if (hpa.name !== undefined) read.name = string(hpa.name);
    keepUnknown(hpa, read, "hpa");
    output.hpa = read;
  }
  if (input.mode !== "continuous" && input.mode !== "run-based") schemaDecides();
  output.mode = input.mode;
  output.pods = wholeNonNegative(input.pods);
  output.problems = input.problems === undefined ? [] : array(input.problems).map(string);
  output.queries = input.queries === undefined ? [] : array(input.queries).map(string);
  if (input.runs !== undefined) output.runs = array(input.runs).map(runOf);
  output.source = nonEmpty(input.source);
  if (input.unknown !== undefined) output.unknown = unknownOf(input.unknown, "workloadUnknown");
  const window = object(input.window);
  const readWindow: JsonObject = { from: time(window.from), to: time(window.to) };
  keepUnknown(window, readWindow, "window");
  output.window = readWindow;
  const identity = object(input.workload);
  const kind = identity.kind;
  if (!KINDS.has(kind)) schemaDecides();
  const readIdentity: JsonObject = { cluster: nonEmpty(identity.cluster), kind, name: nonEmpty(identity.name), namespace: nonEmpty(identity.namespace) };
  keepUnknown(identity, readIdentity, "identity");
  output.workload = readIdentity;
  keepUnknown(input, output, "workload");
  checkWorkloadConsistency(output as unknown as Parameters<typeof checkWorkloadConsistency>[0], REFUSE);
  return output;
}

function unknownOf(value: unknown, shape: "workloadUnknown" | "containerUnknown"): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  for (const key of COMMON_SHAPES[shape]) if (input[key] !== undefined) output[key] = nonEmpty(input[key]);
  keepUnknown(input, output, shape);
  return output;
}

function containerOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  if (input.cpu !== undefined) output.cpu = statisticsOf(input.cpu);
  if (input.current !== undefined) {
    const current = object(input.current);
    const read: JsonObject = {
      limits: current.limits === undefined ? {} : quantitiesOf(current.limits),
      requests: current.requests === undefined ? {} : quantitiesOf(current.requests),
    };
    keepUnknown(current, read, "current");
    output.current = read;
  }
  if (input.memory !== undefined) output.memory = statisticsOf(input.memory);
  output.name = nonEmpty(input.name);
  output.oomKills = input.oomKills === undefined ? [] : array(input.oomKills).map(killOf);
  output.restarts = input.restarts === undefined ? 0 : wholeNonNegative(input.restarts);
  if (input.series !== undefined) output.series = seriesOf(input.series);
  output.throttledRatio = input.throttledRatio === undefined ? 0 : ratio(input.throttledRatio);
  if (input.unknown !== undefined) output.unknown = unknownOf(input.unknown, "containerUnknown");
  keepUnknown(input, output, "container");
  return output;
}

function quantitiesOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  if (input.cpu !== undefined) output.cpu = quantity(input.cpu);
  if (input.memory !== undefined) output.memory = quantity(input.memory);
  keepUnknown(input, output, "quantities");
  return output;
}

function statisticsOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {
    max: nonNegative(input.max),
    mean: nonNegative(input.mean),
    p50: nonNegative(input.p50),
    p90: nonNegative(input.p90),
    p95: nonNegative(input.p95),
    p99: nonNegative(input.p99),
    samples: wholeNonNegative(input.samples),
  };
  const { p50, p90, p95, p99, max } = output as Record<string, number>;
  if (!(p50! <= p90! && p90! <= p95! && p95! <= p99! && p99! <= max!)) schemaDecides();
  keepUnknown(input, output, "statistics");
  return output;
}

function killOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = { at: time(input.at), pod: string(input.pod) };
  keepUnknown(input, output, "kill");
  return output;
}

function seriesOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  // The points are checked in one pass and passed through, as the schema's custom check does.
  const points = (points: unknown) => (points === undefined ? [] : seriesProblem(points) === undefined ? points : schemaDecides());
  output.cpu = points(input.cpu);
  output.memory = points(input.memory);
  output.step = string(input.step);
  keepUnknown(input, output, "series");
  return output;
}

function runOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = {};
  output.containers = recordOf(input.containers, peakOf);
  output.durationSeconds = nonNegative(input.durationSeconds);
  const exitCode = input.exitCode;
  if (exitCode !== null && !Number.isSafeInteger(exitCode)) schemaDecides();
  output.exitCode = exitCode;
  output.run = nonEmpty(input.run);
  output.startedAt = time(input.startedAt);
  if (typeof input.succeeded !== "boolean") schemaDecides();
  output.succeeded = input.succeeded;
  keepUnknown(input, output, "run");
  return output;
}

function peakOf(value: unknown): JsonObject {
  const input = object(value);
  const output: JsonObject = { cpuPeak: nonNegative(input.cpuPeak), memoryPeak: nonNegative(input.memoryPeak) };
  keepUnknown(input, output, "peak");
  return output;
}
