import { isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from "yaml";
import { isWorkloadKind, type WorkloadKind } from "../domain/index.js";
import { childOf, deref, mapAt, quoteShort, startOf, stringAt, writtenValue, type YamlDocument } from "../yaml/index.js";
import { absentDefinitions, fieldPath, mergeStrategicContainer, readContainer, readGroup, readResources, RESOURCE_FIELDS, type ContainerList, type ContainerState } from "./containers.js";
import type { DiscoveredContainer, DiscoveredWorkload, ManifestLocation, ResourceField, ResourceGroup, ResourceValues, YamlPath } from "./model.js";
import type { YamlSource } from "./source.js";

/** A workload as built so far: its identity and containers with the provenance of each value. */
export interface WorkloadState {
  kind: WorkloadKind;
  name: string;
  /** Every name the workload had (original first), since kustomize patches may name any of them. */
  names: string[];
  namespace: string | undefined;
  labels: Record<string, string>;
  location: ManifestLocation;
  podSpecPath: YamlPath;
  /** Argo Rollout `spec.workloadRef`: the pod template lives in another workload. */
  workloadRef?: { kind: string; name: string };
  containers: ContainerState[];
  /** Why the built workload cannot be trusted for edits (an unsupported patch), when it cannot. */
  problem?: string;
  /**
   * For a workload a Helm target sizes through a Flux HelmRelease: the release (its names, for a
   * patch to match), the document that defines it, and the kustomization that renders it for
   * this workload, when one does.
   */
  release?: { name: string; names: string[]; namespace?: string; apiVersion: string; document: { path: string; document: number }; kustomization?: string };
}

/**
 * A Flux HelmRelease as a kustomization renders it: the document that defines it and every
 * strategic-merge patch applied to it, in kustomize's order. Its `spec.values` are read through
 * them (helm.ts), as a workload's containers are read through its patches.
 */
export interface ReleaseState {
  kind: "HelmRelease";
  name: string;
  /** Every name it had (original first), since patches may name any of them. */
  names: string[];
  namespace: string | undefined;
  labels: Record<string, string>;
  apiVersion: string;
  /** The document that defines it. */
  base: { path: string; document: number };
  patches: { source: YamlSource; document: number }[];
  /** Why what it deploys cannot be read (a JSON6902 patch of its values, a patch that cannot be read). */
  problem?: string;
}

const API_GROUPS: Record<WorkloadKind, readonly string[]> = {
  Deployment: ["apps", "extensions"],
  StatefulSet: ["apps"],
  DaemonSet: ["apps", "extensions"],
  ReplicaSet: ["apps", "extensions"],
  Job: ["batch"],
  CronJob: ["batch"],
  Rollout: ["argoproj.io"],
};

const CONTAINER_LISTS: readonly ContainerList[] = ["containers", "initContainers"];

/** SPEC §3: a CronJob's pod template is `spec.jobTemplate.spec.template`. */
export function podSpecPathOf(kind: WorkloadKind): YamlPath {
  return kind === "CronJob" ? ["spec", "jobTemplate", "spec", "template", "spec"] : ["spec", "template", "spec"];
}

/** Kind and apiVersion say this document is a workload rightsize sizes (a patch may omit apiVersion). */
export function workloadKindOf(document: YamlDocument): WorkloadKind | undefined {
  const root = mapAt(document, document.contents);
  const kind = stringAt(document, root, "kind");
  if (kind === undefined || !isWorkloadKind(kind)) return undefined;
  const apiVersion = stringAt(document, root, "apiVersion");
  if (apiVersion === undefined) return kind;
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  return API_GROUPS[kind].includes(group) ? kind : undefined;
}

/** A Flux HelmRelease document (`helm.toolkit.fluxcd.io`), as the first step of its rendering. */
export function readRelease(source: YamlSource, document: number): ReleaseState | undefined {
  const yamlDocument = source.documents[document]!;
  const root = mapAt(yamlDocument, yamlDocument.contents);
  const apiVersion = stringAt(yamlDocument, root, "apiVersion");
  if (!root || stringAt(yamlDocument, root, "kind") !== "HelmRelease" || !apiVersion?.startsWith("helm.toolkit.fluxcd.io/")) return undefined;
  const metadata = mapAt(yamlDocument, childOf(yamlDocument, root, "metadata")?.node);
  const name = stringAt(yamlDocument, metadata, "name");
  if (name === undefined) return undefined;
  return { kind: "HelmRelease", name, names: [name], namespace: stringAt(yamlDocument, metadata, "namespace"), labels: labelsOf(yamlDocument, metadata), apiVersion, base: { path: source.path, document }, patches: [] };
}

export function readWorkload(source: YamlSource, document: number): WorkloadState | undefined {
  const yamlDocument = source.documents[document]!;
  const kind = workloadKindOf(yamlDocument);
  const root = mapAt(yamlDocument, yamlDocument.contents);
  if (!kind || !root) return undefined;
  const metadata = mapAt(yamlDocument, childOf(yamlDocument, root, "metadata")?.node);
  const name = stringAt(yamlDocument, metadata, "name");
  if (name === undefined) return undefined;
  const spec = mapAt(yamlDocument, childOf(yamlDocument, root, "spec")?.node);
  const reference = mapAt(yamlDocument, spec && childOf(yamlDocument, spec, "workloadRef")?.node);
  const referencedKind = stringAt(yamlDocument, reference, "kind");
  const referencedName = stringAt(yamlDocument, reference, "name");
  const workload: WorkloadState = {
    kind,
    name,
    names: [name],
    namespace: stringAt(yamlDocument, metadata, "namespace"),
    labels: labelsOf(yamlDocument, metadata),
    location: source.locate(document, [], startOf(root)),
    podSpecPath: podSpecPathOf(kind),
    containers: [],
    ...(kind === "Rollout" && referencedKind && referencedName ? { workloadRef: { kind: referencedKind, name: referencedName } } : {}),
  };
  if (name.includes("{{") || workload.namespace?.includes("{{")) {
    // Valid YAML, but a name Kubernetes would reject: a template (Helm, Argo) not yet rendered.
    workload.problem = "its name or namespace is template syntax ({{ }}), which is not a manifest until rendered; it is not edited";
  }
  const podSpec = findPodSpec(yamlDocument, root, workload.podSpecPath);
  if (!podSpec) return workload;
  for (const list of CONTAINER_LISTS) {
    for (const item of containerItems(yamlDocument, podSpec.map, list)) {
      const container = readContainer(source, document, item.map, [...podSpec.path, ...item.path], list);
      if (!container) continue;
      // Kubernetes rejects two containers of one name, and an edit could not say which one it meant.
      if (workload.containers.some((other) => other.name === container.name)) workload.problem ??= `two containers are named ${quoteShort(container.name)}; Kubernetes rejects that, so it is not edited`;
      workload.containers.push(container);
    }
  }
  return workload;
}

function labelsOf(document: YamlDocument, metadata: YAMLMap | undefined): Record<string, string> {
  const labels = mapAt(document, metadata && childOf(document, metadata, "labels")?.node);
  const result: Record<string, string> = {};
  for (const pair of labels?.items ?? []) {
    if (isScalar(pair.key) && isScalar(pair.value)) result[String(pair.key.value)] = String(pair.value.value);
  }
  return result;
}

/** Follows `spec.template.spec` (or the CronJob path) through aliases, keeping the real keys. */
function findPodSpec(document: YamlDocument, root: YAMLMap, keys: YamlPath): { map: YAMLMap; path: YamlPath } | undefined {
  let map = root;
  const path: YamlPath = [];
  for (const key of keys) {
    const child = childOf(document, map, String(key));
    if (!child || !isMap(child.node)) return undefined;
    map = child.node;
    path.push(...child.path);
  }
  return { map, path };
}

function containerItems(document: YamlDocument, podSpec: YAMLMap, list: ContainerList): { map: YAMLMap; path: YamlPath }[] {
  const child = childOf(document, podSpec, list);
  if (!child || !isSeq(child.node)) return [];
  const items: { map: YAMLMap; path: YamlPath }[] = [];
  (child.node as YAMLSeq).items.forEach((item, index) => {
    const map = mapAt(document, item);
    if (map) items.push({ map, path: [...child.path, index] });
  });
  return items;
}

/** Applies one strategic-merge patch document (kind/name already matched) to a built workload. */
export function mergeStrategicWorkload(workload: WorkloadState, source: YamlSource, document: number): void {
  const yamlDocument = source.documents[document]!;
  const root = mapAt(yamlDocument, yamlDocument.contents);
  if (!root) return;
  const podSpec = findPodSpec(yamlDocument, root, workload.podSpecPath);
  if (!podSpec) return;
  for (const list of CONTAINER_LISTS) {
    for (const item of containerItems(yamlDocument, podSpec.map, list)) {
      const name = stringAt(yamlDocument, item.map, "name");
      const path = [...podSpec.path, ...item.path];
      const index = workload.containers.findIndex((container) => container.list === list && container.name === name);
      if (index === -1) {
        const added = readContainer(source, document, item.map, path, list);
        if (added && stringAt(yamlDocument, item.map, "$patch") !== "delete") workload.containers.push(added);
        continue;
      }
      const merged = mergeStrategicContainer(workload.containers[index]!, source, document, item.map, path);
      if (merged === "delete") workload.containers.splice(index, 1);
      else workload.containers[index] = merged;
    }
  }
}

/** Applies JSON6902 operations (RFC 6902, as kustomize does) to a built workload. */
export function applyJsonPatch(workload: WorkloadState, source: YamlSource, document: number, operations: YAMLSeq, operationsPath: YamlPath): void {
  const yamlDocument = source.documents[document]!;
  operations.items.forEach((item, index) => {
    if (workload.problem) return;
    const operation = mapAt(yamlDocument, item);
    if (!operation) return;
    const opPath = [...operationsPath, index];
    const op = stringAt(yamlDocument, operation, "op");
    const pointer = stringAt(yamlDocument, operation, "path");
    if (!op || pointer === undefined) return;
    const target = containerTarget(workload, pointer);
    const from = stringAt(yamlDocument, operation, "from");
    if ((op === "move" || op === "copy") && (target || (from !== undefined && containerTarget(workload, from)))) {
      workload.problem = `a JSON6902 "${op}" operation moves container fields (${source.path}); such patches are not followed, so edit the manifests by hand`;
      return;
    }
    if (!target || !["add", "replace", "remove"].includes(op)) return;
    const value = childOf(yamlDocument, operation, "value");
    const valuePath = [...opPath, ...(value?.path ?? ["value"])];
    const opOffset = startOf(operation);
    const list = workload.containers.filter((container) => container.list === target.list);
    const position = target.index === "-" ? list.length : target.index;
    if (target.rest.length === 0) {
      const existing = list[position];
      if (op !== "add" && !existing) return;
      if (existing) workload.containers.splice(workload.containers.indexOf(existing), 1);
      if (op === "remove") return;
      const added = value && isMap(value.node) ? readContainer(source, document, value.node, valuePath, target.list) : undefined;
      if (!added) return;
      const after = op === "add" ? list[position] : list[position + 1];
      const at = after ? workload.containers.indexOf(after) : workload.containers.length;
      workload.containers.splice(at === -1 ? workload.containers.length : at, 0, added);
      return;
    }
    const container = list[position];
    if (!container || target.rest[0] !== "resources") return;
    const [, group, name] = target.rest as [string, ResourceGroup | undefined, "cpu" | "memory" | undefined];
    const scope = RESOURCE_FIELDS.filter((field) => (group === undefined || field.startsWith(`${group}.`)) && (name === undefined || field.endsWith(`.${name}`)));
    const kept = container.definitions.filter((definition) => !scope.includes(definition.field));
    if (op === "remove") {
      // Setting a removed value would be undone by this operation: record it here so an edit is refused, not lost.
      container.definitions = [...kept, ...absentDefinitions(source, document, opPath, opOffset, scope, () => [])];
      return;
    }
    const node = value ? deref(yamlDocument, value.node) : undefined;
    if (!node) return;
    const written = name !== undefined
      ? isScalar(node) && group !== undefined
        ? [{ field: `${group}.${name}` as ResourceField, value: writtenValue(source.text, node), location: source.locate(document, valuePath, startOf(node)) }]
        : []
      : group !== undefined
        ? readGroup(source, document, group, node, valuePath)
        : readResources(source, document, node, valuePath);
    const missing = scope.filter((field) => !written.some((definition) => definition.field === field));
    const relative = (field: ResourceField): YamlPath => (name !== undefined ? [] : group === undefined ? fieldPath(field) : [fieldPath(field)[1]]);
    container.definitions = [...kept, ...written, ...absentDefinitions(source, document, valuePath, startOf(node), missing, relative)];
    if (group === undefined) container.hosts = [source.locate(document, valuePath, startOf(node))];
  });
}

function containerTarget(workload: WorkloadState, pointer: string): { list: ContainerList; index: number | "-"; rest: string[] } | undefined {
  const segments = pointer.split("/").slice(1).map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
  const prefix = workload.podSpecPath.map(String);
  if (segments.length <= prefix.length + 1 || prefix.some((key, index) => segments[index] !== key)) return undefined;
  const list = segments[prefix.length];
  const index = segments[prefix.length + 1]!;
  if (list !== "containers" && list !== "initContainers") return undefined;
  if (index !== "-" && !/^\d+$/.test(index)) return undefined;
  return { list, index: index === "-" ? "-" : Number(index), rest: segments.slice(prefix.length + 2) };
}

/** The public view of a built workload; the last definition of each field is the effective one. */
export function toDiscovered(workload: WorkloadState, namespace: string | undefined, kustomization?: string): DiscoveredWorkload {
  const release = workload.release;
  return {
    kind: workload.kind,
    name: workload.name,
    namespace,
    location: workload.location,
    ...(kustomization ? { kustomization } : {}),
    containers: workload.containers.map((container) => toDiscoveredContainer(container)),
    ...(release?.kustomization
      ? { helmRelease: { name: release.name, ...(release.namespace === undefined ? {} : { namespace: release.namespace }), values: Object.fromEntries(workload.containers.map((container) => [container.name, container.values ?? []])) } }
      : {}),
  };
}

function toDiscoveredContainer(container: ContainerState): DiscoveredContainer {
  const requests: ResourceValues = {};
  const limits: ResourceValues = {};
  const effective = new Map<ResourceField, number>();
  container.definitions.forEach((definition, index) => effective.set(definition.field, index));
  for (const [field, index] of effective) {
    const value = container.definitions[index]!.value;
    if (value === null) continue;
    const [group, name] = fieldPath(field);
    (group === "requests" ? requests : limits)[name] = value;
  }
  const host = container.hosts[container.hosts.length - 1];
  return {
    name: container.name,
    role: container.role,
    requests,
    limits,
    location: host ?? container.definitions[0]?.location ?? { path: "", document: 0, yamlPath: [] },
    definitions: container.definitions.map((definition, index) => ({ ...definition, effective: effective.get(definition.field) === index })),
    sharedWith: [],
    sharedFields: {},
    sharedRemovals: {},
  };
}
