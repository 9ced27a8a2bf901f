/**
 * Inline SVG charts for the demo report: a step chart over time (stacked
 * areas and lines on one axis) and a bar chart. No script, no font, no
 * external resource. Every drawn series carries `data-json` (where its
 * values are in the JSON report), `data-last` / `data-last-t` (its last
 * point) and `data-points` (its point count), so a test can compare the
 * chart with the JSON.
 */

/** Escapes text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One drawn column of a series. */
export interface Trace {
  /** Legend text. */
  label: string;
  /** CSS colour. */
  color: string;
  /** Values, parallel to the chart's `t`. */
  values: readonly number[];
  /** Where `values` is in the JSON report (a dotted path). */
  json: string;
}

/** A chart of counts over time. */
export interface TimeChart {
  title: string;
  /** Sample times, ms. */
  t: readonly number[];
  /** Where `t` is in the JSON report. */
  jsonT: string;
  /** The x axis ends here (ms): the example's duration, so its charts line up. */
  tEnd: number;
  /** x axis caption. */
  xUnit: string;
  /** y axis caption. */
  yUnit: string;
  /** Stacked areas, bottom first (all-zero ones are left out). */
  areas: Trace[];
  /** Lines drawn over the areas. */
  lines: Trace[];
}

const W = 860;
const H = 244;
const L = 56;
const R = 20;
const T = 44;
const B = 34;
const PLOT_W = W - L - R;

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v.toFixed(2).replace(/\.?0+$/, '');
}

/**
 * Indices to draw: per pixel column its first sample, the one with the
 * largest total (so peaks show) and its last (so the value carried on to
 * the next column is the true one). Thousands of points become at most
 * three per pixel.
 */
function pixelIndices(xs: readonly number[], total: (i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; ) {
    const col = Math.floor(xs[i]);
    let j = i;
    let peak = i;
    while (j + 1 < xs.length && Math.floor(xs[j + 1]) === col) {
      j++;
      if (total(j) > total(peak)) peak = j;
    }
    out.push(i);
    if (peak !== i && peak !== j) out.push(peak);
    if (j !== i) out.push(j);
    i = j + 1;
  }
  return out;
}

/** Step vertices: each value holds until the next sample, the last until `xEnd`. */
function steps(idx: readonly number[], xs: readonly number[], ys: (i: number) => number, xEnd: number): [number, number][] {
  const pts: [number, number][] = [];
  idx.forEach((i, k) => {
    if (k > 0) pts.push([xs[i], ys(idx[k - 1])]);
    pts.push([xs[i], ys(i)]);
  });
  if (idx.length > 0) pts.push([xEnd, ys(idx[idx.length - 1])]);
  return pts;
}

function d(pts: readonly [number, number][]): string {
  return pts.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

function dataAttrs(tr: Trace, c: TimeChart): string {
  const n = tr.values.length;
  const last = n > 0 ? ` data-last="${tr.values[n - 1]}" data-last-t="${c.t[n - 1]}"` : '';
  return ` data-json="${esc(tr.json)}" data-json-t="${esc(c.jsonT)}" data-points="${n}"${last}`;
}

/** Renders a time chart as an `<svg>`. */
export function timeChart(c: TimeChart): string {
  const areas = c.areas.filter((a) => a.values.some((v) => v !== 0));
  const n = c.t.length;
  const tEnd = Math.max(c.tEnd, n > 0 ? c.t[n - 1] : 0, 1e-3);
  const x = (t: number): number => L + (t / tEnd) * PLOT_W;
  const xs = c.t.map(x);
  const stackTop = (i: number): number => areas.reduce((s, a) => s + a.values[i], 0);
  const total = (i: number): number => Math.max(stackTop(i), ...c.lines.map((l) => l.values[i]));
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, total(i));
  const ymax = niceMax(top);
  const y = (v: number): number => T + (1 - v / ymax) * (H - T - B);
  const idx = pixelIndices(xs, total);
  const xEnd = x(tEnd);
  const h: string[] = [];
  h.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}">`);
  h.push(`<text x="${L}" y="16" class="ct">${esc(c.title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const yy = y((ymax * k) / 4).toFixed(1);
    h.push(
      `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" class="grid"/><text x="${L - 6}" y="${(Number(yy) + 4).toFixed(1)}" class="ax" text-anchor="end">${fmt((ymax * k) / 4)}</text>`,
    );
  }
  for (let k = 0; k <= 5; k++) {
    const t = (tEnd * k) / 5;
    h.push(`<text x="${x(t).toFixed(1)}" y="${H - B + 15}" class="ax" text-anchor="middle">${fmt(t)}</text>`);
  }
  h.push(`<text x="${W - R}" y="${H - 3}" class="ax" text-anchor="end">${esc(c.xUnit)}</text><text x="4" y="${T - 8}" class="ax">${esc(c.yUnit)}</text>`);
  // Areas, stacked bottom first: each is the band between the sum below it and the sum with it.
  let below: (i: number) => number = () => 0;
  for (const a of areas) {
    const base = below;
    const upper = (i: number): number => base(i) + a.values[i];
    const outline = steps(idx, xs, (i) => y(upper(i)), xEnd);
    const floor = steps(idx, xs, (i) => y(base(i)), xEnd).reverse();
    h.push(
      `<path class="area" fill="${a.color}" fill-opacity="0.55" stroke="none"${dataAttrs(a, c)} d="${d([...outline, ...floor])}Z"><title>${esc(a.label)}</title></path>`,
    );
    below = upper;
  }
  for (const l of c.lines) {
    h.push(
      `<path class="line" fill="none" stroke="${l.color}" stroke-width="1.6"${dataAttrs(l, c)} d="${d(steps(idx, xs, (i) => y(l.values[i]), xEnd))}"><title>${esc(l.label)}</title></path>`,
    );
  }
  // Legend: its own row under the title, right-aligned.
  const shown = [...c.lines, ...areas];
  let lx = W - R - shown.reduce((w, s) => w + 22 + s.label.length * 6.5, 0);
  for (const s of shown) {
    h.push(
      `<rect x="${lx.toFixed(1)}" y="22" width="12" height="8" fill="${s.color}"/><text x="${(lx + 15).toFixed(1)}" y="30" class="ax">${esc(s.label)}</text>`,
    );
    lx += 22 + s.label.length * 6.5;
  }
  h.push('</svg>');
  return h.join('');
}

/** One bar. */
export interface Bar {
  label: string;
  value: number;
  color: string;
  /** Where the value is in the JSON report. */
  json: string;
}

/** Renders horizontal bars with their values (a bar of 0 is a tick). */
export function barChart(title: string, bars: readonly Bar[]): string {
  const rowH = 22;
  const h0 = 26;
  const height = h0 + rowH * bars.length + 8;
  const labelW = 150;
  const plotW = 420;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const out: string[] = [
    `<svg class="chart bars" viewBox="0 0 ${labelW + plotW + 80} ${height}" width="${labelW + plotW + 80}" height="${height}" role="img" aria-label="${esc(title)}">`,
  ];
  out.push(`<text x="8" y="16" class="ct">${esc(title)}</text>`);
  bars.forEach((b, k) => {
    const yy = h0 + k * rowH;
    const w = Math.max(1, (b.value / max) * plotW);
    out.push(`<text x="${labelW - 6}" y="${yy + 14}" class="ax" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${labelW}" y="${yy + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color}"/>`);
    out.push(`<text x="${(labelW + w + 6).toFixed(1)}" y="${yy + 14}" class="ax" data-json="${esc(b.json)}">${b.value}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
