import { code } from "../../domain/index.js";
import { describeMonthlyCost, type ContainerDecision, type DecisionRecord } from "../../recommend/index.js";

/** Untrusted text in a table cell. */
const cell = (text: string) => code(text, { inTable: true });

/** One row per container: current → recommended, Δ%, safety, confidence, action (PR bodies and `plan --output markdown`). */
export function renderContainerTable(records: readonly DecisionRecord[]): string {
  const rows = [
    "| Workload | Container | CPU request | Memory request | Limits | Per month | Safety | Confidence | Action |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const record of records) {
    for (const container of record.containers) {
      const cost = container.action === "change" && container.cost && record.cost ? describeMonthlyCost(container.cost.total, record.cost.currency) : "—";
      rows.push(
        `| ${cell(`${record.workload.namespace}/${record.workload.kind}/${record.workload.name}`)} | ${cell(container.name)} | ${transition(container, "requests", "cpu")} | ${transition(container, "requests", "memory")} | ${limitsCell(container)} | ${cost} | ${container.safety} | ${container.confidence.level} (${container.confidence.score}) | ${container.action} |`,
      );
    }
  }
  return rows.join("\n");
}

function transition(container: ContainerDecision, group: "requests" | "limits", resource: "cpu" | "memory"): string {
  const from = container.current[group][resource];
  const to = container.recommended[group][resource];
  if (from === to) return from ?? "—";
  // A limit the recommendation leaves out is removed (policy limits: remove-cpu); a request left out was not recommended.
  if (to === undefined) return group === "limits" && container.action === "change" ? `${from} → **removed**` : (from ?? "—");
  const change = group === "requests" ? container.change[resource] : null;
  const percent = change === null || change === undefined ? "" : ` (${change > 0 ? "+" : ""}${change.toFixed(1)}%)`;
  return `${from ?? "unset"} → **${to}**${percent}`;
}

function limitsCell(container: ContainerDecision): string {
  const parts = (["cpu", "memory"] as const)
    .filter((resource) => container.current.limits[resource] !== undefined || container.recommended.limits[resource] !== undefined)
    .map((resource) => `${resource} ${transition(container, "limits", resource)}`);
  return parts.length > 0 ? parts.join(", ") : "—";
}
