import { code, safeMarkdown, workloadKey } from "../../domain/index.js";
import { describeMonthlyCost } from "../../recommend/index.js";
import type { Plan } from "./plan.js";
import { renderContainerTable } from "../body/table.js";

/** `plan --output markdown`: a report for a CI job summary or an issue comment. */
export function renderPlanMarkdown(plan: Plan): string {
  const lines = ["## rightsize plan", ""];
  if (plan.proposalsPaused) lines.push(`> Proposals paused: ${plan.proposalsPaused}.`, "");
  const records = plan.workloads.map((workload) => workload.record);
  lines.push(renderContainerTable(records));
  const proposed = records.filter((record) => record.decision.action === "propose" && record.cost !== undefined);
  if (proposed.length > 0) {
    // SPEC §11: what the proposals change per month, priced with the policy's cost section.
    const total = proposed.reduce((sum, record) => sum + record.cost!.monthly.total, 0);
    lines.push("", `Monthly cost of the ${proposed.length === 1 ? "proposal" : `${proposed.length} proposals`}: ${describeMonthlyCost(total, proposed[0]!.cost!.currency)} (per pod × pods observed).`);
  }
  for (const workload of plan.workloads) {
    const { record } = workload;
    lines.push("", `### ${record.workload.kind} ${code(`${record.workload.namespace}/${record.workload.name}`)} (cluster ${code(record.workload.cluster)}): ${record.decision.action}`, "");
    lines.push(...record.decision.reasons.map((reason) => `- ${safeMarkdown(reason)}`));
    lines.push(...workload.drift.map((drift) => `- drift in ${code(drift.container)} ${drift.field}: manifest ${drift.manifest ?? "unset"}, live ${drift.live ?? "unset"} (the manifest is the truth)`));
    if (workload.edits.length > 0) lines.push("", "```diff", workload.edits.map((edit) => edit.diff).join("").trimEnd(), "```");
  }
  const unmatched = [
    ...plan.notObserved.map(({ ref, path }) => `- in the repo but not observed: ${code(workloadKey(ref))} (${code(path)})`),
    ...plan.notInRepo.map((ref) => `- observed but not in the repo: ${code(workloadKey(ref))}`),
  ];
  if (unmatched.length > 0) lines.push("", "### Not matched", "", ...unmatched);
  return `${lines.join("\n")}\n`;
}
