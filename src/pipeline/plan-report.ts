import { workloadKey } from "../domain/index.js";
import type { Plan } from "./plan.js";
import { renderContainerTable } from "./pull-request.js";

/** `plan --output markdown`: a report for a CI job summary or an issue comment. */
export function renderPlanMarkdown(plan: Plan): string {
  const lines = ["## rightsize plan", ""];
  if (plan.proposalsPaused) lines.push(`> Proposals paused: ${plan.proposalsPaused}.`, "");
  lines.push(renderContainerTable(plan.workloads.map((workload) => workload.record)));
  for (const workload of plan.workloads) {
    const { record } = workload;
    lines.push("", `### ${record.workload.kind} ${record.workload.namespace}/${record.workload.name}: ${record.decision.action}`, "");
    lines.push(...record.decision.reasons.map((reason) => `- ${reason}`));
    lines.push(...workload.drift.map((drift) => `- drift in \`${drift.container}\` ${drift.field}: manifest ${drift.manifest ?? "unset"}, live ${drift.live ?? "unset"} (the manifest is the truth)`));
    if (workload.edits.length > 0) lines.push("", "```diff", workload.edits.map((edit) => edit.diff).join("").trimEnd(), "```");
  }
  const unmatched = [
    ...plan.notObserved.map(({ ref, path }) => `- in the repo but not observed: \`${workloadKey(ref)}\` (${path})`),
    ...plan.notInRepo.map((ref) => `- observed but not in the repo: \`${workloadKey(ref)}\``),
  ];
  if (unmatched.length > 0) lines.push("", "### Not matched", "", ...unmatched);
  return `${lines.join("\n")}\n`;
}
