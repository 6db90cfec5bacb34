import { isWorkloadKind, type WorkloadKind } from "../domain/index.js";

export interface OwnerReference {
  kind: string;
  name: string;
}

export interface PodOwnership {
  workload: { kind: WorkloadKind; name: string };
  /** The Job a pod ran in, for run-based observation of Jobs and CronJobs. */
  job?: string;
}

/**
 * Follows a pod's owner chain to the workload that owns its template (SPEC §3):
 * Deployment/Rollout → ReplicaSet → Pod and CronJob → Job → Pod; StatefulSets and DaemonSets own
 * their pods directly, and a ReplicaSet or Job with no owner is itself the workload. Pods of other
 * owners (static pods, custom controllers) are not workloads rightsize sizes.
 */
export function resolvePodOwnership(
  direct: OwnerReference | undefined,
  ownerOfReplicaSet: (name: string) => OwnerReference | undefined,
  ownerOfJob: (name: string) => OwnerReference | undefined,
): PodOwnership | undefined {
  if (!direct) return undefined;
  switch (direct.kind) {
    case "ReplicaSet": {
      const parent = ownerOfReplicaSet(direct.name);
      if (parent && (parent.kind === "Deployment" || parent.kind === "Rollout")) return { workload: { kind: parent.kind, name: parent.name } };
      return { workload: { kind: "ReplicaSet", name: direct.name } };
    }
    case "Job": {
      const parent = ownerOfJob(direct.name);
      if (parent?.kind === "CronJob") return { workload: { kind: "CronJob", name: parent.name }, job: direct.name };
      return { workload: { kind: "Job", name: direct.name }, job: direct.name };
    }
    case "StatefulSet":
    case "DaemonSet":
      return { workload: { kind: direct.kind, name: direct.name } };
    default:
      return undefined;
  }
}

export function workloadKindOf(kind: string): WorkloadKind | undefined {
  return isWorkloadKind(kind) ? kind : undefined;
}
