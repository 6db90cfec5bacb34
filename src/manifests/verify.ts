import { isDeepStrictEqual } from "node:util";
import { isAlias, isMap, isPair, isScalar, isSeq } from "yaml";
import { isSameQuantity } from "../domain/index.js";
import type { EditOperation } from "./byte-edit.js";
import { pathText } from "./byte-edit.js";
import type { YamlPath } from "./model.js";
import type { YamlDocument } from "./nodes.js";
import { parseYaml } from "./parse.js";

/**
 * The last guard before an edit leaves the editor: the edited text must parse, and read back as
 * the original documents with exactly the targeted values changed. Anything else is a bug, and
 * the edit is refused rather than written.
 *
 * Documents are compared as node trees in which an alias stays an alias (`*name`), never
 * expanded: the comparison is linear in the size of the file, so nested aliases (a few hundred
 * bytes that expand to billions of nodes) cost what they weigh.
 */
export function verifyEdit(before: readonly YamlDocument[], afterText: string, operations: readonly EditOperation[], allowChanged: readonly { document: number; yamlPath: YamlPath }[] = []): string | undefined {
  const after = parseYaml(afterText);
  if (after.problem) return `the edited text would not be read back (${after.problem.message})`;
  const afterDocuments = after.documents;
  if (afterDocuments.length !== before.length) return `the edited text would have ${afterDocuments.length} documents instead of ${before.length}`;
  for (let index = 0; index < before.length; index++) {
    let expected = shapeOf(before[index]!.contents);
    const actual = shapeOf(afterDocuments[index]!.contents);
    for (const operation of operations.filter((candidate) => candidate.document === index)) {
      if (operation.kind === "remove") {
        expected = deleteIn(expected, operation.yamlPath, operation.collapse);
        continue;
      }
      const written = getIn(actual, operation.yamlPath);
      if (!sameQuantity(written, operation.value)) return `${pathText(operation.yamlPath)} would read back as ${describe(written)} instead of ${operation.value}`;
      expected = setIn(expected, operation.yamlPath, written!);
    }
    for (const allowed of allowChanged.filter((candidate) => candidate.document === index)) {
      const written = getIn(actual, allowed.yamlPath);
      if (written === undefined) return `${pathText(allowed.yamlPath)} would be missing`;
      expected = setIn(expected, allowed.yamlPath, written);
    }
    if (!sameShape(expected, actual)) return "the edit would change more than the targeted values";
  }
  return undefined;
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
