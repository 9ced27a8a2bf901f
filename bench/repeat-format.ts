/**
 * The report of repeated runs (`pnpm bench --repeat N [--node 20,22]`): per
 * Node version a table of the cases (median ns/op of the runs and the
 * spread of the runs' medians), the ratios and the targets (median value,
 * min–max, met in k of N runs); with several versions, a last table of the
 * targets side by side.
 */
import { fmtNs, formatTable } from './format.js';
import type { Summary, TargetSummary } from './summary.js';

/** A value's digits without its unit: two decimals, or a count (a median count may end in .5). */
function num(v: number, unit: string): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (unit === '') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return v.toFixed(2);
}

/** A target's value with its unit: `1.42×`, `2.73 M/s`, `0`, `0.5` (a median count); `-` when none. */
export function fmtValue(v: number, unit: string): string {
  return Number.isNaN(v) ? '-' : `${num(v, unit)}${unit}`;
}

/** `1.38–1.47×`: the unit once; the one value when every run agrees; empty when no run had a value. */
export function fmtRange(lo: number, hi: number, unit: string): string {
  if (Number.isNaN(lo)) return '';
  const a = num(lo, unit);
  const b = num(hi, unit);
  return a === b ? `${a}${unit}` : `${a}–${b}${unit}`;
}

/** The case table of one Node version's runs. */
export function caseLines(s: Summary): string[] {
  const rows = s.cases.map((c) => [
    c.name,
    fmtNs(c.median),
    `${fmtNs(c.min)}–${fmtNs(c.max)}`,
    (1e3 / c.median).toFixed(1),
    fmtValue(c.gcEvents, ''),
    `${c.runs}`,
    c.check,
  ]);
  return formatTable(['case', 'ns/op', 'runs min–max', 'Mops/s', 'GC', 'runs', 'path check'], rows, [false, true, true, true, true, true, false]);
}

/** The ratio lines of one Node version's runs. */
export function ratioLines(s: Summary): string[] {
  if (s.ratios.length === 0) return [];
  const rows = s.ratios.map((r) => ['', r.name, fmtValue(r.median, '×'), fmtRange(r.min, r.max, '×'), r.note]);
  return [`ratios (ns/op ÷ ns/op): median of ${s.runs} runs, min–max`, ...formatTable(['', '', '', '', ''], rows, [false, false, true, true, false]).slice(2)];
}

/** "met in k of N runs", or `skipped` when a case it needs never ran. */
function metText(t: TargetSummary): string {
  return t.status === 'SKIP' ? 'skipped' : `met in ${t.met} of ${t.runs} runs`;
}

/** The target lines of one Node version's runs: status, target, median, min–max, met in k of N runs. */
export function targetLines(s: Summary): string[] {
  const rows = s.targets.map((t) => ['', t.status, t.target, fmtValue(t.median, t.unit), fmtRange(t.min, t.max, t.unit), metText(t)]);
  return [
    `targets: median of ${s.runs} runs, min–max, runs that met it (reported only; a miss does not fail the run)`,
    ...formatTable(['', '', '', '', '', ''], rows, [false, false, false, true, true, false]).slice(2),
  ];
}

/** Every section for one Node version, under a `=== node vX: N runs ===` heading. */
export function nodeReportLines(version: string, s: Summary): string[] {
  const out = [`=== node ${version}: ${s.runs} run${s.runs === 1 ? '' : 's'} of every group ===`, '', ...caseLines(s)];
  const rl = ratioLines(s);
  if (rl.length > 0) out.push('', ...rl);
  out.push('', ...targetLines(s));
  return out;
}

/** Targets of several Node versions side by side: "k of N" (and the median value) per version; targets skipped everywhere are left out. */
export function crossVersionLines(nodes: readonly { version: string; summary: Summary }[]): string[] {
  const names = nodes[0]?.summary.targets.map((t) => t.target) ?? [];
  const rows: string[][] = [];
  for (const name of names) {
    const per = nodes.map((n) => n.summary.targets.find((t) => t.target === name));
    if (per.every((t) => !t || t.status === 'SKIP')) continue;
    rows.push([name, ...per.map((t) => (!t || t.status === 'SKIP' ? '-' : `${t.met} of ${t.runs}  ${fmtValue(t.median, t.unit)}`))]);
  }
  if (rows.length === 0) return [];
  const head = ['', 'target', ...nodes.map((n) => `node ${n.version}`)];
  return [
    'targets by Node version: met in k of N runs, median value',
    ...formatTable(
      head,
      rows.map((r) => ['', ...r]),
      head.map(() => false),
    ),
  ];
}
