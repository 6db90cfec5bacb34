/** Byte-level helpers over file text: line positions and splices. Offsets are string indexes. */

export type LineBreak = "\r\n" | "\n";

/** The line break the file already uses, so inserted lines match it (CRLF files stay CRLF). */
export function lineBreakOf(text: string): LineBreak {
  const first = text.indexOf("\n");
  return first > 0 && text[first - 1] === "\r" ? "\r\n" : "\n";
}

export function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset of the line break ending the line that holds `offset` (the `\r` of a CRLF), or the text's end. */
export function lineEndAt(text: string, offset: number): number {
  const newline = text.indexOf("\n", offset);
  if (newline === -1) return text.length;
  return newline > 0 && text[newline - 1] === "\r" && newline - 1 >= offset ? newline - 1 : newline;
}

/** Offset just past the line break at `lineEnd` (or `lineEnd` itself at the end of the text). */
export function pastLineBreak(text: string, lineEnd: number): number {
  if (text.startsWith("\r\n", lineEnd)) return lineEnd + 2;
  if (text[lineEnd] === "\n") return lineEnd + 1;
  return lineEnd;
}

/**
 * Where a new key goes after `lineEnd` (the end of a key's last line) so that it does not come
 * between a key and the comments written under it: past the comment lines that follow (blank
 * lines among them included) whose `#` is at `minColumn` or deeper, the column of the keys of the
 * mapping that gets the new key. A commented-out list under `components:` stays under it.
 */
export function afterTrailingComments(text: string, lineEnd: number, minColumn: number): number {
  let end = lineEnd;
  for (let cursor = lineEnd; ; ) {
    const start = pastLineBreak(text, cursor);
    if (start === cursor) return end;
    cursor = lineEndAt(text, start);
    const line = text.slice(start, cursor);
    const content = line.trimStart();
    if (content === "") continue;
    if (!content.startsWith("#") || line.length - content.length < minColumn) return end;
    end = cursor;
  }
}

export function columnAt(text: string, offset: number): number {
  return offset - lineStartAt(text, offset);
}

/** 1-based line numbers for offsets, by binary search over line starts. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) this.starts.push(index + 1);
  }

  lineOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}

/** Replace `text.slice(start, end)` with `insert`. */
export interface Splice {
  start: number;
  end: number;
  insert: string;
}

/** Applies non-overlapping splices; returns undefined when two of them overlap (a bug, never a guess). */
export function applySplices(text: string, splices: readonly Splice[]): string | undefined {
  const ordered = [...splices].sort((a, b) => a.start - b.start || a.end - b.end);
  let result = "";
  let cursor = 0;
  for (const splice of ordered) {
    if (splice.start < cursor || splice.end < splice.start) return undefined;
    result += text.slice(cursor, splice.start) + splice.insert;
    cursor = splice.end;
  }
  return result + text.slice(cursor);
}
