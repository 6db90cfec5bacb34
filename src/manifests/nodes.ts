import { isAlias, isMap, isScalar, isSeq, visit, type Document, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import type { YamlPath } from "./model.js";

/** Helpers over yaml's document model: reading values and finding nodes. Nothing here changes bytes. */

export type YamlDocument = Document.Parsed;

export function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) && pair.key.value !== null ? String(pair.key.value) : undefined;
}

export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => keyOf(pair) === key);
}

/** Follows aliases to the node they stand for. */
export function deref(document: YamlDocument, node: unknown): Node | undefined {
  let current = node;
  for (let hops = 0; isAlias(current) && hops < 32; hops++) current = current.resolve(document);
  return isMap(current) || isSeq(current) || isScalar(current) ? current : undefined;
}

export function mapAt(document: YamlDocument, node: unknown): YAMLMap | undefined {
  const target = deref(document, node);
  return isMap(target) ? target : undefined;
}

/**
 * The value under `key`, through aliases; `<<` merge keys are looked into when the key is not set
 * directly. `keyStart` is where the key is written, for line numbers.
 */
export function childOf(document: YamlDocument, map: YAMLMap, key: string): { node: Node; path: YamlPath; keyStart: number | undefined } | undefined {
  const own = pairOf(map, key);
  if (own) {
    const node = deref(document, own.value);
    return node ? { node, path: [key], keyStart: startOf(own.key) } : undefined;
  }
  const merge = pairOf(map, "<<");
  if (!merge) return undefined;
  const sources = isSeq(merge.value) ? merge.value.items.map((item, index) => ({ item, path: ["<<", index] as YamlPath })) : [{ item: merge.value, path: ["<<"] as YamlPath }];
  for (const source of sources) {
    const merged = mapAt(document, source.item);
    const found = merged && childOf(document, merged, key);
    if (found) return { ...found, path: [...source.path, ...found.path] };
  }
  return undefined;
}

export function stringAt(document: YamlDocument, map: YAMLMap | undefined, key: string): string | undefined {
  if (!map) return undefined;
  const node = childOf(document, map, key)?.node;
  return isScalar(node) && node.value !== null && typeof node.value !== "object" ? String(node.value) : undefined;
}

/** The scalar as its author wrote it: `500m`, `1.0`, `2` (quotes removed), or null for an empty or null value. */
export function writtenValue(text: string, scalar: Scalar): string | null {
  if (scalar.value === null) return null;
  if (scalar.type === "PLAIN" && scalar.range) return text.slice(scalar.range[0], scalar.range[1]);
  return String(scalar.value);
}

/** Names of every anchor that some alias in the document refers to. */
const aliasedAnchors = new WeakMap<YamlDocument, Set<string>>();

export function anchorsInUse(document: YamlDocument): Set<string> {
  let names = aliasedAnchors.get(document);
  if (!names) {
    const found = new Set<string>();
    visit(document, {
      Alias(_, alias) {
        found.add(alias.source);
      },
    });
    names = found;
    aliasedAnchors.set(document, names);
  }
  return names;
}

/** Node range start, for line numbers. */
export function startOf(node: unknown): number | undefined {
  return isMap(node) || isSeq(node) || isScalar(node) || isAlias(node) ? node.range?.[0] : undefined;
}
