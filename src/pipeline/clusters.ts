import { InputError, SNAPSHOT_SCHEMA_VERSION, type ObservationSnapshot } from "../domain/index.js";
import { buildSnapshot, diagnoseClusters, sourceFor, type DoctorReport, type ObservationProblem, type OperatorClusters } from "../observe/index.js";
import { formatFieldPath } from "../domain/index.js";
import { documentToData, parseYamlText, YAML_BOUNDS } from "../yaml/index.js";
import { isWorkloadSelected, policyFieldPosition, type LoadedPolicy, type Policy, type PolicyProblem, type PolicyText } from "../policy/index.js";
import type { ObservationScope, ObservedInputs } from "./observation.js";

// The clusters file and the choice of each cluster's source live in src/observe; the pipeline
// decides which of them a repository's policy may use.
export { OperatorClustersSchema, loadOperatorClusters, parseOperatorClusters, type OperatorClusters, type OperatorCluster } from "../observe/index.js";

/** The cluster names a policy uses: its targets', its clusters', or `default` when it names none. */
export function clustersNamedBy(policy: Policy): string[] {
  const names = [...policy.targets.map((target) => target.cluster), ...policy.clusters.map((cluster) => cluster.name)];
  return names.length > 0 ? [...new Set(names)] : ["default"];
}

/** The clusters the policy names that the operator's clusters file does not serve. */
export function unservedClusters(policy: Policy, operator: OperatorClusters): string[] {
  const served = new Set(operator.clusters.map((cluster) => cluster.name));
  return clustersNamedBy(policy).filter((name) => !served.has(name));
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

/**
 * `/rightsize policy validate` and the policy check (SPEC §10): each cluster the policy names that
 * the operator does not serve, as a problem at the line that names it (a base's or the implied
 * `default` at the top of the file), so a policy is not called valid that the next run refuses.
 */
export function unservedClusterProblems(loaded: LoadedPolicy, operator: OperatorClusters | undefined, file: PolicyText | undefined, options: { nameServed: boolean } = { nameServed: true }): PolicyProblem[] {
  const path = file?.path ?? loaded.source.path;
  const at = (field: (string | number)[] | undefined) => (file && field ? policyFieldPosition(file, field) : undefined) ?? { line: 1, column: 1 };
  const served = (operator?.clusters ?? []).map((cluster) => cluster.name);
  if (!operator) {
    return [{ severity: "warning", file: path, line: 1, column: 1, field: "", message: "this rightsize installation observes no cluster yet, so nothing this policy names can be observed; its operator sets RIGHTSIZE_CLUSTERS_FILE (see the README, \"Install the GitHub App\")" }];
  }
  const observes = !options.nameServed ? "`/rightsize policy validate` in this repository lists those it observes" : served.length > 0 ? `it observes ${served.map((name) => `"${name}"`).join(", ")}` : "it observes no cluster yet";
  return unservedClusters(loaded.policy, operator)
    .map((name): PolicyProblem => {
      const named = fieldNaming(file, name);
      const where = at(named);
      const message =
        named || loaded.policy.targets.length > 0 || loaded.policy.clusters.length > 0
          ? `cluster "${name}" is not observed by this rightsize installation (${observes}); use ${options.nameServed && served.length > 0 ? "one of those names" : "a cluster it observes"}, or ask the operator to add the cluster to the clusters file (RIGHTSIZE_CLUSTERS_FILE)`
          : `the policy names no cluster, so rightsize would observe the cluster "${name}", which this installation does not observe (${observes}); name one in targets[].cluster`;
      return { severity: "error", file: path, ...where, field: named ? formatFieldPath(named) : "targets[].cluster", message };
    });
}

/** The field of the policy text that names a cluster: a target's `cluster` first, else a `clusters[].name`. */
function fieldNaming(file: PolicyText | undefined, name: string): (string | number)[] | undefined {
  if (!file) return undefined;
  const [document] = parseYamlText(file.text, { maxBytes: YAML_BOUNDS.policyBytes, templates: false }).documents;
  const read = document ? documentToData(document) : undefined;
  const data = read && "data" in read ? (read.data as Record<string, unknown> | null) : undefined;
  for (const [list, key] of [["targets", "cluster"], ["clusters", "name"]] as const) {
    const entries = data?.[list];
    if (!Array.isArray(entries)) continue;
    const index = entries.findIndex((entry: unknown) => entry !== null && typeof entry === "object" && (entry as Record<string, unknown>)[key] === name);
    if (index >= 0) return [list, index, key];
  }
  return undefined;
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
