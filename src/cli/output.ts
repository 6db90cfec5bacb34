import { styleText } from "node:util";
import { Option, type Command } from "commander";
import { distance } from "fastest-levenshtein";
import { stringify } from "yaml";
import { escapeControls, prose, terminalText, UsageError } from "../domain/index.js";
import type { Paint, Tone } from "../recommend/index.js";

/** `-o/--output` of every command (kubectl and KRR spell it the same); `text` is the old name of `table`. */
export const OUTPUT_FORMATS = ["table", "json", "yaml", "csv", "markdown"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The flags addOutputOptions adds: the format, and `--no-color` (commander sets `color: false`). */
export interface OutputFlags {
  output: string;
  color?: boolean;
}

export function addOutputOptions(command: Command, defaultFormat: OutputFormat = "table", formats: readonly OutputFormat[] = OUTPUT_FORMATS): Command {
  return command
    .addOption(new Option("-o, --output <format>", `output format: ${listed(formats)}`).default(defaultFormat))
    .option("--no-color", "no colours in tables (there are none either when the output is not a terminal or NO_COLOR is set)");
}

export function parseOutputFormat(value: string, allowed: readonly OutputFormat[] = OUTPUT_FORMATS): OutputFormat {
  const name = value === "text" ? "table" : value;
  if ((allowed as readonly string[]).includes(name)) return name as OutputFormat;
  const suggestion = nearestWord(value, allowed);
  throw new UsageError(`--output: "${value}" is not one of ${allowed.join(", ")}${suggestion ? `; did you mean ${suggestion}?` : ""}`);
}

/** The closest of `candidates` to a mistyped word (a letter or two off, or another case), when one is clearly closest. */
export function nearestWord(word: string, candidates: readonly string[]): string | undefined {
  const scored = candidates
    .map((candidate) => ({ candidate, cost: candidate.toLowerCase() === word.toLowerCase() ? 0 : distance(word.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, cost }) => cost <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((a, b) => a.cost - b.cost);
  return scored.length > 0 && scored[0]!.cost !== scored[1]?.cost ? scored[0]!.candidate : undefined;
}

function listed(formats: readonly OutputFormat[]): string {
  return formats.length === 1 ? formats[0]! : `${formats.slice(0, -1).join(", ")} or ${formats.at(-1)}`;
}

/** Colour in tables: only on a terminal (not "dumb"), and never with `--no-color` or a non-empty NO_COLOR (no-color.org). */
export function colorEnabled(stream: { isTTY?: boolean }, env: Record<string, string | undefined>, flag: boolean | undefined): boolean {
  if (flag === false || env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

const TONE_COLOURS: Record<Tone, "green" | "yellow" | "red"> = { good: "green", warn: "yellow", bad: "red" };
// The SGR sequences the painter writes (set and reset foreground); nothing else gets through printTable.
const OWN_COLOURS = /(\u001b\[(?:31|32|33|39)m)/;

/** Node's styleText (20.12+); from Node 22.13 it would also check the stream itself, which colorEnabled already did. */
const style = styleText as (format: string, text: string, options?: { validateStream?: boolean }) => string;

export function painter(enabled: boolean): Paint | undefined {
  return enabled ? (text, tone) => style(TONE_COLOURS[tone], text, { validateStream: false }) : undefined;
}

/** The painter for stdout under a command's flags. */
export function stdoutPainter(flags: Pick<OutputFlags, "color">): Paint | undefined {
  return painter(colorEnabled(process.stdout, process.env, flags.color));
}

/** Text output (tables, reports, diffs): what a repository or a cluster wrote cannot act on the terminal. */
export function printText(text: string): void {
  process.stdout.write(terminalText(text));
}

/** A table that may carry the painter's colours: every other control character is shown as an escape. */
export function printTable(text: string): void {
  process.stdout.write(
    text
      .split(OWN_COLOURS)
      .map((part, index) => (index % 2 === 1 ? part : terminalText(part)))
      .join(""),
  );
}

/** A line on stderr, `rightsize: …`, escaped like printText. */
export function printNotice(message: string): void {
  process.stderr.write(`rightsize: ${terminalText(message)}\n`);
}

/** Progress of a long observation: on stderr, and only when stderr is a terminal (a CI log or a pipe gets the results alone). */
export function printProgress(message: string): void {
  if (process.stderr.isTTY) printNotice(message);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The same data as JSON, as YAML: every object written out (no anchors), no folded lines. */
export function renderYaml(value: unknown): string {
  return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Rows for CSV and the default markdown view: named columns, one value per column. */
export interface Rows {
  columns: readonly string[];
  rows: readonly (readonly (string | number | boolean | null | undefined)[])[];
}

/**
 * RFC 4180 CSV with a header line: a field holding a comma, a quote or a leading or trailing
 * space is quoted, quotes doubled; empty for null. Control characters show as escapes, as in
 * every other output; lines end in \n.
 */
export function renderCsv(table: Rows): string {
  const field = (value: string | number | boolean | null | undefined) => {
    const text = value === null || value === undefined ? "" : escapeControls(String(value));
    return /[",]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [table.columns, ...table.rows].map((row) => `${row.map(field).join(",")}\n`).join("");
}

/** A GitHub-flavoured markdown table of the same rows; every cell is text (no markup, links or mentions). */
export function renderMarkdownTable(table: Rows): string {
  const cell = (value: string | number | boolean | null | undefined) => (value === null || value === undefined || value === "" ? "" : prose(String(value)));
  const line = (cells: readonly (string | number | boolean | null | undefined)[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(table.columns), `|${table.columns.map(() => " --- |").join("")}`, ...table.rows.map(line)].join("\n") + "\n";
}

/** What one command can print: its data (json, yaml), a table (painted on a terminal), CSV rows and a markdown view. */
export interface OutputViews {
  data: () => unknown;
  table: (paint: Paint | undefined) => string;
  rows: () => Rows;
  /** Default: the rows as a markdown table. */
  markdown?: () => string;
}

export function printOutput(format: OutputFormat, flags: Pick<OutputFlags, "color">, views: OutputViews): void {
  switch (format) {
    case "json":
      return printJson(views.data());
    case "yaml":
      return printText(renderYaml(views.data()));
    case "csv":
      return printText(renderCsv(views.rows()));
    case "markdown":
      return printText(views.markdown ? views.markdown() : renderMarkdownTable(views.rows()));
    case "table": {
      const paint = stdoutPainter(flags);
      const text = views.table(paint);
      return paint ? printTable(text) : printText(text);
    }
  }
}

const CHUNK_BYTES = 1 << 20;

/**
 * The same bytes as printJson([...items]), written while the items are produced: each item is
 * serialised and let go, so a large run never holds all of them and one huge string at once.
 *
 * The text is encoded into one reused buffer and written a megabyte at a time. Handing the stream
 * strings (or a fresh buffer per write) cost more than serialising: every megabyte was a new
 * allocation whose pages the kernel had to fault in, and a rope of concatenated items to flatten
 * first. The buffer is reused only when the stream holds nothing after a write (files, and pipes
 * and terminals that took the bytes at once); otherwise the stream keeps it and a new one is made.
 */
export function printJsonArray(items: Iterable<unknown>): void {
  const out = process.stdout;
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    out.write(buffer.subarray(0, used));
    if (out.writableLength > 0) buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
  };
  const print = (text: string) => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (used + text.length * 3 > buffer.length) flush();
    if (text.length * 3 > buffer.length) out.write(text);
    else used += buffer.write(text, used);
  };
  let count = 0;
  for (const item of items) {
    // Inside a one-element array the item comes out indented as an element of the whole array.
    const element = JSON.stringify([item], null, 2);
    print(count++ === 0 ? "[\n" : ",\n");
    print(element.slice(2, -2));
    if (used >= CHUNK_BYTES / 2) flush();
  }
  print(count === 0 ? "[]\n" : "\n]\n");
  flush();
}
