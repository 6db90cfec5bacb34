import { alignColumns } from "../domain/index.js";
import { describeMonthlyCost, describePercent } from "./describe.js";
import type { ContainerDecision, DecisionRecord } from "./record.js";

const HEADER = ["WORKLOAD", "CONTAINER", "CPU REQUEST", "MEMORY REQUEST", "PER MONTH", "SAFETY", "CONFIDENCE", "ACTION", "DECISION"];

/**
 * The `--output text` view: one row per container (current → recommended request, safety,
 * confidence, action) and, under the table, each workload's decision with its reasons.
 */
export function renderDecisionTable(records: readonly DecisionRecord[], whenEmpty = "no workloads in the snapshot"): string {
  if (records.length === 0) return `${whenEmpty}\n`;
  const rows = [HEADER];
  for (const record of records) {
    const workload = `${record.workload.namespace}/${record.workload.kind}/${record.workload.name}`;
    if (record.containers.length === 0) rows.push([workload, "-", "-", "-", "-", "-", "-", "-", record.decision.action]);
    for (const container of record.containers) {
      rows.push([
        workload,
        container.name,
        requestCell(container, "cpu"),
        requestCell(container, "memory"),
        container.cost && container.action === "change" ? describeMonthlyCost(container.cost.total, record.cost?.currency ?? "") : "-",
        container.safety,
        `${container.confidence.level} (${container.confidence.score})`,
        container.action,
        record.decision.action,
      ]);
    }
  }
  const decisions = records.flatMap((record) => [
    `${record.workload.cluster}/${record.workload.namespace}/${record.workload.kind}/${record.workload.name}: ${record.decision.action}`,
    ...record.decision.reasons.map((reason) => `  - ${reason}`),
  ]);
  return `${alignColumns(rows)}\n\n${decisions.join("\n")}\n`;
}

function requestCell(container: ContainerDecision, resource: "cpu" | "memory"): string {
  const current = container.current.requests[resource] ?? "-";
  const recommended = container.recommended.requests[resource] ?? "-";
  if (container.action === "blocked" || current === recommended) return current;
  const change = container.change[resource];
  return `${current} → ${recommended}${change === null ? "" : ` (${describePercent(change)})`}`;
}
