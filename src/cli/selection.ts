import type { Command } from "commander";
import { distance } from "fastest-levenshtein";
import { UsageError, WORKLOAD_KINDS, type WorkloadKind, type WorkloadRef } from "../domain/index.js";
import { formatWorkloadTarget, isSelected, parseWorkloadTarget, type WorkloadSelection, type WorkloadTarget } from "../pipeline/index.js";
import type { LoadedPolicy } from "../policy/index.js";
import { nearestWord } from "./output.js";

/** `-n/--namespace`, `-A/--all-namespaces` and `--cluster`, as kubectl and `/rightsize` spell them. */
export interface SelectionFlags {
  namespace?: string;
  allNamespaces?: boolean;
  cluster?: string;
}

export const TARGETS_HELP = "workloads: kind/name or namespace/kind/name, as /rightsize takes them (default: every workload)";

/** The workload arguments and flags of `plan`, `propose` and `recommend`. */
export function addSelectionOptions(command: Command): Command {
  return command
    .argument("[workloads...]", TARGETS_HELP)
    .option("-n, --namespace <namespace>", "only workloads in this namespace")
    .option("-A, --all-namespaces", "workloads in every namespace (the default)")
    .option("--cluster <name>", "only workloads of this cluster (a name in the policy's clusters)");
}

/** kubectl's names for the kinds, besides the kind itself in any case: `deploy`, `sts`, `deployments`… */
const KIND_WORDS = new Map<string, WorkloadKind>([
  ...WORKLOAD_KINDS.flatMap((kind) => [[kind.toLowerCase(), kind] as const, [`${kind.toLowerCase()}s`, kind] as const]),
  ["deploy", "Deployment"],
  ["sts", "StatefulSet"],
  ["ds", "DaemonSet"],
  ["rs", "ReplicaSet"],
  ["cj", "CronJob"],
  ["ro", "Rollout"],
]);

/** The selection the arguments and flags name; `all` (or nothing) selects every workload. */
export function parseSelection(words: readonly string[], flags: SelectionFlags): WorkloadSelection {
  if (flags.namespace !== undefined && flags.allNamespaces) throw new UsageError("-n/--namespace and -A/--all-namespaces exclude each other");
  const all = words.includes("all");
  const targets = words.filter((word) => word !== "all").map(parseTarget);
  if (all && targets.length > 0) throw new UsageError("name workloads or all, not both");
  for (const target of targets) {
    if (flags.namespace !== undefined && target.namespace !== undefined && target.namespace !== flags.namespace) {
      throw new UsageError(`${formatWorkloadTarget(target).toLowerCase()} is in namespace ${target.namespace}, but --namespace is ${flags.namespace}; drop one of them`);
    }
  }
  return { targets, ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}), ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}) };
}

function parseTarget(word: string): WorkloadTarget {
  const target = parseWorkloadTarget(word);
  const kind = KIND_WORDS.get(target.kind.toLowerCase());
  if (!kind) {
    const words = WORKLOAD_KINDS.map((candidate) => candidate.toLowerCase());
    const suggestion = nearestWord(target.kind, [...KIND_WORDS.keys()]);
    const hint = suggestion ? `; did you mean ${KIND_WORDS.get(suggestion)!.toLowerCase()}?` : "";
    throw new UsageError(`"${word}": ${target.kind} is not a workload kind; use one of ${words.join(", ")}${hint}`);
  }
  return { ...target, kind };
}

/** The namespaces observation can be narrowed to: `--namespace`, or the namespaces of the targets when each names one. */
export function selectedNamespaces(selection: WorkloadSelection): string[] | undefined {
  if (selection.namespace !== undefined) return [selection.namespace];
  if (selection.targets.length > 0 && selection.targets.every((target) => target.namespace !== undefined)) return [...new Set(selection.targets.map((target) => target.namespace!))];
  return undefined;
}

export function isEverything(selection: WorkloadSelection): boolean {
  return selection.targets.length === 0 && selection.cluster === undefined && selection.namespace === undefined;
}

/**
 * A cluster, namespace or workload the selection names but `known` does not hold is an input
 * error (exit 2) that names the nearest existing ones, so a typo never passes for "nothing to do".
 */
export function requireKnown(selection: WorkloadSelection, known: readonly WorkloadRef[], where: string): void {
  const problems: string[] = [];
  const clusters = unique(known.map((ref) => ref.cluster));
  if (selection.cluster !== undefined && !clusters.includes(selection.cluster)) {
    problems.push(`no workload of cluster ${selection.cluster} ${where}${alternatives(selection.cluster, clusters, "clusters")}`);
  } else {
    const inCluster = known.filter((ref) => selection.cluster === undefined || ref.cluster === selection.cluster);
    const namespaces = unique(inCluster.map((ref) => ref.namespace));
    if (selection.namespace !== undefined && !namespaces.includes(selection.namespace)) {
      problems.push(`no workload in namespace ${selection.namespace} ${where}${alternatives(selection.namespace, namespaces, "namespaces")}`);
    } else {
      for (const target of selection.targets) {
        if (inCluster.some((ref) => isSelected({ ...selection, targets: [target] }, ref))) continue;
        const nearest = nearestWorkloads(target, inCluster, clusters.length > 1 && selection.cluster === undefined);
        problems.push(`no workload ${formatWorkloadTarget(target).toLowerCase()} ${where}${nearest.length > 0 ? `; did you mean ${nearest.join(" or ")}?` : ""}`);
      }
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
}

function alternatives(word: string, candidates: readonly string[], what: string): string {
  const suggestion = nearestWord(word, candidates);
  if (suggestion) return `; did you mean ${suggestion}?`;
  return candidates.length > 0 && candidates.length <= 10 ? ` (${what} there: ${candidates.join(", ")})` : "";
}

/**
 * Up to three workloads nearest to a target that names none: the same name in another kind or
 * namespace first, then the closest spellings (a few letters off), written as targets.
 */
function nearestWorkloads(target: WorkloadTarget, known: readonly WorkloadRef[], withCluster: boolean): string[] {
  const spelled = (ref: WorkloadRef) => `${target.namespace !== undefined ? `${ref.namespace}/` : ""}${ref.kind}/${ref.name}`.toLowerCase();
  const wanted = formatWorkloadTarget(target).toLowerCase();
  const scored = known
    .map((ref) => ({ ref, cost: ref.name.toLowerCase() === target.name.toLowerCase() ? 0 : distance(wanted, spelled(ref)) }))
    .filter(({ cost }) => cost <= Math.max(2, Math.floor(wanted.length / 4)))
    .sort((a, b) => a.cost - b.cost);
  const shown = scored.map(({ ref }) => `${ref.namespace}/${ref.kind.toLowerCase()}/${ref.name}${withCluster ? ` (cluster ${ref.cluster})` : ""}`);
  return unique(shown).slice(0, 3);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** The policy as observation sees it under `--cluster`: only that cluster, which the policy must name. */
export function policyForCluster(loaded: LoadedPolicy, cluster: string | undefined): LoadedPolicy {
  if (cluster === undefined) return loaded;
  const names = loaded.policy.clusters.length > 0 ? loaded.policy.clusters.map((entry) => entry.name) : ["default"];
  if (!names.includes(cluster)) {
    throw new UsageError(`--cluster ${cluster}: the policy ${loaded.source.path} names no such cluster${alternatives(cluster, names, "clusters")}`);
  }
  if (loaded.policy.clusters.length === 0) return loaded;
  return { ...loaded, policy: { ...loaded.policy, clusters: loaded.policy.clusters.filter((entry) => entry.name === cluster) } };
}
