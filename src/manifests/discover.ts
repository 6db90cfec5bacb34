import picomatch from "picomatch";
import { WORKLOAD_KINDS } from "../domain/index.js";
import { readHelmTarget } from "./helm.js";
import { buildKustomization, reachableFrom, type Skip } from "./kustomize.js";
import type { DiscoveredWorkload, DiscoverOptions, Discovery, ManifestLocation, RepoFile } from "./model.js";
import { isKustomizationPath, normalise, Repo } from "./repo.js";
import { readWorkload, toDiscovered, type WorkloadState } from "./workloads.js";

const DEFAULT_INCLUDE = ["**/*.{yaml,yml}"];
// Chart templates are Go templates, not YAML; the chart's values are what rightsize edits (§3).
const ALWAYS_EXCLUDED = ["**/.git/**", "**/node_modules/**", "**/charts/*/templates/**"];

interface Found {
  workload: WorkloadState;
  /** Workloads built by one kustomization (or plain files, "") resolve Rollout workloadRefs among themselves. */
  group: string;
  kustomization?: string;
}

/**
 * SPEC §3: every workload in the scanned files, as it is deployed: plain manifests, the output
 * of each top-level kustomization (bases only through the overlays that use them), and the Helm
 * values the policy maps to a workload. Pure over the given files.
 */
export function discoverWorkloads(files: RepoFile[], options: DiscoverOptions = {}): Discovery {
  const repo = new Repo(files);
  const included = picomatch(options.include?.length ? options.include : DEFAULT_INCLUDE, { dot: true });
  const excluded = picomatch([...ALWAYS_EXCLUDED, ...(options.exclude ?? [])], { dot: true });
  const scanned = files
    .map((file) => normalise(file.path))
    .filter((path) => included(path) && !excluded(path))
    .sort();
  const kustomizations = scanned.filter(isKustomizationPath);
  const owned = new Set<string>();
  for (const kustomization of kustomizations) {
    for (const path of reachableFrom(repo, kustomization)) if (path !== kustomization) owned.add(path);
  }
  const skipped: Skip[] = [];
  const found: Found[] = [];
  for (const path of scanned) {
    if (owned.has(path)) continue;
    if (isKustomizationPath(path)) {
      const build = buildKustomization(repo, path);
      skipped.push(...build.skipped);
      found.push(...build.workloads.map((workload) => ({ workload, group: path, kustomization: path })));
      continue;
    }
    const source = repo.source(path, "manifest", false);
    if ("problem" in source) {
      // CI workflows, alerting rules and other YAML are not rightsize's business even when they do not parse.
      if (mightBeKubernetes(path, repo.textOf(path) ?? "")) skipped.push({ path, reason: source.problem });
      continue;
    }
    source.documents.forEach((_, index) => {
      const workload = readWorkload(source, index);
      if (workload) found.push({ workload, group: "" });
    });
  }
  for (const target of options.helm ?? []) {
    const workload = readHelmTarget(repo, target);
    if (typeof workload === "string") skipped.push({ path: target.values, reason: workload });
    else found.push({ workload, group: `helm:${target.values}` });
  }
  const resolved = resolveWorkloadRefs(mergeHelmContainers(found), skipped);
  const workloads = withoutDuplicates(resolved, options.defaultNamespace, skipped);
  return { workloads: markShared(workloads), skipped: dedupe(skipped) };
}

const KUBERNETES_KINDS = [...WORKLOAD_KINDS, "Kustomization", "Component", "HelmRelease"].join("|");
const API_VERSION_LINE = /^[ \t]*["']?apiVersion["']?[ \t]*:/m;
const KIND_LINE = new RegExp(`^[ \\t]*["']?kind["']?[ \\t]*:[ \\t]*["']?(?:${KUBERNETES_KINDS})["']?[ \\t]*(?:[#,}\\r]|$)`, "m");

/**
 * Whether an unreadable file may be one rightsize would have read: a kustomization, a file
 * whose content is unknown (over the size bound), or one with an apiVersion and the kind of a
 * workload, kustomization or HelmRelease. Only those are worth a "skipped" line.
 */
function mightBeKubernetes(path: string, text: string): boolean {
  return isKustomizationPath(path) || text === "" || (API_VERSION_LINE.test(text) && KIND_LINE.test(text));
}

/** Several policy entries may size different containers of one Helm-rendered workload. */
function mergeHelmContainers(found: Found[]): Found[] {
  const result: Found[] = [];
  const byIdentity = new Map<string, Found>();
  for (const entry of found) {
    if (!entry.group.startsWith("helm:")) {
      result.push(entry);
      continue;
    }
    const key = `${entry.workload.kind}/${entry.workload.namespace ?? ""}/${entry.workload.name}`;
    const existing = byIdentity.get(key);
    if (existing) existing.workload.containers.push(...entry.workload.containers.filter((container) => !existing.workload.containers.some((other) => other.name === container.name)));
    else {
      byIdentity.set(key, entry);
      result.push(entry);
    }
  }
  return result;
}

/** An Argo Rollout with `workloadRef` runs the pod template of a Deployment: its edits go there. */
function resolveWorkloadRefs(found: Found[], skipped: Skip[]): Found[] {
  return found.flatMap((entry) => {
    const reference = entry.workload.workloadRef;
    if (!reference) return [entry];
    const target = found.find(
      (candidate) =>
        candidate.group === entry.group &&
        candidate.workload.kind === reference.kind &&
        candidate.workload.namespace === entry.workload.namespace &&
        (candidate.workload.name === reference.name || candidate.workload.names.includes(reference.name)),
    );
    if (!target) {
      skipped.push({ path: entry.workload.location.path, reason: `Rollout ${entry.workload.name} takes its pod template from ${reference.kind} ${reference.name} (workloadRef), which is not in the scanned files` });
      return [];
    }
    return [{ ...entry, workload: { ...entry.workload, containers: target.workload.containers } }];
  });
}

function withoutDuplicates(found: Found[], defaultNamespace: string | undefined, skipped: Skip[]): DiscoveredWorkload[] {
  const byIdentity = new Map<string, Found[]>();
  for (const entry of found) {
    const namespace = entry.workload.namespace ?? defaultNamespace;
    const key = `${namespace ?? ""}/${entry.workload.kind}/${entry.workload.name}`;
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), entry]);
  }
  const workloads: DiscoveredWorkload[] = [];
  for (const entries of byIdentity.values()) {
    const first = entries[0]!;
    const namespace = first.workload.namespace ?? defaultNamespace;
    const identity = `${first.workload.kind} ${namespace ? `${namespace}/` : ""}${first.workload.name}`;
    if (entries.length > 1) {
      const places = entries.map((entry) => describeLocation(entry.workload.location, entry.kustomization)).join(" and ");
      skipped.push({ path: first.workload.location.path, reason: `${identity} is defined ${entries.length === 2 ? "twice" : `${entries.length} times`} (${places}); rightsize cannot tell which one is applied, so none is edited` });
      continue;
    }
    if (first.workload.problem) {
      skipped.push({ path: first.workload.location.path, reason: `${identity}: ${first.workload.problem}` });
      continue;
    }
    workloads.push(toDiscovered(first.workload, namespace, first.kustomization));
  }
  return workloads;
}

function describeLocation(location: ManifestLocation, kustomization: string | undefined): string {
  const place = `${location.path}${location.line === undefined ? "" : `:${location.line}`}`;
  return kustomization ? `${place} through ${kustomization}` : place;
}

/**
 * A container shares its definitions when an edit for it would also change another workload:
 * the same base value or `resources` mapping serves two overlays.
 */
function markShared(workloads: DiscoveredWorkload[]): DiscoveredWorkload[] {
  const users = new Map<string, Set<string>>();
  const keysOf = new Map<DiscoveredWorkload["containers"][number], string[]>();
  for (const workload of workloads) {
    const identity = identityOf(workload);
    for (const container of workload.containers) {
      const editable = [container.location, ...container.definitions.filter((definition) => definition.effective).map((definition) => definition.location)];
      const keys = editable.map(locationKey);
      keysOf.set(container, keys);
      for (const key of keys) users.set(key, new Set([...(users.get(key) ?? []), identity]));
    }
  }
  for (const workload of workloads) {
    const identity = identityOf(workload);
    for (const container of workload.containers) {
      const others = new Set<string>();
      for (const key of keysOf.get(container) ?? []) for (const user of users.get(key) ?? []) if (user !== identity) others.add(user);
      container.sharedWith = [...others].sort();
    }
  }
  return workloads;
}

function identityOf(workload: DiscoveredWorkload): string {
  return `${workload.namespace ? `${workload.namespace}/` : ""}${workload.kind}/${workload.name}`;
}

function locationKey(location: ManifestLocation): string {
  return JSON.stringify([location.path, location.document, location.yamlPath, location.inlinePatch ?? null]);
}

function dedupe(skipped: Skip[]): Skip[] {
  const seen = new Set<string>();
  return skipped.filter((skip) => {
    const key = `${skip.path}\n${skip.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
