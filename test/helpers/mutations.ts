import fc from "fast-check";

/**
 * Mutations of the project's own fixtures for the fuzz tests (issue 11): what a hostile or
 * careless repository does to a file. Each mutation is data (so fast-check shrinks it and a
 * failure prints it) applied by `mutate`.
 */
export type Mutation =
  | { kind: "truncate"; at: number }
  | { kind: "tab-indent"; line: number }
  | { kind: "bom"; at: number }
  | { kind: "crlf"; every: number }
  | { kind: "deep-nesting"; line: number; depth: number; style: "flow" | "dash" | "block" | "json" }
  | { kind: "aliases"; line: number; shape: "bomb" | "cycle" | "self-merge" | "merge-fan-out" | "undefined-alias" }
  | { kind: "huge-scalar"; line: number; size: number; quoted: boolean }
  | { kind: "oversize" }
  | { kind: "duplicate-line"; line: number }
  | { kind: "swap-lines"; a: number; b: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "invalid-utf8"; at: number; byte: number }
  | { kind: "lone-surrogate"; at: number }
  | { kind: "secret"; line: number };

/** A marker that no error message may repeat: it sits 70 characters into a value, past the 64 a message may quote. */
export const SECRET = "SECRET-do-not-print";

/**
 * Whether every marker in the texts still sits 64 characters into its value: a later deletion may
 * have brought it within what a message may quote, and then its absence proves nothing.
 */
export function secretGuarded(texts: readonly string[]): boolean {
  return texts.every((text) => text.split(SECRET).slice(0, -1).every((before) => /x{64}$/.test(before)));
}

const TOKENS = ["{", "}", "[", "]", ":", ": ", "- ", "&a ", "*a", "<<: ", "!!str ", "!tag ", "|", ">-", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "? ", "@", "`", "{{ .Values.x }}", "\t", "\r", "\n", "  ", "\\u0000", "\0", "\u2028", "null", "~", "1e999", "-0", "0x1F", ",", '"\\xZZ"'];

const lineArbitrary = fc.nat({ max: 400 });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tab-indent" as const), line: lineArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bom" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crlf" as const), every: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deep-nesting" as const), line: lineArbitrary, depth: fc.integer({ min: 1, max: 600 }), style: fc.constantFrom("flow" as const, "dash" as const, "block" as const, "json" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("aliases" as const), line: lineArbitrary, shape: fc.constantFrom("bomb" as const, "cycle" as const, "self-merge" as const, "merge-fan-out" as const, "undefined-alias" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("huge-scalar" as const), line: lineArbitrary, size: fc.integer({ min: 1_000, max: 200_000 }), quoted: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "oversize" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("duplicate-line" as const), line: lineArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("swap-lines" as const), a: lineArbitrary, b: lineArbitrary }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("invalid-utf8" as const), at: fc.nat(), byte: fc.constantFrom(0x80, 0xbf, 0xc0, 0xe9, 0xed, 0xf5, 0xff) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lone-surrogate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("secret" as const), line: lineArbitrary }) },
);

/** A fixture and 1–3 mutations of it (or from `minLength`). */
export function mutatedArbitrary(seeds: readonly string[], minLength = 1): fc.Arbitrary<{ seed: number; mutations: Mutation[] }> {
  return fc.record({ seed: fc.nat({ max: seeds.length - 1 }), mutations: fc.array(mutationArbitrary, { minLength, maxLength: 3 }) });
}

/** What the mutations make of the text: a string, or bytes when a mutation broke UTF-8. */
export interface Mutated {
  text: string;
  bytes?: Uint8Array;
}

export function mutate(seed: string, mutations: readonly Mutation[]): Mutated {
  let text = seed;
  let bytes: Uint8Array | undefined;
  for (const mutation of mutations) {
    if (mutation.kind === "invalid-utf8") {
      const current = bytes ?? Buffer.from(text, "utf8");
      const at = current.length === 0 ? 0 : mutation.at % current.length;
      bytes = Buffer.concat([current.subarray(0, at), Buffer.from([mutation.byte]), current.subarray(at)]);
      continue;
    }
    if (bytes) continue; // Text mutations after a broken byte would hide it; the bytes are the input.
    text = mutateText(text, mutation);
  }
  return bytes ? { text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes), bytes } : { text };
}

function mutateText(text: string, mutation: Exclude<Mutation, { kind: "invalid-utf8" }>): string {
  const lines = text.split("\n");
  const lineIndex = (line: number): number => (lines.length === 0 ? 0 : line % lines.length);
  const insertLines = (line: number, inserted: string[]): string => {
    const at = lineIndex(line);
    return [...lines.slice(0, at), ...inserted, ...lines.slice(at)].join("\n");
  };
  const position = (at: number): number => (text.length === 0 ? 0 : at % (text.length + 1));
  switch (mutation.kind) {
    case "truncate":
      return text.slice(0, position(mutation.at));
    case "tab-indent": {
      const at = lineIndex(mutation.line);
      lines[at] = (lines[at] ?? "").replace(/^ +/, "\t");
      return lines.join("\n");
    }
    case "bom":
      return mutation.at % 3 === 0 ? `\uFEFF${text}` : `${text.slice(0, position(mutation.at))}\uFEFF${text.slice(position(mutation.at))}`;
    case "crlf":
      return lines.map((line, index) => (index % mutation.every === 0 ? `${line}\r` : line)).join("\n").replace(/\r$/, "");
    case "deep-nesting": {
      const depth = mutation.depth;
      switch (mutation.style) {
        case "flow":
          return insertLines(mutation.line, [`x-deep: ${"[".repeat(depth)}${"]".repeat(depth)}`]);
        case "dash":
          return insertLines(mutation.line, [`x-deep:`, `${"- ".repeat(depth)}leaf`]);
        case "json":
          return `${text.slice(0, position(mutation.line * 7))}${"[".repeat(depth)}1${"]".repeat(depth)}${text.slice(position(mutation.line * 7))}`;
        case "block":
          return insertLines(mutation.line, ["x-deep:", ...Array.from({ length: Math.min(depth, 300) }, (_, level) => `${" ".repeat(2 * (level + 1))}k${level}:`), `${" ".repeat(2 * (Math.min(depth, 300) + 1))}leaf: 1`]);
      }
      break;
    }
    case "aliases":
      switch (mutation.shape) {
        case "bomb":
          return insertLines(mutation.line, ["x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ...Array.from({ length: 11 }, (_, level) => `x-a${level + 1}: &a${level + 1} [${Array(9).fill(`*a${level}`).join(", ")}]`)]);
        case "cycle":
          return insertLines(mutation.line, ["x-cycle: &c [*c, {k: *c}]"]);
        case "self-merge":
          return insertLines(mutation.line, ["x-self: &s", "  <<: *s", "  k: v"]);
        case "merge-fan-out":
          return insertLines(mutation.line, [...Array.from({ length: 40 }, (_, index) => `x-m${index}: &m${index} {<<: [${index === 0 ? "" : Array(8).fill(`*m${index - 1}`).join(", ")}], v${index}: 1}`)]);
        case "undefined-alias":
          return insertLines(mutation.line, ["x-alias: *nowhere"]);
      }
      break;
    case "huge-scalar": {
      const value = "v".repeat(mutation.size);
      return insertLines(mutation.line, [`x-huge: ${mutation.quoted ? `"${value}"` : value}`]);
    }
    case "oversize":
      return `${text}\n# ${"x".repeat(1024 * 1024)}\n`;
    case "duplicate-line": {
      const at = lineIndex(mutation.line);
      return insertLines(mutation.line, [lines[at] ?? ""]);
    }
    case "swap-lines": {
      const a = lineIndex(mutation.a);
      const b = lineIndex(mutation.b);
      [lines[a], lines[b]] = [lines[b] ?? "", lines[a] ?? ""];
      return lines.join("\n");
    }
    case "insert":
      return `${text.slice(0, position(mutation.at))}${mutation.token}${text.slice(position(mutation.at))}`;
    case "delete":
      return `${text.slice(0, position(mutation.at))}${text.slice(position(mutation.at) + mutation.length)}`;
    case "lone-surrogate":
      return `${text.slice(0, position(mutation.at))}\uD800${text.slice(position(mutation.at))}`;
    case "secret": {
      // As a value the file gives (a mode, a name): a message may quote 64 characters of it, never the marker.
      const at = lineIndex(mutation.line);
      lines[at] = (lines[at] ?? "").replace(/(:\s*)(\S.*)?$/, `$1"${"x".repeat(70)}${SECRET}"`);
      return lines.join("\n");
    }
  }
}

/** Per-target counts and the slowest input, printed so CI logs show what the fuzzing covered. */
export class FuzzTally {
  private readonly outcomes = new Map<string, number>();
  runs = 0;
  slowestMs = 0;
  private started: number | undefined;

  constructor(private readonly target: string) {}

  record(outcome: string, milliseconds: number): void {
    this.started ??= performance.now() - milliseconds;
    this.runs++;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    this.slowestMs = Math.max(this.slowestMs, milliseconds);
  }

  print(): void {
    const outcomes = [...this.outcomes].map(([outcome, count]) => `${count} ${outcome}`).join(", ");
    console.log(`fuzz ${this.target}: ${this.runs} inputs (${outcomes}); slowest ${this.slowestMs.toFixed(0)} ms; ${((performance.now() - (this.started ?? performance.now())) / 1000).toFixed(1)} s in all`);
  }
}

/** No single input may take longer than this, on a loaded 2-core CI machine: "no hang". */
export const PER_INPUT_MS = 3000;

/** A whole fuzz target's time limit; FUZZ_RUNS=40000 (a longer local hunt) raises it with the run count. */
export const FUZZ_TIMEOUT_MS = Math.max(60_000, Number(process.env.FUZZ_RUNS ?? 0) * 30);
