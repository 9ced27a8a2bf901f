/**
 * Small inline SVG line charts for the HTML report: no script, no external
 * resource, readable without a network. Each series is a polyline over
 * equally spaced buckets; markers are vertical lines with a label (destroy,
 * retries, freed). Points carry `<title>` tooltips through their series.
 */

/** One line of a chart. */
export interface Series {
  /** Legend text. */
  label: string;
  /** CSS colour. */
  color: string;
  /** One value per bucket. */
  values: number[];
}

/** A vertical marker. */
export interface Marker {
  /** Position, in the chart's x unit (seconds). */
  x: number;
  /** Short label. */
  label: string;
  /** CSS colour. */
  color: string;
  /** Dashed line. */
  dashed?: boolean;
}

/** A chart to draw. */
export interface ChartSpec {
  /** Title above the plot. */
  title: string;
  /** x of bucket 0 (seconds) and the bucket width. */
  x0: number;
  /** See {@link x0}. */
  dx: number;
  /** The lines. */
  series: Series[];
  /** Vertical markers. */
  markers?: Marker[];
  /** y axis unit. */
  yUnit: string;
}

const W = 860;
const H = 220;
const L = 64;
const R = 52;
const T = 28;
const B = 36;

/** Escapes text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, '');
}

/** Renders one chart as an `<svg>` element. */
export function lineChart(c: ChartSpec): string {
  const n = Math.max(1, ...c.series.map((s) => s.values.length));
  const span = Math.max(c.dx * n, 1e-6);
  const markers = c.markers ?? [];
  const xEnd = Math.max(c.x0 + span, ...markers.map((m) => m.x + c.dx));
  const xs = (x: number): number => L + ((x - c.x0) / (xEnd - c.x0)) * (W - L - R);
  const ymax = niceMax(Math.max(0, ...c.series.flatMap((s) => s.values)));
  const ys = (y: number): number => T + (1 - y / ymax) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}">`);
  parts.push(`<text x="${L}" y="16" class="ct">${esc(c.title)}</text>`);
  // Axes and grid.
  for (let k = 0; k <= 4; k++) {
    const y = ys((ymax * k) / 4);
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${L - 6}" y="${(y + 4).toFixed(1)}" class="ax" text-anchor="end">${fmt((ymax * k) / 4)}</text>`);
  }
  for (let k = 0; k <= 5; k++) {
    const x = c.x0 + ((xEnd - c.x0) * k) / 5;
    parts.push(`<text x="${xs(x).toFixed(1)}" y="${H - B + 16}" class="ax" text-anchor="middle">${x.toFixed(2)}</text>`);
  }
  parts.push(`<text x="${W - R}" y="${H - 4}" class="ax" text-anchor="end">seconds</text>`);
  parts.push(`<text x="4" y="${T - 8}" class="ax">${esc(c.yUnit)}</text>`);
  // Markers.
  for (const m of markers) {
    const x = xs(m.x).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${T}" y2="${H - B}" stroke="${m.color}" stroke-width="1.5"${m.dashed ? ' stroke-dasharray="4 3"' : ''}><title>${esc(m.label)} at ${m.x.toFixed(6)} s</title></line>`,
    );
    parts.push(`<text x="${x}" y="${T - 2}" class="mk" fill="${m.color}" text-anchor="middle">${esc(m.label)}</text>`);
  }
  // Series (step lines: each bucket spans its width).
  let legendX = W - R - c.series.reduce((w, s) => w + 24 + s.label.length * 7, 0);
  for (const s of c.series) {
    const pts: string[] = [];
    s.values.forEach((v, i) => {
      const y = ys(v).toFixed(1);
      pts.push(`${xs(c.x0 + i * c.dx).toFixed(1)},${y}`, `${xs(c.x0 + (i + 1) * c.dx).toFixed(1)},${y}`);
    });
    const peak = Math.max(0, ...s.values);
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${pts.join(' ')}"><title>${esc(s.label)} (peak ${fmt(peak)})</title></polyline>`,
    );
    parts.push(`<rect x="${legendX}" y="8" width="12" height="3" fill="${s.color}"/><text x="${legendX + 16}" y="13" class="ax">${esc(s.label)}</text>`);
    legendX += 24 + s.label.length * 7;
  }
  parts.push('</svg>');
  return parts.join('');
}
