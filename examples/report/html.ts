/**
 * `npm run demo -- --html FILE`: the demo report as one self-contained page
 * (inline CSS and SVG, no script, nothing fetched when it is viewed). Per
 * example: its result line, a table of every pool's final figures and
 * stats, each pool's netmems in flight over time by place, each DMA
 * device's live mappings and faults, and the pools of any kernel capture
 * it read. Every figure taken from the report carries `data-json` (its
 * path in the JSON report), so a test can check the page against the JSON.
 */
import { barChart, esc, timeChart, type Trace } from './svg.js';
import type { DemoReport, DeviceRecord, ExampleRecord, PoolRecord, TracePoolRecord } from './types.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;background:#fbfbfd;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 6px;border-bottom:1px solid #d9dce3;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:#5b6272}.summary{margin:4px 0 8px}
table{border-collapse:collapse;margin:6px 0 10px}td,th{padding:3px 9px;border-bottom:1px solid #e6e8ee;text-align:right;white-space:nowrap}
th{background:#eef0f5;font-weight:600}td.l,th.l{text-align:left}td.wrap{white-space:normal}.wide{overflow-x:auto}
.chart{display:block;background:#fff;border:1px solid #e0e3ea;border-radius:6px;margin:8px 0}
.chart .grid{stroke:#eceef3}.chart .ax{font-size:11px;fill:#5b6272}.chart .ct{font-size:13px;font-weight:600;fill:#1d2330}
.ok{color:#1a7f37;font-weight:600}.bad{color:#b3261e;font-weight:600}ul{margin:4px 0 10px 18px;padding:0}code{background:#eef0f5;padding:0 3px;border-radius:3px}
`;

/** Colours of the ledger's places (and of the unchecked view's three). */
const PLACE_COLORS: Record<string, string> = {
  cache: '#1a7f37',
  ring: '#0b57d0',
  'handed-out': '#c77700',
  'driver-ring': '#7b1fa2',
  skb: '#00838f',
  socket: '#b3261e',
  user: '#6d4c41',
  'frag-page': '#9e9d24',
};
const OTHER_COLOR = '#78909c';
/** A pool still live at the end is the example's choice; one waiting on buffers is worth a look. */
const STATE_CLASS = { freed: 'ok', live: '', detached: 'bad' } as const;
const INFLIGHT_COLOR = '#1d2330';
const FAULT_COLORS: Record<string, string> = {
  'unmapped-access': '#b3261e',
  'double-unmap': '#c2410c',
  'direction-mismatch': '#7b1fa2',
  'device-gone': '#5d4037',
};
const WALL_AXIS = 'ms since the example started (wall clock)';
const CAPTURE_AXIS = "ms since the capture's first event";
/** info() fields shown in their own columns; the provider's fields follow as text. */
const INFO_COLUMNS = new Set(['id', 'inflight', 'inflightMem', 'ifindex', 'napiId', 'detachTime', 'places']);

/** A table cell holding a report figure. */
function cell(path: string, value: number | string | boolean, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''} data-json="${esc(path)}">${esc(String(value))}</td>`;
}

/** A figure inside text. */
function span(path: string, value: number | string): string {
  return `<span data-json="${esc(path)}">${esc(String(value))}</span>`;
}

function optional(path: string, value: number | undefined): string {
  return value === undefined ? '<td>-</td>' : cell(path, value);
}

/** The provider's own info() fields and the ledger's places, as `name value` pairs. */
function infoExtras(k: string, info: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(info)) {
    if (INFO_COLUMNS.has(name)) continue;
    parts.push(
      typeof value === 'number' || typeof value === 'string'
        ? `${esc(name)} ${span(`${k}.${name}`, value)}`
        : `${esc(name)} <code>${esc(JSON.stringify(value))}</code>`,
    );
  }
  const places = info.places as Record<string, number> | undefined;
  if (places !== undefined) {
    const ps = Object.entries(places).map(([name, n]) => `${esc(name)} ${span(`${k}.places.${name}`, n)}`);
    parts.push(`places: ${ps.length > 0 ? ps.join(', ') : 'none'}`);
  }
  return parts.join(' · ');
}

function poolName(p: PoolRecord, domains: number): string {
  return `pool ${p.id}${domains > 1 ? ` of domain ${p.domain}` : ''}`;
}

function poolTables(e: ExampleRecord, i: number): string {
  const h: string[] = [];
  h.push(
    '<div class="wide"><table><tr><th class="l">pool</th><th class="l">provider</th><th>order</th><th class="l">queue</th><th class="l">DMA device</th><th class="l">tracking</th><th class="l">state</th><th>in flight</th><th>peak</th><th>hold</th><th>release</th><th>cache</th><th>ring</th></tr>',
  );
  e.pools.forEach((p, j) => {
    const k = `examples.${i}.pools.${j}`;
    const f = p.final;
    h.push(
      `<tr><td class="l">${esc(poolName(p, e.domains))}</td>${cell(`${k}.provider`, p.provider, 'l')}${cell(`${k}.order`, p.order)}<td class="l">${esc(p.queue ?? '-')}</td><td class="l">${esc(p.device ?? '-')}</td>${cell(`${k}.dmaTracking`, p.dmaTracking, 'l')}` +
        `${cell(`${k}.final.state`, f.state, `l ${STATE_CLASS[f.state]}`)}${cell(`${k}.final.inflight`, f.inflight)}${cell(`${k}.peakInflight`, p.peakInflight)}${cell(`${k}.final.holdCount`, f.holdCount)}${cell(`${k}.final.releaseCount`, f.releaseCount)}` +
        `${cell(`${k}.final.cacheSize`, f.cacheSize)}${cell(`${k}.final.ringLength`, f.ringLength)}</tr>`,
    );
  });
  h.push('</table></div>');
  h.push(
    '<div class="wide"><table><tr><th class="l">pool</th><th>alloc fast</th><th>slow</th><th>slow high-order</th><th>empty</th><th>refill</th><th>waive</th><th>recycle cached</th><th>cache full</th><th>ring</th><th>ring full</th><th>released (refcnt)</th></tr>',
  );
  e.pools.forEach((p, j) => {
    const k = `examples.${i}.pools.${j}.final.stats`;
    const cells = [
      ...Object.entries(p.final.stats.alloc).map(([n, v]) => cell(`${k}.alloc.${n}`, v)),
      ...Object.entries(p.final.stats.recycle).map(([n, v]) => cell(`${k}.recycle.${n}`, v)),
    ];
    h.push(`<tr><td class="l">${esc(poolName(p, e.domains))}</td>${cells.join('')}</tr>`);
  });
  h.push('</table></div>');
  h.push(
    '<div class="wide"><table><tr><th class="l">pool</th><th>info() inflight</th><th>inflightMem</th><th>ifindex</th><th>napiId</th><th>detachTime</th><th class="l">provider fields, ledger places</th></tr>',
  );
  e.pools.forEach((p, j) => {
    const k = `examples.${i}.pools.${j}.final.info`;
    const f = p.final.info;
    h.push(
      `<tr><td class="l">${esc(poolName(p, e.domains))}</td>${cell(`${k}.inflight`, f.inflight)}${cell(`${k}.inflightMem`, f.inflightMem)}${optional(`${k}.ifindex`, f.ifindex)}${optional(`${k}.napiId`, f.napiId)}${optional(`${k}.detachTime`, f.detachTime)}` +
        `<td class="l wrap">${infoExtras(k, f) || '-'}</td></tr>`,
    );
  });
  h.push('</table></div>');
  return h.join('');
}

function poolChart(e: ExampleRecord, i: number, p: PoolRecord, j: number): string {
  const k = `examples.${i}.pools.${j}.series`;
  const places = Object.keys(p.series.values).filter((c) => c !== 'inflight');
  const areas: Trace[] = places.map((c) => ({ label: c, color: PLACE_COLORS[c] ?? OTHER_COLOR, values: p.series.values[c], json: `${k}.values.${c}` }));
  const where = p.checked ? 'by ledger place (checked domain)' : 'cache, ring and handed out';
  return timeChart({
    title: `${poolName(p, e.domains)} · ${p.provider}${p.queue ? ` · ${p.queue}` : ''}: in flight, ${where}`,
    t: p.series.t,
    jsonT: `${k}.t`,
    tEnd: e.ms,
    xUnit: WALL_AXIS,
    yUnit: 'netmems',
    areas,
    lines: [{ label: 'in flight', color: INFLIGHT_COLOR, values: p.series.values.inflight, json: `${k}.values.inflight` }],
  });
}

function deviceSection(e: ExampleRecord, i: number, dv: DeviceRecord, j: number): string {
  const k = `examples.${i}.devices.${j}`;
  const f = dv.final;
  const name = `${dv.name}${e.domains > 1 ? ` of domain ${dv.domain}` : ''}`;
  const h: string[] = [];
  h.push(`<h3>DMA device ${esc(name)}${dv.removed ? ' (removed)' : ''}</h3>`);
  h.push('<table><tr><th>maps</th><th>unmaps</th><th>live</th><th>syncs for device</th><th>syncs for CPU</th>');
  for (const kind of Object.keys(f.faults)) h.push(`<th>${esc(kind)}</th>`);
  h.push(
    `</tr><tr>${cell(`${k}.final.maps`, f.maps)}${cell(`${k}.final.unmaps`, f.unmaps)}${cell(`${k}.final.liveMappings`, f.liveMappings)}${cell(`${k}.final.syncsForDevice`, f.syncsForDevice)}${cell(`${k}.final.syncsForCpu`, f.syncsForCpu)}`,
  );
  for (const [kind, n] of Object.entries(f.faults)) h.push(cell(`${k}.final.faults.${kind}`, n, n > 0 ? 'bad' : ''));
  h.push('</tr></table>');
  const s = `${k}.series`;
  h.push(
    timeChart({
      title: `${name}: live DMA mappings and IOMMU faults so far`,
      t: dv.series.t,
      jsonT: `${s}.t`,
      tEnd: e.ms,
      xUnit: WALL_AXIS,
      yUnit: 'count',
      areas: [],
      lines: [
        { label: 'live mappings', color: '#0b57d0', values: dv.series.values.live, json: `${s}.values.live` },
        { label: 'faults', color: '#b3261e', values: dv.series.values.faults, json: `${s}.values.faults` },
      ],
    }),
  );
  const bars = Object.entries(f.faults).map(([kind, n]) => ({
    label: kind,
    value: n,
    color: FAULT_COLORS[kind] ?? OTHER_COLOR,
    json: `${k}.final.faults.${kind}`,
  }));
  h.push(barChart(`${name}: IOMMU faults by kind`, bars));
  return h.join('');
}

function traceSection(i: number, tp: TracePoolRecord, j: number): string {
  const k = `examples.${i}.traces.${j}`;
  const m = tp.model;
  const h: string[] = [];
  h.push(`<h3>Capture <code>${esc(tp.source)}</code>, pool #${tp.index} <code>${esc(tp.pointer)}</code></h3>`);
  h.push(
    '<table><tr><th>holds</th><th>releases</th><th>max in flight</th><th>in flight at end</th><th class="l">state</th><th>model hold</th><th>model release</th><th>model in flight</th><th class="l">model state</th></tr><tr>',
  );
  h.push(
    `${cell(`${k}.holds`, tp.holds)}${cell(`${k}.releases`, tp.releases)}${cell(`${k}.maxInflight`, tp.maxInflight)}${cell(`${k}.inflightAtEnd`, tp.inflightAtEnd)}${cell(`${k}.state`, tp.state, 'l')}`,
  );
  h.push(
    m === null
      ? '<td>-</td><td>-</td><td>-</td><td class="l">not replayed</td>'
      : `${cell(`${k}.model.holdCount`, m.holdCount)}${cell(`${k}.model.releaseCount`, m.releaseCount)}${cell(`${k}.model.inflight`, m.inflight)}${cell(`${k}.model.state`, m.state, 'l')}`,
  );
  h.push('</tr></table>');
  const s = `${k}.series`;
  const t = tp.series.t;
  h.push(
    timeChart({
      title: `pool #${tp.index}: pages in flight (end of each bucket, and the most inside it)`,
      t,
      jsonT: `${s}.t`,
      tEnd: t.length > 0 ? t[t.length - 1] : 0,
      xUnit: CAPTURE_AXIS,
      yUnit: 'pages',
      areas: [],
      lines: [
        { label: 'most in bucket', color: '#9aa3b5', values: tp.series.values.peak, json: `${s}.values.peak` },
        { label: 'in flight', color: INFLIGHT_COLOR, values: tp.series.values.inflight, json: `${s}.values.inflight` },
      ],
    }),
  );
  return h.join('');
}

function exampleSection(e: ExampleRecord, i: number): string {
  const k = `examples.${i}`;
  const h: string[] = [];
  h.push(`<section class="example" id="ex-${esc(e.name)}" data-example="${esc(e.name)}">`);
  h.push(`<h2>${esc(e.name)} <span class="${e.ok ? 'ok' : 'bad'}">${e.ok ? 'ok' : 'FAIL'}</span></h2>`);
  h.push(`<p class="summary">${span(`${k}.summary`, e.summary)}</p>`);
  h.push(
    `<p class="muted">${span(`${k}.ms`, e.ms)} ms · ${span(`${k}.domains`, e.domains)} domain(s) observed · ${span(`${k}.pools.length`, e.pools.length)} pool(s), ${span(`${k}.devices.length`, e.devices.length)} DMA device(s) recorded`,
  );
  if (e.poolsNotRecorded + e.devicesNotRecorded > 0)
    h.push(
      ` · over the limit, not recorded: ${span(`${k}.poolsNotRecorded`, e.poolsNotRecorded)} pool(s), ${span(`${k}.devicesNotRecorded`, e.devicesNotRecorded)} device(s)`,
    );
  h.push('</p>');
  if (e.failures.length > 0) h.push(`<ul>${e.failures.map((f) => `<li class="bad">${esc(f)}</li>`).join('')}</ul>`);
  if (e.pools.length > 0) {
    h.push('<h3>Page pools at the end</h3>', poolTables(e, i));
    e.pools.forEach((p, j) => {
      h.push(poolChart(e, i, p, j));
    });
  }
  e.devices.forEach((dv, j) => {
    h.push(deviceSection(e, i, dv, j));
  });
  e.traces.forEach((tp, j) => {
    h.push(traceSection(i, tp, j));
  });
  if (e.pools.length === 0 && e.traces.length === 0) h.push('<p class="muted">This example made no page pool the report could observe.</p>');
  h.push('</section>');
  return h.join('');
}

/** Renders the demo report as one self-contained HTML page. */
export function renderDemoHtml(r: DemoReport): string {
  const passed = r.examples.filter((e) => e.ok).length;
  const h: string[] = [];
  h.push('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">');
  h.push(`<title>netmem demo report</title><style>${CSS}</style></head><body>`);
  h.push(`<h1>netmem demo report</h1><p class="muted">${esc(r.generated)} · Node ${esc(r.node)} · ${passed}/${r.examples.length} examples passed</p>`);
  h.push(
    `<p class="muted">Time axes: ${esc(r.timeAxis)}. Each series keeps at most ${span('limits.pointsPerSeries', r.limits.pointsPerSeries)} points (sampled at pool events and every ${span('limits.sampleEveryMs', r.limits.sampleEveryMs)} ms while an example waits, thinned evenly when full); the peak in flight is exact.</p>`,
  );
  h.push('<table><tr><th class="l">example</th><th class="l">result</th><th>ms</th><th>pools</th><th>devices</th><th class="l">summary</th></tr>');
  r.examples.forEach((e, i) => {
    const k = `examples.${i}`;
    h.push(
      `<tr><td class="l"><a href="#ex-${esc(e.name)}">${esc(e.name)}</a></td><td class="l ${e.ok ? 'ok' : 'bad'}">${e.ok ? 'ok' : 'FAIL'}</td>${cell(`${k}.ms`, e.ms)}${cell(`${k}.pools.length`, e.pools.length)}${cell(`${k}.devices.length`, e.devices.length)}${cell(`${k}.summary`, e.summary, 'l wrap')}</tr>`,
    );
  });
  h.push('</table>');
  r.examples.forEach((e, i) => {
    h.push(exampleSection(e, i));
  });
  h.push('</body></html>\n');
  return h.join('');
}
