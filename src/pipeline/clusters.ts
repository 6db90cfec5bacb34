import { InputError, SNAPSHOT_SCHEMA_VERSION, type ObservationSnapshot } from "../domain/index.js";
import { buildSnapshot, diagnoseClusters, sourceFor, type DoctorReport, type ObservationProblem, type OperatorClusters } from "../observe/index.js";
import { isWorkloadSelected, type LoadedPolicy, type Policy } from "../policy/index.js";
import type { ObservationScope, ObservedInputs } from "./observation.js";

// The clusters file and the choice of each cluster's source live in src/observe; the pipeline
// decides which of them a repository's policy may use.
export { OperatorClustersSchema, loadOperatorClusters, parseOperatorClusters, type OperatorClusters, type OperatorCluster } from "../observe/index.js";

/** The cluster names a policy uses: its targets', its clusters', or `default` when it names none. */
export function clustersNamedBy(policy: Policy): string[] {
  const names = [...policy.targets.map((target) => target.cluster), ...policy.clusters.map((cluster) => cluster.name)];
  return names.length > 0 ? [...new Set(names)] : ["default"];
}

/** The policy names a cluster the operator does not serve: the reply says which setting to ask for. */
export class UnservedClusterError extends InputError {
  constructor(
    readonly clusters: string[],
    readonly served: string[],
  ) {
    super(
      `the policy names ${clusters.length === 1 ? "cluster" : "clusters"} ${clusters.map((name) => `"${name}"`).join(", ")}, which this rightsize installation does not observe (it observes ${served.map((name) => `"${name}"`).join(", ")}); use one of those names in targets[].cluster, or ask the operator to add the cluster to the clusters file (RIGHTSIZE_CLUSTERS_FILE)`,
      { field: "targets[].cluster" },
    );
  }
}

export interface OperatorObserveOptions {
  /** The evaluation time; the app passes the clock's now. */
  at: string;
  onProgress?: (message: string) => void;
  env?: Record<string, string | undefined>;
}

/**
 * Observes what a policy asks for, through the operator's endpoints only: the policy's own
 * `clusters[].prometheus` and contexts are replaced by the operator's entries of the same name.
 */
export async function observeOperatorClusters(
  operator: OperatorClusters,
  loaded: LoadedPolicy,
  scope: ObservationScope,
  options: OperatorObserveOptions,
): Promise<ObservedInputs> {
  const wanted = clustersNamedBy(loaded.policy).filter((name) => scope.cluster === undefined || name === scope.cluster);
  const served = new Map(operator.clusters.map((cluster) => [cluster.name, cluster]));
  const unserved = wanted.filter((name) => !served.has(name));
  if (unserved.length > 0) throw new UnservedClusterError(unserved, [...served.keys()]);
  const clusters = wanted.map((name) => served.get(name)!);
  const snapshots: ObservationSnapshot[] = [];
  let live = false;
  for (const cluster of clusters) {
    const source = sourceFor(cluster, { inCluster: true });
    live ||= source.kind !== "snapshot";
    const problems: ObservationProblem[] = [];
    const policy: Policy = {
      ...loaded.policy,
      observe: { ...loaded.policy.observe, source: source.kind === "metrics-server" ? "metrics-server" : "prometheus" },
      clusters: [{ name: cluster.name }],
    };
    const observed = await source.observe(policy, {
      at: options.at,
      namespaces: scope.namespaces,
      onProgress: options.onProgress,
      onProblem: (problem) => problems.push(problem),
      env: options.env,
    });
    const workloads = source.kind === "snapshot" ? observed.workloads : observed.workloads.filter((observation) => isWorkloadSelected(loaded.policy, observation.workload));
    snapshots.push(buildSnapshot(workloads, observed.createdAt ?? options.at, [...(observed.problems ?? []), ...problems], observed.queries));
  }
  // A replay is evaluated at its own time, so replaying the same file twice proposes the same bytes.
  const at = !live ? snapshots.map((snapshot) => snapshot.createdAt).sort().at(-1)! : options.at;
  return { snapshot: mergeSnapshots(snapshots, at), at };
}


/**
 * `rightsize doctor` for a repository (SPEC §4): the operator's clusters its policy names, each
 * checked through its own source over the policy's window. The app's `/rightsize doctor` runs it.
 */
export async function diagnoseOperatorClusters(operator: OperatorClusters, loaded: LoadedPolicy, options: { at: string; env?: Record<string, string | undefined> }): Promise<DoctorReport> {
  const wanted = clustersNamedBy(loaded.policy);
  const served = new Map(operator.clusters.map((cluster) => [cluster.name, cluster]));
  const unserved = wanted.filter((name) => !served.has(name));
  if (unserved.length > 0) throw new UnservedClusterError(unserved, [...served.keys()]);
  return diagnoseClusters(
    wanted.map((name) => served.get(name)!),
    { at: options.at, windowSeconds: loaded.policy.observe.window.seconds, ...(options.env ? { env: options.env } : {}) },
    { inCluster: true },
  );
}

function mergeSnapshots(snapshots: ObservationSnapshot[], at: string): ObservationSnapshot {
  if (snapshots.length === 1) return snapshots[0]!;
  const problems = snapshots.flatMap((snapshot) => snapshot.problems ?? []);
  // Query ids are content hashes, so the clusters' queries merge without clashing.
  const queries = Object.assign({}, ...snapshots.map((snapshot) => snapshot.queries ?? {})) as NonNullable<ObservationSnapshot["queries"]>;
  return { schemaVersion: SNAPSHOT_SCHEMA_VERSION, kind: "ObservationSnapshot", createdAt: at, queries, workloads: snapshots.flatMap((snapshot) => snapshot.workloads), ...(problems.length > 0 ? { problems } : {}) };
}
