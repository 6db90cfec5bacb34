import { workloadKey } from "../domain/index.js";
import type { Plan } from "./plan.js";

/** `plan --output markdown`: a report for a CI job summary or an issue comment. */
export function renderPlanMarkdown(plan: Plan): string {
  const lines = ["## rightsize plan", ""];
  if (plan.proposalsPaused) lines.push(`> Proposals paused: ${plan.proposalsPaused}.`, "");
  lines.push("| Workload | Container | CPU request | Memory request | Safety | Confidence | Action |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const { record } of plan.workloads) {
    for (const container of record.containers) {
      const cell = (resource: "cpu" | "memory") => {
        const from = container.current.requests[resource] ?? "—";
        const to = container.recommended.requests[resource];
        const change = container.change[resource];
        return to === undefined || to === container.current.requests[resource] ? from : `${from} → **${to}**${change === null ? "" : ` (${change > 0 ? "+" : ""}${change.toFixed(1)}%)`}`;
      };
      lines.push(
        `| ${record.workload.namespace}/${record.workload.kind}/${record.workload.name} | ${container.name} | ${cell("cpu")} | ${cell("memory")} | ${container.safety} | ${container.confidence.level} (${container.confidence.score}) | ${record.decision.action} |`,
      );
    }
  }
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
