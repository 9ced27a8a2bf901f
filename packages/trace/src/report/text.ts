/**
 * The readable summary `netmem trace` prints: the input, a pools table,
 * pages still out at the end, deferred destroys with their retry timeline,
 * lost events, other issues, and what the model replay found.
 */
import type { PoolReport, TraceReport } from '../types.js';

const MAX_HELD_LISTED = 10;

function s6(t: number | null): string {
  return t === null ? '-' : t.toFixed(6);
}

function table(rows: string[][], right: boolean[]): string[] {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd(),
  );
}

function endState(p: PoolReport): string {
  if (p.state === 'freed') return `freed ${s6(p.destroy!.freed!.time)} (attempt ${p.destroy!.freed!.cnt})`;
  if (p.state === 'destroy-pending') return `destroy pending: ${p.inflightAtEnd} in flight`;
  return `live: ${p.inflightAtEnd} in flight`;
}

/**
 * Renders the summary (plain text, lines joined with `\n`).
 * @category Report
 */
export function renderText(r: TraceReport): string {
  const out: string[] = [];
  const ps = r.parse;
  const ev = ps.events;
  out.push(`netmem trace: ${r.source}`);
  out.push(
    `  ${ps.format} format, ${ps.lines} lines: ${ev.hold} holds, ${ev.release} releases, ${ev.poolRelease} page_pool_release, ${ev.updateNid} update_nid; ` +
      `${ps.otherEvents} other events skipped, ${ps.malformed} malformed`,
  );
  if (ps.firstTime !== null) out.push(`  ${s6(ps.firstTime)} .. ${s6(ps.lastTime)} (${(ps.lastTime! - ps.firstTime).toFixed(3)} s)`);
  if (r.poolFilter !== null) out.push(`  only pool ${r.poolFilter}`);
  for (const b of ps.malformedLines.slice(0, 10)) out.push(`  line ${b.line}: ${b.reason}: ${b.text.trim().slice(0, 100)}`);
  if (ps.malformed > 10) out.push(`  … ${ps.malformed - 10} more malformed lines`);
  for (const b of ps.tracerLost) out.push(`  line ${b.line}: the tracer lost events: ${b.reason}`);

  out.push('', `Pools (${r.pools.length})`);
  if (r.pools.length > 0) {
    const rows = [['#', 'pointer', 'first', 'last', 'holds', 'releases', 'pages', 'again', 'max out', 'at', 'end']];
    for (const p of r.pools) {
      rows.push([
        String(p.index),
        p.pointer + (p.netIov ? ' (net_iov)' : ''),
        s6(p.first.time),
        s6(p.last.time),
        String(p.holds),
        String(p.releases),
        String(p.distinctPages),
        String(p.pagesHeldAgain),
        String(p.maxInflight),
        s6(p.maxInflightTime),
        endState(p),
      ]);
    }
    for (const l of table(rows, [true, false, false, false, true, true, true, true, true, false, false])) out.push(`  ${l}`);
    for (const p of r.pools) {
      const notes: string[] = [];
      if (p.firstBlock)
        notes.push(`first block: ${p.firstBlock.size} holds at ${s6(p.firstBlock.time)} by ${p.firstBlock.task.comm} on CPU ${p.firstBlock.task.cpu}`);
      if (p.beganBeforeTrace) notes.push('began before the trace');
      for (const e of p.pagesFromEarlierPools) notes.push(`${e.pages} pages had been pool #${e.pool}'s`);
      if (p.crossCpuReleases > 0) notes.push(`${p.crossCpuReleases} released on another CPU than taken`);
      if (p.releaseCounter.outOfOrder > 0) notes.push(`${p.releaseCounter.outOfOrder} release numbers out of trace order (cross-CPU, not an error)`);
      if (p.preTraceReleases > 0) notes.push(`${p.preTraceReleases} releases of pages held before the trace`);
      if (notes.length > 0) out.push(`  #${p.index}: ${notes.join('; ')}`);
    }
  }

  out.push('', 'Pages still out at the end of the trace');
  let anyHeld = false;
  for (const p of r.pools) {
    if (p.heldAtEnd.length === 0) continue;
    anyHeld = true;
    const why =
      p.state === 'live'
        ? 'pool alive (pages in its cache, ring or users)'
        : p.state === 'destroy-pending'
          ? 'destroy pending: the pool waits for them'
          : 'the trace never showed them return (lost events)';
    out.push(`  pool #${p.index} ${p.pointer}: ${p.heldAtEnd.length} pages, ${why}`);
    for (const h of p.heldAtEnd.slice(0, MAX_HELD_LISTED)) {
      out.push(`    pfn ${h.pfn} netmem ${h.netmem} hold=${h.hold} taken ${s6(h.time)} (line ${h.line}) by ${h.task.comm}/${h.task.pid} on CPU ${h.task.cpu}`);
    }
    if (p.heldAtEnd.length > MAX_HELD_LISTED) out.push(`    … ${p.heldAtEnd.length - MAX_HELD_LISTED} more (--json lists them all)`);
  }
  if (!anyHeld) out.push('  none');

  out.push('', 'Destroys');
  let anyDestroy = false;
  for (const p of r.pools) {
    const d = p.destroy;
    if (d === null) continue;
    anyDestroy = true;
    const first = d.attempts[0];
    out.push(
      `  pool #${p.index} ${p.pointer}: destroyed ${s6(d.time)} by ${d.task.comm} on CPU ${d.task.cpu}, ${first.ringReleased} idle pages released first, inflight ${first.inflight}`,
    );
    if (d.attempts.length > 1) {
      const rows = [['cnt', 'time', '+s', 'inflight', 'hold', 'release', 'from ring', 'direct', 'task']];
      for (const a of d.attempts) {
        rows.push([
          String(a.cnt),
          s6(a.time),
          a.sinceDestroy.toFixed(3),
          String(a.inflight),
          String(a.hold),
          String(a.release),
          String(a.ringReleased),
          String(a.directReleased),
          a.task.comm,
        ]);
      }
      for (const l of table(rows, [true, false, true, true, true, true, true, true, false])) out.push(`    ${l}`);
    }
    if (d.freed !== null) out.push(`    freed at attempt ${d.freed.cnt}, ${d.freed.afterSeconds.toFixed(3)} s after destroy`);
    else out.push(`    still pending at the end of the trace: ${p.inflightAtEnd} pages in flight after ${d.attempts.length} attempts`);
    out.push(
      d.stallWarning !== null
        ? `    "stalled pool shutdown" warning would fire at ${s6(d.stallWarning.time)} (attempt ${d.stallWarning.cnt}, ${d.stallWarning.inflight} inflight, ${d.stallWarning.seconds} s; only for a pool whose netdev is gone)`
        : `    60 s stall warning: would not fire`,
    );
  }
  if (!anyDestroy) out.push('  none');

  out.push('', 'Lost events');
  let anyLost = false;
  for (const p of r.pools) {
    for (const [name, c] of [
      ['state_hold', p.holdCounter],
      ['state_release', p.releaseCounter],
    ] as const) {
      if (c.lost === 0) continue;
      anyLost = true;
      out.push(`  pool #${p.index}: ${c.lost} ${name} events lost`);
      for (const g of c.gaps.slice(0, 5)) {
        const where = g.after ? `between line ${g.after.line} (${s6(g.after.time)}) and line ${g.before?.line}` : `before line ${g.before?.line}`;
        out.push(`    numbers ${g.from}${g.to > g.from ? `..${g.to}` : ''} ${where}`);
      }
    }
  }
  if (ps.tracerLost.length > 0) anyLost = true;
  if (!anyLost) out.push('  none: hold and release counters are complete');

  const issues = r.pools.flatMap((p) => p.issues.map((i) => `  pool #${p.index}: ${i}`));
  if (issues.length > 0) out.push('', 'Issues', ...issues);

  if (r.replay !== null) {
    const rp = r.replay;
    out.push('', 'Model replay');
    out.push(
      `  ${rp.pools} pools replayed, ${rp.events} events, ${rp.checks} comparisons, ${rp.invariantRuns} invariant checks: ${rp.disagreementCount === 0 ? 'the model agrees with the trace' : `${rp.disagreementCount} disagreements`}`,
    );
    for (const m of rp.modelPools) {
      const where = Object.entries(m.places)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      out.push(
        `  pool #${m.pool} → model pool ${m.modelId}: ${m.state}, hold ${m.holdCount} release ${m.releaseCount} inflight ${m.inflight}, ${m.attempts} attempts${where ? ` (${where})` : ''}`,
      );
      for (const w of m.stallWarnings) out.push(`    model: ${w}`);
    }
    for (const d of rp.disagreements.slice(0, 20)) out.push(`  ${d.kind} (pool #${d.pool}, line ${d.line}): ${d.message}`);
    if (rp.disagreements.length > 20) out.push(`  … ${rp.disagreementCount - 20} more`);
    for (const v of rp.violations.slice(0, 10)) out.push(`  invariant: ${v}`);
  }
  return out.join('\n');
}
