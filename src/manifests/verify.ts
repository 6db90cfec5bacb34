import { isDeepStrictEqual } from "node:util";
import { isAlias, isMap, isPair, isScalar, isSeq } from "yaml";
import { isSameQuantity } from "../domain/index.js";
import { type EditOperation, type ParsedYaml, pathText, type YamlDocument } from "../yaml/index.js";
import type { YamlPath } from "./model.js";

/**
 * The last guard before an edit leaves the editor: the edited text must parse, and read back as
 * the original documents with exactly the targeted values changed. Anything else is a bug, and
 * the edit is refused rather than written.
 *
 * Documents are compared as node trees in which an alias stays an alias (`*name`), never
 * expanded: the comparison is linear in the size of the file, so nested aliases (a few hundred
 * bytes that expand to billions of nodes) cost what they weigh.
 */
export function verifyEdit(before: readonly YamlDocument[], after: ParsedYaml, operations: readonly EditOperation[], allowChanged: readonly { document: number; yamlPath: YamlPath }[] = []): string | undefined {
  if (after.problem) return `the edited text would not be read back (${after.problem.message})`;
  const afterDocuments = after.documents;
  if (afterDocuments.length !== before.length) return `the edited text would have ${afterDocuments.length} documents instead of ${before.length}`;
  for (let index = 0; index < before.length; index++) {
    const changes = operations.filter((candidate) => candidate.document === index);
    const allowed = allowChanged.filter((candidate) => candidate.document === index);
    // Everything outside the one subtree the changes reach is compared node by node; only that
    // subtree is compared as shapes with the changes applied (the whole document, when the two
    // documents part before it).
    const scope = narrow(before[index]!.contents, afterDocuments[index]!.contents, commonScope(changes, allowed));
    let expected = shapeOf(scope.before);
    const actual = shapeOf(scope.after);
    for (const operation of changes) {
      const path = operation.yamlPath.slice(scope.depth);
      if (operation.kind === "remove") {
        expected = deleteIn(expected, path, operation.collapse);
        continue;
      }
      const written = getIn(actual, path);
      if (!sameQuantity(written, operation.value)) return `${pathText(operation.yamlPath)} would read back as ${describe(written)} instead of ${operation.value}`;
      expected = setIn(expected, path, written!);
    }
    for (const change of allowed) {
      const written = getIn(actual, change.yamlPath.slice(scope.depth));
      if (written === undefined) return `${pathText(change.yamlPath)} would be missing`;
      expected = setIn(expected, change.yamlPath.slice(scope.depth), written);
    }
    if (!sameShape(expected, actual)) return "the edit would change more than the targeted values";
  }
  return undefined;
}

/**
 * The deepest path every change stays under: a set changes the mapping that holds its key, a
 * removal up to `collapse` mappings above that.
 */
function commonScope(operations: readonly EditOperation[], allowed: readonly { yamlPath: YamlPath }[]): YamlPath {
  const reaches = [
    ...operations.map((operation) => operation.yamlPath.slice(0, Math.max(0, operation.yamlPath.length - 1 - (operation.kind === "remove" ? operation.collapse : 0)))),
    ...allowed.map((change) => change.yamlPath.slice(0, -1)),
  ];
  if (reaches.length === 0) return [];
  let common = reaches[0]!;
  for (const reach of reaches) {
    let length = 0;
    while (length < common.length && length < reach.length && common[length] === reach[length]) length++;
    common = common.slice(0, length);
  }
  return common;
}

/**
 * Walks both documents down `path` while each step is the same entry on both sides and
 * everything beside it is the same (as `sameShape` would find it). Where a step is missing, is
 * not a plain mapping or list, or has something else changed beside it, the walk stops and the
 * comparison of shapes takes over from there, exactly as it would for the whole document.
 */
function narrow(before: unknown, after: unknown, path: YamlPath): { before: unknown; after: unknown; depth: number } {
  let depth = 0;
  for (const key of path) {
    const [a, b] = [before, after];
    if (typeof key === "string" && isMap(a) && isMap(b)) {
      const entry = entryIndex(a.items, key);
      const other = entryIndex(b.items, key);
      if (!entry || !other || entry.text !== other.text || entry.index !== other.index) break;
      if (a.tag !== b.tag || a.anchor !== b.anchor || !sameEntriesBeside(a.items, b.items, entry.index)) break;
      [before, after] = [a.items[entry.index]!.value, b.items[entry.index]!.value];
    } else if (typeof key === "number" && isSeq(a) && isSeq(b) && key < a.items.length && a.items.length === b.items.length) {
      if (a.tag !== b.tag || a.anchor !== b.anchor || !a.items.every((item, index) => index === key || sameNode(item, b.items[index]))) break;
      [before, after] = [a.items[key], b.items[key]];
    } else break;
    depth++;
  }
  return { before, after, depth };
}

type Items = readonly { key: unknown; value: unknown }[];

/** The entry a path key names (as `entryKey` finds it in a shape), with its key text. */
function entryIndex(items: Items, key: string): { index: number; text: string } | undefined {
  let complex = 0;
  for (let index = 0; index < items.length; index++) {
    const text = keyText(items[index]!.key, () => complex++);
    const colon = text.indexOf(":");
    if (colon > 0 && text[0] !== "?" && text[0] !== "*" && text.slice(colon + 1) === key) return { index, text };
  }
  return undefined;
}

/** The two mappings have the same entries in the same order, the one at `skip` aside (its key is already known to match). */
function sameEntriesBeside(a: Items, b: Items, skip: number): boolean {
  if (a.length !== b.length) return false;
  let complexA = 0;
  let complexB = 0;
  for (let index = 0; index < a.length; index++) {
    if (keyText(a[index]!.key, () => complexA++) !== keyText(b[index]!.key, () => complexB++)) return false;
    if (index !== skip && !sameNode(a[index]!.value, b[index]!.value)) return false;
  }
  return true;
}

/** `sameShape(shapeOf(a), shapeOf(b))` without building the shapes. */
function sameNode(a: unknown, b: unknown): boolean {
  if (isAlias(a) || isAlias(b)) return isAlias(a) && isAlias(b) && a.source === b.source;
  if (isSeq(a) || isSeq(b)) {
    return isSeq(a) && isSeq(b) && a.tag === b.tag && a.anchor === b.anchor && a.items.length === b.items.length && a.items.every((item, index) => sameNode(item, b.items[index]));
  }
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b) || a.tag !== b.tag || a.anchor !== b.anchor) return false;
    // Entries in the same order are the common case; any other order is compared as shapes.
    return sameEntriesBeside(a.items, b.items, -1) || sameShape(shapeOf(a), shapeOf(b));
  }
  const [x, y] = [isScalar(a) ? a : undefined, isScalar(b) ? b : undefined];
  if (x?.tag !== y?.tag || x?.anchor !== y?.anchor) return false;
  const [first, second] = [x ? x.value : null, y ? y.value : null];
  return typeof first === "object" && first !== null ? isDeepStrictEqual(first, second) : Object.is(first, second);
}

/** Two YAML texts hold the same documents (aliases compared by name, not expanded). */
export function sameDocuments(a: readonly YamlDocument[], b: readonly YamlDocument[]): boolean {
  return a.length === b.length && a.every((document, index) => sameShape(shapeOf(document.contents), shapeOf(b[index]!.contents)));
}

/**
 * What a node means, for comparison: a scalar's value, a mapping's entries by key, a sequence's
 * items, an alias's name; tags and anchors count, comments and layout do not.
 */
export type Shape =
  | { kind: "scalar"; value: unknown; tag: string | undefined; anchor: string | undefined }
  | { kind: "alias"; source: string }
  | { kind: "map"; entries: Map<string, Shape>; tag: string | undefined; anchor: string | undefined }
  | { kind: "seq"; items: Shape[]; tag: string | undefined; anchor: string | undefined };

const NULL_SHAPE: Shape = { kind: "scalar", value: null, tag: undefined, anchor: undefined };

export function shapeOf(node: unknown): Shape {
  if (isAlias(node)) return { kind: "alias", source: node.source };
  if (isScalar(node)) return { kind: "scalar", value: node.value, tag: node.tag, anchor: node.anchor };
  if (isSeq(node)) return { kind: "seq", items: node.items.map((item) => shapeOf(item)), tag: node.tag, anchor: node.anchor };
  if (isMap(node)) {
    const entries = new Map<string, Shape>();
    let complex = 0;
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      entries.set(keyText(pair.key, () => complex++), shapeOf(pair.value));
    }
    return { kind: "map", entries, tag: node.tag, anchor: node.anchor };
  }
  return NULL_SHAPE;
}

/**
 * A scalar key by type and value (`1` and `"1"` differ, as they do to the parser's duplicate
 * check); an alias key by name; other keys by their position among such keys, which no edit moves.
 */
function keyText(key: unknown, nextComplex: () => number): string {
  if (isScalar(key)) return typeof key.value === "object" && key.value !== null ? `?${nextComplex()}` : `${typeof key.value}:${String(key.value)}`;
  if (isAlias(key)) return `*${key.source}`;
  return `?${nextComplex()}`;
}

/** The entry a path key names: the key whose value reads as that string (as `pairOf` finds it). */
function entryKey(shape: Extract<Shape, { kind: "map" }>, key: string): string {
  for (const candidate of shape.entries.keys()) {
    const colon = candidate.indexOf(":");
    if (colon > 0 && candidate[0] !== "?" && candidate[0] !== "*" && candidate.slice(colon + 1) === key) return candidate;
  }
  return `string:${key}`;
}

export function getIn(root: Shape | undefined, path: YamlPath): Shape | undefined {
  let node = root;
  for (const key of path) {
    if (node?.kind === "map" && typeof key === "string") node = node.entries.get(entryKey(node, key));
    else if (node?.kind === "seq" && typeof key === "number") node = node.items[key];
    else return undefined;
  }
  return node;
}

/** Copy-on-write set: creates missing (or null) mappings along the way, as the editor writes them. */
export function setIn(root: Shape, path: YamlPath, value: Shape): Shape {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...YamlPath];
  if (root.kind === "seq" && typeof key === "number") {
    const items = [...root.items];
    items[key] = setIn(items[key] ?? NULL_SHAPE, rest, value);
    return { ...root, items };
  }
  const map: Extract<Shape, { kind: "map" }> = root.kind === "map" ? root : { kind: "map", entries: new Map(), tag: undefined, anchor: undefined };
  const entries = new Map(map.entries);
  const name = entryKey(map, String(key));
  entries.set(name, setIn(entries.get(name) ?? NULL_SHAPE, rest, value));
  return { ...map, entries };
}

/** Copy-on-write delete; up to `collapse` enclosing mappings left empty are deleted too. */
export function deleteIn(root: Shape, path: YamlPath, collapse: number): Shape {
  if (path.length === 0 || root.kind !== "map" || typeof path[0] !== "string") {
    if (root.kind === "seq" && typeof path[0] === "number" && path.length > 1 && root.items[path[0]]) {
      const items = [...root.items];
      items[path[0]] = deleteIn(items[path[0]]!, path.slice(1), collapse);
      return { ...root, items };
    }
    return root;
  }
  const [key, ...rest] = path as [string, ...YamlPath];
  const name = entryKey(root, key);
  const child = root.entries.get(name);
  if (!child) return root;
  const entries = new Map(root.entries);
  if (rest.length === 0) {
    entries.delete(name);
    return { ...root, entries };
  }
  const updated = deleteIn(child, rest, collapse);
  if (rest.length <= collapse && updated.kind === "map" && updated.entries.size === 0) entries.delete(name);
  else entries.set(name, updated);
  return { ...root, entries };
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "alias":
      return a.source === (b as typeof a).source;
    case "scalar": {
      const other = b as typeof a;
      if (a.tag !== other.tag || a.anchor !== other.anchor) return false;
      // Dates and binary (YAML 1.1 tags) are objects; everything else compares as a primitive.
      return typeof a.value === "object" && a.value !== null ? isDeepStrictEqual(a.value, other.value) : Object.is(a.value, other.value);
    }
    case "seq": {
      const other = b as typeof a;
      return a.tag === other.tag && a.anchor === other.anchor && a.items.length === other.items.length && a.items.every((item, index) => sameShape(item, other.items[index]!));
    }
    case "map": {
      const other = b as typeof a;
      if (a.tag !== other.tag || a.anchor !== other.anchor || a.entries.size !== other.entries.size) return false;
      for (const [key, value] of a.entries) {
        const counterpart = other.entries.get(key);
        if (!counterpart || !sameShape(value, counterpart)) return false;
      }
      return true;
    }
  }
}

function sameQuantity(written: Shape | undefined, intended: string): boolean {
  if (written?.kind !== "scalar" || (typeof written.value !== "string" && typeof written.value !== "number")) return false;
  return isSameQuantity(String(written.value), intended);
}

function describe(shape: Shape | undefined): string {
  if (shape === undefined) return "nothing";
  if (shape.kind !== "scalar") return `a ${shape.kind === "alias" ? "reference" : shape.kind === "map" ? "mapping" : "list"}`;
  return JSON.stringify(shape.value) ?? String(shape.value);
}
