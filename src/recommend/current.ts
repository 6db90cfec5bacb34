import { compareQuantities, parseQuantity, type ContainerObservation, type ContainerResources, type Quantity, type ResourceName } from "../domain/index.js";

/** Requests and limits as the manifest (or the live object) writes them. */
export type WrittenResources = ContainerResources;

export interface CurrentResources {
  written: WrittenResources;
  requests: Partial<Record<ResourceName, Quantity>>;
  limits: Partial<Record<ResourceName, Quantity>>;
  /** Why the current values cannot be used (not a quantity). */
  problem?: string;
}

/**
 * The manifest is the truth for "current" when it is given (the edit starts from it); else the
 * values seen live, also for a container the manifest lacks (one injected at admission), which
 * is left out of the recommendation (isInManifest).
 */
export function resolveCurrent(
  container: ContainerObservation,
  manifest: { path: string; current?: Record<string, WrittenResources> } | undefined,
): CurrentResources {
  const source = manifest && isInManifest(container.name, manifest) ? (manifest.current?.[container.name] ?? container.current) : container.current;
  const written: WrittenResources = {
    requests: pick(source?.requests),
    limits: pick(source?.limits),
  };
  const current: CurrentResources = { written, requests: {}, limits: {} };
  for (const section of SECTIONS) {
    for (const resource of RESOURCES) {
      const text = written[section][resource];
      if (text === undefined) continue;
      try {
        current[section][resource] = parseWritten(text);
      } catch {
        current.problem = `the current ${section}.${resource} "${text}" is not a Kubernetes quantity; fix the manifest first`;
      }
    }
  }
  return current;
}

const SECTIONS = ["requests", "limits"] as const;
const RESOURCES = ["cpu", "memory"] as const;

/** Whether the manifest defines the container; without the manifest's containers, every container counts as in it. */
export function isInManifest(name: string, manifest: { current?: Record<string, WrittenResources> }): boolean {
  return manifest.current === undefined || Object.hasOwn(manifest.current, name);
}

// The same few values ("500m", "512Mi") recur across every workload of a snapshot.
const parsedValues = new Map<string, Quantity>();

function parseWritten(text: string): Quantity {
  let value = parsedValues.get(text);
  if (value === undefined) {
    value = parseQuantity(text);
    if (parsedValues.size < 10_000) parsedValues.set(text, value);
  }
  return value;
}

function pick(values: { cpu?: string; memory?: string } | undefined): { cpu?: string; memory?: string } {
  const picked: { cpu?: string; memory?: string } = {};
  if (values?.cpu !== undefined) picked.cpu = values.cpu;
  if (values?.memory !== undefined) picked.memory = values.memory;
  return picked;
}

/** Kubernetes defaults a missing request to the limit, so that is what the container runs with. */
export function effectiveRequest(current: CurrentResources, resource: ResourceName): Quantity | undefined {
  return current.requests[resource] ?? current.limits[resource];
}

/**
 * Kubernetes QoS: a pod is Guaranteed when every container has CPU and memory limits and its
 * requests equal them (a missing request defaults to the limit). This is one container's part.
 */
export function hasGuaranteedShape(current: CurrentResources): boolean {
  for (const resource of RESOURCES) {
    const limit = current.limits[resource];
    const request = current.requests[resource];
    if (limit === undefined || (request !== undefined && compareQuantities(request, limit) !== 0)) return false;
  }
  return true;
}
