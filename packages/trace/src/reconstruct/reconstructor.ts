/**
 * Reconstruction: page_pool events in, pools out (README rules 1–8). A pool
 * is its pointer until a page_pool_release line with inflight=0 ends it; the
 * same pointer later is a new pool. Pages are identified by pfn (by netmem
 * for a net_iov). One table of pages in flight is shared by all pools, so a
 * page held by one pool and released by another, or held twice, is seen.
 *
 * Memory: bounded by pools, pages in flight, and the distinct pages each
 * live pool touched (plus one int per distinct page for "which earlier pool
 * had it"); never by the trace's length.
 *
 * An observer (the model replay) is told each event with the pool it
 * belongs to, after the reconstruction has taken it in.
 */
import type { CommTable } from '../parse/comm-table.js';
import { pfnText, pointerText } from '../hex.js';
import type { PoolReport, TaskRef, TraceEvent } from '../types.js';
import { NumberMap } from './number-map.js';
import { pageKey, PageTable } from './page-table.js';
import { buildPoolReport, heldPage } from './pool-report.js';
import { PoolState } from './pool-state.js';
import { DestroyTracker, RETRY_WINDOW } from './destroy-tracker.js';

/**
 * What the reconstruction tells an observer (the model replay).
 * @category Reconstruction
 */
export interface ReconstructionObserver {
  /** A pool appeared. */
  poolStart(pool: PoolState, ev: TraceEvent): void;
  /** A state_hold of `pool`; `stillHeldBy` is the pool that the trace shows still holding the page (0: none). */
  hold(pool: PoolState, ev: TraceEvent, key: number, stillHeldBy: number): void;
  /** A state_release of `pool`; `held` is true when the pool was holding the page, `preTrace` when it was held before the trace began. */
  release(pool: PoolState, ev: TraceEvent, key: number, held: boolean, preTrace: boolean): void;
  /** A page_pool_release line of `pool`. */
  poolRelease(pool: PoolState, ev: TraceEvent): void;
  /** An update_nid line of `pool`. */
  updateNid(pool: PoolState, ev: TraceEvent): void;
  /** The pool ended (inflight=0): its pointer is free again. */
  poolEnd(pool: PoolState, ev: TraceEvent): void;
}

/**
 * Options of {@link Reconstructor}.
 * @category Reconstruction
 */
export interface ReconstructOptions {
  /** Only this pool pointer ([hi, lo]); other pools' events are skipped. */
  pool?: [number, number] | null;
  /** Accepted retry interval window, seconds (default {@link RETRY_WINDOW}). */
  retryWindow?: [number, number];
}

/**
 * Builds pools from events.
 * @category Reconstruction
 */
export class Reconstructor {
  /** Every pool, in order of first appearance. */
  readonly pools: PoolState[] = [];
  /** Pages in flight. */
  readonly pages = new PageTable();
  private readonly owners = new NumberMap(4096);
  private readonly live = new Map<number, PoolState[]>();
  private last: PoolState | null = null;
  private readonly filter: [number, number] | null;
  private readonly window: [number, number];
  private endLine = 0;
  private endUs = 0;

  constructor(
    private readonly names: CommTable,
    private readonly observer: ReconstructionObserver | null = null,
    opts: ReconstructOptions = {},
  ) {
    this.filter = opts.pool ?? null;
    this.window = opts.retryWindow ?? RETRY_WINDOW;
  }

  /** Takes one event (the parser's sink). */
  readonly event = (ev: TraceEvent): void => {
    this.endLine = ev.line;
    this.endUs = ev.timeUs;
    const f = this.filter;
    if (f !== null && (ev.poolLo !== f[1] || ev.poolHi !== f[0])) return;
    let pool = this.last;
    if (pool === null || pool.lo !== ev.poolLo || pool.hi !== ev.poolHi) pool = this.poolFor(ev);
    pool.touch(ev);
    switch (ev.kind) {
      case 0:
        this.hold(pool, ev);
        break;
      case 1:
        this.release(pool, ev);
        break;
      case 2:
        this.poolRelease(pool, ev);
        break;
      default:
        pool.onUpdateNid(ev);
        this.observer?.updateNid(pool, ev);
    }
  };

  /** The task of an event. */
  taskOf(ev: TraceEvent): TaskRef {
    return { comm: this.names.name(ev.comm), pid: ev.pid, cpu: ev.cpu };
  }

  /** Ends the trace and builds the pool reports. */
  finish(): PoolReport[] {
    const at = { time: this.endUs / 1e6, line: this.endLine };
    for (const p of this.pools) {
      if (p.ended) continue;
      p.close();
      p.holdCounter.finish(at);
      p.releaseCounter.finish(at);
    }
    const held = new Map<number, number[]>();
    this.pages.forEachSlot((s) => {
      const idx = this.pages.pool[s];
      let list = held.get(idx);
      if (list === undefined) held.set(idx, (list = []));
      list.push(s);
    });
    return this.pools.map((p) => buildPoolReport(p, this.pages, held.get(p.index) ?? [], this.names));
  }

  private poolFor(ev: TraceEvent): PoolState {
    const chain = this.live.get(ev.poolLo);
    if (chain !== undefined) {
      for (const p of chain) {
        if (p.hi === ev.poolHi) {
          this.last = p;
          return p;
        }
      }
    }
    // A new pool: it began in the trace when its first event is hold=1, or a release line with nothing ever held.
    const fresh = (ev.kind === 0 && ev.counter === 1) || (ev.kind === 2 && ev.hold === 0 && ev.release === 0);
    const p = new PoolState(this.pools.length + 1, pointerText(ev.poolHi, ev.poolLo, ev.poolDigits, ev.ptrPrefix), ev.poolHi, ev.poolLo, !fresh);
    this.pools.push(p);
    if (chain === undefined) this.live.set(ev.poolLo, [p]);
    else chain.push(p);
    this.last = p;
    this.observer?.poolStart(p, ev);
    return p;
  }

  private hold(pool: PoolState, ev: TraceEvent): void {
    const key = pageKey(ev.netIov, ev.pfn, ev.netmemHi, ev.netmemLo);
    const pages = this.pages;
    const prev = pages.find(key);
    let stillHeldBy = 0;
    if (prev >= 0) {
      stillHeldBy = pages.pool[prev];
      pool.doubleHolds++;
      pool.issue(
        `line ${ev.line}: ${ev.netIov ? 'net_iov' : `pfn ${pfnText(ev.pfn)}`} held again while pool #${stillHeldBy} still holds it (taken at line ${pages.line[prev]}; its release is missing)`,
      );
      pages.remove(prev);
    }
    const s = pages.add(key, pool.index);
    pages.pfn[s] = ev.pfn;
    pages.netHi[s] = ev.netmemHi;
    pages.netLo[s] = ev.netmemLo;
    pages.netDigits[s] = ev.netmemDigits | (ev.ptrPrefix ? 0x80 : 0);
    pages.netIov[s] = ev.netIov ? 1 : 0;
    pages.hold[s] = ev.counter;
    pages.us[s] = ev.timeUs;
    pages.line[s] = ev.line;
    pages.comm[s] = ev.comm;
    pages.pid[s] = ev.pid;
    pages.cpu[s] = ev.cpu;
    pool.onHold(ev, key, this.owners);
    this.observer?.hold(pool, ev, key, stillHeldBy);
  }

  private release(pool: PoolState, ev: TraceEvent): void {
    const key = pageKey(ev.netIov, ev.pfn, ev.netmemHi, ev.netmemLo);
    const pages = this.pages;
    const s = pages.find(key);
    let heldCpu = -1;
    let held = false;
    let preTrace = false;
    if (s >= 0 && pages.pool[s] === pool.index) {
      heldCpu = pages.cpu[s];
      held = true;
      pages.remove(s);
    } else if (s >= 0) {
      pool.unknownReleases++;
      pool.issue(
        `line ${ev.line}: release of ${ev.netIov ? 'a net_iov' : `pfn ${pfnText(ev.pfn)}`} that pool #${pages.pool[s]} holds (taken at line ${pages.line[s]})`,
      );
    } else if (pool.beganBeforeTrace) {
      pool.preTraceReleases++;
      preTrace = true;
    } else {
      pool.unknownReleases++;
      pool.issue(
        `line ${ev.line}: release of ${ev.netIov ? 'a net_iov' : `pfn ${pfnText(ev.pfn)}`} the pool was not holding (its hold event is missing, or it was released twice)`,
      );
    }
    pool.onRelease(ev, heldCpu);
    this.observer?.release(pool, ev, key, held, preTrace);
  }

  private poolRelease(pool: PoolState, ev: TraceEvent): void {
    const [ring, direct] = pool.takeRuns(ev);
    pool.adoptBases(ev.hold, ev.release);
    const at = { time: ev.timeUs / 1e6, line: ev.line };
    pool.holdCounter.expectUpTo(ev.hold, at, !pool.beganBeforeTrace);
    pool.releaseCounter.expectUpTo(ev.release, at, !pool.beganBeforeTrace);
    if (pool.destroy === null) {
      pool.destroy = new DestroyTracker(this.window);
      pool.destroyTask = this.taskOf(ev);
    }
    const replayed = { hold: pool.holdBase + pool.holds, release: pool.releaseBase + pool.releases, inflight: pool.inflight };
    const consistent = ev.inflight === ((ev.hold - ev.release) | 0) && ev.hold === replayed.hold && ev.release === replayed.release;
    pool.destroy.add(
      {
        cnt: ev.cnt,
        time: at.time,
        line: ev.line,
        task: this.taskOf(ev),
        inflight: ev.inflight,
        hold: ev.hold,
        release: ev.release,
        ringReleased: ring,
        directReleased: direct,
        replayed,
        consistent,
      },
      ev.timeUs,
    );
    const n = pool.destroy.attemptCount;
    if (ev.cnt !== n)
      pool.issue(
        `line ${ev.line}: page_pool_release cnt=${ev.cnt} is attempt ${n} in the trace (${ev.cnt > n ? 'attempts missing' : 'attempt numbers repeat'})`,
      );
    if (!consistent) {
      pool.issue(
        `line ${ev.line}: page_pool_release says inflight=${ev.inflight} hold=${ev.hold} release=${ev.release}; the trace so far gives inflight=${replayed.inflight} hold=${replayed.hold} release=${replayed.release}`,
      );
    }
    if (ev.inflight < 0) pool.issue(`line ${ev.line}: negative inflight (${ev.inflight}): the kernel stops retrying; the pool is never freed`);
    this.observer?.poolRelease(pool, ev);
    if (ev.inflight === 0) this.endPool(pool, ev);
  }

  /** inflight=0: the pool is freed; pages the trace still shows held by it never had their release traced. */
  private endPool(pool: PoolState, ev: TraceEvent): void {
    pool.ended = true;
    pool.close();
    pool.distinct = null;
    const chain = this.live.get(pool.lo)!;
    chain.splice(chain.indexOf(pool), 1);
    if (chain.length === 0) this.live.delete(pool.lo);
    if (this.last === pool) this.last = null;
    const stranded: number[] = [];
    if (pool.inflight !== 0 || this.pages.size > 0) {
      this.pages.forEachSlot((s) => {
        if (this.pages.pool[s] === pool.index) stranded.push(s);
      });
    }
    if (stranded.length > 0) {
      pool.issue(`line ${ev.line}: the pool was freed but the trace never showed ${stranded.length} of its pages coming back (lost release events)`);
      pool.stranded = stranded.map((s) => heldPage(this.pages, s, this.names));
      for (const s of stranded) this.pages.remove(s);
    }
    this.observer?.poolEnd(pool, ev);
  }
}
