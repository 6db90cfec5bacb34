import { escapeControls } from "./markdown.js";

/**
 * Left-aligned plain-text columns, two spaces apart; the first row is the header. Widths count
 * code points, so "→" and "−" in cells do not break the alignment. A cell is one line: control
 * characters in it (a name with a line break or an escape sequence) show as escapes.
 */
export function alignColumns(table: readonly (readonly string[])[]): string {
  const rows = table.map((row) => row.map(escapeControls));
  const width = (cell: string) => [...cell].length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, width(cell))));
  return rows
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell + " ".repeat(widths[column]! - width(cell)))).join("  "))
    .join("\n");
}
