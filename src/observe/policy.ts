import type { KubeConfig } from "@kubernetes/client-node";
import { InputError, UsageError, type ObservationQuery, type ObservationSnapshot, type WorkloadObservation } from "../domain/index.js";
import { isWorkloadSelected, type Policy } from "../policy/index.js";
import type { ObservationProblem } from "./request.js";
import { buildSnapshot } from "./snapshot.js";
import { sourceFor } from "./sources.js";

export interface PolicyObservationRequest {
  /** Overrides the policy's namespaces (selector.namespaces.allow, else every namespace with pods). */
  namespaces?: string[];
  /** End of the window (Prometheus) or start of sampling (metrics-server). */
  at: string;
  onProgress?: (message: string) => void;
  /** For tests and embedding; default: the kubeconfig from the environment. */
  kubeconfig?: KubeConfig;
  /** Environment holding the credentials the policy names; default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * What `rightsize plan` without --snapshot runs: every cluster of the policy, through its
 * Prometheus or its kubeconfig context per `observe.source`, over the policy's window.
 */
export async function observeForPolicy(policy: Policy, request: PolicyObservationRequest): Promise<ObservationSnapshot> {
  if (policy.observe.source === "snapshot") {
    throw new UsageError('the policy says observe.source: snapshot; pass --snapshot FILE (written by "rightsize snapshot") to replay one');
  }
  const clusters: Policy["clusters"] = policy.clusters.length > 0 ? policy.clusters : [{ name: "default" }];
  const workloads: WorkloadObservation[] = [];
  const queries: Record<string, ObservationQuery> = {};
  const problems: ObservationProblem[] = [];
  const onProblem = (problem: ObservationProblem) => problems.push(problem);
  for (const [index, cluster] of clusters.entries()) {
    const field = `clusters[${index}]`;
    if (policy.observe.source === "prometheus" && !cluster.prometheus) {
      throw new InputError(`${field} (${cluster.name}) has no prometheus.url, but observe.source is prometheus; add clusters[].prometheus or set observe.source: metrics-server`, { field: `${field}.prometheus` });
    }
    const source = sourceFor(cluster, { prefer: policy.observe.source, field, ...(request.kubeconfig ? { kubeconfig: request.kubeconfig } : {}) });
    const observed = await source.observe(policy, { at: request.at, namespaces: request.namespaces, onProgress: request.onProgress, onProblem, env: request.env });
    workloads.push(...observed.workloads);
    Object.assign(queries, observed.queries);
  }
  return buildSnapshot(
    workloads.filter((observation) => isWorkloadSelected(policy, observation.workload)),
    request.at,
    problems,
    queries,
  );
}
