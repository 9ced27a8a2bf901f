/**
 * Summaries of repeated benchmark runs (`pnpm bench --repeat N`): per case,
 * ratio and target, the median over the runs and the spread (the smallest
 * and largest run). Pure functions of the runs' results, so the numbers can
 * be checked without running anything.
 */
import { evaluateTargets, ratios, type TargetOutcome } from './targets.js';
import type { BenchResult } from './types.js';

/** Median, min and max of some runs' values. */
export interface Spread {
  /** Median over the runs that produced a value (NaN when none did). */
  median: number;
  /** Smallest of those values. */
  min: number;
  /** Largest of those values. */
  max: number;
  /** How many runs produced a value (a case that threw, or a skipped target, gives none). */
  runs: number;
}

/** One case over the runs: `median`/`min`/`max` are of the runs' median ns/op. */
export interface CaseSummary extends Spread {
  /** Case name. */
  name: string;
  /** Case title. */
  title: string;
  /** Median of the runs' GC event counts. */
  gcEvents: number;
  /** Runs whose path check failed. */
  failedChecks: number;
  /** The path check in a few words: the runs' common text, or how many failed and the first failure. */
  check: string;
}

/** One ratio (numerator ns/op ÷ denominator ns/op) over the runs. */
export interface RatioSummary extends Spread {
  /** `num / den`. */
  name: string;
  /** How to read it. */
  note: string;
}

/** One target over the runs: `median`/`min`/`max` are of the per-run {@link TargetOutcome.value}. */
export interface TargetSummary extends Spread {
  /** What the target says. */
  target: string;
  /** Unit of the values (see {@link TargetOutcome.unit}). */
  unit: string;
  /** Runs in which the target was met (PASS); `runs` counts those where it was evaluated (not SKIP). */
  met: number;
  /** PASS when met in every evaluated run, FAIL in none, MIXED in some, SKIP when never evaluated. */
  status: 'PASS' | 'FAIL' | 'MIXED' | 'SKIP';
}

/** Every summary of one Node version's runs. */
export interface Summary {
  /** Runs summarised. */
  runs: number;
  /** Per case, in first-seen order. */
  cases: CaseSummary[];
  /** Per ratio whose cases ran. */
  ratios: RatioSummary[];
  /** Per target, in the targets' order. */
  targets: TargetSummary[];
}

/** Median of `xs` (the mean of the middle two for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median, min and max of the values that are numbers (NaN marks a run without one). */
export function spread(xs: readonly number[]): Spread {
  const v = xs.filter((x) => !Number.isNaN(x));
  if (v.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), runs: v.length };
}

/** Groups values by key in first-seen order. */
function byKey<T>(runs: readonly (readonly T[])[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const run of runs) {
    for (const t of run) {
      const k = key(t);
      const list = m.get(k);
      if (list) list.push(t);
      else m.set(k, [t]);
    }
  }
  return m;
}

/** Per case: the median of the runs' median ns/op, their min and max, and the median GC count. `runs[i]` is run i's results. */
export function summarizeCases(runs: readonly (readonly BenchResult[])[]): CaseSummary[] {
  return [...byKey(runs, (r) => r.name)].map(([name, rs]) => {
    const failed = rs.filter((r) => r.check.startsWith('failed'));
    const same = rs.every((r) => r.check === rs[0].check);
    // Notes such as a worker's wait count differ from run to run; the JSON keeps each run's.
    const check = failed.length > 0 ? `failed in ${failed.length} of ${rs.length} runs: ${failed[0].check}` : same ? rs[0].check : 'ok (notes differ by run)';
    return {
      name,
      title: rs[0].title,
      ...spread(rs.map((r) => r.nsPerOp)),
      gcEvents: median(rs.map((r) => r.gcEvents)),
      failedChecks: failed.length,
      check,
    };
  });
}

/** Per ratio: median, min and max over the runs. `runs[i]` is run i's `ratios()`. */
export function summarizeRatios(runs: readonly (readonly { name: string; ratio: number; note: string }[])[]): RatioSummary[] {
  return [...byKey(runs, (r) => r.name)].map(([name, rs]) => ({ name, note: rs[0].note, ...spread(rs.map((r) => r.ratio)) }));
}

/** Per target: median, min and max of its value and in how many runs it was met. `runs[i]` is run i's `evaluateTargets()`. */
export function summarizeTargets(runs: readonly (readonly TargetOutcome[])[]): TargetSummary[] {
  return [...byKey(runs, (t) => t.target)].map(([target, ts]) => {
    const evaluated = ts.filter((t) => t.status !== 'SKIP');
    const met = evaluated.filter((t) => t.status === 'PASS').length;
    const status = evaluated.length === 0 ? 'SKIP' : met === evaluated.length ? 'PASS' : met === 0 ? 'FAIL' : 'MIXED';
    // A FAIL whose value is NaN (e.g. 0/0 GC events) still counts as a run: `runs` is the evaluated runs, not the numeric ones.
    return { target, unit: ts[0].unit, ...spread(evaluated.map((t) => t.value)), runs: evaluated.length, met, status };
  });
}

/** Summarises runs of every selected group: `runs[i]` is every result of run i (all groups). */
export function summarize(runs: readonly (readonly BenchResult[])[]): Summary {
  return {
    runs: runs.length,
    cases: summarizeCases(runs),
    ratios: summarizeRatios(runs.map((r) => ratios(r))),
    targets: summarizeTargets(runs.map((r) => evaluateTargets(r))),
  };
}
