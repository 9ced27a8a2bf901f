/**
 * `pnpm bench --repeat N`: the summaries of repeated runs (median, min, max,
 * met in k of N) from fabricated per-run results, then one tiny real run of
 * two cases, twice, under the running node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fmtRange, fmtValue, targetLines } from '../bench/repeat-format.js';
import type { NodeReport } from '../bench/repeat.js';
import { median, summarize, summarizeCases, summarizeRatios, summarizeTargets } from '../bench/summary.js';
import type { TargetOutcome } from '../bench/targets.js';
import type { BenchResult } from '../bench/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A result with just the fields the summaries read. */
function res(name: string, nsPerOp: number, gcEvents = 0, check = 'ok'): BenchResult {
  return { name, title: `${name} title`, nsPerOp, opsPerSec: 1e9 / nsPerOp, minNsPerOp: nsPerOp, maxNsPerOp: nsPerOp, gcEvents, ops: 4096, rounds: 2, check };
}

function target(name: string, status: TargetOutcome['status'], value: number, unit = '×'): TargetOutcome {
  return { target: name, measured: `${value}${unit}`, status, value, unit };
}

describe('bench --repeat summaries', () => {
  it('median of odd and even counts, NaN when empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('per case: median of the runs’ medians, their min and max, median GC count, path checks', () => {
    const cases = summarizeCases([
      [res('a', 10, 0), res('b', 100, 4, 'ok (n 1)')],
      [res('a', 30, 2), res('b', Number.NaN, 0, 'failed: threw boom')],
      [res('a', 20, 1), res('b', 300, 6, 'ok (n 2)')],
    ]);
    expect(cases).toEqual([
      { name: 'a', title: 'a title', median: 20, min: 10, max: 30, runs: 3, gcEvents: 1, failedChecks: 0, check: 'ok' },
      // The run that threw has no ns/op: two runs counted, and its failure is reported.
      {
        name: 'b',
        title: 'b title',
        median: 200,
        min: 100,
        max: 300,
        runs: 2,
        gcEvents: 4,
        failedChecks: 1,
        check: 'failed in 1 of 3 runs: failed: threw boom',
      },
    ]);
    expect(summarizeCases([[res('c', 1, 0, 'ok (x 1)')], [res('c', 1, 0, 'ok (x 2)')]])[0].check).toBe('ok (notes differ by run)');
  });

  it('per ratio: median, min, max', () => {
    const r = (ratio: number) => [{ name: 'p / q', ratio, note: 'n' }];
    expect(summarizeRatios([r(1.5), r(0.5), r(4), r(2)])).toEqual([{ name: 'p / q', note: 'n', median: 1.75, min: 0.5, max: 4, runs: 4 }]);
  });

  it('per target: median, min, max of the value and met in k of N (SKIP runs not counted)', () => {
    const t = summarizeTargets([
      [target('T', 'PASS', 1.2), target('G', 'PASS', 0, ''), target('S', 'SKIP', Number.NaN)],
      [target('T', 'FAIL', 1.6), target('G', 'PASS', 0, ''), target('S', 'SKIP', Number.NaN)],
      [target('T', 'PASS', 1.4), target('G', 'SKIP', Number.NaN, ''), target('S', 'SKIP', Number.NaN)],
    ]);
    expect(t).toEqual([
      { target: 'T', unit: '×', median: 1.4, min: 1.2, max: 1.6, runs: 3, met: 2, status: 'MIXED' },
      { target: 'G', unit: '', median: 0, min: 0, max: 0, runs: 2, met: 2, status: 'PASS' },
      { target: 'S', unit: '×', median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0, met: 0, status: 'SKIP' },
    ]);
    expect(summarizeTargets([[target('F', 'FAIL', 3)], [target('F', 'FAIL', 5)]])[0]).toMatchObject({ median: 4, met: 0, runs: 2, status: 'FAIL' });
  });

  it('summarize evaluates the real ratios and targets per run', () => {
    // fast_path / baseline_freelist: 1.5 (PASS, ≤ 1.5), 2.25 (FAIL), 1 (PASS).
    const s = summarize([
      [res('fast_path', 6), res('baseline_freelist', 4)],
      [res('fast_path', 9, 1), res('baseline_freelist', 4)],
      [res('fast_path', 5), res('baseline_freelist', 5)],
    ]);
    expect(s.runs).toBe(3);
    expect(s.ratios).toEqual([{ name: 'fast_path / baseline_freelist', note: 'pool fast path vs a bare freelist', median: 1.5, min: 1, max: 2.25, runs: 3 }]);
    const byName = new Map(s.targets.map((t) => [t.target, t]));
    expect(byName.get('fast_path ≤ 1.5× baseline_freelist')).toEqual({
      target: 'fast_path ≤ 1.5× baseline_freelist',
      unit: '×',
      median: 1.5,
      min: 1,
      max: 2.25,
      runs: 3,
      met: 2,
      status: 'MIXED',
    });
    expect(byName.get('fast_path: 0 GC events')).toEqual({
      target: 'fast_path: 0 GC events',
      unit: '',
      median: 0,
      min: 0,
      max: 1,
      runs: 3,
      met: 2,
      status: 'MIXED',
    });
    expect(byName.get('ptr_ring ≤ 3× baseline_ring')?.status).toBe('SKIP');
    const lines = targetLines(s).join('\n');
    expect(lines).toMatch(/MIXED\s+fast_path ≤ 1\.5× baseline_freelist\s+1\.50×\s+1\.00–2\.25×\s+met in 2 of 3 runs/);
    expect(lines).toMatch(/SKIP\s+ptr_ring ≤ 3× baseline_ring\s+-\s+skipped/);
  });

  it('formats values and ranges with the unit once', () => {
    expect(fmtValue(2.734, ' M/s')).toBe('2.73 M/s');
    expect(fmtValue(0.5, '')).toBe('0.5');
    expect(fmtValue(Number.NaN, '×')).toBe('-');
    expect(fmtRange(1, 2.25, '×')).toBe('1.00–2.25×');
    expect(fmtRange(0, 0, '')).toBe('0');
  });
});

describe('bench --repeat end to end', () => {
  it('runs two cases twice in fresh processes and reports k of 2 per target, with the raw runs in the JSON', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netmem-bench-repeat-'));
    try {
      const json = path.join(dir, 'out.json');
      const args = ['--repeat', '2', '--filter', 'fast_path,baseline_freelist', '--ops', '4096', '--rounds', '2', '--warmup', '1', '--json', json];
      const r = spawnSync(process.execPath, ['--conditions=@netmem/source', '--import', 'tsx', '--expose-gc', 'bench/run.ts', ...args], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`=== node ${process.version}: 2 runs of every group ===`);
      expect(r.stdout).toMatch(/fast_path ≤ 1\.5× baseline_freelist .*met in [0-2] of 2 runs/);
      expect(r.stdout).toMatch(/fast_path: 0 GC events .*met in [0-2] of 2 runs/);
      expect(r.stdout).toMatch(/ptr_ring ≤ 3× baseline_ring .*skipped/);

      const out = JSON.parse(readFileSync(json, 'utf8')) as { options: { repeat: number }; nodes: NodeReport[] };
      expect(out.options.repeat).toBe(2);
      expect(out.nodes.map((n) => n.node)).toEqual([process.version]);
      const [n] = out.nodes;
      expect(n.runs.map((run) => run.run)).toEqual([1, 2]);
      for (const run of n.runs) {
        expect(run.groups.map((g) => g.group)).toEqual(['page-pool']);
        expect(run.groups[0].results.map((c) => c.name)).toEqual(['fast_path', 'baseline_freelist']);
        expect(run.groups[0].results.every((c) => c.check.startsWith('ok'))).toBe(true);
        expect(run.targets.find((t) => t.target === 'fast_path ≤ 1.5× baseline_freelist')?.value).toBeGreaterThan(0);
      }
      expect(n.summary.runs).toBe(2);
      expect(n.summary.cases.map((c) => [c.name, c.runs])).toEqual([
        ['fast_path', 2],
        ['baseline_freelist', 2],
      ]);
      // The summary agrees with the raw runs it came from.
      const t = n.summary.targets.find((x) => x.target === 'fast_path ≤ 1.5× baseline_freelist')!;
      const values = n.runs.map((run) => run.targets.find((x) => x.target === t.target)!);
      expect(t.runs).toBe(2);
      expect(t.met).toBe(values.filter((v) => v.status === 'PASS').length);
      expect(t.min).toBe(Math.min(...values.map((v) => v.value)));
      expect(t.max).toBe(Math.max(...values.map((v) => v.value)));
      expect(t.median).toBeCloseTo((values[0].value + values[1].value) / 2, 12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
