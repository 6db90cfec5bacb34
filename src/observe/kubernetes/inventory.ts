import type { V2HorizontalPodAutoscaler as HpaV2, V1Job, V1ObjectMeta, V1Pod, V1PodSpec } from "@kubernetes/client-node";
import type { WorkloadKind } from "../../domain/index.js";
import { resolvePodOwnership, type OwnerReference, type PodOwnership } from "../workloads.js";
import { ApiProblem, type KubernetesApi, type ListPage } from "./api.js";

/** A workload as the API shows it: its pod template, its pods and the HPA that scales it. */
export interface LiveWorkload {
  kind: WorkloadKind;
  name: string;
  template?: V1PodSpec;
  pods: V1Pod[];
  hpa?: { name: string; metrics: string[] };
  problems: string[];
}

export interface NamespaceInventory {
  namespace: string;
  workloads: Map<string, LiveWorkload>;
  /** Pod name → owning workload and Job; refreshed when metrics name a pod not seen yet. */
  ownership: Map<string, PodOwnership>;
  replicaSetOwners: Map<string, OwnerReference>;
  jobOwners: Map<string, OwnerReference>;
  jobs: V1Job[];
}

export function workloadKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

interface TemplatedObject {
  metadata?: V1ObjectMeta;
  spec?: { template?: { spec?: V1PodSpec } };
}

interface ArgoRollout {
  metadata?: V1ObjectMeta;
  spec?: { template?: { spec?: V1PodSpec } };
}

/** The controlling owner, as Kubernetes marks it (`controller: true`). */
export function controllerOf(metadata: V1ObjectMeta | undefined): OwnerReference | undefined {
  const owners = metadata?.ownerReferences ?? [];
  const owner = owners.find((reference) => reference.controller) ?? owners[0];
  return owner ? { kind: owner.kind, name: owner.name } : undefined;
}

/**
 * Lists the namespace's workloads, pods and HPAs. A kind that cannot be listed is a namespace
 * problem (its workloads are unknown); pods or HPAs that cannot be read are problems of every
 * workload found; an API that is not installed (Argo Rollouts) simply has no objects.
 */
export async function readInventory(api: KubernetesApi, namespace: string): Promise<{ inventory: NamespaceInventory; namespaceProblems: string[] }> {
  const namespaceProblems: string[] = [];
  const optional = async <T>(request: Promise<T[]>, onMissing: "ignore" | "report"): Promise<T[]> => {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof ApiProblem)) throw error;
      if (!(error.kind === "not-found" && onMissing === "ignore")) namespaceProblems.push(error.message);
      return [];
    }
  };
  const list = <T>(what: string, page: (options: { limit: number; _continue?: string }) => Promise<ListPage<T>>) => api.listAll<T>(`${what} in ${namespace}`, page);
  const [deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, rollouts] = await Promise.all([
    optional(list<TemplatedObject>("deployments", (page) => api.apps.listNamespacedDeployment({ namespace, ...page })), "report"),
    optional(list<TemplatedObject>("statefulsets", (page) => api.apps.listNamespacedStatefulSet({ namespace, ...page })), "report"),
    optional(list<TemplatedObject>("daemonsets", (page) => api.apps.listNamespacedDaemonSet({ namespace, ...page })), "report"),
    optional(list<TemplatedObject>("replicasets", (page) => api.apps.listNamespacedReplicaSet({ namespace, ...page })), "report"),
    optional(list<V1Job>("jobs", (page) => api.batch.listNamespacedJob({ namespace, ...page })), "report"),
    optional(
      list<{ metadata?: V1ObjectMeta; spec?: { jobTemplate?: { spec?: { template?: { spec?: V1PodSpec } } } } }>("cronjobs", (page) =>
        api.batch.listNamespacedCronJob({ namespace, ...page }),
      ),
      "report",
    ),
    optional(
      list<ArgoRollout>("rollouts (argoproj.io)", (page) =>
        api.custom.listNamespacedCustomObject({ group: "argoproj.io", version: "v1alpha1", plural: "rollouts", namespace, ...page }) as Promise<{ items: ArgoRollout[] }>,
      ),
      "ignore",
    ),
  ]);

  const workloads = new Map<string, LiveWorkload>();
  const add = (kind: WorkloadKind, object: { metadata?: V1ObjectMeta }, template: V1PodSpec | undefined) => {
    const name = object.metadata?.name;
    if (name) workloads.set(workloadKey(kind, name), { kind, name, ...(template ? { template } : {}), pods: [], problems: [] });
  };
  for (const object of deployments) add("Deployment", object, object.spec?.template?.spec);
  for (const object of statefulSets) add("StatefulSet", object, object.spec?.template?.spec);
  for (const object of daemonSets) add("DaemonSet", object, object.spec?.template?.spec);
  for (const object of rollouts) add("Rollout", object, object.spec?.template?.spec);
  for (const object of cronJobs) add("CronJob", object, object.spec?.jobTemplate?.spec?.template?.spec);
  // A ReplicaSet or Job with a controller belongs to that controller; only bare ones are workloads.
  for (const object of replicaSets) if (!controllerOf(object.metadata)) add("ReplicaSet", object, object.spec?.template?.spec);
  for (const object of jobs) if (!controllerOf(object.metadata)) add("Job", object, object.spec?.template?.spec);

  const replicaSetOwners = ownersByName(replicaSets);
  const jobOwners = ownersByName(jobs);
  const inventory: NamespaceInventory = { namespace, workloads, ownership: new Map(), replicaSetOwners, jobOwners, jobs };
  const workloadProblems: string[] = [];
  try {
    attachPods(inventory, await list<V1Pod>("pods", (page) => api.core.listNamespacedPod({ namespace, ...page })));
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    workloadProblems.push(error.message);
  }
  try {
    attachHpas(inventory, await list<HpaV2>("horizontalpodautoscalers", (page) => api.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace, ...page })));
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    workloadProblems.push(`${error.message} (an HPA on CPU or memory would conflict with a new request)`);
  }
  for (const workload of workloads.values()) workload.problems.push(...workloadProblems);
  return { inventory, namespaceProblems };
}

function ownersByName(objects: Array<{ metadata?: V1ObjectMeta }>): Map<string, OwnerReference> {
  const owners = new Map<string, OwnerReference>();
  for (const object of objects) {
    const owner = controllerOf(object.metadata);
    if (object.metadata?.name && owner) owners.set(object.metadata.name, owner);
  }
  return owners;
}

function ownershipOfPod(inventory: NamespaceInventory, pod: V1Pod): PodOwnership | undefined {
  return resolvePodOwnership(
    controllerOf(pod.metadata),
    (name) => inventory.replicaSetOwners.get(name),
    (name) => inventory.jobOwners.get(name),
  );
}

export function attachPods(inventory: NamespaceInventory, pods: V1Pod[]): void {
  for (const workload of inventory.workloads.values()) workload.pods = [];
  inventory.ownership.clear();
  for (const pod of pods) {
    const ownership = ownershipOfPod(inventory, pod);
    const name = pod.metadata?.name;
    if (!ownership || !name) continue;
    inventory.ownership.set(name, ownership);
    inventory.workloads.get(workloadKey(ownership.workload.kind, ownership.workload.name))?.pods.push(pod);
  }
}

function attachHpas(inventory: NamespaceInventory, hpas: HpaV2[]): void {
  const sorted = [...hpas].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const hpa of sorted) {
    const target = hpa.spec?.scaleTargetRef;
    const workload = target ? inventory.workloads.get(workloadKey(target.kind, target.name)) : undefined;
    if (!workload || workload.hpa || !hpa.metadata?.name) continue;
    const metrics = (hpa.spec?.metrics ?? []).flatMap((metric) => {
      const name = metric.resource?.name ?? metric.containerResource?.name ?? metric.pods?.metric?.name ?? metric.object?.metric?.name ?? metric.external?.metric?.name;
      return name ? [name] : [];
    });
    // An HPA without metrics scales on CPU (autoscaling/v2 default: 80% utilisation).
    workload.hpa = { name: hpa.metadata.name, metrics: metrics.length > 0 ? [...new Set(metrics)].sort() : ["cpu"] };
  }
}
