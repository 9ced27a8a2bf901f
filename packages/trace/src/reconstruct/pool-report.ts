/**
 * A traced pool's state turned into its {@link PoolReport}: names resolved,
 * pages still held listed oldest first, the end state decided (README rule
 * 7: a destroyed pool whose last attempt saw pages in flight is
 * destroy-pending, not leaking pages of a live pool).
 */
import type { CommTable } from '../parse/comm-table.js';
import { pfnText, pointerText } from '../hex.js';
import type { HeldPage, PoolEndState, PoolReport } from '../types.js';
import type { PageTable } from './page-table.js';
import type { PoolState } from './pool-state.js';

/** The page in `slot` as a report entry. */
export function heldPage(t: PageTable, slot: number, names: CommTable): HeldPage {
  const d = t.netDigits[slot];
  return {
    pfn: pfnText(t.pfn[slot]),
    netmem: pointerText(t.netHi[slot], t.netLo[slot], d & 0x7f, (d & 0x80) !== 0),
    netIov: t.netIov[slot] === 1,
    hold: t.hold[slot],
    time: t.us[slot] / 1e6,
    line: t.line[slot],
    task: { comm: names.name(t.comm[slot]), pid: t.pid[slot], cpu: t.cpu[slot] },
  };
}

/** Builds the report of `p`; `slots` are its pages still in the table. */
export function buildPoolReport(p: PoolState, t: PageTable, slots: number[], names: CommTable): PoolReport {
  const held = p.stranded.concat(slots.map((s) => heldPage(t, s, names)));
  held.sort((a, b) => a.time - b.time || a.line - b.line);
  const destroy = p.destroy === null ? null : p.destroy.report(p.destroyTask!);
  let state: PoolEndState = 'live';
  if (destroy !== null) state = destroy.freed !== null ? 'freed' : 'destroy-pending';
  const issues = p.issues.slice();
  if (p.issueCount > issues.length) issues.push(`… and ${p.issueCount - issues.length} more issues`);
  const hc = p.holdCounter.report();
  const rc = p.releaseCounter.report();
  if (hc.lost > 0) issues.push(`${hc.lost} state_hold events lost (hold numbers missing)`);
  if (rc.lost > 0) issues.push(`${rc.lost} state_release events lost (release numbers missing)`);
  if (hc.repeats > 0) issues.push(`${hc.repeats} hold numbers appear twice`);
  if (rc.repeats > 0) issues.push(`${rc.repeats} release numbers appear twice`);
  if (destroy !== null) {
    for (const b of destroy.badIntervals) {
      issues.push(
        `retry cnt=${b.cnt} came ${b.interval.toFixed(3)} s after the previous attempt (expected ${destroy.retryWindow[0]}–${destroy.retryWindow[1]} s)`,
      );
    }
  }
  const firstBlock = p.firstBlock === null ? null : { ...p.firstBlock, task: { ...p.firstBlock.task, comm: names.name(p.firstBlockComm) } };
  return {
    index: p.index,
    pointer: p.pointer,
    first: { time: p.firstUs / 1e6, line: p.firstLine },
    last: { time: p.lastUs / 1e6, line: p.lastLine },
    holds: p.holds,
    releases: p.releases,
    distinctPages: p.distinctCount,
    pagesHeldAgain: p.heldAgain,
    pagesFromEarlierPools: [...p.fromEarlier].sort((a, b) => a[0] - b[0]).map(([pool, pages]) => ({ pool, pages })),
    maxInflight: p.maxInflight,
    maxInflightTime: p.maxInflightUs < 0 ? null : p.maxInflightUs / 1e6,
    inflightAtEnd: p.inflight,
    netIov: p.netIov,
    beganBeforeTrace: p.beganBeforeTrace,
    firstBlock,
    holdBlocks: [...p.blockSizes].sort((a, b) => a[0] - b[0]).map(([size, count]) => ({ size, count })),
    longestBlockUs: Math.round(p.longestBlockUs),
    holdCounter: hc,
    releaseCounter: rc,
    preTraceReleases: p.preTraceReleases,
    unknownReleases: p.unknownReleases,
    doubleHolds: p.doubleHolds,
    crossCpuReleases: p.crossCpuReleases,
    destroy,
    state,
    heldAtEnd: held,
    nidChanges: p.nidChanges.slice(),
    timeline: p.timeline.report(),
    issues,
  };
}
