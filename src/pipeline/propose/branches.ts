import { createHash } from "node:crypto";
import type { WorkloadRef } from "../../domain/index.js";

/**
 * Names are lookup keys (SPEC §8): the branch finds the PR, the decision path finds the record.
 * Kinds are lower-cased, as in `kubectl get deployment/frontend`.
 *
 * Every part comes from a repository rightsize may not control (a cluster named in the policy, a
 * namespace or name written in a manifest), so each is made a valid git ref component and a safe
 * path segment. A part that had to change gets a short hash of its original text, so two
 * different workloads never share a branch.
 */
export function proposalBranch(ref: WorkloadRef): string {
  return `rightsize/${safePart(ref.cluster)}/${safePart(ref.namespace)}/${safePart(`${ref.kind.toLowerCase()}-${ref.name}`)}`;
}

export function namespaceBranch(cluster: string, namespace: string): string {
  return `rightsize/${safePart(cluster)}/${safePart(namespace)}`;
}

export function decisionRecordPath(ref: WorkloadRef): string {
  return `.rightsize/decisions/${safePart(ref.cluster)}/${safePart(ref.namespace)}/${safePart(`${ref.kind.toLowerCase()}-${ref.name}`)}.json`;
}

/** Where `propose --local` writes the PR body of a branch. */
export function pullRequestBodyPath(branch: string): string {
  return `.rightsize/out/${branch.replace(/^rightsize\//, "")}.md`;
}

/** True for the branches rightsize writes (and only those it reads back as its own). */
export function isProposalBranch(branch: string): boolean {
  return branch.startsWith("rightsize/");
}

/**
 * One component of a ref and of a path: git refuses `..`, a leading `.` or `-`, a trailing `.`,
 * a `.lock` suffix, control characters, spaces and `~^:?*[\`; a path must not be `.` or `..`.
 * Kubernetes names (DNS-1123) pass unchanged except those ending in `.lock`.
 */
function safePart(text: string): string {
  let safe = text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/\.{2,}/g, ".");
  safe = safe.replace(/^[.-]+/, "").replace(/[.]+$/, "");
  if (safe.toLowerCase().endsWith(".lock")) safe = `${safe.slice(0, -5)}-lock`;
  if (safe === text && safe !== "") return safe;
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 8);
  return safe === "" ? digest : `${safe}-${digest}`;
}
