export const WORKLOAD_KINDS = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
  "Rollout",
] as const;

export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** SPEC §3: a workload is identified by (cluster, namespace, kind, name). */
export interface WorkloadRef {
  cluster: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
}

export function isRunBased(kind: WorkloadKind): boolean {
  return kind === "Job" || kind === "CronJob";
}

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

/** `cluster/namespace/Kind/name`, stable and unique: used as a map key and in messages. */
export function workloadKey(ref: WorkloadRef): string {
  return `${ref.cluster}/${ref.namespace}/${ref.kind}/${ref.name}`;
}

export const RESOURCE_NAMES = ["cpu", "memory"] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

/** Quantities as a manifest (or the live object) writes them: `500m`, `2`, `1Gi`. */
export type ResourceValues = Partial<Record<ResourceName, string>>;

/** A container's requests and limits, as written. */
export interface ContainerResources {
  requests: ResourceValues;
  limits: ResourceValues;
}

/** Regular containers, init containers that run to completion, and restartable sidecars. */
export type ContainerRole = "container" | "init" | "sidecar";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why a name is not one Kubernetes accepts, or undefined when it is: namespaces and containers
 * are RFC 1123 labels, workloads RFC 1123 subdomains. A manifest with such a name never applies,
 * and its text never reaches a pull request (SPEC §9).
 */
export function kubernetesNameProblem(name: string, shape: "label" | "subdomain"): string | undefined {
  const [pattern, limit, what] = shape === "label" ? [DNS_LABEL, 63, "an RFC 1123 label"] : [DNS_SUBDOMAIN, 253, "an RFC 1123 subdomain"];
  if (name.length > limit) return `is longer than ${limit} characters`;
  if (!pattern.test(name)) return `is not ${what} (lowercase letters, digits${shape === "subdomain" ? ", '.'" : ""} and '-', starting and ending with a letter or digit)`;
  return undefined;
}
