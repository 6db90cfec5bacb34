import { code } from "../../domain/index.js";
import { describeMonthlyCost, type ContainerDecision, type DecisionRecord } from "../../recommend/index.js";
import { isRegularInit } from "./verdict.js";

/** Untrusted text in a table cell. */
const cell = (text: string) => code(text, { inTable: true });

/**
 * One row per container: cluster, current → recommended, Δ%, safety, confidence, action (PR
 * bodies, replies and `plan --output markdown`). A change shows only where the workload proposes
 * it: a held or blocked workload's rows show the values set now, and its decision as the action.
 */
export function renderContainerTable(records: readonly DecisionRecord[]): string {
  const rows = [
    "| Cluster | Workload | Container | CPU request | Memory request | Limits | Per month | Safety | Confidence | Action |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const record of records) {
    for (const container of record.containers) {
      const proposed = record.decision.action === "propose" && container.action === "change";
      const cost = !proposed ? "—" : isRegularInit(record, container) ? "none (init container)" : container.cost && record.cost ? describeMonthlyCost(container.cost.total, record.cost.currency) : "—";
      const action = record.decision.action === "propose" ? container.action : record.decision.action;
      rows.push(
        `| ${cell(record.workload.cluster)} | ${cell(`${record.workload.namespace}/${record.workload.kind}/${record.workload.name}`)} | ${cell(container.name)} | ${transition(container, "requests", "cpu", proposed)} | ${transition(container, "requests", "memory", proposed)} | ${limitsCell(container, proposed)} | ${cost} | ${container.safety} | ${container.confidence.level} (${container.confidence.score}) | ${action} |`,
      );
    }
  }
  return rows.join("\n");
}

function transition(container: ContainerDecision, group: "requests" | "limits", resource: "cpu" | "memory", proposed: boolean): string {
  const from = container.current[group][resource];
  const to = container.recommended[group][resource];
  if (!proposed || from === to) return from ?? "—";
  // A limit the recommendation leaves out is removed (policy limits: remove-cpu); a request left out was not recommended.
  if (to === undefined) return group === "limits" ? `${from} → **removed**` : (from ?? "—");
  const change = group === "requests" ? container.change[resource] : null;
  const percent = change === null || change === undefined ? "" : ` (${change > 0 ? "+" : ""}${change.toFixed(1)}%)`;
  return `${from ?? "unset"} → **${to}**${percent}`;
}

function limitsCell(container: ContainerDecision, proposed: boolean): string {
  const parts = (["cpu", "memory"] as const)
    .filter((resource) => container.current.limits[resource] !== undefined || (proposed && container.recommended.limits[resource] !== undefined))
    .map((resource) => `${resource} ${transition(container, "limits", resource, proposed)}`);
  return parts.length > 0 ? parts.join(", ") : "—";
}
