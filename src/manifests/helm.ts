import { isMap, isScalar, isSeq } from "yaml";
import { childOf, mapAt, quoteShort, startOf, stringAt } from "../yaml/index.js";
import { absentDefinitions, fieldPath, readGroup, readResources, RESOURCE_FIELDS, RESOURCE_GROUPS, type ContainerState } from "./containers.js";
import { buildKustomization } from "./kustomize.js";
import type { HelmValuesTarget, ManifestLocation, YamlPath } from "./model.js";
import type { Repo } from "./repo.js";
import type { YamlSource } from "./source.js";
import { podSpecPathOf, type ReleaseState, type WorkloadState } from "./workloads.js";

/**
 * SPEC §3/§7: a Helm values block (or a Flux HelmRelease's `spec.values`) named by the policy
 * sizes one container of a workload the chart renders; the templates themselves are never read.
 *
 * A HelmRelease that kustomizations render (flux2-kustomize-helm-example: a base release that the
 * staging and production overlays patch) is read as kustomize renders it for the target: its
 * values through every patch its overlay applies, when exactly one kustomization among the
 * target's files renders it. Every other kustomization that renders it is another environment
 * reading the same values (sharing.ts), as for a plain kustomize base.
 */

/** A kustomization of the repository that renders a HelmRelease, and the release as it renders it. */
export interface Rendering {
  root: string;
  release: ReleaseState;
}

/** A container a Helm target sizes: its name and the values path of its `resources` block. */
export interface ValuesContainer {
  name: string;
  values: YamlPath;
}

/**
 * The workload the target sizes, or why it cannot be read. `renderings` are those of the
 * repository's top-level kustomizations that render the target's document; `inScope` says which
 * of them the target's own files hold.
 */
export function readHelmTarget(repo: Repo, target: HelmValuesTarget, renderings: (document: { path: string; document: number }) => readonly Rendering[], inScope: (kustomization: string) => boolean): WorkloadState | string {
  const source = repo.source(target.values, "helm-values");
  if ("problem" in source) return `the Helm values file ${source.problem}`;
  const release = source.documents.findIndex((document) => {
    const root = mapAt(document, document.contents);
    return stringAt(document, root, "kind") === "HelmRelease";
  });
  const documentIndex = Math.max(release, 0);
  const document = source.documents[documentIndex];
  if (!document) return "the Helm values file is empty";
  const keys = parseValuesPath(target.path);
  if (!keys) return `values path ${quoteShort(target.path)} is not a dotted path such as cartService.resources`;
  const container: ValuesContainer = { name: target.workload.container, values: keys };
  if (release >= 0) {
    const own = renderings({ path: target.values, document: documentIndex }).filter((rendering) => inScope(rendering.root));
    if (own.length === 1) return renderedWorkload(repo, own[0]!, target.workload, [container], target.namespace);
  }
  const read = readValues(source, documentIndex, release >= 0 ? ["spec", "values"] : [], container, target.path);
  if (typeof read === "string") return read;
  const root = mapAt(document, document.contents);
  const metadata = root && mapAt(document, childOf(document, root, "metadata")?.node);
  const spec = root && mapAt(document, childOf(document, root, "spec")?.node);
  const name = stringAt(document, metadata, "name");
  const apiVersion = stringAt(document, root, "apiVersion");
  return {
    kind: target.workload.kind,
    name: target.workload.name,
    names: [target.workload.name],
    namespace: target.namespace ?? (release >= 0 ? (stringAt(document, spec, "targetNamespace") ?? stringAt(document, metadata, "namespace")) : undefined),
    labels: {},
    location: read.location,
    podSpecPath: podSpecPathOf(target.workload.kind),
    containers: [read.container],
    ...(release >= 0 && name !== undefined && apiVersion !== undefined ? { release: { name, names: [name], apiVersion, document: { path: target.values, document: documentIndex } } } : {}),
  };
}

/**
 * The workload a Helm target sizes, as one kustomization renders its release: the release's own
 * values, then each patch of it in kustomize's order (a patch that sets a value, or `null` to
 * remove it, overrides what came before; one with `spec.values` can take new values).
 */
export function renderedWorkload(repo: Repo, rendering: Rendering, workload: Pick<WorkloadState, "kind" | "name">, containers: readonly ValuesContainer[], namespace?: string): WorkloadState | string {
  const { release } = rendering;
  const source = repo.source(release.base.path, "helm-values");
  if ("problem" in source) return `the Helm values file ${source.problem}`;
  const states: ContainerState[] = [];
  let location: ManifestLocation | undefined;
  for (const container of containers) {
    const read = readValues(source, release.base.document, ["spec", "values"], container, container.values.join("."));
    if (typeof read === "string") return read;
    location ??= read.location;
    const state = read.container;
    for (const patch of release.patches) {
      const problem = applyValuesPatch(state, patch.source, patch.document, container.values);
      if (problem) return `${rendering.root} patches the HelmRelease ${quoteShort(release.name)} with ${patch.source.path}, which ${problem}; edit its values by hand`;
    }
    states.push(state);
  }
  const targetNamespace = [release.base, ...release.patches]
    .map((entry) => {
      const document = "source" in entry ? entry.source.documents[entry.document] : source.documents[entry.document];
      const root = document && mapAt(document, document.contents);
      return document && root ? stringAt(document, mapAt(document, childOf(document, root, "spec")?.node), "targetNamespace") : undefined;
    })
    .filter((value): value is string => value !== undefined)
    .at(-1);
  return {
    kind: workload.kind,
    name: workload.name,
    names: [workload.name],
    namespace: namespace ?? targetNamespace ?? release.namespace,
    labels: {},
    location: location ?? source.locate(release.base.document, ["spec", "values"], undefined),
    podSpecPath: podSpecPathOf(workload.kind),
    containers: states,
    release: { name: release.name, names: release.names, ...(release.namespace === undefined ? {} : { namespace: release.namespace }), apiVersion: release.apiVersion, document: release.base, kustomization: rendering.root },
    ...(release.problem ? { problem: `${rendering.root}: ${release.problem}` } : {}),
  };
}

/**
 * Every HelmRelease the checkout's top-level kustomizations (`roots`) render, by each document that
 * goes into it (the release itself and each patch file), built once per checkout.
 */
export function releaseRenderings(repo: Repo, roots: readonly string[]): Map<string, Rendering[]> {
  return repo.memo("release renderings", () => {
    const index = new Map<string, Rendering[]>();
    for (const root of roots) {
      const build = repo.memo(`build:${root}`, () => buildKustomization(repo, root));
      for (const release of build.releases) {
        const rendering = { root, release };
        const documents = [documentKey(release.base), ...release.patches.map((patch) => documentKey({ path: patch.source.path, document: patch.document }))];
        for (const key of new Set(documents)) index.set(key, [...(index.get(key) ?? []), rendering]);
      }
    }
    return index;
  });
}

export function documentKey(document: { path: string; document: number }): string {
  return `${document.document}:${document.path}`;
}

/** The values at `basePath` + the container's values path in one document: its definitions and where new ones go. */
function readValues(source: YamlSource, documentIndex: number, basePath: YamlPath, container: ValuesContainer, pathText: string): { container: ContainerState; location: ManifestLocation } | string {
  const document = source.documents[documentIndex]!;
  const root = mapAt(document, document.contents);
  let node: unknown = document.contents;
  const realPath: YamlPath = [];
  let remaining: YamlPath = [...basePath, ...container.values];
  // Line numbers point at the deepest key that exists (`resources:`, or its parent when it is missing).
  let keyStart = startOf(root);
  let valuesStart = keyStart;
  // Where a problem is: the line of the value the path runs into.
  const at = (): string => {
    const line = source.locate(documentIndex, realPath, startOf(node) ?? keyStart).line;
    return line === undefined ? "" : ` (line ${line})`;
  };
  while (remaining.length > 0) {
    const [key, ...rest] = remaining as [string | number, ...YamlPath];
    if (isScalar(node) && node.value === null) break;
    if (typeof key === "number") {
      if (!isSeq(node) || node.items[key] === undefined) return `values path ${quoteShort(pathText)} names item ${key} of a list that does not have it${at()}`;
      node = node.items[key];
      realPath.push(key);
    } else {
      if (!isMap(node)) return `values path ${quoteShort(pathText)} runs into a value that is not a mapping${at()}`;
      const child = childOf(document, node, key);
      if (!child) break;
      node = child.node;
      realPath.push(...child.path);
      keyStart = child.keyStart ?? keyStart;
    }
    remaining = rest;
    if (realPath.length === basePath.length) valuesStart = keyStart;
  }
  if (remaining.some((key) => typeof key === "number")) return `values path ${quoteShort(pathText)} names a list item that does not exist${at()}`;
  const resourcesPath = [...realPath, ...remaining];
  const host = source.locate(documentIndex, resourcesPath, keyStart);
  return {
    location: source.locate(documentIndex, basePath, valuesStart),
    container: {
      name: container.name,
      list: "containers",
      role: "container",
      definitions: remaining.length === 0 && isMap(node) ? readResources(source, documentIndex, node, resourcesPath) : [],
      hosts: [host],
      values: container.values,
    },
  };
}

/**
 * One patch of a release over the values read so far, as kustomize merges a HelmRelease's values
 * (JSON merge patch: a mapping merges key by key, `null` removes what is under it, a list is
 * replaced whole, so a values path through a list the patch writes is not followed). Returns why
 * the patch cannot be followed, if it cannot.
 */
function applyValuesPatch(state: ContainerState, source: YamlSource, documentIndex: number, values: YamlPath): string | undefined {
  const document = source.documents[documentIndex]!;
  // The values path ends at the container's `resources` mapping.
  const keys: YamlPath = ["spec", "values", ...values];
  let node: unknown = mapAt(document, document.contents);
  const path: YamlPath = [];
  let keyStart = startOf(node);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    if (isScalar(node) && node.value === null) {
      // `key: null` (or `key:`) removes every value under it; new ones may go there.
      const at = [...path, ...keys.slice(index)];
      state.definitions = absentDefinitions(source, documentIndex, at, keyStart, RESOURCE_FIELDS, (field) => fieldPath(field));
      state.hosts.push(source.locate(documentIndex, at, keyStart));
      return undefined;
    }
    if (typeof key === "number") return `writes the list that holds ${pathOf(values)}, which replaces it whole`;
    if (!isMap(node)) return `sets ${pathOf(keys.slice(0, index))} to something that is not a mapping`;
    const child = childOf(document, node, key);
    if (!child) {
      // A patch with spec.values can take the new values; one without leaves the values alone.
      if (index >= 2) state.hosts.push(source.locate(documentIndex, [...path, ...keys.slice(index)], keyStart));
      return undefined;
    }
    node = child.node;
    path.push(...child.path);
    keyStart = child.keyStart ?? keyStart;
  }
  state.hosts.push(source.locate(documentIndex, path, keyStart));
  if (isScalar(node) && node.value === null) {
    state.definitions = absentDefinitions(source, documentIndex, path, keyStart, RESOURCE_FIELDS, (field) => fieldPath(field));
    return undefined;
  }
  if (!isMap(node)) return `sets ${pathOf(values)} to something that is not a mapping`;
  for (const group of RESOURCE_GROUPS) {
    const groupNode = childOf(document, node, group);
    if (!groupNode) continue;
    const groupPath = [...path, ...groupNode.path];
    if (isScalar(groupNode.node) && groupNode.node.value === null) {
      const fields = RESOURCE_FIELDS.filter((field) => field.startsWith(`${group}.`));
      state.definitions = [...state.definitions.filter((definition) => !fields.includes(definition.field)), ...absentDefinitions(source, documentIndex, groupPath, startOf(groupNode.node), fields, (field) => [fieldPath(field)[1]])];
      continue;
    }
    if (!isMap(groupNode.node)) return `sets ${pathOf([...values, group])} to something that is not a mapping`;
    // Appended: the base's value stays in the list behind the patch's, which is the effective one.
    state.definitions.push(...readGroup(source, documentIndex, group, groupNode.node, groupPath));
  }
  return undefined;
}

function pathOf(keys: YamlPath): string {
  return keys.map((key) => (typeof key === "number" ? `[${key}]` : key)).join(".").replace(/\.\[/g, "[") || "the values";
}

/** `a.b.resources` or `a.b[0].resources`. */
function parseValuesPath(path: string): YamlPath | undefined {
  const keys: YamlPath = [];
  for (const part of path.split(".")) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!match) return undefined;
    keys.push(match[1]!);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) keys.push(Number(index[1]));
  }
  return keys;
}
