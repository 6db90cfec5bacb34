import type { Scalar } from "yaml";
import { applySplices, lineEndAt, pastLineBreak, type Splice } from "../yaml/index.js";

/**
 * The body of a literal block scalar (`patch: |-` in a kustomization) as YAML text of its own,
 * with the block's indentation taken off every line, and the way back: an edit of the inner text
 * becomes an edit of the file's bytes, so an inline patch is edited as byte-minimally as a file.
 */
export interface BlockBody {
  inner: string;
  indent: string;
  /** Per inner line: where it starts in the inner text, and in the file (line start, content start). */
  lines: { inner: number; outerLine: number; outerContent: number }[];
  end: { inner: number; outer: number };
}

export function literalBlockBody(text: string, scalar: Scalar): BlockBody | string {
  if (scalar.type !== "BLOCK_LITERAL" || !scalar.range) return "it is not written as a literal block (`|` or `|-`), so it cannot be changed in place";
  const [start, end] = scalar.range;
  const header = text.slice(start, lineEndAt(text, start));
  if (/^\|[+-]?\d/.test(header)) return "its block has an explicit indentation indicator, which in-place edits do not handle";
  const bodyStart = pastLineBreak(text, lineEndAt(text, start));
  const body = text.slice(bodyStart, end);
  const indentWidth = /^(?:[ \t]*\r?\n)*( *)\S/.exec(body)?.[1]?.length ?? 0;
  const lines: BlockBody["lines"] = [];
  let inner = "";
  for (let lineStart = bodyStart; lineStart < end; ) {
    const lineEnd = Math.min(lineEndAt(text, lineStart), end);
    const next = Math.min(pastLineBreak(text, lineEnd), end);
    const leading = /^ */.exec(text.slice(lineStart, lineEnd))![0].length;
    const strip = Math.min(indentWidth, leading);
    lines.push({ inner: inner.length, outerLine: lineStart, outerContent: lineStart + strip });
    inner += text.slice(lineStart + strip, next);
    lineStart = next;
  }
  return { inner, indent: " ".repeat(indentWidth), lines, end: { inner: inner.length, outer: end } };
}

/** Maps edits of the inner text onto the file. Inserted lines get the block's indentation. */
export function outerSplices(body: BlockBody, splices: readonly Splice[]): Splice[] {
  return splices.map((splice) => {
    const startsLine = body.lines.some((line) => line.inner === splice.start);
    let insert = splice.insert.replace(/\n(?=[^\r\n])/g, `\n${body.indent}`);
    if (startsLine && insert !== "" && !/^\r?\n/.test(insert)) insert = body.indent + insert;
    return { start: outerOffset(body, splice.start), end: outerOffset(body, splice.end), insert };
  });
}

function outerOffset(body: BlockBody, offset: number): number {
  if (offset >= body.end.inner) return body.end.outer;
  let chosen = body.lines[0]!;
  for (const line of body.lines) {
    if (line.inner > offset) break;
    chosen = line;
  }
  // A position at a line's start means the whole line, indentation included.
  return offset === chosen.inner ? chosen.outerLine : chosen.outerContent + (offset - chosen.inner);
}

export function applyToBody(body: BlockBody, splices: readonly Splice[]): string | undefined {
  return applySplices(body.inner, splices);
}
