import { code, prose, safeMarkdown, workloadKey, type WorkloadRef } from "../../domain/index.js";
import { formatWorkloadTarget, renderContainerTable, type ProposalResult, type RepositoryRun } from "../../pipeline/index.js";
import { plural } from "../../recommend/index.js";

const PUBLISHED = new Set(["created", "updated", "unchanged"]);
const VERB: Record<string, string> = { created: "opened", updated: "updated", unchanged: "unchanged" };
/** A reply lists at most this many held or blocked workloads; the dashboard has them all. */
const MAX_LISTED = 30;

/**
 * The reply to `/rightsize [TARGET…]`: a link to every pull request opened or updated, then what
 * was not proposed and why. A dry run (or `mode: recommend`) shows the table instead.
 */
export function renderProposeOutcome(run: RepositoryRun, options: { dryRun: boolean }): string {
  const lines: string[] = [];
  for (const target of run.unmatched) {
    lines.push(`- ${code(formatWorkloadTarget(target))} matches no workload in this repository's manifests (the policy's \`targets\`); check the kind, name and namespace.`);
  }
  if (run.selected.length === 0) {
    const why = run.plan.workloads.length === 0 ? renderNothingObserved(run) : "no observed workload matches the selection";
    return [`rightsize found nothing to do: ${why}.`, ...lines].join("\n");
  }
  if (options.dryRun || run.plan.proposalsPaused) {
    const heading = options.dryRun
      ? `rightsize would propose this (dry run, nothing was opened; base ${code(run.base.branch)} at ${run.base.commit.slice(0, 7)}):`
      : `rightsize opened no pull request: ${run.plan.proposalsPaused}. What it would propose:`;
    return [heading, "", renderContainerTable(run.selected.map((workload) => workload.record)), "", ...renderDecisions(run), ...lines].join("\n");
  }
  const published = run.results.filter((result) => PUBLISHED.has(result.status));
  const other = run.results.filter((result) => !PUBLISHED.has(result.status));
  const parts: string[] = [];
  if (published.length > 0) {
    parts.push(publishedHeading(published), ...published.map(renderPublished));
  } else {
    parts.push("rightsize opened no pull request.");
  }
  if (other.length > 0) parts.push("", "Not proposed:", ...other.map(renderNotProposed));
  const quiet = run.selected.filter((workload) => !run.results.some((result) => result.workloads.some((ref) => workloadKey(ref) === workloadKey(workload.ref))));
  if (quiet.length > 0) {
    parts.push("", "No change proposed:");
    parts.push(...quiet.slice(0, MAX_LISTED).map((workload) => `- ${label(workload.ref)} (${workload.record.decision.action}): ${safeMarkdown(workload.record.decision.reasons.join("; "))}`));
    if (quiet.length > MAX_LISTED) parts.push(`- … and ${quiet.length - MAX_LISTED} more (\`/rightsize all --dry-run\` shows them all)`);
  }
  return [...parts, ...lines].join("\n");
}

/** What happened, counted: pull requests that already propose these values were not "proposed" again. */
function publishedHeading(published: readonly ProposalResult[]): string {
  const unchanged = published.filter((result) => result.status === "unchanged").length;
  const written = published.length - unchanged;
  if (unchanged === 0) return `rightsize proposed ${plural(written, "pull request")}:`;
  const upToDate = `${plural(unchanged, "pull request")} ${unchanged === 1 ? "is" : "are"} up to date (unchanged)`;
  return written === 0 ? `rightsize changed nothing: ${upToDate}:` : `rightsize proposed ${plural(written, "pull request")}; ${upToDate}:`;
}

function renderPublished(result: ProposalResult): string {
  const link = result.pullRequestNumber !== undefined ? `#${result.pullRequestNumber}` : (result.pullRequestUrl ?? result.branch);
  const overrides = result.overrides ? ` #${result.overrides.number} was declined; this proposal overrides it, as asked.` : "";
  return `- ${link} ${VERB[result.status]}: ${prose(result.title)}${overrides}`;
}

function renderNotProposed(result: ProposalResult): string {
  const what = result.workloads.map(label).join(", ");
  const reason = (result.reason ?? "").replace(/[.\s]+$/, "");
  const advice = result.status === "failed" ? ". Nothing was left half-made; the next scan or `/rightsize refresh` tries again" : "";
  return `- ${what} — ${result.status}: ${safeMarkdown(reason)}${advice}.`;
}

function renderDecisions(run: RepositoryRun): string[] {
  return run.selected.slice(0, MAX_LISTED).map((workload) => `- ${label(workload.ref)}: **${workload.record.decision.action}**: ${safeMarkdown(workload.record.decision.reasons.join("; "))}`);
}

function renderNothingObserved(run: RepositoryRun): string {
  if (run.plan.notObserved.length > 0) {
    return `${run.plan.notObserved.length} workload${run.plan.notObserved.length === 1 ? " is" : "s are"} in the manifests but none was observed in the clusters (first: ${label(run.plan.notObserved[0]!.ref)}); check the cluster names in the policy's targets`;
  }
  return "no workload was found in the manifests the policy's targets name";
}

function label(ref: WorkloadRef): string {
  return code(`${ref.namespace}/${ref.kind}/${ref.name}`);
}
