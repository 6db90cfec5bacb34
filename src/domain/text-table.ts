/**
 * Left-aligned plain-text columns, two spaces apart; the first row is the header. Widths count
 * code points, so "→" and "−" in cells do not break the alignment.
 */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const width = (cell: string) => [...cell].length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, width(cell))));
  return rows
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell + " ".repeat(widths[column]! - width(cell)))).join("  "))
    .join("\n");
}
