import { isMap, isScalar, type Node, type YAMLMap } from "yaml";
import type { ContainerRole } from "../domain/index.js";
import { childOf, startOf, stringAt, writtenValue } from "../yaml/index.js";
import type { ManifestLocation, ResourceField, ResourceGroup, YamlPath } from "./model.js";
import type { YamlSource } from "./source.js";

export const RESOURCE_GROUPS: readonly ResourceGroup[] = ["requests", "limits"];
export const RESOURCE_NAMES = ["cpu", "memory"] as const;
export const RESOURCE_FIELDS: readonly ResourceField[] = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

export type ContainerList = "containers" | "initContainers";

/** One value written somewhere; `null` when the place writes an empty value or deletes it (a patch's `cpu: null`). */
export interface Definition {
  field: ResourceField;
  value: string | null;
  location: ManifestLocation;
}

/**
 * A container as kustomize would build it, with provenance: every live definition of each
 * resource value in the order they are applied, and every `resources` mapping a new value
 * could be added to (the last one wins).
 */
export interface ContainerState {
  name: string;
  list: ContainerList;
  role: ContainerRole;
  definitions: Definition[];
  hosts: ManifestLocation[];
  /** For a container a Helm target sizes: the values path of its `resources` block. */
  values?: YamlPath;
}

export function fieldPath(field: ResourceField): [ResourceGroup, "cpu" | "memory"] {
  return field.split(".") as [ResourceGroup, "cpu" | "memory"];
}

export function roleOf(list: ContainerList, restartPolicy: string | undefined): ContainerRole {
  // Kubernetes 1.28+: an init container with restartPolicy Always is a sidecar that runs alongside.
  if (list === "containers") return "container";
  return restartPolicy === "Always" ? "sidecar" : "init";
}

export function readContainer(source: YamlSource, document: number, map: YAMLMap, path: YamlPath, list: ContainerList): ContainerState | undefined {
  const yamlDocument = source.documents[document]!;
  const name = stringAt(yamlDocument, map, "name");
  if (name === undefined) return undefined;
  const state: ContainerState = {
    name,
    list,
    role: roleOf(list, stringAt(yamlDocument, map, "restartPolicy")),
    definitions: [],
    hosts: [],
  };
  const resources = childOf(yamlDocument, map, "resources");
  const resourcesPath = [...path, ...(resources?.path ?? ["resources"])];
  state.hosts.push(source.locate(document, resourcesPath, resources?.keyStart ?? startOf(map)));
  if (resources) state.definitions.push(...readResources(source, document, resources.node, resourcesPath));
  return state;
}

/** Every cpu/memory scalar under a `resources` mapping, null values included. */
export function readResources(source: YamlSource, document: number, node: Node, path: YamlPath, groups = RESOURCE_GROUPS): Definition[] {
  const yamlDocument = source.documents[document]!;
  if (!isMap(node)) return [];
  const definitions: Definition[] = [];
  for (const group of groups) {
    const groupNode = childOf(yamlDocument, node, group);
    if (!groupNode) continue;
    definitions.push(...readGroup(source, document, group, groupNode.node, [...path, ...groupNode.path]));
  }
  return definitions;
}

export function readGroup(source: YamlSource, document: number, group: ResourceGroup, node: Node, path: YamlPath): Definition[] {
  const yamlDocument = source.documents[document]!;
  if (!isMap(node)) return [];
  const definitions: Definition[] = [];
  for (const name of RESOURCE_NAMES) {
    const value = childOf(yamlDocument, node, name);
    if (!value || !isScalar(value.node)) continue;
    definitions.push({
      field: `${group}.${name}`,
      value: writtenValue(source.text, value.node),
      location: source.locate(document, [...path, ...value.path], startOf(value.node)),
    });
  }
  return definitions;
}

/** Absent values a patch imposes (a replaced or deleted mapping): setting one later must write it there. */
export function absentDefinitions(source: YamlSource, document: number, path: YamlPath, offset: number | undefined, fields: readonly ResourceField[], pathFor: (field: ResourceField) => YamlPath): Definition[] {
  return fields.map((field) => ({ field, value: null, location: source.locate(document, [...path, ...pathFor(field)], offset) }));
}

/**
 * Strategic merge of a patch's container entry onto the built container (kustomize's
 * patchesStrategicMerge and `patches` without a JSON6902 body). Returns "delete" for `$patch: delete`.
 */
export function mergeStrategicContainer(state: ContainerState, source: YamlSource, document: number, patch: YAMLMap, path: YamlPath): ContainerState | "delete" {
  const yamlDocument = source.documents[document]!;
  const directive = stringAt(yamlDocument, patch, "$patch");
  if (directive === "delete") return "delete";
  if (directive === "replace") return readContainer(source, document, patch, path, state.list) ?? state;
  const restartPolicy = stringAt(yamlDocument, patch, "restartPolicy");
  const merged: ContainerState = {
    ...state,
    role: restartPolicy === undefined ? state.role : roleOf(state.list, restartPolicy),
    definitions: [...state.definitions],
    hosts: [...state.hosts],
  };
  const resources = childOf(yamlDocument, patch, "resources");
  if (!resources) return merged;
  const resourcesPath = [...path, ...resources.path];
  const offset = resources.keyStart;
  if (isScalar(resources.node) && resources.node.value === null) {
    // `resources: null` in a strategic merge patch deletes the whole mapping.
    merged.definitions = absentDefinitions(source, document, resourcesPath, offset, RESOURCE_FIELDS, (field) => fieldPath(field));
    merged.hosts = [source.locate(document, resourcesPath, offset)];
    return merged;
  }
  if (!isMap(resources.node)) return merged;
  if (stringAt(yamlDocument, resources.node, "$patch") === "replace") {
    merged.definitions = [];
    merged.hosts = [];
  }
  for (const group of RESOURCE_GROUPS) {
    const groupNode = childOf(yamlDocument, resources.node, group);
    if (!groupNode) continue;
    const groupPath = [...resourcesPath, ...groupNode.path];
    const replaced = isScalar(groupNode.node) ? groupNode.node.value === null : isMap(groupNode.node) && stringAt(yamlDocument, groupNode.node, "$patch") === "replace";
    if (replaced) {
      merged.definitions = merged.definitions.filter((definition) => !definition.field.startsWith(`${group}.`));
      const fields = RESOURCE_FIELDS.filter((field) => field.startsWith(`${group}.`));
      if (isScalar(groupNode.node)) merged.definitions.push(...absentDefinitions(source, document, groupPath, startOf(groupNode.node), fields, (field) => [fieldPath(field)[1]]));
    }
    merged.definitions.push(...readGroup(source, document, group, groupNode.node, groupPath));
  }
  merged.hosts.push(source.locate(document, resourcesPath, offset));
  return merged;
}
