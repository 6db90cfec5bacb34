import type { WorkloadObservation } from "../../domain/index.js";
import type { KubernetesConnectionOptions } from "./api.js";
import type { KubernetesRequest } from "./source.js";

/**
 * The Kubernetes API source, loaded when first used: the Kubernetes client takes about a second
 * to import, and a run that reads only Prometheus or a snapshot never needs it.
 */
export { KUBERNETES_SOURCE, METRICS_SERVER_SOURCE, SAMPLING_LIMITS } from "./constants.js";
export type { KubernetesRequest, SamplingRequest } from "./source.js";
export type { KubernetesConnectionOptions } from "./api.js";

export async function observeWithKubernetesApi(options: KubernetesConnectionOptions, request: KubernetesRequest): Promise<WorkloadObservation[]> {
  return (await import("./source.js")).observeWithKubernetesApi(options, request);
}

export async function discoverKubernetesNamespaces(options: KubernetesConnectionOptions): Promise<string[]> {
  return (await import("./source.js")).discoverKubernetesNamespaces(options);
}

/** Whether an error is the Kubernetes API refusing or failing a request (it names what to fix). */
export async function isApiProblem(error: unknown): Promise<boolean> {
  return error instanceof (await import("./api.js")).ApiProblem;
}
