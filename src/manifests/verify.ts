import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { isSameQuantity } from "../domain/index.js";
import type { EditOperation } from "./byte-edit.js";
import type { YamlPath } from "./model.js";
import { pathText } from "./byte-edit.js";
import type { YamlDocument } from "./nodes.js";

/**
 * The last guard before an edit leaves the editor: the edited text must parse, and read back as
 * the original documents with exactly the targeted values changed. Anything else is a bug, and
 * the edit is refused rather than written.
 */
export function verifyEdit(before: readonly YamlDocument[], afterText: string, operations: readonly EditOperation[], allowChanged: readonly { document: number; yamlPath: YamlPath }[] = []): string | undefined {
  const after = parseAllDocuments(afterText);
  const afterDocuments = Array.isArray(after) ? after : [];
  const broken = afterDocuments.find((document) => document.errors.length > 0);
  if (broken) return `the edited text would not parse (${broken.errors[0]!.message.split("\n")[0]})`;
  if (afterDocuments.length !== before.length) return `the edited text would have ${afterDocuments.length} documents instead of ${before.length}`;
  for (let index = 0; index < before.length; index++) {
    const expected: unknown = before[index]!.toJS({ maxAliasCount: -1 });
    const actual: unknown = afterDocuments[index]!.toJS({ maxAliasCount: -1 });
    let target = expected;
    for (const operation of operations.filter((candidate) => candidate.document === index)) {
      if (operation.kind === "remove") {
        target = deleteIn(target, operation.yamlPath, operation.collapse);
        continue;
      }
      const written = getIn(actual, operation.yamlPath);
      if (!sameQuantity(written, operation.value)) return `${pathText(operation.yamlPath)} would read back as ${JSON.stringify(written)} instead of ${operation.value}`;
      target = setIn(target, operation.yamlPath, written);
    }
    for (const allowed of allowChanged.filter((candidate) => candidate.document === index)) {
      target = setIn(target, allowed.yamlPath, getIn(actual, allowed.yamlPath));
    }
    if (!isDeepStrictEqual(target, actual)) return "the edit would change more than the targeted values";
  }
  return undefined;
}

function sameQuantity(written: unknown, intended: string): boolean {
  if (typeof written !== "string" && typeof written !== "number") return false;
  return isSameQuantity(String(written), intended);
}

type Container = Record<string | number, unknown>;

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

export function getIn(root: unknown, path: YamlPath): unknown {
  let node = root;
  for (const key of path) {
    if (!isContainer(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Copy-on-write set: creates missing (or null) mappings along the way. */
export function setIn(root: unknown, path: YamlPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...YamlPath];
  const copy = (Array.isArray(root) ? [...(root as unknown[])] : isContainer(root) ? { ...root } : {}) as Container;
  copy[key] = setIn(copy[key], rest, value);
  return copy;
}

/** Copy-on-write delete; up to `collapse` enclosing mappings left empty are deleted too. */
export function deleteIn(root: unknown, path: YamlPath, collapse: number): unknown {
  if (path.length === 0 || !isContainer(root)) return root;
  const [key, ...rest] = path as [string | number, ...YamlPath];
  if (!(key in root)) return root;
  const copy = (Array.isArray(root) ? [...(root as unknown[])] : { ...root }) as Container;
  if (rest.length === 0) {
    delete copy[key];
    return copy;
  }
  const child = deleteIn(copy[key], rest, collapse);
  if (rest.length <= collapse && isContainer(child) && !Array.isArray(child) && Object.keys(child).length === 0) delete copy[key];
  else copy[key] = child;
  return copy;
}
