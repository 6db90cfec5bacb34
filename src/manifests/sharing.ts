import { posix } from "node:path";
import { mapAt, stringAt } from "../yaml/index.js";
import { RESOURCE_FIELDS, type ContainerState } from "./containers.js";
import { buildKustomization, reachableFrom } from "./kustomize.js";
import type { DiscoveredWorkload, ManifestLocation, ResourceField, YamlPath } from "./model.js";
import type { Repo } from "./repo.js";
import { toDiscovered, type WorkloadState } from "./workloads.js";

/** A workload as discovery found it, before it is made public. */
export interface Found {
  workload: WorkloadState;
  /** Workloads built by one kustomization (or plain files, "") resolve Rollout workloadRefs among themselves. */
  group: string;
  kustomization?: string;
  /** A Rollout with `workloadRef`: the workload whose pod template it runs (and whose containers it shows). */
  template?: Found;
}

/** A workload some environment deploys: one of a policy target's, or one another kustomization builds. */
export interface SharingEntry {
  found: Found;
  namespace: string | undefined;
  /** How people read it in a message: `staging/Deployment/frontend in cluster staging`. */
  label: string;
  /** Index of the policy target it belongs to; undefined for a rendering no target holds. */
  target?: number;
}

/**
 * Who else reads each value. A field of a container is shared when another workload reads its
 * effective value from the same place, or, where no place sets it, would receive a value added
 * to the same `resources` mapping: exactly when an edit for one would change the other.
 * An overlay that sets a field itself is not affected by an edit of the base's value, so a base
 * can be shared for one field and not for another.
 */
export class Sharing {
  private readonly readers = new Map<string, Set<string>>();
  private readonly patchUsers = new Map<string, Set<string>>();

  private readonly bySubjectDocument = new Map<string, SharingEntry[]>();
  private readonly byKustomization = new Map<string, SharingEntry[]>();

  constructor(
    private readonly repo: Repo,
    private readonly entries: readonly SharingEntry[],
  ) {
    for (const entry of entries) {
      push(this.bySubjectDocument, documentKey((entry.found.template ?? entry.found).workload.location), entry);
      if (entry.found.kustomization !== undefined) push(this.byKustomization, entry.found.kustomization, entry);
      for (const container of entry.found.workload.containers) {
        for (const field of RESOURCE_FIELDS) add(this.readers, readKey(container, field), entry.label);
        for (const location of [...container.definitions.map((definition) => definition.location), ...container.hosts]) {
          if (isPatch(location)) add(this.patchUsers, patchDocumentKey(location), entry.label);
        }
      }
    }
  }

  discovered(entry: SharingEntry): DiscoveredWorkload {
    const discovered = toDiscovered(entry.found.workload, entry.namespace, entry.found.kustomization);
    // A Rollout runs its workloadRef's pod template: that Deployment is its template, not another environment.
    const template = entry.found.template;
    const self = new Set([entry.label, ...(template === undefined ? [] : this.entries.filter((other) => other.found === template).map((other) => other.label))]);
    entry.found.workload.containers.forEach((state, index) => {
      const container = discovered.containers[index]!;
      const sharedWith = new Set<string>();
      for (const field of RESOURCE_FIELDS) {
        const readers = this.othersReading([readKey(state, field)], self);
        if (readers.length > 0) container.sharedFields[field] = readers;
        const removing = this.othersReading(visibleKeys(state, field), self);
        if (removing.length > 0) container.sharedRemovals[field] = removing;
        for (const label of readers) sharedWith.add(label);
      }
      container.sharedWith = [...sharedWith].sort();
      const host = state.hosts[state.hosts.length - 1];
      if (host && isPatch(host) && [...(this.patchUsers.get(patchDocumentKey(host)) ?? [])].every((label) => self.has(label))) container.ownPatch = host;
    });
    const overlay = this.overlayOf(entry);
    if (overlay) discovered.overlay = overlay;
    return discovered;
  }

  private othersReading(keys: readonly string[], self: ReadonlySet<string>): string[] {
    const others = new Set<string>();
    for (const key of keys) for (const label of this.readers.get(key) ?? []) if (!self.has(label)) others.add(label);
    return [...others].sort();
  }

  /**
   * The workload's own overlay, where a patch for it alone can be added: its top-level
   * kustomization, when nothing else renders the same manifest through that kustomization (the
   * same overlay in another cluster, a kustomization that includes it) and no other workload of
   * it has the kind and name the patch would match.
   */
  private overlayOf(entry: SharingEntry): DiscoveredWorkload["overlay"] {
    const kustomization = entry.found.kustomization;
    if (kustomization === undefined || entry.target === undefined) return undefined;
    const subject = (entry.found.template ?? entry.found).workload;
    const name = this.patchStageName(kustomization, subject.release?.names ?? subject.names);
    // Another rendering of the same manifest through this kustomization (another cluster, an including kustomization).
    for (const other of this.bySubjectDocument.get(documentKey(subject.location)) ?? []) {
      if (other === entry || other.found === entry.found.template || other.label === entry.label || other.found.kustomization === undefined) continue;
      if ((other.found.template ?? other.found).workload.kind !== subject.kind) continue;
      if (other.found.kustomization === kustomization || this.reach(other.found.kustomization).has(kustomization)) return undefined;
    }
    if (subject.release) return this.releaseOverlay(kustomization, subject, name);
    // Another workload of the kustomization that a patch matching this kind and name would match too.
    for (const other of this.byKustomization.get(kustomization) ?? []) {
      const otherSubject = (other.found.template ?? other.found).workload;
      if (otherSubject.kind === subject.kind && documentKey(otherSubject.location) !== documentKey(subject.location) && this.patchStageName(kustomization, otherSubject.names) === name) return undefined;
    }
    const document = this.repo.parse(subject.location.path)?.documents[subject.location.document];
    const apiVersion = document ? stringAt(document, mapAt(document, document.contents), "apiVersion") : undefined;
    if (apiVersion === undefined || name === undefined) return undefined;
    return { kustomization, patch: { apiVersion, kind: subject.kind, name } };
  }

  /**
   * A new patch of a HelmRelease's values: matched by the release's name, when no other release
   * of the kustomization has it, and only for values paths a merge of mappings can reach (a list
   * in the path would be replaced whole).
   */
  private releaseOverlay(kustomization: string, subject: WorkloadState, name: string | undefined): DiscoveredWorkload["overlay"] {
    const release = subject.release!;
    const build = this.repo.memo(`build:${kustomization}`, () => buildKustomization(this.repo, kustomization));
    const sameName = build.releases.filter((other) => this.patchStageName(kustomization, other.names) === name);
    const values = subject.containers.map((container) => [container.name, container.values] as const);
    if (name === undefined || sameName.length !== 1 || values.some(([, path]) => path === undefined || path.some((key) => typeof key === "number"))) return undefined;
    return { kustomization, patch: { apiVersion: release.apiVersion, kind: "HelmRelease", name, values: Object.fromEntries(values) as Record<string, YamlPath> } };
  }

  /** The name a patch in the kustomization must match: before the kustomization's own prefix and suffix. */
  private patchStageName(kustomization: string, names: readonly string[]): string | undefined {
    const document = this.repo.parse(kustomization)?.documents[0];
    const root = document && mapAt(document, document.contents);
    if (!document || !root) return undefined;
    const renames = (stringAt(document, root, "namePrefix") ?? "") !== "" || (stringAt(document, root, "nameSuffix") ?? "") !== "";
    return names[names.length - (renames ? 2 : 1)];
  }

  private reach(kustomization: string): Set<string> {
    return this.repo.memo(`reach:${kustomization}`, () => reachableFrom(this.repo, kustomization));
  }
}

function add(index: Map<string, Set<string>>, key: string, label: string): void {
  let labels = index.get(key);
  if (!labels) {
    labels = new Set();
    index.set(key, labels);
  }
  labels.add(label);
}

/** Where a field's effective value is read from; where none is set, the mapping a new value would go into. */
function readKey(container: ContainerState, field: ResourceField): string {
  const definitions = container.definitions.filter((definition) => definition.field === field);
  const effective = definitions[definitions.length - 1];
  if (effective) return locationKey(effective.location);
  const host = container.hosts[container.hosts.length - 1];
  return `${host ? locationKey(host) : "nowhere"}#${field}`;
}

/** The definitions a removal of the field takes out: every one since the last that empties it. */
function visibleKeys(container: ContainerState, field: ResourceField): string[] {
  const definitions = container.definitions.filter((definition) => definition.field === field);
  const lastAbsent = definitions.map((definition) => definition.value).lastIndexOf(null);
  return definitions.slice(lastAbsent + 1).map((definition) => locationKey(definition.location));
}

function locationKey(location: ManifestLocation): string {
  return JSON.stringify([location.path, location.document, location.yamlPath, location.inlinePatch ?? null]);
}

function patchDocumentKey(location: ManifestLocation): string {
  return JSON.stringify([location.path, location.document, location.inlinePatch ? [location.yamlPath, location.inlinePatch.document] : null]);
}

function isPatch(location: ManifestLocation): boolean {
  return location.origin === "strategic-merge-patch" || location.origin === "json6902-patch";
}

function documentKey(location: ManifestLocation): string {
  return `${location.document}:${location.path}`;
}

function push<T>(index: Map<string, T[]>, key: string, value: T): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}

/** The file name of a new patch next to a kustomization: the workload's, made unique among the files there. */
export function newPatchPath(kustomization: string, kind: string, name: string, exists: (path: string) => boolean): string {
  const directory = posix.dirname(kustomization);
  const at = (file: string): string => (directory === "." ? file : `${directory}/${file}`);
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "-");
  for (const candidate of [`${safe}-resources.yaml`, `${kind.toLowerCase()}-${safe}-resources.yaml`]) if (!exists(at(candidate))) return at(candidate);
  for (let number = 2; ; number++) if (!exists(at(`${kind.toLowerCase()}-${safe}-resources-${number}.yaml`))) return at(`${kind.toLowerCase()}-${safe}-resources-${number}.yaml`);
}
