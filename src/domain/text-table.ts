import { escapeControls } from "./markdown.js";

/**
 * Left-aligned plain-text columns, two spaces apart; the first row is the header. Widths count
 * code points, so "→" and "−" in cells do not break the alignment. A cell is one line: control
 * characters in it (a name with a line break or an escape sequence) show as escapes. `style`
 * may wrap a cell (already escaped) in terminal colours; widths are those of the plain text.
 */
export function alignColumns(table: readonly (readonly string[])[], style?: (cell: string, row: number, column: number) => string): string {
  const rows = table.map((row) => row.map(escapeControls));
  const width = (cell: string) => [...cell].length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, width(cell))));
  const styled = (cell: string, row: number, column: number) => (style ? style(cell, row, column) : cell);
  return rows
    .map((cells, row) =>
      cells.map((cell, column) => styled(cell, row, column) + (column === cells.length - 1 ? "" : " ".repeat(widths[column]! - width(cell)))).join("  "),
    )
    .join("\n");
}
