import type { ContainerRole, RefusalError, ResourceValues, WorkloadKind } from "../domain/index.js";
import type { DocumentEditOutcome, YamlPath } from "../yaml/index.js";

export type { DocumentEditOutcome, YamlPath };

/** One file of a checkout: a repo-relative posix path and its content. */
export interface RepoFile {
  path: string;
  text: string;
  /**
   * Why the file is not read as YAML although it is in the checkout (not UTF-8, over the size
   * bound): discovery lists it as skipped and no edit touches it. `text` is then only good for
   * telling what kind of file it was, if anything.
   */
  problem?: string;
}

/** SPEC §7 `targets[].helm`: a Helm values block (or a HelmRelease's `spec.values`) that sizes one container. */
export interface HelmValuesTarget {
  /** A values file, or a file holding a Flux HelmRelease whose `spec.values` is meant. */
  values: string;
  /** Dotted path to the resources block inside the values, e.g. `cartService.resources`. */
  path: string;
  workload: { kind: WorkloadKind; name: string; container: string };
  namespace?: string;
}

export interface DiscoverOptions {
  /** Globs of files to scan; default every `*.yaml` and `*.yml`. */
  include?: string[];
  /** Globs to leave out, added to `.git`, `node_modules` and `charts/<chart>/templates`. */
  exclude?: string[];
  /** Globs every scanned file must match as well (`discover --include` narrowing a policy target's paths). */
  within?: string[];
  /** SPEC §3: the namespace of a workload that has none in its manifest or kustomization. */
  defaultNamespace?: string;
  helm?: HelmValuesTarget[];
}

/** How the bytes at a location came to count: the manifest itself or something layered over it. */
export type LocationOrigin = "manifest" | "strategic-merge-patch" | "json6902-patch" | "helm-values";

export interface ManifestLocation {
  path: string;
  /** Index of the YAML document in the file (0 for the first). */
  document: number;
  yamlPath: YamlPath;
  /** 1-based line of the node, or of its nearest existing parent when the node does not exist yet. */
  line?: number;
  origin?: LocationOrigin;
  /** For a kustomize patch written inline (`patch: |-`): `yamlPath` leads to that string, this leads inside it. */
  inlinePatch?: { document: number; yamlPath: YamlPath };
}

export type ResourceGroup = "requests" | "limits";
export type ResourceField = `${ResourceGroup}.${"cpu" | "memory"}`;

export type { ResourceValues };

/** A place that writes one resource value; the last one for a field is the one Kubernetes sees. */
export interface ResourceDefinition {
  field: ResourceField;
  /** null: this place writes an empty value or removes it (a patch's `cpu: null`, a JSON6902 `remove`). */
  value: string | null;
  location: ManifestLocation;
  effective: boolean;
}

export interface DiscoveredContainer {
  name: string;
  role: ContainerRole;
  /** Effective values as written in the manifest (`500m`, `1Gi`, `2`). */
  requests: ResourceValues;
  limits: ResourceValues;
  /**
   * The `resources` mapping a new value is added to: the last patch that defines resources for
   * this container, else the base manifest. `yamlPath` ends at `resources`, which may not exist yet.
   */
  location: ManifestLocation;
  /** Every place along a kustomize chain that writes a value, in the order kustomize applies them. */
  definitions: ResourceDefinition[];
  /**
   * Other workloads (`namespace/Kind/name`, with the cluster or the kustomization that builds
   * them when discovery spans several) that read a value setting this container's resources
   * would change: every workload in `sharedFields`.
   */
  sharedWith: string[];
  /** Per field, the other workloads that read the value where setting it for this container would write (a base two overlays build). */
  sharedFields: Partial<Record<ResourceField, string[]>>;
  /** Per field, the other workloads that read a definition removing the field would take out. */
  sharedRemovals: Partial<Record<ResourceField, string[]>>;
  /**
   * The `resources` mapping of a patch that only this workload reads, when the container has
   * one: a shared value is set for this workload there instead, where it overrides the base.
   */
  ownPatch?: ManifestLocation;
}

export interface DiscoveredWorkload {
  kind: WorkloadKind;
  /** Effective name, after kustomize `namePrefix`/`nameSuffix`. */
  name: string;
  namespace: string | undefined;
  /** The document that defines the workload (for a kustomize overlay: the base manifest). */
  location: ManifestLocation;
  /** The kustomization that builds this workload, when there is one. */
  kustomization?: string;
  containers: DiscoveredContainer[];
  /**
   * This workload's own overlay, when nothing else renders its manifest through it: a shared
   * value with no `ownPatch` is set in a new strategic-merge patch listed under the
   * kustomization's `patches:` (kustomize's way), matched by this kind and name.
   */
  overlay?: { kustomization: string; patch: OverlayPatchTarget };
  /**
   * For a workload a Helm target sizes through a Flux HelmRelease that a kustomization renders:
   * the release's name and namespace as rendered, and each container's values path (of its
   * `resources` block), so the overlay can be built again to check an edit.
   */
  helmRelease?: { name: string; namespace?: string; values: Record<string, YamlPath> };
}

/**
 * What a new patch of a workload's own overlay matches and writes: a workload's pod template, or
 * a Flux HelmRelease's values (`values`: each container's values path).
 */
export type OverlayPatchTarget =
  | { apiVersion: string; kind: WorkloadKind; name: string }
  | { apiVersion: string; kind: "HelmRelease"; name: string; values: Record<string, YamlPath> };

export interface Discovery {
  workloads: DiscoveredWorkload[];
  skipped: { path: string; reason: string }[];
}

/**
 * A change to one container: a string sets the value to that quantity text, `null` removes the
 * key (policy `limits: remove-cpu`), an absent key leaves the value alone.
 */
export interface ResourceChange {
  container: string;
  requests?: { cpu?: string | null; memory?: string | null };
  limits?: { cpu?: string | null; memory?: string | null };
}

export interface FileEdit {
  path: string;
  before: string;
  after: string;
  diff: string;
}

export type EditOutcome = { ok: true; edits: FileEdit[] } | { ok: false; refusal: RefusalError };

