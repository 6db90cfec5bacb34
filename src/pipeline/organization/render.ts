import { code, safeMarkdown, workloadKey, type WorkloadRef } from "../../domain/index.js";
import { describeMonthlyCost, plural, type DecisionRecord } from "../../recommend/index.js";
import { renderContainerTable } from "../body/table.js";
import { MARKERS } from "../lifecycle/markers.js";
import type { Plan, PlannedWorkload } from "../plan/plan.js";

export const ONBOARDING_TITLE = "Configure rightsize";

/** Rows at most per list: an onboarding body stays far below GitHub's 65,536 characters. */
const MAX_ROWS = 150;

export interface OnboardingBodyInput {
  /** The file the pull request adds, and its text. */
  policyPath: string;
  policyText: string;
  /** The commit the preview was planned from. */
  base: { branch: string; commit: string };
  /** The plan of that commit under the new policy, from current observations. */
  plan: Plan;
  /** When the observations end (ISO). */
  observedAt: string;
  /** The new policy's scan schedule (UTC cron) and currency. */
  schedule: string;
  currency: string;
}

/**
 * The onboarding pull request's body (SPEC §10 "Organisations", Renovate's "Configure Renovate"):
 * every workload found with the file and line it would edit, what cannot be mapped and why, what
 * would be proposed now with the monthly savings, what merging and closing mean, the file, and
 * the hidden marker. Pure; names from the repository and the cluster are code spans, reasons
 * safe markdown.
 */
export function renderOnboardingBody(input: OnboardingBodyInput): string {
  const { plan } = input;
  const proposing = plan.workloads.filter((workload) => workload.record.decision.action === "propose" && workload.edits.length > 0);
  const records = proposing.map((workload) => workload.record);
  const monthly = records.reduce((sum, record) => sum + (record.cost?.monthly.total ?? 0), 0);
  const currency = records.find((record) => record.cost)?.cost?.currency ?? input.currency;
  const clusters = [...new Set(plan.workloads.map((workload) => workload.ref.cluster))];
  const where = clusters.length > 0 ? ` (${clusters.length === 1 ? "cluster" : "clusters"} ${clusters.map((name) => code(name)).join(", ")})` : "";
  const summary =
    plan.workloads.length === 0
      ? "rightsize found **no workload it can right-size yet** in this repository: none of its manifests matched a workload it observes (see below)."
      : `rightsize found **${plural(plan.workloads.length, "workload")}** it can right-size in this repository${where}, and would propose changes to ${proposing.length} of them now${proposing.length > 0 ? `, ${savingsPhrase(monthly, currency)}` : ""}.`;
  const unmapped = unmappedRows(plan);
  const lines = [
    summary,
    "",
    `This pull request adds ${code(input.policyPath)} in \`mode: recommend\`:`,
    "",
    `- **Merging it turns rightsize on here.** Each scan (${code(input.schedule)}, UTC) brings the issue "rightsize dashboard" up to date with what rightsize would propose; it opens no pull request until the file says \`mode: propose\`. Commands (\`/rightsize help\`) work at once.`,
    `- **Closing it means "not here".** rightsize opens no other onboarding pull request in this repository and does nothing here on its scans. \`/rightsize onboard\` in any issue brings this pull request back.`,
    "",
    `### Workloads (${plan.workloads.length})`,
    "",
    ...(plan.workloads.length === 0 ? ["None yet."] : workloadTable(plan.workloads)),
    "",
    `### What it would propose now (${plural(proposing.length, "workload")}${proposing.length > 0 ? `, ${describeMonthlyCost(monthly, currency)} a month` : ""})`,
    "",
    ...(proposing.length === 0 ? ["Nothing yet: every workload is within its margins, waiting for data or blocked (the table above says which)."] : [renderContainerTable(records)]),
    "",
    `From observations up to ${input.observedAt.slice(0, 16)}Z and the manifests of ${code(input.base.branch)} at ${input.base.commit.slice(0, 7)}. The first scan after merging proposes the same from the same observations; later ones from newer data.`,
    "",
    `### What it cannot map (${unmapped.length})`,
    "",
    ...(unmapped.length === 0 ? ["Nothing: every workload it found is observed, and every file it read is a manifest it understands."] : capped(unmapped)),
    "",
    "### The policy file",
    "",
    "```yaml",
    input.policyText.trimEnd(),
    "```",
    "",
    "Edit it on this branch before merging (for example `targets` for other paths or clusters, or `mode: propose`); `/rightsize policy validate` checks it. Once someone else has pushed to this branch, rightsize leaves it alone.",
    "",
    MARKERS.onboarding,
  ];
  return lines.join("\n");
}

function savingsPhrase(monthly: number, currency: string): string {
  const amount = `${(Math.round(Math.abs(monthly) * 100) / 100).toFixed(2)} ${currency}`;
  if (Math.round(monthly * 100) === 0) return "at no change in cost";
  return monthly < 0 ? `saving **${amount} a month**` : `adding **${amount} a month** (increases the observed usage needs)`;
}

function workloadTable(workloads: readonly PlannedWorkload[]): string[] {
  const rows = workloads.map((workload) => {
    const places = [...new Set(workload.manifest.containers.map((container) => `${container.location.path}${container.location.line ? `:${container.location.line}` : ""}`))];
    const cell = (text: string) => code(text, { inTable: true });
    return `| ${cell(label(workload.ref))} | ${cell(workload.ref.cluster)} | ${places.map(cell).join(", ")} | ${nowText(workload.record)} |`;
  });
  return ["| Workload | Cluster | File and line it would edit | Now |", "| --- | --- | --- | --- |", ...capped(rows)];
}

/** What the workload's decision is now, in a few words. */
function nowText(record: DecisionRecord): string {
  const { action, reasons } = record.decision;
  if (action === "propose") {
    const changed = record.containers.filter((container) => container.action === "change").map((container) => code(container.name, { inTable: true }));
    return `propose (${changed.join(", ")})`;
  }
  const reason = reasons[0];
  return reason ? `${action}: ${safeMarkdown(reason).replaceAll("|", "\\|")}` : action;
}

function unmappedRows(plan: Plan): string[] {
  return [
    ...plan.skipped.map((skip) => `- ${code(skip.path)}: not read: ${safeMarkdown(skip.reason)}`),
    ...plan.notObserved.map(
      (entry) => `- ${code(label(entry.ref))} in ${code(entry.path)}: found in the repository, but not observed in cluster ${code(entry.ref.cluster)} (no workload of that namespace, kind and name runs there, or the cluster's metrics do not name it)`,
    ),
    ...plan.notInRepo.map((ref) => `- ${code(label(ref))}: runs in cluster ${code(ref.cluster)}, but no manifest of this repository defines it (it may live in another repository)`),
  ];
}

function capped(rows: readonly string[]): string[] {
  return rows.length <= MAX_ROWS ? [...rows] : [...rows.slice(0, MAX_ROWS), `… and ${rows.length - MAX_ROWS} more`];
}

function label(ref: WorkloadRef): string {
  return workloadKey(ref).split("/").slice(1).join("/");
}
