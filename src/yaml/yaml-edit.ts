import { isMap, isScalar } from "yaml";
import { RefusalError } from "../domain/index.js";
import { pathText, scalarText, spliceEdits, type EditOperation } from "./byte-edit.js";
import { pairOf, type YamlDocument, type YamlPath } from "./nodes.js";
import { parseYaml } from "./parse.js";
import { applySplices, columnAt, lineBreakOf, lineEndAt, type Splice } from "./text.js";

/**
 * Byte-minimal edits of any YAML file through the same byte layer as resource edits: used by
 * the policy migration. `set` replaces a scalar or inserts missing keys in the file's own style,
 * `remove` drops a key's lines, `rename` rewrites only a key's bytes (its value, comments and
 * position stay), `restructure` turns a key with one value into a new key holding a mapping, in
 * the same place: the comments above it and the one after its value stay with it.
 */
export type YamlEdit =
  | { kind: "set"; path: YamlPath; value: string }
  | { kind: "remove"; path: YamlPath }
  | { kind: "rename"; path: YamlPath; to: string }
  | { kind: "restructure"; path: YamlPath; to: string; values: readonly (readonly [string, string])[] };

/** A whole document's text after an edit, or why the edit is refused (nothing changed then). */
export type DocumentEditOutcome = { ok: true; text: string } | { ok: false; refusal: RefusalError };

export function editYamlText(text: string, edits: readonly YamlEdit[], file = "the file"): DocumentEditOutcome {
  const parsed = parseYaml(text);
  if (parsed.problem) return refuse(`${file} ${parsed.problem.message}`, file, parsed.problem.line);
  const [document] = parsed.documents;
  if (!document || parsed.documents.length > 1) return refuse(`${file} must hold exactly one YAML document`, file);

  const operations: EditOperation[] = [];
  const renames: Splice[] = [];
  for (const edit of edits) {
    if (edit.kind === "restructure") {
      const splice = restructureSplice(text, document, edit);
      if (typeof splice === "string") return refuse(`${file}: ${pathText(edit.path)} ${splice}`, file);
      renames.push(splice);
      continue;
    }
    if (edit.kind === "rename") {
      const parent = edit.path.length === 1 ? document.contents : document.getIn(edit.path.slice(0, -1), true);
      const pair = isMap(parent) ? pairOf(parent, String(edit.path[edit.path.length - 1])) : undefined;
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (!range) return refuse(`${file}: ${pathText(edit.path)} is not a key that can be renamed`, file);
      renames.push({ start: range[0], end: range[1], insert: edit.to });
    } else {
      operations.push(edit.kind === "set" ? { kind: "set", document: 0, yamlPath: edit.path, value: edit.value } : { kind: "remove", document: 0, yamlPath: edit.path, collapse: 0 });
    }
  }
  const splices = spliceEdits(text, parsed.documents, operations);
  if ("message" in splices) return refuse(`${file}: ${splices.message}`, file, splices.offset === undefined ? undefined : parsed.lines.lineOf(splices.offset));
  const edited = applySplices(text, [...splices, ...renames]);
  if (edited === undefined) return refuse(`${file}: two edits overlap; apply them one at a time`, file);
  return { ok: true, text: edited };
}

/** The splice that rewrites `key: value  # comment` as `to:  # comment` followed by the new mapping's lines. */
function restructureSplice(text: string, document: YamlDocument, edit: Extract<YamlEdit, { kind: "restructure" }>): Splice | string {
  const parentPath = edit.path.slice(0, -1);
  const parent = parentPath.length === 0 ? document.contents : document.getIn(parentPath, true);
  const pair = isMap(parent) ? pairOf(parent, String(edit.path[edit.path.length - 1])) : undefined;
  const keyStart = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  const valueEnd = pair && isScalar(pair.value) && pair.value.type !== "BLOCK_LITERAL" && pair.value.type !== "BLOCK_FOLDED" ? pair.value.range?.[1] : undefined;
  if (!isMap(parent) || keyStart === undefined || valueEnd === undefined) return "is not a key with a single value";
  const entries = edit.values.map(([key, value]) => `${key}: ${scalarText(value)}`);
  if (parent.flow) return { start: keyStart, end: valueEnd, insert: `${edit.to}: {${entries.join(", ")}}` };
  const lineEnd = lineEndAt(text, valueEnd);
  const trailing = text.slice(valueEnd, lineEnd);
  const column = columnAt(text, keyStart);
  const grandparentKey = parentPath.length === 0 ? undefined : document.getIn(parentPath.slice(0, -1), true);
  const parentKey = isMap(grandparentKey) ? pairOf(grandparentKey, String(parentPath[parentPath.length - 1])) : parentPath.length === 1 && isMap(document.contents) ? pairOf(document.contents, String(parentPath[0])) : undefined;
  const parentColumn = parentKey && isScalar(parentKey.key) && parentKey.key.range ? columnAt(text, parentKey.key.range[0]) : undefined;
  // The file's own indentation step: how far this key sits under its parent's.
  const step = parentColumn !== undefined && column > parentColumn ? column - parentColumn : 2;
  const lineBreak = lineBreakOf(text);
  return { start: keyStart, end: lineEnd, insert: `${edit.to}:${trailing}${entries.map((entry) => `${lineBreak}${" ".repeat(column + step)}${entry}`).join("")}` };
}

function refuse(message: string, file: string, line?: number): DocumentEditOutcome {
  return { ok: false, refusal: new RefusalError(message, { file, ...(line === undefined ? {} : { line }) }) };
}
