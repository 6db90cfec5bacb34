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

const CHUNK_CHARACTERS = 1 << 20;

/**
 * The same bytes as printJson([...items]), written while the items are produced: each item is
 * serialised and let go, so a large run never holds all of them and one huge string at once.
 */
export function printJsonArray(items: Iterable<unknown>): void {
  let chunk = "";
  let count = 0;
  for (const item of items) {
    // Inside a one-element array the item comes out indented as an element of the whole array.
    const element = JSON.stringify([item], null, 2);
    chunk += `${count++ === 0 ? "[\n" : ",\n"}${element.slice(2, -2)}`;
    if (chunk.length >= CHUNK_CHARACTERS) {
      process.stdout.write(chunk);
      chunk = "";
    }
  }
  process.stdout.write(count === 0 ? "[]\n" : `${chunk}\n]\n`);
}
