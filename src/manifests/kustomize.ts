import { posix } from "node:path";
import { isMap, isScalar, isSeq, type YAMLMap } from "yaml";
import { childOf, type LineIndex, mapAt, quoteShort, stringAt, type YamlDocument } from "../yaml/index.js";
import { literalBlockBody } from "./block-scalar.js";
import type { YamlPath } from "./model.js";
import { isKustomizationPath, Repo, resolveRelative } from "./repo.js";
import { inlineSource, type YamlSource } from "./source.js";
import { applyJsonPatch, mergeStrategicWorkload, readRelease, readWorkload, type ReleaseState, type WorkloadState } from "./workloads.js";

/**
 * Enough of `kustomize build` to know which file defines each effective resource value:
 * `resources` (files and bases), `components`, `patches`, `patchesStrategicMerge`,
 * `patchesJson6902`, `namespace`, `namePrefix` and `nameSuffix`, applied in kustomize's order.
 */

export interface Skip {
  path: string;
  reason: string;
}

export interface KustomizeBuild {
  workloads: WorkloadState[];
  /** The Flux HelmReleases it renders. */
  releases: ReleaseState[];
  skipped: Skip[];
  /** Patches of this kustomization (and its components) that could not be read. */
  unreadablePatches?: string[];
}

interface PatchTarget {
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
}

interface Patch {
  source: YamlSource;
  target?: PatchTarget;
  json: boolean;
}

interface Kustomization {
  path: string;
  directory: string;
  text: string;
  lines: LineIndex;
  document: YamlDocument;
  root: YAMLMap;
}

export function buildKustomization(repo: Repo, path: string, stack: readonly string[] = []): KustomizeBuild {
  const build: KustomizeBuild = { workloads: [], releases: [], skipped: [], unreadablePatches: [] };
  const unreadablePatches = build.unreadablePatches!;
  const kustomization = load(repo, path, build);
  if (!kustomization) return build;
  const chain = [...stack, path];
  for (const reference of [...strings(kustomization, "resources"), ...strings(kustomization, "bases")]) {
    addResource(repo, kustomization, reference, chain, build);
  }
  const componentPatches: { strategic: Patch[]; patches: Patch[]; json: Patch[] } = { strategic: [], patches: [], json: [] };
  for (const reference of strings(kustomization, "components")) {
    const component = referencedKustomization(repo, kustomization, reference, chain, build);
    if (!component) continue;
    const inner = load(repo, component, build);
    if (!inner) continue;
    for (const resource of [...strings(inner, "resources"), ...strings(inner, "bases")]) addResource(repo, inner, resource, [...chain, component], build);
    componentPatches.strategic.push(...strategicPatches(repo, inner, build));
    componentPatches.patches.push(...patches(repo, inner, "patches", build));
    componentPatches.json.push(...patches(repo, inner, "patchesJson6902", build));
  }
  const strategic = strategicPatches(repo, kustomization, build);
  const ownPatches = patches(repo, kustomization, "patches", build);
  const jsonPatches = patches(repo, kustomization, "patchesJson6902", build);
  // kustomize's transformer order: strategic merge patches, patches, namespace, prefix/suffix, then JSON6902 patches.
  for (const patch of [...strategic, ...componentPatches.strategic]) applyPatch(patch, build);
  for (const patch of [...ownPatches, ...componentPatches.patches]) applyPatch(patch, build);
  const namespace = stringAt(kustomization.document, kustomization.root, "namespace");
  const prefix = stringAt(kustomization.document, kustomization.root, "namePrefix") ?? "";
  const suffix = stringAt(kustomization.document, kustomization.root, "nameSuffix") ?? "";
  for (const workload of [...build.workloads, ...build.releases]) {
    // The kustomization's namespace replaces whatever the manifest says, as kustomize does.
    if (namespace !== undefined) workload.namespace = namespace;
    if (prefix || suffix) {
      workload.name = `${prefix}${workload.name}${suffix}`;
      workload.names.push(workload.name);
    }
  }
  for (const patch of [...jsonPatches, ...componentPatches.json]) applyPatch(patch, build);
  if (unreadablePatches.length > 0) {
    // A patch that cannot be read may set any value: what the overlay deploys is unknown, so none of it is edited.
    for (const workload of [...build.workloads, ...build.releases]) workload.problem ??= `${path} applies ${unreadablePatches.join(", ")}, which cannot be read (see skipped); fix it first`;
  }
  return build;
}

/** Every file and kustomization a kustomization reaches, directly or through its bases and components. */
export function reachableFrom(repo: Repo, path: string, seen = new Set<string>()): Set<string> {
  const build: KustomizeBuild = { workloads: [], releases: [], skipped: [] };
  const kustomization = load(repo, path, build);
  if (!kustomization) return seen;
  const visit = (target: string | undefined): void => {
    if (target === undefined || seen.has(target)) return;
    seen.add(target);
    if (isKustomizationPath(target)) reachableFrom(repo, target, seen);
  };
  for (const reference of [...strings(kustomization, "resources"), ...strings(kustomization, "bases"), ...strings(kustomization, "components")]) {
    const target = resolveRelative(kustomization.directory, reference);
    if (target === undefined) continue;
    visit(repo.has(target) ? target : repo.kustomizationIn(target));
  }
  for (const field of ["patches", "patchesJson6902"]) {
    for (const entry of items(kustomization, field)) {
      const file = isMap(entry) ? stringAt(kustomization.document, entry, "path") : undefined;
      if (file !== undefined) visit(resolveRelative(kustomization.directory, file));
    }
  }
  for (const reference of strings(kustomization, "patchesStrategicMerge")) {
    if (!isInlinePatch(reference)) visit(resolveRelative(kustomization.directory, reference));
  }
  return seen;
}

function load(repo: Repo, path: string, build: KustomizeBuild): Kustomization | undefined {
  const parsed = repo.parse(path);
  if (!parsed) return undefined;
  if (parsed.problem) {
    build.skipped.push({ path, reason: parsed.problem.message });
    return undefined;
  }
  const document = parsed.documents[0];
  const root = document && mapAt(document, document.contents);
  if (!document || !root) return undefined;
  return { path, directory: posix.dirname(path) === "." ? "" : posix.dirname(path), text: parsed.text, lines: parsed.lines, document, root };
}

function items(kustomization: Kustomization, field: string): unknown[] {
  const node = childOf(kustomization.document, kustomization.root, field)?.node;
  return isSeq(node) ? node.items : [];
}

function strings(kustomization: Kustomization, field: string): string[] {
  return items(kustomization, field).flatMap((item) => (isScalar(item) && typeof item.value === "string" ? [item.value] : []));
}

function isRemote(reference: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(reference) || /^(git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)/.test(reference) || reference.includes("?ref=");
}

function addResource(repo: Repo, kustomization: Kustomization, reference: string, chain: string[], build: KustomizeBuild): void {
  if (isRemote(reference)) {
    build.skipped.push({ path: kustomization.path, reason: `resource ${quoteShort(reference)} is remote; remote bases are not fetched, so their workloads are not listed` });
    return;
  }
  const target = resolveRelative(kustomization.directory, reference);
  if (target !== undefined && repo.has(target) && !isKustomizationPath(target)) {
    const source = repo.source(target, "manifest");
    if ("problem" in source) {
      build.skipped.push({ path: target, reason: source.problem });
      return;
    }
    source.documents.forEach((_, index) => {
      const workload = readWorkload(source, index);
      if (workload) build.workloads.push(workload);
      else {
        const release = readRelease(source, index);
        if (release) build.releases.push(release);
      }
    });
    return;
  }
  const nested = referencedKustomization(repo, kustomization, reference, chain, build);
  if (!nested) return;
  const inner = buildKustomization(repo, nested, chain);
  build.workloads.push(...inner.workloads);
  build.releases.push(...inner.releases);
  build.skipped.push(...inner.skipped);
}

function referencedKustomization(repo: Repo, kustomization: Kustomization, reference: string, chain: string[], build: KustomizeBuild): string | undefined {
  const target = resolveRelative(kustomization.directory, reference);
  const found = target === undefined ? undefined : target !== "" && isKustomizationPath(target) && repo.has(target) ? target : repo.kustomizationIn(target);
  if (!found) {
    build.skipped.push({ path: kustomization.path, reason: `${quoteShort(reference)} is neither a file nor a directory with a kustomization in the checkout` });
    return undefined;
  }
  if (chain.includes(found)) {
    build.skipped.push({ path: kustomization.path, reason: `${quoteShort(reference)} includes ${kustomization.path} again (a cycle)` });
    return undefined;
  }
  return found;
}

/** `patchesStrategicMerge` entries are file paths or, in older kustomizations, inline YAML. */
function isInlinePatch(reference: string): boolean {
  return reference.includes("\n") || /^\s*\w+\s*:/.test(reference);
}

function strategicPatches(repo: Repo, kustomization: Kustomization, build: KustomizeBuild): Patch[] {
  return items(kustomization, "patchesStrategicMerge").flatMap((item, index) => {
    if (!isScalar(item) || typeof item.value !== "string") return [];
    const source = isInlinePatch(item.value) ? inlinePatchSource(repo, kustomization, ["patchesStrategicMerge", index], build) : filePatchSource(repo, kustomization, item.value, build);
    return source ? [{ source, json: false }] : [];
  });
}

function patches(repo: Repo, kustomization: Kustomization, field: "patches" | "patchesJson6902", build: KustomizeBuild): Patch[] {
  return items(kustomization, field).flatMap((item, index) => {
    if (!isMap(item)) return [];
    const file = stringAt(kustomization.document, item, "path");
    const source = file !== undefined ? filePatchSource(repo, kustomization, file, build) : inlinePatchSource(repo, kustomization, [field, index, "patch"], build);
    if (!source) return [];
    const targetNode = mapAt(kustomization.document, childOf(kustomization.document, item, "target")?.node);
    const target = targetNode ? readTarget(kustomization.document, targetNode) : undefined;
    const json = isSeq(source.documents[0]?.contents);
    if (field === "patchesJson6902" && !json) return [];
    return [{ source, json, ...(target ? { target } : {}) }];
  });
}

function readTarget(document: YamlDocument, node: YAMLMap): PatchTarget {
  const target: PatchTarget = {};
  for (const key of ["kind", "name", "namespace", "labelSelector"] as const) {
    const value = stringAt(document, node, key);
    if (value !== undefined) target[key] = value;
  }
  return target;
}

function filePatchSource(repo: Repo, kustomization: Kustomization, reference: string, build: KustomizeBuild): YamlSource | undefined {
  const path = resolveRelative(kustomization.directory, reference);
  const source = path === undefined ? { problem: "is outside the checkout" } : repo.source(path, "strategic-merge-patch");
  if ("problem" in source) {
    build.skipped.push({ path: path ?? kustomization.path, reason: `patch ${quoteShort(reference)} of ${kustomization.path} ${source.problem}` });
    build.unreadablePatches?.push(quoteShort(reference));
    return undefined;
  }
  if (isSeq(source.documents[0]?.contents)) return { ...source, origin: "json6902-patch", locate: relocate(source, "json6902-patch") };
  return source;
}

function inlinePatchSource(repo: Repo, kustomization: Kustomization, yamlPath: YamlPath, build: KustomizeBuild): YamlSource | undefined {
  let node: unknown = kustomization.root;
  for (const key of yamlPath) node = typeof key === "number" ? (isSeq(node) ? node.items[key] : undefined) : isMap(node) ? childOf(kustomization.document, node, key)?.node : undefined;
  if (!isScalar(node) || typeof node.value !== "string" || !node.range) return undefined;
  const body = literalBlockBody(kustomization.text, node);
  const inner = typeof body === "string" ? node.value : body.inner;
  const parsed = repo.parseText(inner);
  if (parsed.problem) {
    build.skipped.push({ path: kustomization.path, reason: `the inline patch at ${yamlPath.join(".")} ${parsed.problem.message}` });
    build.unreadablePatches?.push(`the inline patch at ${yamlPath.join(".")}`);
    return undefined;
  }
  const headerLine = kustomization.lines.lineOf(node.range[0]);
  const json = isSeq(parsed.documents[0]?.contents);
  return inlineSource(
    { path: kustomization.path, document: 0, yamlPath, firstBodyLine: typeof body === "string" ? headerLine : headerLine + 1 },
    parsed.text,
    parsed.documents,
    parsed.lines,
    json ? "json6902-patch" : "strategic-merge-patch",
  );
}

function relocate(source: YamlSource, origin: YamlSource["origin"]): YamlSource["locate"] {
  return (document, yamlPath, offset) => ({ ...source.locate(document, yamlPath, offset), origin });
}

function applyPatch(patch: Patch, build: KustomizeBuild): void {
  const { workloads, releases } = build;
  if (patch.json) {
    const operations = patch.source.documents[0]?.contents;
    if (!isSeq(operations) || !patch.target) return;
    for (const workload of workloads.filter((candidate) => matchesTarget(candidate, patch.target!))) applyJsonPatch(workload, patch.source, 0, operations, []);
    for (const release of releases.filter((candidate) => matchesTarget(candidate, patch.target!))) {
      const document = patch.source.documents[0]!;
      const touchesValues = operations.items.some((item) => {
        const operation = mapAt(document, item);
        return [stringAt(document, operation, "path"), stringAt(document, operation, "from")].some((pointer) => pointer !== undefined && (pointer === "/spec" || pointer.startsWith("/spec/values")));
      });
      // Values a JSON6902 patch writes are not followed: what the release deploys is then unknown.
      if (touchesValues) release.problem ??= `a JSON6902 patch (${patch.source.path}) changes its spec.values, which rightsize does not follow; edit the values by hand`;
    }
    return;
  }
  patch.source.documents.forEach((document, index) => {
    const root = mapAt(document, document.contents);
    if (!root) return;
    const metadata = mapAt(document, childOf(document, root, "metadata")?.node);
    const own: PatchTarget = {};
    const kind = stringAt(document, root, "kind");
    const name = stringAt(document, metadata, "name");
    const namespace = stringAt(document, metadata, "namespace");
    if (kind !== undefined) own.kind = kind;
    if (name !== undefined) own.name = escapeRegExp(name);
    if (namespace !== undefined) own.namespace = namespace;
    const target = patch.target ?? own;
    if (!patch.target && (kind === undefined || name === undefined)) return;
    for (const workload of workloads.filter((candidate) => matchesTarget(candidate, target))) mergeStrategicWorkload(workload, patch.source, index);
    for (const release of releases.filter((candidate) => matchesTarget(candidate, target))) release.patches.push({ source: patch.source, document: index });
  });
}

/** kustomize target selectors: kind, name (a regular expression), namespace, equality label selectors. */
function matchesTarget(workload: Pick<WorkloadState | ReleaseState, "kind" | "names" | "namespace" | "labels">, target: PatchTarget): boolean {
  if (target.kind !== undefined && target.kind !== workload.kind) return false;
  if (target.namespace !== undefined && workload.namespace !== undefined && target.namespace !== workload.namespace) return false;
  if (target.name !== undefined) {
    const pattern = nameMatcher(target.name);
    if (!workload.names.some((name) => pattern(name))) return false;
  }
  if (target.labelSelector !== undefined && !matchesLabels(workload.labels, target.labelSelector)) return false;
  return true;
}

function nameMatcher(name: string): (candidate: string) => boolean {
  try {
    const pattern = new RegExp(`^(?:${name})$`);
    return (candidate) => pattern.test(candidate);
  } catch {
    return (candidate) => candidate === name;
  }
}

function matchesLabels(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(",")
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      const inequality = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(term);
      if (inequality) return labels[inequality[1]!] !== inequality[2];
      const equality = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(term);
      if (equality) return labels[equality[1]!] === equality[2];
      if (term.startsWith("!")) return !(term.slice(1) in labels);
      return term in labels;
    });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
