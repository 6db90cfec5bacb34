import { isMap, isScalar, isSeq } from "yaml";
import type { ContainerList } from "./containers.js";
import type { OverlayPatchTarget, ResourceField, YamlPath } from "./model.js";
import type { WorkloadKind } from "../domain/index.js";
import { afterTrailingComments, applySplices, columnAt, contentEndOf, lineBreakOf, lineEndAt, lineStartAt, pairOf, type ParsedYaml, parseYaml, scalarText, type Splice } from "../yaml/index.js";
import { sameShape, setIn, shapeOf, type Shape } from "./verify.js";
import { podSpecPathOf } from "./workloads.js";

/**
 * Kustomize's way to give one overlay its own value: a strategic-merge patch file next to the
 * overlay's kustomization.yaml, listed under its `patches:`. The patch is written whole (it is a
 * new file); the kustomization gets one new list entry, byte-minimally, and nothing else.
 */

export interface OverlayValue {
  container: string;
  list: ContainerList;
  field: ResourceField;
  value: string;
}

/** The patch file: the workload's kind and name and, per container, only the values it sets. */
export function renderOverlayPatch(target: OverlayPatchTarget, values: readonly OverlayValue[], lineBreak: string): string {
  const lines = [
    "# This overlay's own resources, set by rightsize: the base is shared with other environments.",
    `apiVersion: ${scalarText(target.apiVersion)}`,
    `kind: ${target.kind}`,
    "metadata:",
    `  name: ${scalarText(target.name)}`,
  ];
  if (target.kind === "HelmRelease") lines.push(...releaseValueLines(target.values, values));
  else lines.push(...podSpecLines(target.kind, values));
  return `${lines.join(lineBreak)}${lineBreak}`;
}

function podSpecLines(kind: WorkloadKind, values: readonly OverlayValue[]): string[] {
  const lines: string[] = [];
  let indent = "";
  for (const key of podSpecPathOf(kind)) {
    lines.push(`${indent}${key}:`);
    indent += "  ";
  }
  for (const list of ["containers", "initContainers"] as const) {
    const containers = [...new Set(values.filter((value) => value.list === list).map((value) => value.container))];
    if (containers.length === 0) continue;
    lines.push(`${indent}${list}:`);
    for (const container of containers) {
      lines.push(`${indent}  - name: ${scalarText(container)}`, `${indent}    resources:`);
      lines.push(...groupLines(values.filter((value) => value.container === container && value.list === list), `${indent}      `));
    }
  }
  return lines;
}

/** `spec.values` with each container's values path down to its `resources`, paths that share keys written once. */
function releaseValueLines(paths: Readonly<Record<string, YamlPath>>, values: readonly OverlayValue[]): string[] {
  type Tree = Map<string, Tree>;
  const tree: Tree = new Map();
  const containerAt = new Map<Tree, string>();
  for (const container of [...new Set(values.map((value) => value.container))]) {
    let node = tree;
    for (const key of paths[container] ?? []) {
      const child = node.get(String(key)) ?? new Map();
      node.set(String(key), child);
      node = child;
    }
    containerAt.set(node, container);
  }
  const lines = ["spec:", "  values:"];
  const write = (node: Tree, indent: string): void => {
    for (const [key, child] of node) {
      lines.push(`${indent}${scalarText(key)}:`);
      const container = containerAt.get(child);
      if (container !== undefined) lines.push(...groupLines(values.filter((value) => value.container === container), `${indent}  `));
      else write(child, `${indent}  `);
    }
  };
  write(tree, "    ");
  return lines;
}

function groupLines(values: readonly OverlayValue[], indent: string): string[] {
  const lines: string[] = [];
  for (const group of ["requests", "limits"] as const) {
    const set = values.filter((value) => value.field.startsWith(`${group}.`));
    if (set.length === 0) continue;
    lines.push(`${indent}${group}:`);
    for (const name of ["cpu", "memory"] as const) {
      const value = set.find((candidate) => candidate.field === `${group}.${name}`);
      if (value) lines.push(`${indent}  ${name}: ${scalarText(value.value)}`);
    }
  }
  return lines;
}

/**
 * Adds `- path: FILE` to a kustomization's `patches:` (creating the key after the last one when
 * it is missing), in the file's own indentation and line breaks. Returns the new text, or why
 * the file cannot take the entry; the result is checked to read back as the old kustomization
 * with exactly that entry added.
 */
export function addPatchEntry(text: string, file: string, parse: (text: string) => ParsedYaml = parseYaml): { text: string } | { problem: string } {
  const parsed = parse(text);
  if (parsed.problem) return { problem: parsed.problem.message };
  const [document] = parsed.documents;
  const root = document?.contents;
  if (!document || parsed.documents.length > 1 || !isMap(root) || root.flow || root.items.length === 0) return { problem: "is not a single block mapping of keys" };
  const lineBreak = lineBreakOf(text);
  const entry = `- path: ${scalarText(file)}`;
  const pair = pairOf(root, "patches");
  let splice: Splice;
  if (!pair) {
    const last = root.items[root.items.length - 1]!;
    const at = afterTrailingComments(text, lineEndAt(text, contentEndOf(text, last.value ?? last.key)), 0);
    splice = { start: at, end: at, insert: `${lineBreak}patches:${lineBreak}${sequenceIndent(text, root)}${entry}` };
  } else if (isSeq(pair.value) && !pair.value.flow && pair.value.items.length > 0) {
    const items = pair.value.items;
    const lastItem = items[items.length - 1];
    const itemStart = (lastItem as { range?: [number, number, number] } | null)?.range?.[0];
    if (itemStart === undefined) return { problem: "has a patches entry with no position in the file" };
    const dash = text.lastIndexOf("-", itemStart);
    const dashColumn = dash >= lineStartAt(text, itemStart) ? columnAt(text, dash) : columnAt(text, itemStart);
    const at = afterTrailingComments(text, lineEndAt(text, contentEndOf(text, pair.value)), dashColumn);
    splice = { start: at, end: at, insert: `${lineBreak}${" ".repeat(dashColumn)}${entry}` };
  } else if (isSeq(pair.value) && pair.value.flow && pair.value.range) {
    const [start, end] = pair.value.range;
    const close = text.lastIndexOf("]", end);
    const lastItem = pair.value.items[pair.value.items.length - 1] as { range?: [number, number, number] } | undefined;
    splice = lastItem?.range
      ? { start: lastItem.range[1], end: lastItem.range[1], insert: `, {path: ${scalarText(file)}}` }
      : { start, end: close + 1, insert: `[{path: ${scalarText(file)}}]` };
  } else if (isScalar(pair.value) && pair.value.value === null && pair.value.range && pair.value.range[0] === pair.value.range[1]) {
    const at = lineEndAt(text, pair.value.range[0]);
    splice = { start: at, end: at, insert: `${lineBreak}${sequenceIndent(text, root)}${entry}` };
  } else {
    return { problem: "has a patches value that is not a list" };
  }
  const after = applySplices(text, [splice]);
  if (after === undefined) return { problem: "cannot take the entry" };
  // The kustomization must read back as before plus exactly this entry.
  const reread = parse(after);
  const before = shapeOf(root);
  const existing = pair && isSeq(pair.value) ? shapeOf(pair.value) : undefined;
  const item: Shape = { kind: "map", entries: new Map([["string:path", { kind: "scalar", value: file, tag: undefined, anchor: undefined }]]), tag: undefined, anchor: undefined };
  const patches: Shape = existing?.kind === "seq" ? { ...existing, items: [...existing.items, item] } : { kind: "seq", items: [item], tag: undefined, anchor: undefined };
  if (reread.problem || reread.documents.length !== 1 || !sameShape(setIn(before, ["patches"], patches), shapeOf(reread.documents[0]!.contents))) {
    return { problem: "would not read back as the same kustomization with one more patch" };
  }
  return { text: after };
}

/** How this file indents list items under a top-level key: as its first top-level block list does, else as kustomize writes them. */
function sequenceIndent(text: string, root: { items: { key: unknown; value: unknown }[] }): string {
  for (const pair of root.items) {
    const value = pair.value;
    if (!isSeq(value) || value.flow || value.items.length === 0) continue;
    const start = (value.items[0] as { range?: [number, number, number] } | null)?.range?.[0];
    if (start === undefined) continue;
    const dash = text.lastIndexOf("-", start);
    if (dash >= lineStartAt(text, start)) return " ".repeat(columnAt(text, dash));
  }
  return "";
}
