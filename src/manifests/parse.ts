import { Parser, parseAllDocuments, type Document } from "yaml";
import { LineIndex } from "./text.js";

export interface ParsedYaml {
  text: string;
  documents: Document.Parsed[];
  lines: LineIndex;
  /** Why the text cannot be edited as YAML (a Helm template, a syntax error, a duplicate key), when it cannot. */
  problem?: { message: string; line: number };
}

export function parseYaml(text: string): ParsedYaml {
  const lines = new LineIndex(text);
  const documents = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  const template = helmTemplateAt(text);
  if (template !== undefined) {
    return {
      text,
      documents: list,
      lines,
      problem: { message: `contains Helm template syntax ("{{") at line ${lines.lineOf(template)}; it is not YAML until rendered, so it is not read or edited`, line: lines.lineOf(template) },
    };
  }
  for (const document of list) {
    const error = document.errors[0];
    if (!error) continue;
    const line = lines.lineOf(error.pos[0]);
    return { text, documents: list, lines, problem: { message: describeYamlError(text, error.code, error.message, error.pos[0], line), line } };
  }
  return { text, documents: list, lines };
}

function describeYamlError(text: string, code: string, message: string, offset: number, line: number): string {
  if (code === "DUPLICATE_KEY") {
    const key = /^[^:\r\n]*/.exec(text.slice(offset))?.[0].trim() ?? "";
    return `has a duplicate key "${key}" at line ${line}; Kubernetes would keep only one of them, so remove the other before it can be edited`;
  }
  const firstLine = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  return `does not parse as YAML at line ${line}: ${firstLine}`;
}

/**
 * `{{` outside comments and block scalars means a template (Helm, or anything rendered before
 * it is applied). Inside a block scalar it is data, e.g. an alerting rule or a config file.
 */
function helmTemplateAt(text: string): number | undefined {
  let position = text.indexOf("{{");
  if (position === -1) return undefined;
  const dataRanges: [number, number][] = [];
  for (const token of new Parser().parse(text)) collectDataRanges(token, dataRanges);
  while (position !== -1) {
    const at = position;
    if (!dataRanges.some(([start, end]) => at >= start && at < end)) return at;
    position = text.indexOf("{{", position + 2);
  }
  return undefined;
}

function collectDataRanges(token: unknown, ranges: [number, number][]): void {
  if (Array.isArray(token)) {
    for (const item of token) collectDataRanges(item, ranges);
    return;
  }
  if (typeof token !== "object" || token === null) return;
  const record = token as Record<string, unknown>;
  const offset = typeof record.offset === "number" ? record.offset : undefined;
  const source = typeof record.source === "string" ? record.source : "";
  if (record.type === "comment" && offset !== undefined) {
    ranges.push([offset, offset + source.length]);
    return;
  }
  if (record.type === "block-scalar" && offset !== undefined) {
    const props = Array.isArray(record.props) ? (record.props as { offset: number; source: string }[]) : [];
    const last = props[props.length - 1];
    const bodyStart = last ? last.offset + last.source.length : offset;
    ranges.push([offset, bodyStart + source.length]);
    return;
  }
  for (const [key, value] of Object.entries(record)) if (key !== "source") collectDataRanges(value, ranges);
}
