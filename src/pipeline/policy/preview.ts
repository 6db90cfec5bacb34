import { workloadKey, type WorkloadRef } from "../../domain/index.js";
import type { Plan, PlannedWorkload } from "../plan/plan.js";

export interface PreviewEntry {
  ref: WorkloadRef;
  /** What the plan would do: `propose` with the requests, or `hold`/`blocked`/`paused` (mode, version)/absent (not planned). */
  before: PlannedOutcome | undefined;
  after: PlannedOutcome | undefined;
}

export interface PlannedOutcome {
  action: "propose" | "hold" | "blocked" | "paused";
  /** Container → the requests proposed (only for `propose`). */
  requests: Record<string, { cpu?: string; memory?: string }>;
}

export interface PolicyPreview {
  newlyProposed: PreviewEntry[];
  noLongerProposed: PreviewEntry[];
  changed: PreviewEntry[];
}

/**
 * What a policy change would do (SPEC §7, the check run's preview): the same manifests and
 * observations planned under the old and the new policy, compared workload by workload.
 */
export function comparePlans(before: Plan, after: Plan): PolicyPreview {
  const outcomes = (plan: Plan) =>
    new Map(plan.workloads.map((workload) => [workloadKey(workload.ref), { ref: workload.ref, outcome: outcomeOf(workload, plan.proposalsPaused !== undefined) }]));
  const old = outcomes(before);
  const next = outcomes(after);
  const preview: PolicyPreview = { newlyProposed: [], noLongerProposed: [], changed: [] };
  for (const key of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const entry: PreviewEntry = { ref: (next.get(key) ?? old.get(key))!.ref, before: old.get(key)?.outcome, after: next.get(key)?.outcome };
    const wasProposed = entry.before?.action === "propose";
    const isProposed = entry.after?.action === "propose";
    if (isProposed && !wasProposed) preview.newlyProposed.push(entry);
    else if (wasProposed && !isProposed) preview.noLongerProposed.push(entry);
    else if (wasProposed && isProposed && JSON.stringify(entry.before!.requests) !== JSON.stringify(entry.after!.requests)) preview.changed.push(entry);
  }
  return preview;
}

function outcomeOf(workload: PlannedWorkload, paused: boolean): PlannedOutcome {
  const { action } = workload.record.decision;
  if (paused) return { action: "paused", requests: {} };
  const proposes = action === "propose" && workload.edits.length > 0;
  const requests: PlannedOutcome["requests"] = {};
  if (proposes) {
    for (const container of workload.record.containers.filter((candidate) => candidate.action === "change")) {
      requests[container.name] = { ...container.recommended.requests };
    }
  }
  return { action: proposes ? "propose" : action === "propose" ? "blocked" : action, requests };
}
