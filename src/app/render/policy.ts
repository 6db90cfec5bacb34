import { formatPolicyProblem, type PolicyProblem } from "../../policy/index.js";
import { DEFAULT_POLICY_PATH } from "../../policy/index.js";
import { code } from "../../domain/index.js";
import type { PlannedOutcome, PolicyPreview, PreviewEntry } from "../../pipeline/index.js";

export const POLICY_CHECK_NAME = "rightsize policy";

/** A check-run annotation, as the Checks API takes it. */
export interface PolicyAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "failure" | "warning";
  title: string;
  message: string;
}

export interface PolicyCheckOutput {
  conclusion: "success" | "failure" | "neutral";
  title: string;
  summary: string;
  annotations: PolicyAnnotation[];
}

/**
 * The "rightsize policy" check run (SPEC §7): one annotation per problem at its line (problems in
 * a base of another repository are listed in the summary only), and the preview of what the
 * change would do.
 */
export function renderPolicyCheck(problems: readonly PolicyProblem[], preview: string | undefined, where: "pull-request" | "default-branch"): PolicyCheckOutput {
  const errors = problems.filter((problem) => problem.severity === "error");
  const warnings = problems.filter((problem) => problem.severity === "warning");
  const conclusion = errors.length > 0 ? "failure" : warnings.length > 0 ? "neutral" : "success";
  const title =
    errors.length > 0
      ? `${count(errors.length, "problem")} in the policy file${warnings.length > 0 ? `, ${count(warnings.length, "warning")}` : ""}`
      : warnings.length > 0
        ? `The policy file is valid, with ${count(warnings.length, "warning")}`
        : "The policy file is valid";
  const summary = [
    errors.length > 0
      ? where === "default-branch"
        ? "rightsize pauses proposals while the policy on the default branch is invalid. Fix each problem:"
        : "Merged as it is, this policy would pause rightsize's proposals. Fix each problem:"
      : "rightsize can read this policy.",
    ...(problems.length > 0 ? ["", ...problems.map((problem) => `- ${code(formatPolicyProblem(problem))}`)] : []),
    ...(preview ? ["", preview] : []),
  ].join("\n");
  const annotations = problems
    .filter((problem) => problem.file === DEFAULT_POLICY_PATH)
    .map((problem) => ({
      path: problem.file,
      start_line: problem.line,
      end_line: problem.line,
      // The Checks API takes columns only on a single line.
      start_column: problem.column,
      end_column: problem.column,
      annotation_level: problem.severity === "error" ? ("failure" as const) : ("warning" as const),
      title: problem.field || "policy",
      message: problem.message,
    }));
  return { conclusion, title, summary, annotations };
}

/**
 * The reply to `/rightsize policy validate`. A valid file that names clusters this installation
 * does not observe (`unserved`) is not called valid: the next run would refuse it.
 */
export function renderPolicyValidation(problems: readonly PolicyProblem[], source: string, unserved: readonly string[] = []): string {
  const errors = problems.filter((problem) => problem.severity === "error").length;
  if (problems.length === 0) return `rightsize read ${code(source)}: the policy is valid.`;
  const verdict =
    unserved.length > 0
      ? `the file is valid, but this rightsize installation cannot run it: it names ${unserved.length === 1 ? "a cluster" : `${unserved.length} clusters`} it does not observe (${unserved.map((name) => code(name)).join(", ")})`
      : errors > 0
        ? `the policy is not valid (${count(errors, "problem")})`
        : `the policy is valid, with ${count(problems.length, "warning")}`;
  return [`rightsize read ${code(source)}: ${verdict}:`, "", ...problems.map((problem) => `- ${code(formatPolicyProblem(problem))}`)].join("\n");
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? "" : "s"}`;
}

/** The check run's preview: what merging the policy change would propose differently. */
export function renderPolicyPreview(preview: PolicyPreview, observedAt: string): string {
  const rows: [string, PreviewEntry][] = [
    ...preview.newlyProposed.map((entry): [string, PreviewEntry] => ["would newly propose", entry]),
    ...preview.noLongerProposed.map((entry): [string, PreviewEntry] => ["would stop proposing", entry]),
    ...preview.changed.map((entry): [string, PreviewEntry] => ["would propose other values", entry]),
  ];
  const heading = `#### What this policy change would do (observations of ${observedAt})`;
  if (rows.length === 0) return `${heading}\n\nNothing changes: every workload would get the same proposal as under the current policy.`;
  return [
    heading,
    "",
    "| Workload | Effect | Current policy | This policy |",
    "| --- | --- | --- | --- |",
    ...rows.map(([effect, entry]) => `| ${code(`${entry.ref.namespace}/${entry.ref.kind}/${entry.ref.name}`, { inTable: true })} | ${effect} | ${describeOutcome(entry.before)} | ${describeOutcome(entry.after)} |`),
  ].join("\n");
}

function describeOutcome(outcome: PlannedOutcome | undefined): string {
  if (!outcome) return "not planned";
  if (outcome.action !== "propose") return outcome.action;
  return Object.entries(outcome.requests)
    .map(([container, requests]) => `${code(container, { inTable: true })}: ${[requests.cpu && `cpu ${requests.cpu}`, requests.memory && `memory ${requests.memory}`].filter(Boolean).join(", ")}`)
    .join("; ");
}
