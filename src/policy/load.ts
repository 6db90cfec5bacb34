import { createHash } from "node:crypto";
import deepmerge from "deepmerge";
import { distance } from "fastest-levenshtein";
import { Document, isMap, isScalar, LineCounter } from "yaml";
import type { z } from "zod";
import { formatFieldPath, InputError } from "../domain/index.js";
import { migrateData, valueAt } from "./migration-steps.js";
import { CURRENT_API_VERSION, type Policy, PolicyV1alpha2Schema, POLICY_KIND } from "./schema.js";
import { describeExpected, objectInfo, elementSchema, schemaAt } from "./schema-walk.js";
import { classifyApiVersion } from "./versions.js";
import { describeYamlError, documentToData, parseYamlText, quoteShort, YAML_BOUNDS, type YamlTextProblem } from "../yaml/index.js";

export interface PolicyText {
  path: string;
  text: string;
}

export interface PolicyProblem {
  severity: "error" | "warning";
  file: string;
  line: number;
  column: number;
  /** Dotted field path (`recommend.margins.SAFE`), empty for the whole file. */
  field: string;
  message: string;
}

/** What the decision record cites (SPEC §6). */
export interface PolicySource {
  path: string;
  apiVersion: string;
  sha256: string;
}

export interface LoadedPolicy {
  policy: Policy;
  source: PolicySource;
  /** False for a newer, unknown version: reports work, proposals are refused (SPEC §7). */
  canPropose: boolean;
  warnings: PolicyProblem[];
}

/** `file:line:column field: message`: the one way a policy problem is written. */
export function formatPolicyProblem(problem: PolicyProblem): string {
  const field = problem.field ? ` ${problem.field}` : "";
  const severity = problem.severity === "warning" ? "warning: " : "";
  return `${problem.file}:${problem.line}:${problem.column}${field}: ${severity}${problem.message}`;
}

export class PolicyInvalidError extends InputError {
  readonly problems: PolicyProblem[];

  constructor(problems: PolicyProblem[]) {
    const first = problems[0];
    super(problems.map(formatPolicyProblem).join("\n"), first ? { file: first.file, line: first.line, column: first.column } : {});
    this.problems = problems;
  }
}

export const DEFAULTS_SOURCE: PolicySource = { path: "(defaults)", apiVersion: CURRENT_API_VERSION, sha256: "" };

interface ParsedFile {
  file: PolicyText;
  document: Document;
  lines: LineCounter;
  data: Record<string, unknown> | undefined;
  /** YAML problems: syntax, the bounds of src/yaml, a second document, a value that is not a mapping. */
  problems: PolicyProblem[];
}

/**
 * Loads a policy from its text and the bases it `_extends` (nearest first), merged the way
 * Probot's `context.config` merges them, so the CLI and the app read the same policy.
 * Throws PolicyInvalidError listing every problem, each with file, line, column and a fix.
 */
export function loadPolicy(file: PolicyText, bases: readonly PolicyText[] = []): LoadedPolicy {
  const parsed = [file, ...bases].map(parseYamlFile);
  const syntaxProblems = parsed.flatMap((entry) => entry.problems);
  if (syntaxProblems.some((problem) => problem.severity === "error")) throw new PolicyInvalidError(syntaxProblems);

  const source: PolicySource = { path: file.path, apiVersion: "", sha256: createHash("sha256").update(file.text).digest("hex") };
  const configs = parsed.map((entry) => entry.data).filter((data): data is Record<string, unknown> => data !== undefined);
  if (configs.length === 0) {
    const warning = problemAt(parsed, [], "warning", `the policy file is empty, so the defaults apply; start it with "apiVersion: ${CURRENT_API_VERSION}" and "kind: ${POLICY_KIND}"`);
    return { policy: defaultPolicy(), source: { ...source, apiVersion: CURRENT_API_VERSION }, canPropose: true, warnings: [...syntaxProblems, warning] };
  }
  // Probot merges base first, the repo's own file last, with deepmerge (arrays concatenate).
  const merged = deepmerge.all<Record<string, unknown>>([...configs].reverse());
  delete merged._extends;

  const problems: PolicyProblem[] = [...syntaxProblems];
  if (merged.kind !== POLICY_KIND) {
    problems.push(problemAt(parsed, ["kind"], "error", `expected "${POLICY_KIND}", got ${describeValue(merged.kind)}`));
  }
  const version = classifyApiVersion(merged.apiVersion);
  if (version.status === "unsupported") {
    problems.push(problemAt(parsed, ["apiVersion"], "error", version.message));
    throw new PolicyInvalidError(problems);
  }
  if (problems.some((problem) => problem.severity === "error")) throw new PolicyInvalidError(problems);

  const readAs = version.status === "newer" ? "warning" : "error";
  if (version.status === "newer" || version.status === "legacy") problems.push(problemAt(parsed, ["apiVersion"], "warning", version.message));
  const known = stripUnknownKeys(merged, version.schema, [], parsed, readAs, problems);
  if (version.status === "newer") known.apiVersion = CURRENT_API_VERSION;

  const result = version.schema.safeParse(known);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(problemAt(parsed, issue.path, "error", issueMessage(issue, known, version.schema)));
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  if (problems.some((problem) => problem.severity === "error")) throw new PolicyInvalidError(problems);

  return {
    policy: PolicyV1alpha2Schema.parse(migrateData(known, version.steps)),
    source: { ...source, apiVersion: String(merged.apiVersion) },
    canPropose: version.status !== "newer",
    warnings: problems,
  };
}

export function defaultPolicy(): Policy {
  return PolicyV1alpha2Schema.parse({ apiVersion: CURRENT_API_VERSION, kind: POLICY_KIND });
}

function parseYamlFile(file: PolicyText): ParsedFile {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let index = file.text.indexOf("\n"); index !== -1; index = file.text.indexOf("\n", index + 1)) lines.addNewLine(index + 1);
  const parsed = parseYamlText(file.text, { maxBytes: YAML_BOUNDS.policyBytes, templates: false });
  const [document, extra] = parsed.documents;
  const problems: PolicyProblem[] = [];
  const at = (offset: number, message: string, severity: "error" | "warning" = "error"): PolicyProblem => {
    const position = lines.linePos(offset);
    return { severity, file: file.path, line: position.line, column: position.col, field: "", message };
  };
  if (parsed.problem?.kind === "syntax") {
    for (const entry of parsed.documents) {
      for (const error of [...entry.errors, ...entry.warnings]) {
        const hint = YAML_ERROR_HINTS[error.code];
        const text = describeYamlError(error);
        problems.push(at(error.pos[0], hint ? `${text}: ${hint}` : text, error.name === "YAMLWarning" ? "warning" : "error"));
      }
    }
  } else if (parsed.problem) {
    problems.push(at(parsed.problem.offset, problemMessage(parsed.problem)));
  } else {
    for (const entry of parsed.documents) for (const warning of entry.warnings) problems.push(at(warning.pos[0], describeYamlError(warning), "warning"));
    if (extra) problems.push(at(extra.range[0], "holds more than one YAML document (---); a policy file is one document"));
  }
  let data: Record<string, unknown> | undefined;
  if (document && problems.every((problem) => problem.severity !== "error")) {
    const expanded = documentToData(document);
    if ("problem" in expanded) problems.push(at(expanded.problem.offset, expanded.problem.message));
    else {
      const value = expanded.data;
      if (value !== null && value !== undefined && (typeof value !== "object" || Array.isArray(value))) {
        problems.push(at(document.contents?.range?.[0] ?? 0, `the policy file must be a mapping of keys (apiVersion, kind, ...), got ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`));
      } else if (value !== null && value !== undefined) data = value as Record<string, unknown>;
    }
  }
  return { file, document: document ?? EMPTY_DOCUMENT, lines, data, problems };
}

const EMPTY_DOCUMENT = new Document();

function problemMessage(problem: YamlTextProblem): string {
  switch (problem.kind) {
    case "too-large":
      return `${problem.message}; a policy file may be ${Math.round(YAML_BOUNDS.policyBytes / 1024)} KiB`;
    case "duplicate-key":
      return `${problem.message}: ${YAML_ERROR_HINTS.DUPLICATE_KEY}`;
    case "too-deep":
      return `${problem.message}; a policy is a few levels deep`;
    default:
      return problem.message;
  }
}

const YAML_ERROR_HINTS: Record<string, string> = {
  TAB_AS_INDENT: "indent with spaces, not tabs",
  DUPLICATE_KEY: "a key appears twice in the same mapping; keep one of them",
  BAD_INDENT: "check the indentation of this line against the lines above",
  MISSING_CHAR: "a closing quote or bracket is missing",
};

/**
 * The `_extends` of a policy text and where it is written, for the caller that reads bases
 * (the CLI reads files; the app lets Probot's `context.config` fetch them).
 */
export function extendsReference(file: PolicyText): ({ value: string } | { problem: string }) & { line: number; column: number } | undefined {
  const parsed = parseYamlFile(file);
  if (!isMap(parsed.document.contents)) return undefined;
  const pair = parsed.document.contents.items.find((item) => isScalar(item.key) && item.key.value === "_extends");
  if (!pair) return undefined;
  const offset = (pair.value as { range?: [number, number, number] } | null)?.range?.[0] ?? (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
  const position = parsed.lines.linePos(offset);
  const where = { line: position.line, column: position.col };
  if (isScalar(pair.value) && typeof pair.value.value === "string" && pair.value.value !== "") return { value: pair.value.value, ...where };
  return { problem: "must be the path of a policy file, e.g. \"org-defaults.yml\"", ...where };
}

/**
 * Unknown keys are errors with a suggestion (warnings in a newer version); keys starting with
 * `x-` and everything under loose objects such as `metadata` are the user's and are kept.
 * Returns a copy holding only known keys, ready for the schema.
 */
function stripUnknownKeys(
  value: Record<string, unknown>,
  schema: z.ZodType,
  path: (string | number)[],
  parsed: ParsedFile[],
  severity: "error" | "warning",
  problems: PolicyProblem[],
): Record<string, unknown> {
  const info = objectInfo(schema);
  if (!info || info.open) return value;
  const known: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith("x-")) continue;
    const childSchema = info.child(key);
    if (!childSchema) {
      const message = severity === "warning" ? `unknown key ${quoteShort(key)} is ignored: this rightsize does not know it` : unknownKeyMessage(key, info.keys);
      problems.push(problemAt(parsed, [...path, key], severity, message, "key"));
      continue;
    }
    known[key] = stripChild(child, childSchema, [...path, key], parsed, severity, problems);
  }
  return known;
}

function stripChild(
  value: unknown,
  schema: z.ZodType,
  path: (string | number)[],
  parsed: ParsedFile[],
  severity: "error" | "warning",
  problems: PolicyProblem[],
): unknown {
  if (Array.isArray(value)) {
    const element = elementSchema(schema);
    return element ? value.map((item, index) => stripChild(item, element, [...path, index], parsed, severity, problems)) : value;
  }
  if (value !== null && typeof value === "object") {
    return stripUnknownKeys(value as Record<string, unknown>, schema, path, parsed, severity, problems);
  }
  return value;
}

function unknownKeyMessage(key: string, candidates: readonly string[]): string {
  const suggestion = candidates
    .map((candidate) => ({ candidate, cost: distance(key.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, cost }) => cost <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((a, b) => a.cost - b.cost)[0]?.candidate;
  if (suggestion) return `unknown key ${quoteShort(key)}: did you mean "${suggestion}"?`;
  return `unknown key ${quoteShort(key)}: remove it, or name it ${quoteShort(`x-${key}`)} to keep it as your own extension (known keys here: ${candidates.join(", ")})`;
}

/**
 * The allowed value a mistyped one most likely meant: the same word in another case (`medium`
 * for MEDIUM), or the one value a letter or two away (`kep` for keep); none when two are as close.
 */
function nearestValue(value: string, candidates: readonly string[]): string | undefined {
  const scored = candidates
    .map((candidate) => ({ candidate, cost: candidate.toLowerCase() === value.toLowerCase() ? 0 : distance(value.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, cost }) => cost <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((a, b) => a.cost - b.cost);
  return scored.length > 0 && scored[0]!.cost !== scored[1]?.cost ? scored[0]!.candidate : undefined;
}

function issueMessage(issue: z.core.$ZodIssue, data: unknown, schema: z.ZodType): string {
  const value = valueAt(data, issue.path);
  const expected = describeExpected(schemaAt(schema, issue.path));
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return `is required: add it (${expected ?? issue.expected})`;
      return `expected ${expected ?? issue.expected}, got ${describeValue(value)}`;
    case "too_small":
      if (issue.origin === "array") return `expected at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}, got ${describeValue(value)}`;
      if (issue.origin === "string") return `must not be empty`;
      return `expected ${expected ?? `a value ≥ ${issue.minimum}`}, got ${describeValue(value)}`;
    case "too_big":
      return `expected ${expected ?? `a value ≤ ${issue.maximum}`}, got ${describeValue(value)}`;
    case "invalid_value": {
      const suggestion = typeof value === "string" ? nearestValue(value, issue.values.filter((candidate): candidate is string => typeof candidate === "string")) : undefined;
      return `expected ${expected ?? issue.values.join(", ")}, got ${describeValue(value)}${suggestion ? `: did you mean "${suggestion}"?` : ""}`;
    }
    default:
      return issue.message;
  }
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  // At most a short quote: the value is the repository's own, but a message is no place for a whole file.
  if (typeof value === "string") return quoteShort(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/**
 * Positions a problem: in the first file (the repo's own, then its bases) that holds the full
 * path, else at the deepest part of the path the repo's file has.
 */
function problemAt(
  parsed: ParsedFile[],
  path: readonly PropertyKey[],
  severity: "error" | "warning",
  message: string,
  at: "key" | "value" = "value",
): PolicyProblem {
  const keys = path.map((key) => (typeof key === "number" ? key : String(key)));
  const holder = parsed.find((entry) => entry.document.hasIn(keys)) ?? parsed[0]!;
  let offset = 0;
  for (let depth = keys.length; depth >= 0; depth--) {
    const found = nodeOffset(holder.document, keys.slice(0, depth), depth === keys.length ? at : "key");
    if (found !== undefined) {
      offset = found;
      break;
    }
  }
  const position = holder.lines.linePos(offset);
  return { severity, file: holder.file.path, line: position.line, column: position.col, field: path.length === 0 ? "" : formatFieldPath(path), message };
}

/**
 * Where a field is written in a policy text (its value), for problems found outside the loader
 * (the app's clusters); undefined when the text does not write it.
 */
export function policyFieldPosition(file: PolicyText, path: readonly (string | number)[]): { line: number; column: number } | undefined {
  const parsed = parseYamlFile(file);
  if (parsed.problems.some((problem) => problem.severity === "error") || !parsed.document.hasIn([...path])) return undefined;
  const offset = nodeOffset(parsed.document, [...path], "value");
  if (offset === undefined) return undefined;
  const position = parsed.lines.linePos(offset);
  return { line: position.line, column: position.col };
}

function nodeOffset(document: Document, path: (string | number)[], at: "key" | "value"): number | undefined {
  if (path.length === 0) return document.contents?.range?.[0];
  const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1]!;
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
    if (!pair) return undefined;
    const node = at === "key" || !pair.value ? pair.key : pair.value;
    return (node as { range?: [number, number, number] }).range?.[0];
  }
  const node = document.getIn(path, true) as { range?: [number, number, number] } | undefined;
  return node?.range?.[0];
}
