import { isMap, isScalar, isSeq } from "yaml";
import { quoteShort } from "../yaml/index.js";
import { readResources } from "./containers.js";
import type { HelmValuesTarget, YamlPath } from "./model.js";
import { childOf, mapAt, startOf, stringAt } from "./nodes.js";
import type { Repo } from "./repo.js";
import type { WorkloadState } from "./workloads.js";
import { podSpecPathOf } from "./workloads.js";

/**
 * SPEC §3/§7: a Helm values block (or a Flux HelmRelease's `spec.values`) named by the policy
 * sizes one container of a workload the chart renders; the templates themselves are never read.
 */
/** The workload the target sizes, or why it cannot be read. */
export function readHelmTarget(repo: Repo, target: HelmValuesTarget): WorkloadState | string {
  const source = repo.source(target.values, "helm-values");
  if ("problem" in source) return `the Helm values file ${source.problem}`;
  const release = source.documents.findIndex((document) => {
    const root = mapAt(document, document.contents);
    return stringAt(document, root, "kind") === "HelmRelease";
  });
  const documentIndex = Math.max(release, 0);
  const document = source.documents[documentIndex];
  if (!document) return "the Helm values file is empty";
  const root = mapAt(document, document.contents);
  const metadata = root && mapAt(document, childOf(document, root, "metadata")?.node);
  const spec = root && mapAt(document, childOf(document, root, "spec")?.node);
  const namespace = target.namespace ?? (release >= 0 ? (stringAt(document, spec, "targetNamespace") ?? stringAt(document, metadata, "namespace")) : undefined);
  const keys = parseValuesPath(target.path);
  if (!keys) return `values path ${quoteShort(target.path)} is not a dotted path such as cartService.resources`;
  const basePath: YamlPath = release >= 0 ? ["spec", "values"] : [];
  let node: unknown = document.contents;
  const realPath: YamlPath = [];
  let remaining: YamlPath = [...basePath, ...keys];
  // Line numbers point at the deepest key that exists (`resources:`, or its parent when it is missing).
  let keyStart = startOf(root);
  let valuesStart = keyStart;
  while (remaining.length > 0) {
    const [key, ...rest] = remaining as [string | number, ...YamlPath];
    if (isScalar(node) && node.value === null) break;
    if (typeof key === "number") {
      if (!isSeq(node) || node.items[key] === undefined) return `values path ${quoteShort(target.path)} names item ${key} of a list that does not have it`;
      node = node.items[key];
      realPath.push(key);
    } else {
      if (!isMap(node)) return `values path ${quoteShort(target.path)} runs into a value that is not a mapping`;
      const child = childOf(document, node, key);
      if (!child) break;
      node = child.node;
      realPath.push(...child.path);
      keyStart = child.keyStart ?? keyStart;
    }
    remaining = rest;
    if (realPath.length === basePath.length) valuesStart = keyStart;
  }
  if (remaining.some((key) => typeof key === "number")) return `values path ${quoteShort(target.path)} names a list item that does not exist`;
  const resourcesPath = [...realPath, ...remaining];
  const location = source.locate(documentIndex, resourcesPath, keyStart);
  return {
    kind: target.workload.kind,
    name: target.workload.name,
    names: [target.workload.name],
    namespace,
    labels: {},
    location: source.locate(documentIndex, basePath, valuesStart),
    podSpecPath: podSpecPathOf(target.workload.kind),
    containers: [
      {
        name: target.workload.container,
        list: "containers",
        role: "container",
        definitions: remaining.length === 0 && isMap(node) ? readResources(source, documentIndex, node, resourcesPath) : [],
        hosts: [location],
      },
    ],
  };
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
