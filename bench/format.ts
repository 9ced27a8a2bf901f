/**
 * Text helpers shared by the single-run report (bench/run.ts) and the
 * repeated-run report (bench/repeat-format.ts), so both tables look alike.
 */

/** ns/op with three significant figures or so: `1402`, `40.1`, `8.98`. */
export function fmtNs(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * Lays out a table: the head, a rule of dashes, then the rows, columns
 * two spaces apart; `right[i]` right-aligns column i. Returns its lines.
 */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)];
}
