import { isAlias, isMap, isScalar, isSeq, parse, visit, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { anchorsInUse, keyOf, pairOf, writtenValue, type YamlDocument, type YamlPath } from "./nodes.js";
import { quoteShort } from "./read.js";
import { afterTrailingComments, columnAt, lineBreakOf, lineEndAt, lineStartAt, pastLineBreak, type LineBreak, type Splice } from "./text.js";

/**
 * The byte layer of the editor (of resource values, and of any YAML file: yaml-edit.ts). The document model says where things are (node ranges); the
 * result is a list of splices over the original text that touch only the target scalars, plus
 * whole new lines (or flow items) for keys that are missing. Nothing is ever re-serialised.
 */

export type EditOperation =
  | { kind: "set"; document: number; yamlPath: YamlPath; value: string }
  /** Removes a key; `collapse` enclosing mappings may go too when they become empty (limits, then resources). */
  | { kind: "remove"; document: number; yamlPath: YamlPath; collapse: number };

export interface EditRefusal {
  message: string;
  offset?: number;
}

type Tree = Map<string, Tree | string>;

interface Insertion {
  target: YAMLMap | Pair;
  tree: Tree;
}

interface Removal {
  pairs: Set<Pair>;
}

interface ParentLink {
  map: YAMLMap;
  pair: Pair;
  collapsible: boolean;
}

interface Walked {
  node: unknown;
  /** The mapping pairs passed through, with the index of their key in the path. */
  pairs: { map: YAMLMap; pair: Pair; index: number }[];
  missing?: { target: YAMLMap | Pair; rest: string[] };
}

const KEY_ORDER = ["requests", "limits", "cpu", "memory"];

export function spliceEdits(text: string, documents: YamlDocument[], operations: readonly EditOperation[]): Splice[] | EditRefusal {
  const editor = new ByteEditor(text, documents);
  for (const operation of operations) {
    const refusal = operation.kind === "set" ? editor.set(operation) : editor.remove(operation);
    if (refusal) return refusal;
  }
  return editor.splices();
}

class ByteEditor {
  private readonly lineBreak: LineBreak;
  private readonly replacements: Splice[] = [];
  private readonly insertions = new Map<YAMLMap | Pair, Insertion>();
  private readonly removals = new Map<YAMLMap, Removal>();
  private readonly parents = new Map<YAMLMap, ParentLink>();
  private readonly documentOf = new Map<YAMLMap | Pair, YamlDocument>();

  constructor(
    private readonly text: string,
    private readonly documents: YamlDocument[],
  ) {
    this.lineBreak = lineBreakOf(text);
  }

  set(operation: Extract<EditOperation, { kind: "set" }>): EditRefusal | undefined {
    const document = this.documents[operation.document];
    if (!document) return { message: `the file has no document ${operation.document + 1}` };
    const walked = this.walk(document, operation.yamlPath);
    if ("message" in walked) return walked;
    if (walked.missing) {
      const { target, rest } = walked.missing;
      let insertion = this.insertions.get(target);
      if (!insertion) {
        insertion = { target, tree: new Map() };
        this.insertions.set(target, insertion);
        this.documentOf.set(target, document);
      }
      let tree = insertion.tree;
      rest.forEach((key, index) => {
        if (index === rest.length - 1) {
          tree.set(key, operation.value);
          return;
        }
        let child = tree.get(key);
        if (typeof child !== "object") {
          child = new Map();
          tree.set(key, child);
        }
        tree = child;
      });
      return undefined;
    }
    const node = walked.node;
    if (!isScalar(node)) return { message: "it is a mapping or list, not a value", offset: rangeStart(node) };
    return this.replaceScalar(node, operation.value);
  }

  remove(operation: Extract<EditOperation, { kind: "remove" }>): EditRefusal | undefined {
    const document = this.documents[operation.document];
    if (!document) return { message: `the file has no document ${operation.document + 1}` };
    const walked = this.walk(document, operation.yamlPath);
    if ("message" in walked) return walked;
    if (walked.missing) return undefined;
    const removedAt = operation.yamlPath.length - 1;
    const last = walked.pairs[walked.pairs.length - 1];
    if (!last || last.index !== removedAt) return { message: "only a key in a mapping can be removed" };
    this.removalOf(last.map).pairs.add(last.pair);
    for (let level = walked.pairs.length - 1; level >= 1; level--) {
      const outer = walked.pairs[level - 1]!;
      const inner = walked.pairs[level]!;
      if (inner.index !== outer.index + 1) break;
      this.parents.set(inner.map, { map: outer.map, pair: outer.pair, collapsible: removedAt - inner.index < operation.collapse });
    }
    return undefined;
  }

  splices(): Splice[] | EditRefusal {
    this.collapseEmptiedMappings();
    const splices = [...this.replacements];
    const removed: Splice[] = [];
    for (const [map, removal] of this.removals) {
      const result = map.flow ? this.removeFlowItems(map, removal.pairs) : this.removeBlockPairs(removal.pairs);
      if ("message" in result) return result;
      removed.push(...result);
    }
    splices.push(...mergeRanges(removed).map((range) => this.keepMissingFinalNewline(range)));
    // Two insertions at one place (a nested mapping's new keys, then a new key of its parent):
    // the deeper one goes first, as it continues the nested block.
    const insertions = [...this.insertions.values()].sort((a, b) => this.depthOf(b.target) - this.depthOf(a.target));
    for (const insertion of insertions) {
      const result = this.insert(insertion);
      if ("message" in result) return result;
      splices.push(...result);
    }
    return splices;
  }

  /** Removing the last lines of a file that has no final newline takes the line break before them instead. */
  private keepMissingFinalNewline(range: Splice): Splice {
    if (range.end !== this.text.length || /\n$/.test(this.text) || range.start === 0 || this.text[range.start - 1] !== "\n") return range;
    return { ...range, start: range.start - (this.text[range.start - 2] === "\r" ? 2 : 1) };
  }

  private depthOf(target: YAMLMap | Pair): number {
    const key = isMap(target) ? target.items[0]?.key : target.key;
    const start = rangeStart(key);
    return start === undefined ? 0 : columnAt(this.text, start) + (isMap(target) ? 0 : 1);
  }

  private removalOf(map: YAMLMap): Removal {
    let removal = this.removals.get(map);
    if (!removal) {
      removal = { pairs: new Set() };
      this.removals.set(map, removal);
    }
    return removal;
  }

  /** A mapping left empty by removals (`limits: {}` after removing its only key) goes too, up to `resources`. */
  private collapseEmptiedMappings(): void {
    for (let changed = true; changed; ) {
      changed = false;
      for (const [map, removal] of [...this.removals]) {
        const parent = this.parents.get(map);
        if (removal.pairs.size !== map.items.length || this.insertions.has(map) || !parent?.collapsible) continue;
        this.removals.delete(map);
        this.removalOf(parent.map).pairs.add(parent.pair);
        changed = true;
      }
    }
  }

  /** Follows a path of keys and indexes, refusing aliases, shared anchors and merge keys on the way. */
  private walk(document: YamlDocument, path: YamlPath): Walked | EditRefusal {
    let node: unknown = document.contents;
    const pairs: Walked["pairs"] = [];
    let holder: Pair | undefined;
    for (let index = 0; index < path.length; index++) {
      const key = path[index]!;
      const shared = this.sharedNode(document, node);
      if (shared) return shared;
      if (key === "<<") {
        const merge = isMap(node) ? rangeStart(pairOf(node, "<<")?.key) : rangeStart(node);
        return { message: `the value comes from a merge key "<<:"${this.atLine(merge)}; write the container's resources out explicitly first`, ...(merge === undefined ? {} : { offset: merge }) };
      }
      if (typeof key === "number") {
        if (!isSeq(node) || node.items[key] === undefined) return notFound(path.slice(0, index + 1));
        node = node.items[key];
        holder = undefined;
        continue;
      }
      if (isScalar(node) && node.value === null && holder) return { node, pairs, missing: { target: holder, rest: path.slice(index).map(String) } };
      if (!isMap(node)) return node === undefined || node === null ? notFound(path.slice(0, index)) : { message: `${pathText(path.slice(0, index))} is not a mapping`, offset: rangeStart(node) };
      const pair = pairOf(node, key);
      if (!pair) {
        const merge = pairOf(node, "<<");
        if (merge) return { message: `the mapping at ${pathText(path.slice(0, index))} takes keys from a merge key "<<:"${this.atLine(rangeStart(merge.key))}; write them out explicitly first`, offset: rangeStart(merge.key) };
        return { node: undefined, pairs, missing: { target: node, rest: path.slice(index).map(String) } };
      }
      pairs.push({ map: node, pair, index });
      holder = pair;
      node = pair.value;
    }
    const shared = this.sharedNode(document, node);
    if (shared) return shared;
    return { node, pairs };
  }

  private sharedNode(document: YamlDocument, node: unknown): EditRefusal | undefined {
    if (isAlias(node)) {
      const anchor = this.anchorOffset(node.source, rangeStart(node.resolve(document)));
      return {
        message: `the value comes from alias *${node.source}${this.atLine(rangeStart(node))}, and its anchor &${node.source}${this.atLine(anchor)} is shared with other places; give this container its own value first`,
        offset: rangeStart(node),
      };
    }
    if ((isMap(node) || isSeq(node) || isScalar(node)) && node.anchor && anchorsInUse(document).has(node.anchor)) {
      const anchor = this.anchorOffset(node.anchor, rangeStart(node));
      return {
        message: `the value is anchored as &${node.anchor}${this.atLine(anchor)} and reused through *${node.anchor}; editing it would change every place that uses it`,
        offset: anchor,
      };
    }
    return undefined;
  }

  /** Where `&name` is written: before the node it anchors, possibly on the line above. */
  private anchorOffset(name: string, nodeStart: number | undefined): number | undefined {
    if (nodeStart === undefined) return undefined;
    const at = this.text.lastIndexOf(`&${name}`, nodeStart);
    return at === -1 ? nodeStart : at;
  }

  private atLine(offset: number | undefined): string {
    if (offset === undefined) return "";
    let line = 1;
    for (let index = this.text.indexOf("\n"); index !== -1 && index < offset; index = this.text.indexOf("\n", index + 1)) line++;
    return ` (line ${line})`;
  }

  private replaceScalar(scalar: Scalar, value: string): EditRefusal | undefined {
    if (!scalar.range) return { message: "the value has no position in the file" };
    if (writtenValue(this.text, scalar) === value) return undefined;
    const [start, end] = scalar.range;
    switch (scalar.type) {
      case "QUOTE_DOUBLE":
        this.replacements.push({ start, end, insert: JSON.stringify(value) });
        return undefined;
      case "QUOTE_SINGLE":
        this.replacements.push({ start, end, insert: `'${value.replace(/'/g, "''")}'` });
        return undefined;
      case "PLAIN": {
        // An empty value (`cpu:`) gets the space a person would type after the colon.
        const spacer = start === end && this.text[start - 1] === ":" ? " " : "";
        this.replacements.push({ start, end, insert: spacer + plain(value) });
        return undefined;
      }
      default:
        return { message: "the value is written as a block scalar, which is not edited in place", offset: start };
    }
  }

  private removeBlockPairs(pairs: Set<Pair>): Splice[] | EditRefusal {
    const ranges: Splice[] = [];
    for (const pair of pairs) {
      const keyStart = rangeStart(pair.key);
      if (keyStart === undefined) return { message: "the key has no position in the file" };
      const lineStart = lineStartAt(this.text, keyStart);
      if (this.text.slice(lineStart, keyStart).trim() !== "") return { message: `the key ${quoteShort(keyOf(pair) ?? "")} shares its line with other content, so it is not removed`, offset: keyStart };
      ranges.push({ start: lineStart, end: pastLineBreak(this.text, lineEndAt(this.text, this.contentEnd(pair))), insert: "" });
    }
    return ranges;
  }

  private removeFlowItems(map: YAMLMap, removed: Set<Pair>): Splice[] | EditRefusal {
    const items = map.items;
    const kept = items.filter((pair) => !removed.has(pair));
    const starts = items.map((pair) => rangeStart(pair.key));
    const ends = items.map((pair) => rangeEnd(pair.value ?? pair.key));
    if (starts.some((offset) => offset === undefined) || ends.some((offset) => offset === undefined)) return { message: "a flow item has no position in the file" };
    if (kept.length === 0) return [{ start: starts[0]!, end: ends[items.length - 1]!, insert: "" }];
    const splices: Splice[] = [];
    for (let first = 0; first < items.length; first++) {
      if (!removed.has(items[first]!)) continue;
      let last = first;
      while (last + 1 < items.length && removed.has(items[last + 1]!)) last++;
      if (last === items.length - 1) splices.push({ start: ends[first - 1]!, end: ends[last]!, insert: "" });
      else splices.push({ start: starts[first]!, end: starts[last + 1]!, insert: "" });
      first = last;
    }
    return splices;
  }

  private insert(insertion: Insertion): Splice[] | EditRefusal {
    const { target, tree } = insertion;
    const document = this.documentOf.get(target)!;
    if (isMap(target)) return target.flow ? this.insertIntoFlowMap(target, tree) : this.insertIntoBlockMap(document, target, tree);
    return this.fillEmptyValue(document, target, tree);
  }

  private insertIntoBlockMap(document: YamlDocument, map: YAMLMap, tree: Tree): Splice[] | EditRefusal {
    const removed = this.removals.get(map)?.pairs ?? new Set<Pair>();
    const kept = map.items.filter((pair) => !removed.has(pair));
    const firstKey = rangeStart(map.items[0]?.key);
    if (firstKey === undefined) return { message: "the mapping has no position in the file" };
    const column = columnAt(this.text, firstKey);
    const style = styleOf(map.items[0]!.key);
    const lines = blockLines(tree, column, this.indentStep(document, map), style);
    const anchor = kept[kept.length - 1];
    // Every key of the mapping is being removed: the new keys go where the first one was.
    const at = anchor ? afterTrailingComments(this.text, lineEndAt(this.text, this.contentEnd(anchor, true)), column) : this.lineBeforeKeys(map);
    if (at === undefined) return { message: "the mapping starts the file, so keys cannot be added before it" };
    return [{ start: at, end: at, insert: lines.map((line) => this.lineBreak + line).join("") }];
  }

  /** The end of the line before a block mapping's first key (the line of its parent key). */
  private lineBeforeKeys(map: YAMLMap): number | undefined {
    const firstKey = rangeStart(map.items[0]?.key);
    if (firstKey === undefined) return undefined;
    const lineStart = lineStartAt(this.text, firstKey);
    if (lineStart === 0) return undefined;
    return lineStart - (this.text[lineStart - 2] === "\r" ? 2 : 1);
  }

  private insertIntoFlowMap(map: YAMLMap, tree: Tree): Splice[] | EditRefusal {
    const removed = this.removals.get(map)?.pairs ?? new Set<Pair>();
    const kept = map.items.filter((pair) => !removed.has(pair));
    const style = map.items[0] ? styleOf(map.items[0].key) : "plain";
    const items = flowItems(tree, style);
    const last = kept[kept.length - 1];
    if (last) {
      const keyStart = rangeStart(last.key);
      const at = rangeEnd(last.value ?? last.key);
      const mapStart = rangeStart(map);
      if (keyStart === undefined || at === undefined || mapStart === undefined) return { message: "the mapping has no position in the file" };
      const multiline = lineStartAt(this.text, keyStart) !== lineStartAt(this.text, mapStart);
      const separator = multiline ? `,${this.lineBreak}${" ".repeat(columnAt(this.text, keyStart))}` : ", ";
      return [{ start: at, end: at, insert: items.map((item) => separator + item).join("") }];
    }
    const first = map.items[0];
    const at = first ? rangeStart(first.key) : (rangeStart(map) ?? -1) + 1;
    if (at === undefined || at < 1) return { message: "the mapping has no position in the file" };
    return [{ start: at, end: at, insert: items.join(", ") }];
  }

  /** `resources:` with nothing (or `~`/`null`) after it: the new mapping goes on the following lines. */
  private fillEmptyValue(document: YamlDocument, pair: Pair, tree: Tree): Splice[] | EditRefusal {
    const keyStart = rangeStart(pair.key);
    const keyEnd = rangeEnd(pair.key);
    if (keyStart === undefined || keyEnd === undefined) return { message: "the key has no position in the file" };
    const holder = this.holderOf(document, pair);
    if (holder?.flow) return { message: `${quoteShort(keyOf(pair) ?? "")} is empty inside a flow mapping; write it as {} first` };
    const value = isScalar(pair.value) ? pair.value : undefined;
    const splices: Splice[] = [];
    const valueStart = value?.range?.[0];
    const valueEnd = value?.range?.[1];
    if (valueStart !== undefined && valueEnd !== undefined && valueEnd > valueStart) {
      const colon = this.text.lastIndexOf(":", valueStart);
      if (colon < keyEnd) return { message: `the value of ${quoteShort(keyOf(pair) ?? "")} has no position in the file` };
      splices.push({ start: colon + 1, end: valueEnd, insert: "" });
    }
    const at = lineEndAt(this.text, valueEnd ?? keyEnd);
    const step = this.indentStep(document, holder);
    const lines = blockLines(tree, columnAt(this.text, keyStart) + step, step, styleOf(pair.key));
    splices.push({ start: at, end: at, insert: lines.map((line) => this.lineBreak + line).join("") });
    return splices;
  }

  private holderOf(document: YamlDocument, pair: Pair): YAMLMap | undefined {
    let found: YAMLMap | undefined;
    visit(document, {
      Map(_, map) {
        if (map.items.includes(pair as Pair<unknown, unknown>)) {
          found = map;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    return found;
  }

  /** The file's own indentation step: how far a nested mapping is indented under its key. */
  private indentStep(document: YamlDocument, near: YAMLMap | undefined): number {
    for (const scope of [near, document]) {
      if (!scope) continue;
      let step: number | undefined;
      visit(scope as Node, {
        Pair: (_, pair) => {
          const value = pair.value;
          const keyStart = rangeStart(pair.key);
          const childStart = isMap(value) && !value.flow ? rangeStart(value.items[0]?.key) : undefined;
          if (keyStart === undefined || childStart === undefined) return undefined;
          const difference = columnAt(this.text, childStart) - columnAt(this.text, keyStart);
          if (difference > 0) {
            step = difference;
            return visit.BREAK;
          }
          return undefined;
        },
      });
      if (step !== undefined) return step;
    }
    return 2;
  }

  /**
   * Where the last line of a pair's content ends (a trailing comment on that line stays on it).
   * With `afterEdits`, keys being removed do not count and a nested mapping whose keys are all
   * replaced ends where its new keys go, so a key added after it lands after them.
   */
  private contentEnd(pair: Pair, afterEdits = false): number {
    return this.nodeEnd(pair.value ?? pair.key, afterEdits);
  }

  private nodeEnd(node: unknown, afterEdits = false): number {
    if (isMap(node) && !node.flow && node.items.length > 0) {
      const removed = afterEdits ? this.removals.get(node)?.pairs : undefined;
      const kept = removed ? node.items.filter((pair) => !removed.has(pair)) : node.items;
      const last = kept[kept.length - 1];
      if (last) return this.contentEnd(last, afterEdits);
      return this.lineBeforeKeys(node) ?? rangeEnd(node) ?? 0;
    }
    if (isSeq(node) && !node.flow && node.items.length > 0) return this.nodeEnd(node.items[node.items.length - 1], afterEdits);
    if (isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") && node.range) {
      let end = node.range[1];
      if (this.text[end - 1] === "\n") end -= this.text[end - 2] === "\r" ? 2 : 1;
      return end;
    }
    return rangeEnd(node) ?? 0;
  }
}

function notFound(path: YamlPath): EditRefusal {
  return { message: `the file no longer has ${pathText(path)}; discover the workloads again` };
}

export function pathText(path: YamlPath): string {
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : index === 0 ? key : `.${key}`)).join("") || "the document root";
}

function rangeStart(node: unknown): number | undefined {
  return isMap(node) || isSeq(node) || isScalar(node) || isAlias(node) ? node.range?.[0] : undefined;
}

function rangeEnd(node: unknown): number | undefined {
  return isMap(node) || isSeq(node) || isScalar(node) || isAlias(node) ? node.range?.[1] : undefined;
}

type KeyStyle = "plain" | "json";

/** Keys written `"like": "json"` get new keys and values in the same style. */
function styleOf(key: unknown): KeyStyle {
  return isScalar(key) && key.type === "QUOTE_DOUBLE" ? "json" : "plain";
}

function orderedEntries(tree: Tree): [string, Tree | string][] {
  const rank = (key: string): number => KEY_ORDER.indexOf(key);
  return [...tree.entries()].sort(([a], [b]) => rank(a) - rank(b));
}

function quoted(text: string, style: KeyStyle): string {
  return style === "json" ? JSON.stringify(text) : plain(text);
}

/** Where the last line of a node's content ends, a trailing comment on that line included; a block scalar's final line breaks are not content. */
export function contentEndOf(text: string, node: unknown): number {
  if (isMap(node) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1]!;
    return contentEndOf(text, last.value ?? last.key);
  }
  if (isSeq(node) && !node.flow && node.items.length > 0) return contentEndOf(text, node.items[node.items.length - 1]);
  if (isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") && node.range) {
    let end = node.range[1];
    if (text[end - 1] === "\n") end -= text[end - 2] === "\r" ? 2 : 1;
    return end;
  }
  return rangeEnd(node) ?? 0;
}

/** A value written as a person would type it: plain when that reads back as the same value, else double-quoted. */
export function scalarText(text: string): string {
  return plain(text);
}

/**
 * The text as a plain scalar when it reads back as itself (or, for digits, as the number a
 * person means by them: `cpu: 2`), else double-quoted, so no value can change type or break
 * the line it is written on.
 */
function plain(text: string): string {
  let written = plainTexts.get(text);
  if (written === undefined) {
    // The same few quantities are written again and again; reading each back once is enough.
    if (plainTexts.size >= 4096) plainTexts.clear();
    written = readBackAs(text);
    plainTexts.set(text, written);
  }
  return written;
}

const plainTexts = new Map<string, string>();

function readBackAs(text: string): string {
  let read: unknown;
  try {
    read = parse(text, { maxAliasCount: 0 });
  } catch {
    read = undefined;
  }
  const safe = read === text || (typeof read === "number" && /^\d+(\.\d+)?$/.test(text));
  return safe && !/[\r\n]/.test(text) ? text : JSON.stringify(text);
}

function blockLines(tree: Tree, column: number, step: number, style: KeyStyle): string[] {
  const indent = " ".repeat(column);
  return orderedEntries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [`${indent}${quoted(key, style)}: ${quoted(value, style)}`] : [`${indent}${quoted(key, style)}:`, ...blockLines(value, column + step, step, style)],
  );
}

function flowItems(tree: Tree, style: KeyStyle): string[] {
  return orderedEntries(tree).map(([key, value]) => `${quoted(key, style)}: ${typeof value === "string" ? quoted(value, style) : `{${flowItems(value, style).join(", ")}}`}`);
}

/** Joins touching or overlapping removals into one (two adjacent removed lines at the end of a file). */
function mergeRanges(ranges: Splice[]): Splice[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: Splice[] = [];
  for (const range of sorted) {
    const previous = merged[merged.length - 1];
    if (previous && range.start <= previous.end) previous.end = Math.max(previous.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}
