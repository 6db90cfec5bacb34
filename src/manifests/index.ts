/**
 * SPEC §3, §8: find the workloads of a config repo and change their resources byte-minimally.
 * Pure over file contents: the caller reads the files and writes the edits.
 */
export type {
  DiscoveredContainer,
  DiscoveredWorkload,
  Discovery,
  DiscoverOptions,
  DocumentEditOutcome,
  EditOutcome,
  FileEdit,
  HelmValuesTarget,
  LocationOrigin,
  ManifestLocation,
  OverlayPatchTarget,
  RepoFile,
  ResourceChange,
  ResourceDefinition,
  ResourceField,
  ResourceGroup,
  ResourceValues,
  YamlPath,
} from "./model.js";
export { discoverTargets, discoverWorkloads, type DiscoveryTarget } from "./discover.js";
export { editDocumentResources, planWorkloadEdit } from "./plan.js";
export { unifiedDiff } from "./diff.js";
