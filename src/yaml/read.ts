import { Buffer } from "node:buffer";
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Parser, visit, type CST, type Document, type YAMLError } from "yaml";

/**
 * Reading YAML nobody here wrote (a GitHub App runs on repositories its operator does not
 * control), with bounds on everything that can grow faster than the text: the text itself,
 * nesting (the composer recurses and, very deep, exhausts the stack or memory), duplicate-key
 * checks (quadratic in yaml's composer, so done here in one pass) and alias expansion (a few
 * hundred bytes of nested aliases stand for billions of nodes).
 */
export const YAML_BOUNDS = {
  /** A manifest, kustomization or Helm values file larger than this is skipped (discovery) or refused (edit). */
  manifestBytes: 1024 * 1024,
  /** A policy file, and each file it `_extends`. */
  policyBytes: 256 * 1024,
  /** Collections nested deeper than this: real manifests, CRDs included, stay far below. */
  depth: 256,
  /** `maxAliasCount` for every expansion to plain data (yaml's own default, stated once). */
  aliasCount: 100,
} as const;

export type YamlDocument = Document.Parsed;

/** Why a text is not read as YAML, at an offset; the message never quotes the text beyond a key name. */
export interface YamlTextProblem {
  kind: "too-large" | "too-deep" | "template" | "syntax" | "duplicate-key" | "aliases";
  message: string;
  offset: number;
  /** The repeated key, for a duplicate key. */
  key?: string;
}

export interface ParsedYamlText {
  documents: YamlDocument[];
  problem?: YamlTextProblem;
}

export interface ParseBounds {
  maxBytes: number;
  /** Treat `{{` outside scalars and comments as template syntax (manifests), or leave it to the parser (policy). */
  templates: boolean;
}

/**
 * Parses every document of a text within the bounds. The CST is built first (iteratively, no
 * recursion), measured, and only then composed into documents, so an over-deep or templated
 * text never reaches the composer.
 */
export function parseYamlText(text: string, bounds: ParseBounds): ParsedYamlText {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > bounds.maxBytes) {
    return { documents: [], problem: { kind: "too-large", offset: 0, message: `is ${formatSize(bytes, bounds.maxBytes)}, more than the ${formatBytes(bounds.maxBytes)} rightsize reads` } };
  }
  const tokens = Array.from(new Parser().parse(text));
  // Where `{{` is data matters only when there is a `{{` at all.
  const templates = bounds.templates && text.includes("{{");
  const scan = scanTokens(tokens, templates);
  if (scan.depth > YAML_BOUNDS.depth) {
    return { documents: [], problem: { kind: "too-deep", offset: scan.deepestAt, message: `nests collections more than ${YAML_BOUNDS.depth} levels deep` } };
  }
  if (templates) {
    const template = templateOffset(text, scan.dataRanges);
    if (template !== undefined) return { documents: [], problem: { kind: "template", offset: template, message: "template syntax" } };
  }
  // uniqueKeys is checked below in one pass: yaml's own check compares every key with every other.
  // logLevel "error": yaml's warnings go to process.emitWarning, quoting the file; rightsize reports its own problems.
  const documents = Array.from(new Composer({ prettyErrors: false, uniqueKeys: false, logLevel: "error" }).compose(tokens)) as YamlDocument[];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) return { documents, problem: { kind: "syntax", offset: error.pos[0], message: describeYamlError(error) } };
    const duplicate = duplicateKey(document);
    if (duplicate) return { documents, problem: { kind: "duplicate-key", offset: duplicate.offset, key: duplicate.key, message: `Map keys must be unique (${quoteShort(duplicate.key)})` } };
  }
  return { documents };
}

/**
 * A yaml error in words that quote nothing from the file: the first line of yaml's message,
 * without its position and without the source text a few messages end with
 * (`Unresolved tag: !secret`).
 */
export function describeYamlError(error: Pick<YAMLError, "message">): string {
  const first = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  const withoutSource = first
    .replace(/^(Unresolved tag|Block scalar header includes extra characters|[^:]* token in YAML stream): .*$/, "$1")
    .replace(/"(?:[^"\\]|\\.){20,}"/g, '"…"');
  return printable(withoutSource).slice(0, 120);
}

/**
 * Expands a document to plain data with the alias bound; a bomb is a problem, not a hang, and
 * an alias inside the node it names (`&a [*a]`, data that contains itself) is a problem too:
 * whatever walks the data afterwards would never finish.
 */
export function documentToData(document: YamlDocument): { data: unknown } | { problem: YamlTextProblem } {
  const loop = selfReferenceAt(document);
  if (loop !== undefined) return { problem: { kind: "aliases", offset: loop, message: "has an alias (*name) inside the value it names, a loop; write the value out" } };
  try {
    return { data: document.toJS({ maxAliasCount: YAML_BOUNDS.aliasCount }) };
  } catch (error) {
    if (error instanceof ReferenceError || error instanceof RangeError) {
      return {
        problem: {
          kind: "aliases",
          offset: document.contents?.range?.[0] ?? 0,
          message: /alias/i.test(error.message) ? `expands aliases (*name) to more than ${YAML_BOUNDS.aliasCount} copies; write the values out` : "cannot be expanded to data",
        },
      };
    }
    throw error;
  }
}

/** Where an alias sits inside the node it names (the last node anchored with its name before it, as YAML resolves it). */
function selfReferenceAt(document: YamlDocument): number | undefined {
  const anchored = new Map<string, unknown>();
  let found: number | undefined;
  visit(document, {
    Node(_, node, ancestors) {
      if (isAlias(node)) {
        const target = anchored.get(node.source);
        if (target !== undefined && ancestors.includes(target as never)) {
          found = node.range?.[0] ?? 0;
          return visit.BREAK;
        }
      } else if (node.anchor) anchored.set(node.anchor, node);
      return undefined;
    },
  });
  return found;
}

/**
 * A short piece of a file (a key, a name, a value) fit to appear in a message: printable and at
 * most 64 characters, so no message repeats more of a file than a person needs to find the place.
 */
export function shortText(value: string): string {
  const clean = printable(value);
  return clean.length > 64 ? `${clean.slice(0, 63)}…` : clean;
}

/** `shortText`, in double quotes. */
export function quoteShort(value: string): string {
  return JSON.stringify(shortText(value));
}

/** A size over a bound, exact when rounding would make it read like the bound itself. */
export function formatSize(bytes: number, bound: number): string {
  const rounded = formatBytes(bytes);
  return rounded === formatBytes(bound) ? `${bytes.toLocaleString("en-US")} bytes` : rounded;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, "")} KiB`;
  return `${bytes} bytes`;
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
}

interface TokenScan {
  depth: number;
  deepestAt: number;
  /** Scalars and comments: where `{{` is data (an alert template, an Argo parameter), not template syntax. */
  dataRanges: [number, number][];
}

type Item = { start?: CST.SourceToken[]; key?: CST.Token | null; sep?: CST.SourceToken[]; value?: CST.Token };

/** One pass over the CST with an explicit stack: nesting depth and the ranges that hold data. */
function scanTokens(tokens: readonly CST.Token[], collectData: boolean): TokenScan {
  const scan: TokenScan = { depth: 0, deepestAt: 0, dataRanges: [] };
  const stack: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 })).reverse();
  const pushSources = (sources: readonly CST.SourceToken[] | undefined, depth: number): void => {
    for (const source of sources ?? []) stack.push({ token: source, depth });
  };
  const pushItems = (items: readonly Item[], depth: number): void => {
    for (const item of items) {
      pushSources(item.start, depth);
      if (item.key) stack.push({ token: item.key, depth });
      pushSources(item.sep, depth);
      if (item.value) stack.push({ token: item.value, depth });
    }
  };
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { token, depth } = entry;
    switch (token.type) {
      case "document":
        pushSources(token.start, depth);
        if (token.value) stack.push({ token: token.value, depth });
        pushSources(token.end, depth);
        break;
      case "doc-end":
        pushSources(token.end, depth);
        break;
      case "block-map":
      case "block-seq":
      case "flow-collection": {
        const inner = depth + 1;
        if (inner > scan.depth) {
          scan.depth = inner;
          // Where the bound is first passed: the line a person would fix.
          if (inner === YAML_BOUNDS.depth + 1) scan.deepestAt = token.offset;
        }
        if (token.type === "flow-collection") {
          stack.push({ token: token.start, depth: inner });
          pushSources(token.end, inner);
        }
        pushItems(token.items as readonly Item[], inner);
        break;
      }
      case "scalar":
      case "single-quoted-scalar":
      case "double-quoted-scalar":
      case "alias":
        if (collectData) scan.dataRanges.push([token.offset, token.offset + token.source.length]);
        pushSources(token.end, depth);
        break;
      case "block-scalar": {
        const props = token.props as CST.SourceToken[];
        const last = props[props.length - 1];
        const bodyStart = last ? last.offset + last.source.length : token.offset;
        if (collectData) scan.dataRanges.push([token.offset, bodyStart + token.source.length]);
        break;
      }
      case "comment":
        if (collectData) scan.dataRanges.push([token.offset, token.offset + token.source.length]);
        break;
      default:
        break;
    }
  }
  scan.dataRanges.sort((a, b) => a[0] - b[0]);
  return scan;
}

/** The first `{{` that is not inside a scalar or comment: template syntax (Helm and the like). */
function templateOffset(text: string, dataRanges: readonly [number, number][]): number | undefined {
  let range = 0;
  for (let position = text.indexOf("{{"); position !== -1; position = text.indexOf("{{", position + 1)) {
    while (range < dataRanges.length && dataRanges[range]![1] <= position) range++;
    const current = dataRanges[range];
    if (!current || position < current[0] || position + 1 >= current[1]) return position;
  }
  return undefined;
}

/**
 * yaml's uniqueKeys rule (scalar keys with the same value), in one pass per mapping. The walk is
 * the document order yaml's `visit` takes (a mapping before what it holds), with an explicit
 * stack: `visit` freezes a copy of the path at every node, which costs more than the check.
 */
function duplicateKey(document: YamlDocument): { key: string; offset: number } | undefined {
  const stack: unknown[] = [document.contents];
  for (let node = stack.pop(); stack.length > 0 || node !== undefined; node = stack.pop()) {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isScalar(pair.key) || (typeof pair.key.value === "object" && pair.key.value !== null)) continue;
        const value = pair.key.value;
        if (seen.has(value)) return { key: String(value), offset: pair.key.range?.[0] ?? 0 };
        seen.add(value);
      }
      for (let index = node.items.length - 1; index >= 0; index--) stack.push(node.items[index]!.value, node.items[index]!.key);
    } else if (isSeq(node)) {
      for (let index = node.items.length - 1; index >= 0; index--) stack.push(node.items[index]);
    } else if (isPair(node)) {
      stack.push(node.value, node.key);
    }
  }
  return undefined;
}
