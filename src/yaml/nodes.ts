import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { InputError } from "../domain/index.js";
import type { YamlDocument } from "./read.js";

/** Helpers over yaml's document model: reading values and finding nodes. Nothing here changes bytes. */

export type { YamlDocument };

/** Keys and sequence indexes from a document's root to a node. */
export type YamlPath = (string | number)[];

export function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) && pair.key.value !== null ? String(pair.key.value) : undefined;
}

export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => keyOf(pair) === key);
}

/**
 * Follows an alias to the node it stands for. yaml's `Alias.resolve` walks the whole document on
 * every call; here each document is walked once and every alias's target kept. An alias inside
 * the node it names (`&a [*a]`) resolves to nothing: following it would never end.
 */
export function deref(document: YamlDocument, node: unknown): Node | undefined {
  const current = isAlias(node) ? aliasTargetsOf(document).get(node) : node;
  return isMap(current) || isSeq(current) || isScalar(current) ? current : undefined;
}

const aliasTargets = new WeakMap<YamlDocument, Map<Alias, Node | undefined>>();

function aliasTargetsOf(document: YamlDocument): Map<Alias, Node | undefined> {
  let targets = aliasTargets.get(document);
  if (!targets) {
    const found = new Map<Alias, Node | undefined>();
    // The last node anchored with a name before the alias, as the YAML spec and yaml's resolve() say.
    const anchored = new Map<string, Node>();
    visit(document, {
      Node(_, node, ancestors) {
        if (isAlias(node)) {
          const target = anchored.get(node.source);
          found.set(node, target && !ancestors.includes(target) ? target : undefined);
        } else if (node.anchor) anchored.set(node.anchor, node);
      },
    });
    targets = found;
    aliasTargets.set(document, targets);
  }
  return targets;
}

export function mapAt(document: YamlDocument, node: unknown): YAMLMap | undefined {
  const target = deref(document, node);
  return isMap(target) ? target : undefined;
}

/** More merge entries than this behind one lookup is not a manifest a person wrote; it is refused. */
const MAX_MERGE_STEPS = 256;

/**
 * A document whose merge keys (`<<:`) fan out further than any hand-written manifest. Files are
 * checked for it when they are read (excessiveMergeAt), so a lookup never meets it in practice.
 */
export class MergeKeysTooComplex extends InputError {
  constructor(readonly offset: number | undefined) {
    super(`merge keys (<<:) combine more than ${MAX_MERGE_STEPS} mappings; write the values out`);
  }
}

/**
 * The mappings merged into `map` through `<<` keys, in lookup order (each merged mapping, then
 * what it merges, depth first; each mapping once), with the path from `map` to each. Throws
 * MergeKeysTooComplex past MAX_MERGE_STEPS entries, so no lookup walks an unbounded fan-out.
 */
export function* mergedMappings(document: YamlDocument, map: YAMLMap): Generator<{ map: YAMLMap; path: YamlPath }> {
  const visited = new Set<YAMLMap>([map]);
  const stack: { map: YAMLMap; path: YamlPath }[] = [{ map, path: [] }];
  let steps = 0;
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    if (entry.map !== map) yield entry;
    const merge = mergePairOf(entry.map);
    if (!merge) continue;
    const sources = isSeq(merge.value) ? merge.value.items.map((item, index) => ({ item, path: [...entry.path, "<<", index] })) : [{ item: merge.value, path: [...entry.path, "<<"] }];
    steps += sources.length;
    if (steps > MAX_MERGE_STEPS) throw new MergeKeysTooComplex(startOf(merge.key));
    // Pushed in reverse so the first merged mapping is looked into first.
    for (const source of sources.reverse()) {
      const merged = mapAt(document, source.item);
      if (!merged || visited.has(merged)) continue;
      visited.add(merged);
      stack.push({ map: merged, path: source.path });
    }
  }
}

const mergePairs = new WeakMap<YAMLMap, Pair | undefined>();

/** The `<<` pair of a mapping, looked up once per mapping however many lookups pass through it. */
function mergePairOf(map: YAMLMap): Pair | undefined {
  if (!mergePairs.has(map)) mergePairs.set(map, pairOf(map, "<<"));
  return mergePairs.get(map);
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
  if (!mergePairOf(map)) return undefined;
  for (const merged of mergedMappings(document, map)) {
    const found = pairOf(merged.map, key);
    if (!found) continue;
    const node = deref(document, found.value);
    return node ? { node, path: [...merged.path, key], keyStart: startOf(found.key) } : undefined;
  }
  return undefined;
}

/** Where a document's merge keys fan out too far (checked once when a file is read), if they do. */
export function excessiveMergeAt(document: YamlDocument): number | undefined {
  let offset: number | undefined;
  visit(document, {
    Map(_, map) {
      if (!mergePairOf(map)) return undefined;
      try {
        for (const _merged of mergedMappings(document, map));
      } catch (error) {
        if (!(error instanceof MergeKeysTooComplex)) throw error;
        offset = error.offset ?? startOf(map) ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
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
