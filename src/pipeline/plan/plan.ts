import picomatch from "picomatch";
import {
  escapeControls,
  isSameQuantity,
  kubernetesNameProblem,
  workloadKey,
  type ObservationSnapshot,
  type WorkloadObservation,
  type WorkloadRef,
} from "../../domain/index.js";
import {
  discoverTargets,
  planWorkloadEdit,
  type DiscoveredWorkload,
  type DiscoveryTarget,
  type FileEdit,
  type RepoFile,
  type ResourceChange,
} from "../../manifests/index.js";
import { isWorkloadSelected, type LoadedPolicy, type Policy } from "../../policy/index.js";
import { recommendWorkload, type DecisionRecord, type ManifestRef, type ToolRef } from "../../recommend/index.js";
import type { MergedStep, StepOutcome } from "../lifecycle/steps.js";
import type { MergedRequests } from "../lifecycle/verification.js";

export interface PlanInput {
  /** Who makes the records: the recommendation engine reads no file. */
  tool: ToolRef;
  files: RepoFile[];
  loaded: LoadedPolicy;
  snapshot: ObservationSnapshot;
  /** ISO evaluation time (the records' createdAt). */
  at: string;
  /** The last merged step of workloads, by key, and what it means for the next one (SPEC §8). */
  steps?: ReadonlyMap<string, StepOutcome>;
}

/** A manifest value that differs from what runs in the cluster; the manifest is the truth. */
export interface Drift {
  container: string;
  field: `${"requests" | "limits"}.${"cpu" | "memory"}`;
  manifest: string | undefined;
  live: string | undefined;
}

export interface PlannedWorkload {
  ref: WorkloadRef;
  record: DecisionRecord;
  manifest: DiscoveredWorkload;
  observation: WorkloadObservation;
  /** The byte-minimal edits when the decision is `propose` and the policy lets rightsize propose. */
  edits: FileEdit[];
  drift: Drift[];
  /** The last merged step of this workload, when its manifest still holds what it merged. */
  previous?: MergedStep;
}

export interface Plan {
  workloads: PlannedWorkload[];
  /** In the repo but not observed in the cluster (no recommendation possible). */
  notObserved: { ref: WorkloadRef; path: string }[];
  /** Observed in the cluster but not found in the repo's manifests. */
  notInRepo: WorkloadRef[];
  /** Files discovery passed over, with the reason. */
  skipped: { path: string; reason: string }[];
  /** Why nothing is proposed even where the decision says propose (mode, newer policy version). */
  proposalsPaused: string | undefined;
  /** What each target of the policy matched, for saying why nothing was planned (diagnosePlan). */
  targets: TargetCoverage[];
}

export interface TargetCoverage {
  /** `targets[index]` of the policy; undefined when the policy has no targets and the whole checkout is one. */
  index: number | undefined;
  paths: string[] | undefined;
  cluster: string;
  /** Globs of `paths` that match no file of the checkout. */
  unmatchedPaths: string[];
  /** Files the paths match, workloads found in them (and selected), and of those, observed. */
  files: number;
  workloads: number;
  observed: number;
}

interface Target {
  index: number | undefined;
  paths: string[] | undefined;
  cluster: string;
  namespace: string | undefined;
  helm: Policy["targets"][number]["helm"];
}

/**
 * SPEC §2: discover → match → recommend → decide → plan edits, for a checkout and a snapshot.
 * Pure over its inputs; the CLI and the app read files and observations and pass them in.
 */
export function planRepository(input: PlanInput): Plan {
  const { policy } = input.loaded;
  const observations = new Map(input.snapshot.workloads.map((observation) => [workloadKey(observation.workload), observation]));
  const seen = new Set<string>();
  const plan: Plan = { workloads: [], notObserved: [], notInRepo: [], skipped: [], proposalsPaused: proposalsPaused(input.loaded), targets: [] };

  const targets = targetsOf(policy);
  // One discovery for all targets: a value one target's workload shares with another target's (or
  // with an overlay no target names) is seen, and set in the workload's own overlay or refused.
  const discoveries = discoverTargets(input.files, policyDiscoveryTargets(policy));
  targets.forEach((target, index) => {
    const coverage: TargetCoverage = { index: target.index, paths: target.paths, cluster: target.cluster, ...matching(input.files, target.paths), workloads: 0, observed: 0 };
    plan.targets.push(coverage);
    const discovery = discoveries[index]!;
    plan.skipped.push(...discovery.skipped.filter((skip) => !plan.skipped.some((known) => known.path === skip.path && known.reason === skip.reason)));
    for (const manifest of discovery.workloads) {
      const ref: WorkloadRef = { cluster: target.cluster, namespace: manifest.namespace ?? target.namespace ?? "default", kind: manifest.kind, name: manifest.name };
      const invalid = invalidName(ref, manifest);
      if (invalid) {
        if (!plan.skipped.some((known) => known.path === manifest.location.path && known.reason === invalid)) plan.skipped.push({ path: manifest.location.path, reason: invalid });
        continue;
      }
      const key = workloadKey(ref);
      if (seen.has(key) || !isWorkloadSelected(policy, ref)) continue;
      seen.add(key);
      coverage.workloads++;
      const observation = observations.get(key);
      if (!observation) {
        plan.notObserved.push({ ref, path: manifest.location.path });
        continue;
      }
      coverage.observed++;
      plan.workloads.push(planWorkload(input, ref, manifest, observation));
    }
  });
  plan.notInRepo = input.snapshot.workloads
    .map((observation) => observation.workload)
    .filter((ref) => !seen.has(workloadKey(ref)) && isWorkloadSelected(policy, ref));
  return plan;
}

/**
 * A manifest whose names Kubernetes would reject is left alone, with the reason (SPEC §9: its
 * text never becomes markup or state); the name is quoted as JSON, so it shows exactly.
 */
function invalidName(ref: WorkloadRef, manifest: DiscoveredWorkload): string | undefined {
  const names: [string, string, "label" | "subdomain"][] = [
    ["namespace", ref.namespace, "label"],
    [`${ref.kind} name`, ref.name, "subdomain"],
    ...manifest.containers.map((container): [string, string, "label"] => ["container name", container.name, "label"]),
  ];
  for (const [what, name, shape] of names) {
    const problem = kubernetesNameProblem(name, shape);
    if (problem) return `the ${what} ${escapeControls(JSON.stringify(name))} ${problem}: Kubernetes would reject this manifest, so rightsize leaves it alone`;
  }
  return undefined;
}

function planWorkload(input: PlanInput, ref: WorkloadRef, manifest: DiscoveredWorkload, observation: WorkloadObservation): PlannedWorkload {
  const manifestRef: ManifestRef = {
    path: manifest.location.path,
    document: manifest.location.document,
    yamlPath: manifest.location.yamlPath,
    current: Object.fromEntries(manifest.containers.map((container) => [container.name, { requests: container.requests, limits: container.limits }])),
  };
  // Regular init containers are priced at nothing (SPEC §11); named only when there are some, so other workloads' digests stay as they were.
  const initContainers = manifest.containers.filter((container) => container.role === "init").map((container) => container.name);
  if (initContainers.length > 0) manifestRef.initContainers = initContainers;
  const step = input.steps?.get(workloadKey(ref));
  // A step counts while the manifest holds what it merged; values a person wrote since supersede it.
  const current = step && holdsMerged(manifest, step.previous.requests) ? step : undefined;
  const recommend = (reference: ManifestRef) =>
    recommendWorkload({
      tool: input.tool,
      observation,
      policy: input.loaded.policy,
      policySource: input.loaded.source,
      at: input.at,
      manifest: reference,
      ...(current?.holdDecreases ? { holdDecreases: current.holdDecreases } : {}),
      ...(current?.holdMemoryDecreases ? { holdMemoryDecreases: current.holdMemoryDecreases } : {}),
    });
  let record = recommend(manifestRef);
  let edits: FileEdit[] = [];
  if (record.decision.action === "propose") {
    // A value another environment reads too is set in the workload's own patch or overlay, or the
    // edit is refused with the list of those that read it (manifests' planWorkloadEdit, SPEC §3).
    const outcome = planWorkloadEdit(input.files, manifest, changesOf(record));
    if (outcome.ok) edits = outcome.edits;
    else record = recommend({ ...manifestRef, problems: [outcome.refusal.message] });
  }
  return { ref, record, manifest, observation, edits, drift: driftOf(manifest, observation), ...(current ? { previous: current.previous } : {}) };
}

function holdsMerged(manifest: DiscoveredWorkload, merged: MergedRequests): boolean {
  return Object.entries(merged).every(([name, requests]) => {
    const written = manifest.containers.find((container) => container.name === name)?.requests;
    return (["cpu", "memory"] as const).every((resource) => {
      const wanted = requests[resource];
      const value = written?.[resource];
      return wanted === undefined || (value !== undefined && isSameQuantity(wanted, value));
    });
  });
}

/**
 * The workload planned again with some of its containers left out (`/rightsize ignore`): the
 * engine reports them as excluded, as it does for `selector.containers.exclude`.
 */
export function replanWorkload(input: PlanInput, workload: PlannedWorkload, excludedContainers: readonly string[]): PlannedWorkload {
  const { policy } = input.loaded;
  const exclude = [...new Set([...policy.selector.containers.exclude, ...excludedContainers])];
  const narrowed: PlanInput = {
    ...input,
    loaded: { ...input.loaded, policy: { ...policy, selector: { ...policy.selector, containers: { ...policy.selector.containers, exclude } } } },
  };
  return planWorkload(narrowed, workload.ref, workload.manifest, workload.observation);
}

/**
 * The edit that brings the manifest to the recommended values, field by field; toward `current`,
 * the edit that takes them back (the revert after a wrong verdict). A value absent on the side it
 * goes to is removed.
 */
export function changesOf(record: DecisionRecord, toward: "recommended" | "current" = "recommended"): ResourceChange[] {
  const from = toward === "recommended" ? "current" : "recommended";
  return record.containers
    .filter((container) => container.action === "change")
    .map((container) => {
      const change: ResourceChange = { container: container.name };
      for (const group of ["requests", "limits"] as const) {
        for (const resource of ["cpu", "memory"] as const) {
          const target = container[toward][group][resource];
          if (container[from][group][resource] === target) continue;
          change[group] = { ...change[group], [resource]: target ?? null };
        }
      }
      return change;
    });
}

function driftOf(manifest: DiscoveredWorkload, observation: WorkloadObservation): Drift[] {
  const drift: Drift[] = [];
  for (const container of manifest.containers) {
    const live = observation.containers.find((candidate) => candidate.name === container.name)?.current;
    if (!live) continue;
    for (const group of ["requests", "limits"] as const) {
      for (const resource of ["cpu", "memory"] as const) {
        const written = container[group][resource];
        const running = live[group]?.[resource];
        const same = written === undefined || running === undefined ? written === running : isSameQuantity(written, running);
        if (!same) drift.push({ container: container.name, field: `${group}.${resource}`, manifest: written, live: running });
      }
    }
  }
  return drift;
}

/** A workload's manifest as the policy's targets find it in these files (the revert edits it back). */
export function findWorkloadManifest(files: RepoFile[], policy: Policy, ref: WorkloadRef): DiscoveredWorkload | undefined {
  const targets = policyDiscoveryTargets(policy);
  const discoveries = discoverTargets(files, targets);
  for (const [index, discovery] of discoveries.entries()) {
    if (targets[index]!.cluster !== ref.cluster) continue;
    const found = discovery.workloads.find(
      (manifest) => manifest.kind === ref.kind && manifest.name === ref.name && (manifest.namespace ?? targets[index]!.options.defaultNamespace ?? "default") === ref.namespace,
    );
    if (found) return found;
  }
  return undefined;
}

/** The policy's targets as discovery reads them (`plan` and `discover` scan the same way), in policy order. */
export function policyDiscoveryTargets(policy: Policy): (DiscoveryTarget & { cluster: string })[] {
  return targetsOf(policy).map(discoveryTarget);
}

function discoveryTarget(target: Target): DiscoveryTarget & { cluster: string } {
  return {
    cluster: target.cluster,
    options: {
      ...(target.paths ? { include: target.paths } : {}),
      ...(target.namespace ? { defaultNamespace: target.namespace } : {}),
      helm: target.helm.map((helm) => ({ ...helm, ...(target.namespace ? { namespace: target.namespace } : {}) })),
    },
  };
}

function targetsOf(policy: Policy): Target[] {
  if (policy.targets.length > 0) {
    return policy.targets.map((target, index) => ({ index, paths: target.paths, cluster: target.cluster, namespace: target.namespace, helm: target.helm }));
  }
  // No targets: the whole checkout belongs to the only (or first) cluster the policy names.
  return [{ index: undefined, paths: undefined, cluster: policy.clusters[0]?.name ?? "default", namespace: undefined, helm: [] }];
}

/** Files a target's globs match, as discovery matches them (every file when it names none), and the globs that match none. */
function matching(files: readonly RepoFile[], paths: string[] | undefined): { files: number; unmatchedPaths: string[] } {
  if (!paths || paths.length === 0) return { files: files.length, unmatchedPaths: [] };
  const matchers = paths.map((glob) => picomatch(glob, { dot: true }));
  const used = new Set<number>();
  let count = 0;
  for (const file of files) {
    let matched = false;
    matchers.forEach((matches, index) => {
      if (matches(file.path)) {
        used.add(index);
        matched = true;
      }
    });
    if (matched) count++;
  }
  return { files: count, unmatchedPaths: paths.filter((_, index) => !used.has(index)) };
}

function proposalsPaused(loaded: LoadedPolicy): string | undefined {
  if (!loaded.canPropose) return `the policy's apiVersion ${loaded.source.apiVersion} is newer than this rightsize: reports only, no proposals`;
  if (loaded.policy.mode === "recommend") return "the policy's mode is recommend: reports only, no proposals";
  if (loaded.policy.mode === "disabled") return "the policy's mode is disabled";
  return undefined;
}
