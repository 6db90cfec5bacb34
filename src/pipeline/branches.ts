import type { WorkloadRef } from "../domain/index.js";

/**
 * Names are lookup keys (SPEC §8): the branch finds the PR, the decision path finds the record.
 * Kinds are lower-cased, as in `kubectl get deployment/frontend`.
 */
export function proposalBranch(ref: WorkloadRef): string {
  return `rightsize/${ref.cluster}/${ref.namespace}/${ref.kind.toLowerCase()}-${ref.name}`;
}

export function namespaceBranch(cluster: string, namespace: string): string {
  return `rightsize/${cluster}/${namespace}`;
}

export function decisionRecordPath(ref: WorkloadRef): string {
  return `.rightsize/decisions/${ref.cluster}/${ref.namespace}/${ref.kind.toLowerCase()}-${ref.name}.json`;
}

/** Where `propose --local` writes the PR body of a branch. */
export function pullRequestBodyPath(branch: string): string {
  return `.rightsize/out/${branch.replace(/^rightsize\//, "")}.md`;
}
