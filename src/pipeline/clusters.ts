import { readFile } from "node:fs/promises";
import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { formatFieldPath, InputError, parseObservationSnapshotText, SNAPSHOT_SCHEMA_VERSION, type ObservationSnapshot } from "../domain/index.js";
import { PrometheusConnectionSchema, type LoadedPolicy, type Policy } from "../policy/index.js";
import type { ObservationScope, ObservedInputs } from "./repository.js";

/**
 * The operator's clusters (SPEC §10, `RIGHTSIZE_CLUSTERS_FILE`): the app observes only these. A
 * repository's policy refers to clusters by name and never supplies an endpoint, so a policy
 * cannot make the bot fetch arbitrary URLs from inside the operator's network.
 */
export const OperatorClustersSchema = z.strictObject({
  clusters: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        /** A kubeconfig file; without it and without `context`, the in-cluster service account. */
        kubeconfig: z.string().optional(),
        context: z.string().optional(),
        prometheus: PrometheusConnectionSchema.optional(),
        /** Replay an observation snapshot instead of observing (demos, tests, air-gapped trials). */
        snapshot: z.string().optional(),
      }),
    )
    .min(1, "name at least one cluster"),
});

export type OperatorClusters = z.infer<typeof OperatorClustersSchema>;
export type OperatorCluster = OperatorClusters["clusters"][number];

/** Reads and checks the clusters file; every problem names the file, line, column and field. */
export async function loadOperatorClusters(file: string): Promise<OperatorClusters> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new InputError(`${file}: cannot read the clusters file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check RIGHTSIZE_CLUSTERS_FILE`, { file });
  }
  return parseOperatorClusters(text, file);
}

export function parseOperatorClusters(text: string, file: string): OperatorClusters {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const [syntax] = document.errors;
  if (syntax) {
    const position = lines.linePos(syntax.pos[0]);
    throw new InputError(`${file}:${position.line}:${position.col}: not valid YAML (${syntax.code}); fix the clusters file`, { file, line: position.line, column: position.col });
  }
  const parsed = OperatorClustersSchema.safeParse(document.toJS({ maxAliasCount: 100 }));
  if (parsed.success) {
    const names = parsed.data.clusters.map((cluster) => cluster.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) throw new InputError(`${file}: cluster "${duplicate}" is named twice; give each cluster its own name`, { file, field: "clusters" });
    return parsed.data;
  }
  const messages = parsed.error.issues.map((issue) => {
    const node = document.getIn(issue.path as (string | number)[], true);
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    const position = lines.linePos(offset);
    return `${file}:${position.line}:${position.col} ${formatFieldPath(issue.path as (string | number)[])}: ${issue.message}`;
  });
  throw new InputError(messages.join("\n"), { file });
}

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
  for (const cluster of clusters.filter((candidate) => candidate.snapshot !== undefined)) {
    snapshots.push(await replayedCluster(cluster));
  }
  const live = clusters.filter((cluster) => cluster.snapshot === undefined);
  if (live.length > 0) {
    // Imported here: the Kubernetes client takes a second to load and replays never need it.
    const { observeForPolicy } = await import("../observe/index.js");
    for (const cluster of live) {
      const policy: Policy = {
        ...loaded.policy,
        observe: { ...loaded.policy.observe, source: cluster.prometheus ? "prometheus" : "metrics-server" },
        clusters: [{ name: cluster.name, ...(cluster.context ? { context: cluster.context } : {}), ...(cluster.prometheus ? { prometheus: cluster.prometheus } : {}) }],
      };
      const kubeconfig = cluster.prometheus ? undefined : await kubeconfigFor(cluster);
      snapshots.push(
        await observeForPolicy(policy, {
          at: options.at,
          ...(scope.namespaces ? { namespaces: scope.namespaces } : {}),
          ...(kubeconfig ? { kubeconfig } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.env ? { env: options.env } : {}),
        }),
      );
    }
  }
  // A replay is evaluated at its own time, so replaying the same file twice proposes the same bytes.
  const at = live.length === 0 ? snapshots.map((snapshot) => snapshot.createdAt).sort().at(-1)! : options.at;
  return { snapshot: mergeSnapshots(snapshots, at), at };
}

function mergeSnapshots(snapshots: ObservationSnapshot[], at: string): ObservationSnapshot {
  if (snapshots.length === 1) return snapshots[0]!;
  const problems = snapshots.flatMap((snapshot) => snapshot.problems ?? []);
  // Query ids are content hashes, so the clusters' queries merge without clashing.
  const queries = Object.assign({}, ...snapshots.map((snapshot) => snapshot.queries ?? {})) as NonNullable<ObservationSnapshot["queries"]>;
  return { schemaVersion: SNAPSHOT_SCHEMA_VERSION, kind: "ObservationSnapshot", createdAt: at, queries, workloads: snapshots.flatMap((snapshot) => snapshot.workloads), ...(problems.length > 0 ? { problems } : {}) };
}

async function replayedCluster(cluster: OperatorCluster): Promise<ObservationSnapshot> {
  let text: string;
  try {
    text = await readFile(cluster.snapshot!, "utf8");
  } catch (error) {
    throw new InputError(`cluster "${cluster.name}": cannot read its snapshot ${cluster.snapshot} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); fix the clusters file`);
  }
  const snapshot = parseObservationSnapshotText(text, cluster.snapshot);
  // A snapshot records the cluster name it was taken with; the operator's name is the one that counts.
  return { ...snapshot, workloads: snapshot.workloads.map((observation) => ({ ...observation, workload: { ...observation.workload, cluster: cluster.name } })) };
}

async function kubeconfigFor(cluster: OperatorCluster) {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kubeconfig = new KubeConfig();
  if (cluster.kubeconfig) kubeconfig.loadFromFile(cluster.kubeconfig);
  else if (cluster.context) kubeconfig.loadFromDefault();
  else kubeconfig.loadFromCluster();
  return kubeconfig;
}
