import { isMap, isScalar } from "yaml";
import { RefusalError } from "../domain/index.js";
import { pathText, spliceEdits, type EditOperation } from "./byte-edit.js";
import type { DocumentEditOutcome, YamlPath } from "./model.js";
import { pairOf } from "./nodes.js";
import { parseYaml } from "./parse.js";
import { applySplices, type Splice } from "./text.js";

/**
 * Byte-minimal edits of any YAML file through the same byte layer as resource edits: used by
 * the policy migration. `set` replaces a scalar or inserts missing keys in the file's own style,
 * `remove` drops a key's lines, `rename` rewrites only a key's bytes (its value, comments and
 * position stay).
 */
export type YamlEdit =
  | { kind: "set"; path: YamlPath; value: string }
  | { kind: "remove"; path: YamlPath }
  | { kind: "rename"; path: YamlPath; to: string };

export function editYamlText(text: string, edits: readonly YamlEdit[], file = "the file"): DocumentEditOutcome {
  const parsed = parseYaml(text);
  if (parsed.problem) return refuse(`${file} ${parsed.problem.message}`, file, parsed.problem.line);
  const [document] = parsed.documents;
  if (!document || parsed.documents.length > 1) return refuse(`${file} must hold exactly one YAML document`, file);

  const operations: EditOperation[] = [];
  const renames: Splice[] = [];
  for (const edit of edits) {
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

function refuse(message: string, file: string, line?: number): DocumentEditOutcome {
  return { ok: false, refusal: new RefusalError(message, { file, ...(line === undefined ? {} : { line }) }) };
}
