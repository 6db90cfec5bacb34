/**
 * Text that comes from a repository, a cluster or a person, placed in markdown that rightsize
 * writes (SPEC §9): it stays text. No raw HTML, no comment openers (which would hide the rest of
 * a body, or forge a hidden marker), no mentions or `#N` links, no line breaks that start a new
 * block. Two shapes: a code span (names, paths, values: shown exactly) and prose.
 */

/** Characters a terminal or a markdown renderer acts on: C0 and C1 controls, DEL, line and paragraph separators, bidi overrides. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A control character as a reader can see it: `\n`, `\t`, `\u001b`. */
export function visibleControl(character: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  return named[character] ?? `\\u${character.codePointAt(0)!.toString(16).padStart(4, "0")}`;
}

/** Control characters shown as escapes; everything else unchanged. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, visibleControl);
}

/**
 * Untrusted text as an inline code span, shown exactly (controls as escapes). The fence is one
 * backtick longer than the longest run inside, padded when the text starts or ends with one
 * (CommonMark). In a table cell, pipes are escaped (GFM reads `\|` inside a cell's code span).
 */
export function code(text: string, options: { inTable?: boolean } = {}): string {
  let content = escapeControls(text);
  if (options.inTable) content = content.replaceAll("|", "\\|");
  if (content === "") return "`\u200b`";
  const longest = Math.max(0, ...[...content.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(content) ? " " : "";
  return `${fence}${pad}${content}${pad}${fence}`;
}

/**
 * Untrusted text as prose: HTML characters as entities, markdown characters escaped, one line;
 * mentions and issue references broken with a zero-width space, which GitHub links neither of.
 */
export function prose(text: string): string {
  return escapeControls(text)
    .replace(/[&<>]/g, (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[character]!)
    .replace(/[\\`*_[\]|~#!]/g, "\\$&")
    .replace(/#(?=[0-9])/g, "#&#8203;")
    .replace(/@(?=[A-Za-z0-9])/g, "@&#8203;");
}

/**
 * A message rightsize composed around untrusted fragments (a reason naming a file, an error
 * quoting a value), made safe as a whole: code spans stay as they are (GitHub renders nothing
 * inside them), and outside them HTML is escaped, links cannot form, and mentions and issue
 * references are broken. Code spans are found as CommonMark finds them, so a stray backtick in a
 * fragment cannot carry text out of a span unescaped.
 */
export function safeMarkdown(text: string): string {
  const source = text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, visibleControl);
  let result = "";
  let index = 0;
  while (index < source.length) {
    const character = source[index]!;
    if (character === "\\" && index + 1 < source.length) {
      result += source.slice(index, index + 2);
      index += 2;
      continue;
    }
    if (character === "`") {
      const run = /^`+/.exec(source.slice(index))![0];
      const close = closingRun(source, index + run.length, run.length);
      if (close !== undefined) {
        result += source.slice(index, close + run.length);
        index = close + run.length;
        continue;
      }
      result += run;
      index += run.length;
      continue;
    }
    result += escapeOutsideCode(character, source[index + 1]);
    index++;
  }
  return result;
}

/** Where a backtick run of exactly `length` starts after `from`, if one does. */
function closingRun(source: string, from: number, length: number): number | undefined {
  for (const match of source.slice(from).matchAll(/`+/g)) {
    if (match[0].length === length) return from + match.index;
  }
  return undefined;
}

function escapeOutsideCode(character: string, next: string | undefined): string {
  if (character === "<") return "&lt;";
  if (character === ">") return "&gt;";
  if (character === "[" || character === "]") return `\\${character}`;
  if (character === "@" && next !== undefined && /[A-Za-z0-9]/.test(next)) return "@&#8203;";
  if (character === "#" && next !== undefined && /[0-9]/.test(next)) return "#&#8203;";
  return character;
}
