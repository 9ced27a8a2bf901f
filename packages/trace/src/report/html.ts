/**
 * `--html`: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched when it is viewed). Per pool: its figures, pages in flight over
 * time and the hold/release rates with the destroy and each retry marked,
 * the retry timeline, pages still out, issues; then the model replay. Every
 * figure taken from the report carries `data-json="<path>"` (its place in
 * the JSON report), so a test can check that the page shows the JSON's
 * numbers.
 */
import type { PoolReport, TraceReport } from '../types.js';
import { esc, lineChart, type Marker } from './svg.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;background:#fbfbfd}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d9dce3;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}.muted{color:#5b6272}
table{border-collapse:collapse;margin:6px 0 10px}td,th{padding:3px 10px;border-bottom:1px solid #e6e8ee;text-align:right;white-space:nowrap}
th{background:#eef0f5;font-weight:600}td.l,th.l{text-align:left}
.state-freed{color:#1a7f37;font-weight:600}.state-destroy-pending{color:#b3261e;font-weight:600}.state-live{color:#0b57d0;font-weight:600}
.chart{display:block;background:#fff;border:1px solid #e0e3ea;border-radius:6px;margin:8px 0}
.chart .grid{stroke:#eceef3}.chart .ax{font-size:11px;fill:#5b6272}.chart .ct{font-size:13px;font-weight:600;fill:#1d2330}.chart .mk{font-size:10px}
.ok{color:#1a7f37}.bad{color:#b3261e}ul{margin:4px 0 10px 18px;padding:0}code{background:#eef0f5;padding:0 3px;border-radius:3px}
`;

function v(path: string, value: number | string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''} data-json="${esc(path)}">${esc(String(value))}</td>`;
}

function t6(path: string, value: number | null): string {
  return value === null ? '<td>-</td>' : `<td data-json="${esc(path)}">${value.toFixed(6)}</td>`;
}

function markers(p: PoolReport): Marker[] {
  const d = p.destroy;
  if (d === null) return [];
  const out: Marker[] = [];
  for (const a of d.attempts) {
    if (a.cnt === 1) out.push({ x: a.time, label: 'destroy', color: '#b3261e' });
    else
      out.push({
        x: a.time,
        label: a.inflight === 0 ? `freed (${a.cnt})` : String(a.cnt),
        color: a.inflight === 0 ? '#1a7f37' : '#c77700',
        dashed: a.inflight !== 0,
      });
  }
  if (d.stallWarning !== null) out.push({ x: d.stallWarning.time, label: 'stall warning', color: '#7b1fa2' });
  return out;
}

function poolSection(p: PoolReport, i: number): string {
  const k = `pools.${i}`;
  const h: string[] = [];
  h.push(
    `<section class="pool" id="pool-${p.index}"><h2>Pool #${p.index} <code>${esc(p.pointer)}</code> <span class="state-${p.state}" data-json="${k}.state">${p.state}</span></h2>`,
  );
  h.push(
    '<table><tr><th>first event</th><th>last event</th><th>holds</th><th>releases</th><th>distinct pages</th><th>held again</th><th>max in flight</th><th>at</th><th>in flight at end</th><th>cross-CPU releases</th></tr><tr>',
  );
  h.push(
    t6(`${k}.first.time`, p.first.time) +
      t6(`${k}.last.time`, p.last.time) +
      v(`${k}.holds`, p.holds) +
      v(`${k}.releases`, p.releases) +
      v(`${k}.distinctPages`, p.distinctPages) +
      v(`${k}.pagesHeldAgain`, p.pagesHeldAgain) +
      v(`${k}.maxInflight`, p.maxInflight) +
      t6(`${k}.maxInflightTime`, p.maxInflightTime) +
      v(`${k}.inflightAtEnd`, p.inflightAtEnd) +
      v(`${k}.crossCpuReleases`, p.crossCpuReleases),
  );
  h.push('</tr></table>');
  const notes: string[] = [];
  if (p.firstBlock)
    notes.push(
      `first block of <b data-json="${k}.firstBlock.size">${p.firstBlock.size}</b> holds at <span data-json="${k}.firstBlock.time">${p.firstBlock.time.toFixed(6)}</span> by <code>${esc(p.firstBlock.task.comm)}</code> on CPU ${p.firstBlock.task.cpu}`,
    );
  if (p.beganBeforeTrace) notes.push('the pool began before the trace');
  for (const [j, e] of p.pagesFromEarlierPools.entries())
    notes.push(`<span data-json="${k}.pagesFromEarlierPools.${j}.pages">${e.pages}</span> pages had been pool #${e.pool}'s`);
  notes.push(
    `lost events: <span data-json="${k}.holdCounter.lost">${p.holdCounter.lost}</span> holds, <span data-json="${k}.releaseCounter.lost">${p.releaseCounter.lost}</span> releases; release numbers out of trace order: <span data-json="${k}.releaseCounter.outOfOrder">${p.releaseCounter.outOfOrder}</span>`,
  );
  h.push(`<p class="muted">${notes.join(' · ')}</p>`);
  const tl = p.timeline;
  if (tl.inflightMax.length > 0) {
    const m = markers(p);
    h.push(
      lineChart({
        title: 'Pages in flight (most per bucket)',
        x0: tl.start,
        dx: tl.bucket,
        yUnit: 'pages',
        series: [{ label: 'in flight', color: '#0b57d0', values: tl.inflightMax }],
        markers: m,
      }),
    );
    const rate = (xs: number[]): number[] => xs.map((x) => x / tl.bucket);
    h.push(
      lineChart({
        title: `Hold and release rates (bucket ${(tl.bucket * 1000).toFixed(tl.bucket < 0.01 ? 1 : 0)} ms)`,
        x0: tl.start,
        dx: tl.bucket,
        yUnit: 'pages/s',
        series: [
          { label: 'holds/s', color: '#1a7f37', values: rate(tl.holds) },
          { label: 'releases/s', color: '#c2410c', values: rate(tl.releases) },
        ],
        markers: m,
      }),
    );
  }
  const d = p.destroy;
  if (d !== null) {
    h.push(`<h3>Destroy and retries</h3><p>Destroyed at <span data-json="${k}.destroy.time">${d.time.toFixed(6)}</span> by <code>${esc(d.task.comm)}</code>; `);
    h.push(
      d.freed !== null
        ? `<span class="ok">freed at attempt <span data-json="${k}.destroy.freed.cnt">${d.freed.cnt}</span>, ${d.freed.afterSeconds.toFixed(3)} s later</span>.`
        : `<span class="bad">still pending at the end of the trace</span>.`,
    );
    h.push(
      d.stallWarning !== null ? ` The 60 s stall warning would fire at attempt ${d.stallWarning.cnt}.</p>` : ' The 60 s stall warning would not fire.</p>',
    );
    h.push(
      '<table><tr><th>cnt</th><th>time</th><th>+s</th><th>inflight</th><th>hold</th><th>release</th><th>from ring</th><th>direct</th><th class="l">task</th></tr>',
    );
    d.attempts.forEach((a, j) => {
      const q = `${k}.destroy.attempts.${j}`;
      h.push(
        `<tr>${v(`${q}.cnt`, a.cnt)}${t6(`${q}.time`, a.time)}<td>${a.sinceDestroy.toFixed(3)}</td>${v(`${q}.inflight`, a.inflight, a.consistent ? '' : 'bad')}${v(`${q}.hold`, a.hold)}${v(`${q}.release`, a.release)}${v(`${q}.ringReleased`, a.ringReleased)}${v(`${q}.directReleased`, a.directReleased)}<td class="l">${esc(a.task.comm)}</td></tr>`,
      );
    });
    h.push('</table>');
  }
  if (p.heldAtEnd.length > 0) {
    h.push(`<h3>Pages still out at the end: <span data-json="${k}.heldAtEnd.length">${p.heldAtEnd.length}</span></h3>`);
    h.push('<table><tr><th class="l">pfn</th><th class="l">netmem</th><th>hold</th><th>taken at</th><th>line</th><th class="l">task</th><th>CPU</th></tr>');
    for (const x of p.heldAtEnd.slice(0, 50)) {
      h.push(
        `<tr><td class="l"><code>${esc(x.pfn)}</code></td><td class="l"><code>${esc(x.netmem)}</code></td><td>${x.hold}</td><td>${x.time.toFixed(6)}</td><td>${x.line}</td><td class="l">${esc(x.task.comm)}/${x.task.pid}</td><td>${x.task.cpu}</td></tr>`,
      );
    }
    h.push('</table>');
    if (p.heldAtEnd.length > 50) h.push(`<p class="muted">… ${p.heldAtEnd.length - 50} more in the JSON report.</p>`);
  }
  if (p.issues.length > 0) h.push(`<h3>Issues</h3><ul>${p.issues.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`);
  h.push('</section>');
  return h.join('');
}

/**
 * Renders the report as one self-contained HTML page.
 * @category Report
 */
export function renderHtml(r: TraceReport): string {
  const ps = r.parse;
  const h: string[] = [];
  h.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  h.push(`<title>netmem trace: ${esc(r.source)}</title><style>${CSS}</style></head><body>`);
  h.push(
    `<h1>netmem trace</h1><p class="muted"><code>${esc(r.source)}</code> · <span data-json="parse.format">${ps.format}</span> format · <span data-json="parse.lines">${ps.lines}</span> lines</p>`,
  );
  h.push(
    '<table><tr><th>pools</th><th>holds</th><th>releases</th><th>page_pool_release</th><th>update_nid</th><th>other events</th><th>malformed</th><th>first</th><th>last</th></tr><tr>',
  );
  h.push(
    v('pools.length', r.pools.length) +
      v('parse.events.hold', ps.events.hold) +
      v('parse.events.release', ps.events.release) +
      v('parse.events.poolRelease', ps.events.poolRelease) +
      v('parse.events.updateNid', ps.events.updateNid) +
      v('parse.otherEvents', ps.otherEvents) +
      v('parse.malformed', ps.malformed) +
      t6('parse.firstTime', ps.firstTime) +
      t6('parse.lastTime', ps.lastTime),
  );
  h.push('</tr></table>');
  r.pools.forEach((p, i) => {
    h.push(poolSection(p, i));
  });
  if (r.replay !== null) {
    const rp = r.replay;
    h.push(
      `<h2>Model replay</h2><p><span data-json="replay.pools">${rp.pools}</span> pools, <span data-json="replay.events">${rp.events}</span> events, <span data-json="replay.checks">${rp.checks}</span> comparisons, <span data-json="replay.invariantRuns">${rp.invariantRuns}</span> invariant checks: `,
    );
    h.push(
      rp.disagreementCount === 0
        ? '<span class="ok">the model agrees with the trace</span>'
        : `<span class="bad"><span data-json="replay.disagreementCount">${rp.disagreementCount}</span> disagreements</span>`,
    );
    h.push('</p><table><tr><th>pool</th><th>model id</th><th class="l">state</th><th>hold</th><th>release</th><th>inflight</th><th>attempts</th></tr>');
    rp.modelPools.forEach((m, j) => {
      const q = `replay.modelPools.${j}`;
      h.push(
        `<tr>${v(`${q}.pool`, m.pool)}${v(`${q}.modelId`, m.modelId)}${v(`${q}.state`, m.state, 'l')}${v(`${q}.holdCount`, m.holdCount)}${v(`${q}.releaseCount`, m.releaseCount)}${v(`${q}.inflight`, m.inflight)}${v(`${q}.attempts`, m.attempts)}</tr>`,
      );
    });
    h.push('</table>');
    if (rp.disagreements.length > 0)
      h.push(`<ul>${rp.disagreements.map((d) => `<li><b>${esc(d.kind)}</b> pool #${d.pool}, line ${d.line}: ${esc(d.message)}</li>`).join('')}</ul>`);
    if (rp.violations.length > 0) h.push(`<ul>${rp.violations.map((x) => `<li class="bad">${esc(x)}</li>`).join('')}</ul>`);
  }
  h.push('</body></html>\n');
  return h.join('');
}
