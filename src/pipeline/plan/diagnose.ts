import type { ObservationSnapshot } from "../../domain/index.js";
import type { Plan, TargetCoverage } from "./plan.js";

export interface PlanDiagnosis {
  /** No workload of the checkout was matched to an observation: there is nothing to recommend. */
  nothingMatched: boolean;
  /** What the user should read: the problems the snapshot carries and, when nothing matched, why and how to fix it. */
  lines: string[];
}

/**
 * Why a plan came out empty, in words a user can act on: a snapshot taken under another
 * cluster name (`rightsize snapshot` says `default` unless told), target globs that match no
 * file, namespaces that differ on the two sides. Pure over the plan and the snapshot.
 */
export function diagnosePlan(plan: Plan, snapshot: ObservationSnapshot): PlanDiagnosis {
  const lines = (snapshot.problems ?? []).map((problem) => `observation problem in ${problem.cluster}/${problem.namespace ?? "*"}: ${problem.message}`);
  for (const target of plan.targets) {
    if (target.unmatchedPaths.length > 0) {
      lines.push(`target paths ${globList(target.unmatchedPaths)} match no file; fix targets[${target.index}].paths (globs relative to the repository root)`);
    }
  }
  if (plan.workloads.length > 0) return { nothingMatched: false, lines };

  lines.push("nothing to recommend: no workload of the repository matched an observation");
  for (const target of plan.targets) lines.push(`  ${describeTarget(target)}`);
  const observedClusters = distinct(snapshot.workloads.map((observation) => observation.workload.cluster));
  const observedNamespaces = distinct(snapshot.workloads.map((observation) => observation.workload.namespace));
  lines.push(
    snapshot.workloads.length === 0
      ? "  the snapshot holds no workload"
      : `  the snapshot: ${plural(snapshot.workloads.length, "workload")} in ${named("cluster", observedClusters)}, ${named("namespace", observedNamespaces)}`,
  );

  const targetClusters = distinct(plan.targets.map((target) => target.cluster));
  const fixes: string[] = [];
  if (snapshot.workloads.length === 0) {
    fixes.push("the snapshot observed nothing: check the namespaces it was taken for (rightsize snapshot --namespace) and its problems");
  } else if (!observedClusters.some((cluster) => targetClusters.includes(cluster))) {
    fixes.push(clusterMismatch(observedClusters, targetClusters, plan.targets));
  }
  if (fixes.length === 0 && plan.targets.every((target) => target.files > 0)) {
    const repoNamespaces = distinct(plan.notObserved.map(({ ref }) => ref.namespace));
    if (plan.notObserved.length === 0) {
      fixes.push("the targets' files hold no workload rightsize sizes (see the skipped files above, and selector.kinds, selector.namespaces)");
    } else if (!repoNamespaces.some((namespace) => observedNamespaces.includes(namespace))) {
      fixes.push(
        `the repository's workloads are in ${named("namespace", repoNamespaces)} but the snapshot's in ${named("namespace", observedNamespaces)}; ` +
          "take the snapshot for those namespaces (rightsize snapshot --namespace), or set the manifests' namespace (targets[].namespace for manifests without one)",
      );
    } else {
      fixes.push("the workloads on the two sides differ in kind or name; compare the lists above (a Deployment is observed under its own name, not its ReplicaSet's)");
    }
  }
  lines.push(...fixes);
  return { nothingMatched: true, lines };
}

function describeTarget(target: TargetCoverage): string {
  const what = target.index === undefined ? "the whole checkout (the policy has no targets)" : `targets[${target.index}] paths ${globList(target.paths ?? [])}`;
  return `${what} for cluster "${target.cluster}": ${plural(target.files, "file")}, ${plural(target.workloads, "workload")}, ${target.observed} observed`;
}

function clusterMismatch(observed: string[], targetClusters: string[], targets: readonly TargetCoverage[]): string {
  const wanted = targetClusters[0]!;
  const implied = targets.every((target) => target.index === undefined);
  const policySide = implied
    ? `the policy has no targets, so the checkout belongs to cluster "${wanted}"`
    : `the policy's targets name ${targetClusters.map((cluster) => `"${cluster}"`).join(", ")}`;
  const rename = implied ? `or name the policy's cluster ${observed.map((cluster) => `"${cluster}"`).join(" or ")} (clusters[0].name)` : `or rename the target${targets.length > 1 ? "s" : ""}`;
  return `the snapshot observed ${named("cluster", observed)} but ${policySide}; pass --cluster ${wanted} to rightsize snapshot, ${rename}`;
}

function globList(globs: readonly string[]): string {
  return `[${globs.map((glob) => JSON.stringify(glob)).join(", ")}]`;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function named(noun: string, values: readonly string[]): string {
  return `${noun}${values.length === 1 ? "" : "s"} ${values.map((value) => `"${value}"`).join(", ")}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
