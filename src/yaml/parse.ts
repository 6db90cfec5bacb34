import { excessiveMergeAt } from "./nodes.js";
import { parseYamlText, quoteShort, YAML_BOUNDS, type YamlDocument, type YamlTextProblem } from "./read.js";
import { LineIndex } from "./text.js";

export interface ParsedYaml {
  text: string;
  documents: YamlDocument[];
  lines: LineIndex;
  /** Why the text cannot be edited as YAML (a Helm template, a syntax error, a duplicate key, a bound), when it cannot. */
  problem?: { message: string; line: number };
}

/** A manifest, kustomization, patch or values file, within the bounds of YAML_BOUNDS. */
export function parseYaml(text: string): ParsedYaml {
  const lines = new LineIndex(text);
  const parsed = parseYamlText(text, { maxBytes: YAML_BOUNDS.manifestBytes, templates: true });
  if (!parsed.problem) {
    // A merge key is written `<<` (or, in a double-quoted key, with escapes): a text with neither has none to check.
    const mayMerge = text.includes("<<") || text.includes("\\");
    for (const document of mayMerge ? parsed.documents : []) {
      const merge = excessiveMergeAt(document);
      if (merge !== undefined) {
        const line = lines.lineOf(merge);
        return { text, documents: parsed.documents, lines, problem: { message: `uses merge keys (<<:) that combine more mappings than a manifest needs (line ${line}); write the values out`, line } };
      }
    }
    return { text, documents: parsed.documents, lines };
  }
  const line = lines.lineOf(parsed.problem.offset);
  return { text, documents: parsed.documents, lines, problem: { message: describeProblem(parsed.problem, line), line } };
}

function describeProblem(problem: YamlTextProblem, line: number): string {
  const { message } = problem;
  switch (problem.kind) {
    case "too-large":
      return `${message}; it is not read or edited`;
    case "too-deep":
      return `${message} (line ${line}); it is not read or edited`;
    case "template":
      return `contains Helm template syntax ("{{") at line ${line}; it is not YAML until rendered, so it is not read or edited`;
    case "duplicate-key":
      return `has a duplicate key ${quoteShort(problem.key ?? "")} at line ${line}; Kubernetes would keep only one of them, so remove the other before it can be edited`;
    default:
      return `does not parse as YAML at line ${line}: ${message}`;
  }
}
