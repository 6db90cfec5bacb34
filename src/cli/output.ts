import { terminalText, UsageError } from "../domain/index.js";

export const OUTPUT_FORMATS = ["text", "json", "markdown"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(value: string, allowed: readonly OutputFormat[] = ["text", "json"]): OutputFormat {
  if ((allowed as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`--output: "${value}" is not one of ${allowed.join(", ")}`);
}

/** Text output (tables, reports, diffs): what a repository or a cluster wrote cannot act on the terminal. */
export function printText(text: string): void {
  process.stdout.write(terminalText(text));
}

/** A line on stderr, `rightsize: …`, escaped like printText. */
export function printNotice(message: string): void {
  process.stderr.write(`rightsize: ${terminalText(message)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
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
