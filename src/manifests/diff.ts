/**
 * Unified diff (git style: `a/` and `b/` paths, 3 lines of context) for PR bodies and dry runs.
 * Lines keep their `\r`, as git shows them; a missing final newline is marked as git marks it.
 */

interface Line {
  text: string;
  newline: boolean;
}

type Step = { kind: "same" | "delete" | "insert"; line: Line };

const CONTEXT = 3;
/** Beyond this many differences the middle is shown as one replaced block rather than searched further. */
const MAX_EDIT_DISTANCE = 4000;

export function unifiedDiff(path: string, before: string, after: string, options: { newFile?: boolean } = {}): string {
  if (before === after) return "";
  const steps = diffLines(splitLines(before), splitLines(after));
  const hunks = groupHunks(steps);
  // A file the edit creates (an overlay's own patch) shows as git shows one.
  const header = options.newFile ? [`diff --git a/${path} b/${path}`, "new file mode 100644", "--- /dev/null", `+++ b/${path}`] : [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`];
  return `${[...header, ...hunks.flatMap(renderHunk)].join("\n")}\n`;
}

function splitLines(text: string): Line[] {
  if (text === "") return [];
  const parts = text.split("\n");
  const last = parts.pop()!;
  const lines = parts.map((part) => ({ text: part, newline: true }));
  if (last !== "") lines.push({ text: last, newline: false });
  return lines;
}

function sameLine(a: Line, b: Line): boolean {
  return a.text === b.text && a.newline === b.newline;
}

export function diffLines(a: Line[], b: Line[]): Step[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && sameLine(a[prefix]!, b[prefix]!)) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && sameLine(a[a.length - 1 - suffix]!, b[b.length - 1 - suffix]!)) suffix++;
  const middle = myers(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix));
  return [
    ...a.slice(0, prefix).map((line) => ({ kind: "same" as const, line })),
    ...middle,
    ...a.slice(a.length - suffix).map((line) => ({ kind: "same" as const, line })),
  ];
}

/** Myers' O((N+M)·D) shortest edit script. */
function myers(a: Line[], b: Line[]): Step[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const offset = max + 1;
  const frontier = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= Math.min(max, MAX_EDIT_DISTANCE) && !found; d++) {
    trace.push(frontier.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!) ? frontier[offset + k + 1]! : frontier[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && sameLine(a[x]!, b[y]!)) {
        x++;
        y++;
      }
      frontier[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) return [...a.map((line) => ({ kind: "delete" as const, line })), ...b.map((line) => ({ kind: "insert" as const, line }))];
  const steps: Step[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const previous = trace[d]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && previous[offset + k - 1]! < previous[offset + k + 1]!) ? k + 1 : k - 1;
    const previousX = previous[offset + previousK]!;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) steps.push({ kind: "same", line: a[--x]! }), y--;
    if (d > 0) {
      if (x === previousX) steps.push({ kind: "insert", line: b[--y]! });
      else steps.push({ kind: "delete", line: a[--x]! });
    }
  }
  return steps.reverse();
}

interface Hunk {
  oldStart: number;
  newStart: number;
  steps: Step[];
}

function groupHunks(steps: Step[]): Hunk[] {
  const hunks: (Hunk & { end: number; start: number })[] = [];
  let oldLine = 0;
  let newLine = 0;
  const positions = steps.map((step) => {
    const position = { old: oldLine, new: newLine };
    if (step.kind !== "insert") oldLine++;
    if (step.kind !== "delete") newLine++;
    return position;
  });
  steps.forEach((step, index) => {
    if (step.kind === "same") return;
    const start = Math.max(0, index - CONTEXT);
    const end = Math.min(steps.length, index + CONTEXT + 1);
    const last = hunks[hunks.length - 1];
    // Hunks whose context would touch or overlap are one hunk, as in git.
    if (last && start <= last.end) last.end = end;
    else hunks.push({ start, end, oldStart: positions[start]!.old, newStart: positions[start]!.new, steps: [] });
  });
  return hunks.map((hunk) => ({ oldStart: hunk.oldStart, newStart: hunk.newStart, steps: steps.slice(hunk.start, hunk.end) }));
}

function renderHunk(hunk: Hunk): string[] {
  const oldCount = hunk.steps.filter((step) => step.kind !== "insert").length;
  const newCount = hunk.steps.filter((step) => step.kind !== "delete").length;
  const lines = [`@@ -${range(hunk.oldStart, oldCount)} +${range(hunk.newStart, newCount)} @@`];
  for (const step of hunk.steps) {
    lines.push(`${step.kind === "same" ? " " : step.kind === "delete" ? "-" : "+"}${step.line.text}`);
    if (!step.line.newline) lines.push("\\ No newline at end of file");
  }
  return lines;
}

/** `start,count` with git's conventions: 1-based, and an empty range names the line before it. */
function range(start: number, count: number): string {
  if (count === 0) return `${start},0`;
  return count === 1 ? `${start + 1}` : `${start + 1},${count}`;
}
