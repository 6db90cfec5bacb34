import picomatch from "picomatch";
import { WORKLOAD_KINDS } from "../domain/index.js";
import { shortText } from "../yaml/index.js";
import { documentKey, readHelmTarget, releaseRenderings, renderedWorkload } from "./helm.js";
import { buildKustomization, reachableFrom, type Skip } from "./kustomize.js";
import type { DiscoverOptions, Discovery, ManifestLocation, RepoFile } from "./model.js";
import { freshCheckoutOf, isKustomizationPath, normalise, type Repo } from "./repo.js";
import { Sharing, type Found, type SharingEntry } from "./sharing.js";
import { readWorkload, type WorkloadState } from "./workloads.js";

const DEFAULT_INCLUDE = ["**/*.{yaml,yml}"];
// Chart templates are Go templates, not YAML; the chart's values are what rightsize edits (§3).
const ALWAYS_EXCLUDED = ["**/.git/**", "**/node_modules/**", "**/charts/*/templates/**"];

/** A policy target to discover: its globs and Helm mappings, and the cluster that names its workloads to people. */
export interface DiscoveryTarget {
  cluster?: string;
  options: DiscoverOptions;
}

/**
 * SPEC §3: every workload in the scanned files, as it is deployed: plain manifests, the output
 * of each top-level kustomization (bases only through the overlays that use them), and the Helm
 * values the policy maps to a workload. Pure over the given files.
 */
export function discoverWorkloads(files: RepoFile[], options: DiscoverOptions = {}): Discovery {
  return discoverTargets(files, [{ options }])[0]!;
}

/**
 * Discovery for every target of a policy at once, so that sharing is seen across them: a
 * container's field is shared when another workload, in any target or built by any other
 * kustomization of the repository, reads its value from the same place (SPEC §3: an edit for
 * one environment must not change another behind its back).
 */
export function discoverTargets(files: RepoFile[], targets: readonly DiscoveryTarget[]): Discovery[] {
  // Kept for the editor: planning the edits of what is found here reads the same parses.
  const repo = freshCheckoutOf(files);
  const scans = targets.map((target) => scanTarget(repo, files, target.options));
  const results = scans.map((scan, index) => {
    const skipped = [...scan.skipped];
    const kept = withoutDuplicates(scan.found, targets[index]!.options.defaultNamespace, skipped);
    return { target: targets[index]!, kept, skipped: dedupe(skipped) };
  });
  const perTarget: SharingEntry[][] = results.map(({ target, kept }, index) =>
    kept.map((entry) => ({ found: entry.found, namespace: entry.namespace, label: label(entry.found.workload, entry.namespace, target.cluster), target: index })),
  );
  const entries = perTarget.flat();
  entries.push(...otherRenderings(repo, files, entries), ...otherReleaseRenderings(repo, files, entries));
  const sharing = new Sharing(repo, entries);
  return results.map(({ skipped }, index) => ({ workloads: perTarget[index]!.map((entry) => sharing.discovered(entry)), skipped }));
}

interface Scan {
  found: Found[];
  skipped: Skip[];
}

function scanTarget(repo: Repo, files: readonly RepoFile[], options: DiscoverOptions): Scan {
  const included = picomatch(options.include?.length ? options.include : DEFAULT_INCLUDE, { dot: true });
  const excluded = picomatch([...ALWAYS_EXCLUDED, ...(options.exclude ?? [])], { dot: true });
  const within = options.within?.length ? picomatch(options.within, { dot: true }) : () => true;
  const scanned = files
    .map((file) => normalise(file.path))
    .filter((path) => included(path) && within(path) && !excluded(path))
    .sort();
  const skipped: Skip[] = [];
  const found: Found[] = [];
  const owned = ownedByKustomizations(repo, scanned);
  for (const path of scanned) {
    if (owned.has(path)) continue;
    if (isKustomizationPath(path)) {
      const build = repo.memo(`build:${path}`, () => buildKustomization(repo, path));
      skipped.push(...build.skipped);
      found.push(...build.workloads.map((workload) => ({ workload, group: path, kustomization: path })));
      continue;
    }
    const source = repo.source(path, "manifest");
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
  // A HelmRelease is read through the one kustomization among the target's files that renders it (its overlay).
  const ownRoots = new Set(scanned.filter((path) => isKustomizationPath(path) && !owned.has(path)));
  const renderings = (document: { path: string; document: number }) => releaseRenderings(repo, topLevelKustomizations(repo, files)).get(documentKey(document)) ?? [];
  for (const target of options.helm ?? []) {
    const workload = readHelmTarget(repo, target, renderings, (root) => ownRoots.has(root));
    if (typeof workload === "string") skipped.push({ path: target.values, reason: workload });
    else found.push({ workload, group: `helm:${target.values}`, ...(workload.release?.kustomization ? { kustomization: workload.release.kustomization } : {}) });
  }
  return { found: resolveWorkloadRefs(mergeHelmContainers(found), skipped), skipped };
}

/** Every file a kustomization reaches, computed once per checkout. */
export function reachedFrom(repo: Repo, kustomization: string): Set<string> {
  return repo.memo(`reach:${kustomization}`, () => reachableFrom(repo, kustomization));
}

function ownedByKustomizations(repo: Repo, scanned: readonly string[]): Set<string> {
  const owned = new Set<string>();
  for (const kustomization of scanned.filter(isKustomizationPath)) {
    for (const path of reachedFrom(repo, kustomization)) if (path !== kustomization) owned.add(path);
  }
  return owned;
}

/**
 * What every other top-level kustomization of the repository builds, beyond what the targets
 * hold: an overlay no policy target names (dev, qa) still deploys what it reads from a base.
 * A rendering of the very workload a target holds (the same overlay, or a kustomization that
 * includes it unchanged) is not "another" workload.
 */
function otherRenderings(repo: Repo, files: readonly RepoFile[], targetEntries: readonly SharingEntry[]): SharingEntry[] {
  const byIdentity = new Map<string, SharingEntry[]>();
  for (const entry of targetEntries) {
    const key = `${entry.found.workload.kind}/${entry.found.workload.name}`;
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), entry]);
  }
  const extras: SharingEntry[] = [];
  for (const root of topLevelKustomizations(repo, files)) {
    const reached = reachedFrom(repo, root);
    const built = resolveWorkloadRefs(
      repo.memo(`build:${root}`, () => buildKustomization(repo, root)).workloads.map((workload) => ({ workload, group: root, kustomization: root })),
      [],
    );
    for (const found of built) {
      if (found.workload.problem) continue;
      const same = (byIdentity.get(`${found.workload.kind}/${found.workload.name}`) ?? []).some(
        (entry) =>
          (found.workload.namespace === undefined || entry.namespace === found.workload.namespace) &&
          entry.found.kustomization !== undefined &&
          (entry.found.kustomization === root || reached.has(entry.found.kustomization)),
      );
      if (!same) extras.push({ found, namespace: found.workload.namespace, label: `${label(found.workload, found.workload.namespace, undefined)} via ${root}` });
    }
  }
  return extras;
}

/**
 * Every other kustomization that renders the HelmRelease a Helm target reads: another environment
 * reading the same values (the production overlay of a base release, when staging's is the
 * target's). One that a target reads the release through is that target's, not another.
 */
function otherReleaseRenderings(repo: Repo, files: readonly RepoFile[], targetEntries: readonly SharingEntry[]): SharingEntry[] {
  const renderings = releaseRenderings(repo, topLevelKustomizations(repo, files));
  const claimed = new Set(targetEntries.flatMap((entry) => (entry.found.workload.release?.kustomization ? [`${documentKey(entry.found.workload.release.document)}|${entry.found.workload.release.kustomization}`] : [])));
  const extras = new Map<string, SharingEntry>();
  for (const entry of targetEntries) {
    const { workload } = entry.found;
    if (!workload.release) continue;
    const containers = workload.containers.flatMap((container) => (container.values ? [{ name: container.name, values: container.values }] : []));
    for (const rendering of renderings.get(documentKey(workload.release.document)) ?? []) {
      const key = `${documentKey(workload.release.document)}|${rendering.root}`;
      if (claimed.has(key) || extras.has(`${key}|${workload.kind}/${workload.name}`)) continue;
      const rendered = renderedWorkload(repo, rendering, workload, containers);
      if (typeof rendered === "string" || rendered.problem) continue;
      extras.set(`${key}|${workload.kind}/${workload.name}`, {
        found: { workload: rendered, group: `helm:${rendering.root}`, kustomization: rendering.root },
        namespace: rendered.namespace,
        label: `${label(rendered, rendered.namespace, undefined)} via ${rendering.root}`,
      });
    }
  }
  return [...extras.values()];
}

/** The kustomizations of the checkout that no other includes: what is deployed, environment by environment. */
function topLevelKustomizations(repo: Repo, files: readonly RepoFile[]): string[] {
  return repo.memo("top-level kustomizations", () => {
    const scanned = files
      .map((file) => normalise(file.path))
      .filter((path) => !ALWAYS_EXCLUDED_MATCH(path))
      .sort();
    const owned = ownedByKustomizations(repo, scanned);
    return scanned.filter((path) => isKustomizationPath(path) && !owned.has(path));
  });
}

const ALWAYS_EXCLUDED_MATCH = picomatch(ALWAYS_EXCLUDED, { dot: true });

function label(workload: WorkloadState, namespace: string | undefined, cluster: string | undefined): string {
  const identity = `${shortText(namespace ?? "-")}/${workload.kind}/${shortText(workload.name)}`;
  return cluster === undefined ? identity : `${identity} in cluster ${cluster}`;
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
      skipped.push({ path: entry.workload.location.path, reason: `Rollout ${shortText(entry.workload.name)} takes its pod template from ${shortText(reference.kind)} ${shortText(reference.name)} (workloadRef), which is not in the scanned files` });
      return [];
    }
    const problem = entry.workload.problem ?? (target.workload.problem ? `its template ${target.workload.kind} ${shortText(target.workload.name)} (workloadRef) ${target.workload.problem}` : undefined);
    return [{ ...entry, workload: { ...entry.workload, containers: target.workload.containers, ...(problem ? { problem } : {}) }, template: target }];
  });
}

function withoutDuplicates(found: Found[], defaultNamespace: string | undefined, skipped: Skip[]): { found: Found; namespace: string | undefined }[] {
  const byIdentity = new Map<string, Found[]>();
  for (const entry of found) {
    const namespace = entry.workload.namespace ?? defaultNamespace;
    const key = `${namespace ?? ""}/${entry.workload.kind}/${entry.workload.name}`;
    byIdentity.set(key, [...(byIdentity.get(key) ?? []), entry]);
  }
  const kept: { found: Found; namespace: string | undefined }[] = [];
  for (const entries of byIdentity.values()) {
    const first = entries[0]!;
    const namespace = first.workload.namespace ?? defaultNamespace;
    const identity = `${first.workload.kind} ${namespace ? `${shortText(namespace)}/` : ""}${shortText(first.workload.name)}`;
    if (entries.length > 1) {
      const places = entries.map((entry) => describeLocation(definedAt(entry.workload), entry.kustomization)).join(" and ");
      skipped.push({ path: first.workload.location.path, reason: `${identity} is defined ${entries.length === 2 ? "twice" : `${entries.length} times`} (${places}); rightsize cannot tell which one is applied, so none is edited` });
      continue;
    }
    if (first.workload.problem) {
      skipped.push({ path: first.workload.location.path, reason: `${identity}: ${first.workload.problem}` });
      continue;
    }
    kept.push({ found: first, namespace });
  }
  return kept;
}

/**
 * Where a person finds a workload's definition: its manifest, or for one a Helm target sizes, the
 * values block the target names (its first container's `resources`), not the top of the values.
 */
function definedAt(workload: WorkloadState): ManifestLocation {
  return workload.location.origin === "helm-values" ? (workload.containers[0]?.hosts[0] ?? workload.location) : workload.location;
}

function describeLocation(location: ManifestLocation, kustomization: string | undefined): string {
  const place = `${location.path}${location.line === undefined ? "" : `:${location.line}`}`;
  return kustomization ? `${place} through ${kustomization}` : place;
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
