import { UsageError, type WorkloadRef } from "../../domain/index.js";

/** `kind/name` or `namespace/kind/name` (SPEC §9 TARGET); `all` is the empty list. */
export interface WorkloadTarget {
  namespace?: string;
  kind: string;
  name: string;
}

/** Which workloads a run proposes: `/rightsize [TARGET…] [--cluster C] [--namespace N]`. */
export interface WorkloadSelection {
  /** Empty: every workload. */
  targets: WorkloadTarget[];
  cluster?: string;
  namespace?: string;
}

export const EVERY_WORKLOAD: WorkloadSelection = { targets: [] };

export function parseWorkloadTarget(text: string): WorkloadTarget {
  const parts = text.split("/");
  if (parts.some((part) => part === "") || parts.length < 2 || parts.length > 3) {
    throw new UsageError(`"${text}" is not a workload; write kind/name (deployment/frontend), namespace/kind/name (shop/deployment/frontend) or all`);
  }
  const [first, second, third] = parts as [string, string, string?];
  return third === undefined ? { kind: first, name: second } : { namespace: first, kind: second, name: third };
}

export function formatWorkloadTarget(target: WorkloadTarget): string {
  return [target.namespace, target.kind, target.name].filter(Boolean).join("/");
}

/**
 * The selections of workload keys (`cluster/namespace/Kind/name`, as proposals and the dashboard
 * record them): one per cluster, since a run selects in one cluster at a time.
 */
export function selectionsOfKeys(keys: readonly string[]): Array<WorkloadSelection & { cluster: string }> {
  const byCluster = new Map<string, WorkloadSelection & { cluster: string }>();
  for (const key of keys) {
    const [cluster, namespace, kind, name] = key.split("/");
    if (!cluster || !namespace || !kind || !name) continue;
    const selection = byCluster.get(cluster) ?? { cluster, targets: [] };
    selection.targets.push({ namespace, kind, name });
    byCluster.set(cluster, selection);
  }
  return [...byCluster.values()];
}

export function isSelected(selection: WorkloadSelection, ref: WorkloadRef): boolean {
  if (selection.cluster !== undefined && ref.cluster !== selection.cluster) return false;
  if (selection.namespace !== undefined && ref.namespace !== selection.namespace) return false;
  return selection.targets.length === 0 || selection.targets.some((target) => matchesTarget(target, ref));
}

function matchesTarget(target: WorkloadTarget, ref: WorkloadRef): boolean {
  return (
    target.kind.toLowerCase() === ref.kind.toLowerCase() && target.name === ref.name && (target.namespace === undefined || target.namespace === ref.namespace)
  );
}

/** The targets that name none of the workloads found: the reply says so instead of doing nothing. */
export function unmatchedTargets(selection: WorkloadSelection, refs: readonly WorkloadRef[]): WorkloadTarget[] {
  const scoped = refs.filter((ref) => isSelected({ ...selection, targets: [] }, ref));
  return selection.targets.filter((target) => !scoped.some((ref) => matchesTarget(target, ref)));
}

/** The namespaces observation can be narrowed to, when the selection names them all. */
export function selectedNamespaces(selection: WorkloadSelection): string[] | undefined {
  if (selection.namespace !== undefined) return [selection.namespace];
  if (selection.targets.length > 0 && selection.targets.every((target) => target.namespace !== undefined)) {
    return [...new Set(selection.targets.map((target) => target.namespace!))];
  }
  return undefined;
}
