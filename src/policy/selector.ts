import type { WorkloadRef } from "../domain/index.js";
import type { Policy } from "./schema.js";

/** SPEC §7 `selector.namespaces`: an empty allow list allows every namespace; deny wins. */
export function isNamespaceSelected(policy: Policy, namespace: string): boolean {
  const { allow, deny } = policy.selector.namespaces;
  return !deny.includes(namespace) && (allow.length === 0 || allow.includes(namespace));
}

/** SPEC §7 `selector`: the workload's kind and namespace are both selected. */
export function isWorkloadSelected(policy: Policy, workload: Pick<WorkloadRef, "kind" | "namespace">): boolean {
  return policy.selector.kinds.includes(workload.kind) && isNamespaceSelected(policy, workload.namespace);
}
