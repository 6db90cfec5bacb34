import type { WorkloadRef } from "../domain/index.js";
import { isSelected, type Plan, type WorkloadSelection } from "../pipeline/index.js";
import { decisionRows, type DecisionRecord } from "../recommend/index.js";
import type { Rows } from "./output.js";

/** CSV and markdown rows of decision records (`recommend`, `plan`): one row per container, the values a table shows. */
export function decisionCsvRows(records: readonly DecisionRecord[]): Rows {
  return {
    columns: [
      "cluster",
      "namespace",
      "kind",
      "name",
      "container",
      "cpu_request",
      "cpu_proposed",
      "cpu_change_percent",
      "memory_request",
      "memory_proposed",
      "memory_change_percent",
      "monthly_cost",
      "currency",
      "safety",
      "confidence",
      "confidence_score",
      "action",
      "decision",
    ],
    rows: decisionRows(records).map((row) => [
      row.cluster,
      row.namespace,
      row.kind,
      row.name,
      row.container,
      row.cpu.current,
      row.cpu.proposed,
      row.cpu.changePercent,
      row.memory.current,
      row.memory.proposed,
      row.memory.changePercent,
      row.monthlyCost === null ? null : Math.round(row.monthlyCost * 100) / 100,
      row.monthlyCost === null ? null : row.currency,
      row.safety,
      row.confidence,
      row.confidenceScore,
      row.action,
      row.decision,
    ]),
  };
}

/** Every workload a plan knows of: planned, in the repository but not observed, observed but not in the repository. */
export function planWorkloads(plan: Plan): WorkloadRef[] {
  return [...plan.workloads.map((workload) => workload.ref), ...plan.notObserved.map((entry) => entry.ref), ...plan.notInRepo];
}

/** The plan of the selected workloads only. */
export function selectFromPlan(plan: Plan, selection: WorkloadSelection): Plan {
  return {
    ...plan,
    workloads: plan.workloads.filter((workload) => isSelected(selection, workload.ref)),
    notObserved: plan.notObserved.filter((entry) => isSelected(selection, entry.ref)),
    notInRepo: plan.notInRepo.filter((ref) => isSelected(selection, ref)),
  };
}

/**
 * Usage as the verification comment and pull requests write it (one style for every view): cores
 * with up to two decimals from one core, else millicores with one; GiB with two decimals from
 * 1Gi, else MiB with one.
 */
export function displayUsage(value: number, resource: "cpu" | "memory"): string {
  if (resource === "cpu") return value >= 1 ? `${Number(value.toFixed(2))}` : `${Number((value * 1000).toFixed(1))}m`;
  const gibibyte = 1024 ** 3;
  return value >= gibibyte ? `${Number((value / gibibyte).toFixed(2))}Gi` : `${Number((value / 1024 ** 2).toFixed(1))}Mi`;
}
