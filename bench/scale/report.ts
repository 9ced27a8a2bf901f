/**
 * The `scale` group's tables (one per question, each with a per-unit column
 * so linearity can be read off) and the growth curve of each DMA tracking
 * strategy: the exponent b of time ∝ k^b, fitted on log k / log time.
 */
import type { DmaTracking } from '@netmem/core';
import type { Spread } from './common.js';
import type { DestroyResult } from './destroy.js';
import type { PoolsResult } from './pools.js';
import type { RxQueuesResult } from './rx-queues.js';

/** How one strategy's costs grow with k. */
export interface Curve {
  tracking: DmaTracking;
  /** Sizes fitted. */
  sizes: number[];
  /** b in destroy time ∝ k^b (1: linear; ~0: does not depend on k), fitted over every size. */
  destroyExponent: number;
  /** The same exponent between each pair of consecutive sizes (where the curve bends). */
  destroySteps: number[];
  /** b in total late-return time ∝ k^b. */
  lateExponent: number;
  /** Largest ÷ smallest destroy ns per page over the sizes. */
  destroyPerPageSpread: number;
}

/** Least-squares slope of log y on log x. */
function logSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** The growth curve of each strategy measured at two sizes or more. */
export function curves(rows: readonly DestroyResult[]): Curve[] {
  const out: Curve[] = [];
  for (const tracking of [...new Set(rows.map((r) => r.tracking))]) {
    const rs = rows.filter((r) => r.tracking === tracking).sort((a, b) => a.k - b.k);
    if (rs.length < 2) continue;
    const ks = rs.map((r) => r.k);
    const perPage = rs.map((r) => r.destroyNsPerPage);
    out.push({
      tracking,
      sizes: ks,
      destroyExponent: logSlope(
        ks,
        rs.map((r) => r.destroyMs.median),
      ),
      destroySteps: rs.slice(1).map((r, i) => logSlope([rs[i].k, r.k], [rs[i].destroyMs.median, r.destroyMs.median])),
      lateExponent: logSlope(
        ks,
        rs.map((r) => r.lateNsPerPage.median * r.k),
      ),
      destroyPerPageSpread: Math.max(...perPage) / Math.min(...perPage),
    });
  }
  return out;
}

/** A number with 3 significant digits (thousands grouped above 999). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function range(s: Spread): string {
  return `${fmt(s.min)}–${fmt(s.max)}`;
}

/** Renders rows as an aligned text table (numbers right-aligned). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = (s: string): boolean => /^[-−+×]?[\d.,]/.test(s);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right(c) && i > 0 ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The destroy table. "arrays B/page" is the model's own typed-array bytes
 * per page: the strategy's ArrayBuffer growth minus `none`'s at the same k
 * (the domain, device and pool arrays cancel), when `none` was measured.
 */
export function destroyTable(rows: readonly DestroyResult[]): string {
  const none = new Map(rows.filter((r) => r.tracking === 'none').map((r) => [r.k, r.jsBytesPerPage]));
  const body = rows.map((r) => {
    const base = none.get(r.k);
    const js = base === undefined ? '–' : r.tracking === 'none' ? '0' : fmt(r.jsBytesPerPage - base);
    return [
      r.tracking,
      r.k.toLocaleString('en-US'),
      String(r.reps),
      fmt(r.destroyMs.median),
      range(r.destroyMs),
      fmt(r.destroyNsPerPage),
      fmt(r.lateNsPerPage.median),
      range(r.lateNsPerPage),
      `${r.unmapsAtDestroy.toLocaleString('en-US')} / ${r.unmapsLate.toLocaleString('en-US')}`,
      fmt(r.trackerBytesPerPage),
      js,
      fmt(r.peakRssMiB),
    ];
  });
  return table(
    [
      'tracking',
      'k in flight',
      'reps',
      'destroy ms',
      'range ms',
      'destroy ns/page',
      'late ns/page',
      'range',
      'unmaps destroy / late',
      'tracking B/page',
      'arrays B/page',
      'peak RSS MiB',
    ],
    body,
  );
}

/** A size in short form: 1k, 500k, 1M. */
function short(k: number): string {
  return k >= 1e6 && k % 1e6 === 0 ? `${k / 1e6}M` : k >= 1e3 && k % 1e3 === 0 ? `${k / 1e3}k` : String(k);
}

/** One line per strategy: the fitted exponent and what it says. */
export function curveLines(cs: readonly Curve[]): string[] {
  return cs.map((c) => {
    const b = c.destroyExponent;
    const kind = b < 0.5 ? 'about constant' : b < 0.85 ? 'sub-linear: fixed costs weigh at small k' : b <= 1.15 ? 'linear' : 'worse than linear';
    const steps = c.destroySteps.map((e, i) => `${short(c.sizes[i])}→${short(c.sizes[i + 1])} ${e.toFixed(2)}`).join(', ');
    return `  ${c.tracking.padEnd(10)} destroy ∝ k^${b.toFixed(2)} overall (${kind}; ns/page varies ${c.destroyPerPageSpread.toFixed(1)}×), by step: ${steps}; late returns in total ∝ k^${c.lateExponent.toFixed(2)}`;
  });
}

/** The pools table: both paths side by side, each against its 1-pool figure. */
export function poolsTable(rows: readonly PoolsResult[]): string {
  const counts = [...new Set(rows.map((r) => r.pools))].sort((a, b) => a - b);
  const get = (n: number, path: string): PoolsResult | undefined => rows.find((r) => r.pools === n && r.path === path);
  const one = { fast: get(counts[0], 'fast'), lookup: get(counts[0], 'lookup') };
  const body = counts.map((n) => {
    const f = get(n, 'fast');
    const l = get(n, 'lookup');
    return [
      String(n),
      f ? fmt(f.nsPerOp.median) : '–',
      f ? range(f.nsPerOp) : '–',
      f && one.fast ? `${(f.nsPerOp.median / one.fast.nsPerOp.median).toFixed(2)}×` : '–',
      l ? fmt(l.nsPerOp.median) : '–',
      l ? range(l.nsPerOp) : '–',
      l && one.lookup ? `${(l.nsPerOp.median / one.lookup.nsPerOp.median).toFixed(2)}×` : '–',
      f && l ? fmt(l.nsPerOp.median - f.nsPerOp.median) : '–',
      fmt(Math.max(f?.peakRssMiB ?? 0, l?.peakRssMiB ?? 0)),
    ];
  });
  return table(
    ['pools', 'fast ns/op', 'range', `÷ ${counts[0]} pool`, 'lookup ns/op', 'range', `÷ ${counts[0]} pool`, 'lookup − fast ns', 'peak RSS MiB'],
    body,
  );
}

/**
 * The rx table: per queue count, ns and packets/s with 256 descriptors per
 * queue (the buffers grow with the queues) and, as the control, with 256
 * over all queues (the buffers stay as many as with one queue); each
 * against the one-queue figure.
 */
export function rxTable(rows: readonly RxQueuesResult[]): string {
  const counts = [...new Set(rows.map((r) => r.queues))].sort((a, b) => a - b);
  const each = (q: number): RxQueuesResult | undefined => rows.find((r) => r.queues === q && r.ringSize === 256) ?? rows.find((r) => r.queues === q && q === 1);
  const shared = (q: number): RxQueuesResult | undefined => (q === counts[0] ? each(q) : rows.find((r) => r.queues === q && r.ringSize * q === 256));
  const base = each(counts[0]);
  const cells = (r: RxQueuesResult | undefined): string[] =>
    r
      ? [fmt(r.nsPerOp.median), range(r.nsPerOp), fmt(1e3 / r.nsPerOp.median), base ? `${(r.nsPerOp.median / base.nsPerOp.median).toFixed(2)}×` : '–']
      : ['–', '–', '–', '–'];
  const body = counts.map((q) => [String(q), ...cells(each(q)), ...cells(shared(q)), fmt(Math.max(each(q)?.peakRssMiB ?? 0, shared(q)?.peakRssMiB ?? 0))]);
  return table(
    [
      'rx queues',
      'ns/packet',
      'range',
      'M pkt/s',
      `÷ ${counts[0]} queue`,
      'ns/packet, 256 desc total',
      'range',
      'M pkt/s',
      `÷ ${counts[0]} queue`,
      'peak RSS MiB',
    ],
    body,
  );
}
