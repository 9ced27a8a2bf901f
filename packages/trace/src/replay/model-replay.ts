/**
 * Replay through the model: every traced pool becomes a model pool
 * (`createPagePool` on a checked domain whose clock is the trace's), every
 * state_hold an allocation from the replay provider, every state_release
 * the release of exactly that netmem, the first page_pool_release the
 * model's destroy, each later one the model's own retry (fired when the trace
 * shows it). At each step the model's figures are compared with the trace's,
 * and the invariant checker runs at each release attempt, each pool's end,
 * every `checkEvery` events and at the end. Every point where they
 * disagree becomes a {@link Disagreement}; each is reported once, then the
 * replay resynchronises its counter offsets so one lost event is not
 * reported at every later step.
 */
import { MemoryDomain, PLACE_NAMES, setPagePoolTracer, createPagePool, isNetmemError } from '@netmem/core';
import { checkDomainInvariants, checkPoolInvariants } from '@netmem/core/testing';
import { pfnText } from '../hex.js';
import type { ReconstructionObserver } from '../reconstruct/reconstructor.js';
import type { PoolState } from '../reconstruct/pool-state.js';
import type { Disagreement, ModelPoolReport, ParseSummary, ReplayReport, TraceEvent } from '../types.js';
import { ModelPool } from './model-pool.js';
import { ReplayClock } from './replay-clock.js';
import { ReplaySource, replayProvider } from './replay-provider.js';
import { RETRY_WINDOW } from '../reconstruct/destroy-tracker.js';

/**
 * Options of the model replay.
 * @category Replay
 */
export interface ReplayOptions {
  /** Model page frames (all pools' pages in flight at once must fit). Default 131072. */
  pages?: number;
  /** Model net_iovs (for is_net_iov=1 pools). Default 32768. */
  netIovs?: number;
  /** Run the domain's invariant checker every this many events (0: only at attempts, pool ends and the end). Default 50000. */
  checkEvery?: number;
  /** Accepted retry interval window, seconds. Default 0.99–1.15. */
  retryWindow?: [number, number];
}

const KEEP = 200;
const KEEP_VIOLATIONS = 100;

/**
 * The model side of an analysis.
 * @category Replay
 */
export class ModelReplay implements ReconstructionObserver {
  private readonly clock = new ReplayClock();
  private domain: MemoryDomain | null = null;
  private src: ReplaySource | null = null;
  private readonly models = new Map<number, ModelPool>();
  private readonly byModelId = new Map<number, ModelPool>();
  private readonly disagreements: Disagreement[] = [];
  private disagreementCount = 0;
  private readonly violations: string[] = [];
  private checks = 0;
  private invariantRuns = 0;
  private events = 0;
  private originUs = -1;
  private lastLine = -1;
  private readonly opts: Required<ReplayOptions>;
  private capacityWarned = false;

  constructor(opts: ReplayOptions = {}) {
    this.opts = {
      pages: opts.pages ?? 131072,
      netIovs: opts.netIovs ?? 32768,
      checkEvery: opts.checkEvery ?? 50000,
      retryWindow: opts.retryWindow ?? RETRY_WINDOW,
    };
  }

  // ---- ReconstructionObserver ------------------------------------------------

  /** A traced pool appeared: make its model pool. */
  poolStart(p: PoolState, ev: TraceEvent): void {
    this.step(ev);
    const domain = this.world();
    const pool = createPagePool({ domain, provider: replayProvider(this.src!), order: 0, poolSize: 16384, flags: 0 });
    const mp = new ModelPool(p.index, pool, p.beganBeforeTrace);
    this.models.set(p.index, mp);
    this.byModelId.set(pool.id, mp);
  }

  /** A traced hold. */
  hold(p: PoolState, ev: TraceEvent, key: number, stillHeldBy: number): void {
    this.step(ev);
    const mp = this.active(p);
    if (mp === null) return;
    if (stillHeldBy !== 0) {
      const other = this.models.get(stillHeldBy);
      this.disagree(
        p,
        ev,
        'hold-while-held',
        `${page(ev)} enters pool #${p.index} while the model's pool #${stillHeldBy} still holds it: a page is in one pool at a time (its release is missing)`,
      );
      other?.forget(key);
    }
    let nm: number;
    try {
      nm = mp.hold(key, ev.netIov, this.src!);
    } catch (e) {
      this.disagree(p, ev, 'hold-refused', `the model refuses the hold of ${page(ev)}: ${message(e)}`);
      return;
    }
    if (nm === 0) {
      this.outOfMemory(mp, p, ev);
      return;
    }
    const model = mp.pool.holdCount;
    if (!mp.holdOffsetKnown) {
      mp.holdOffset = ev.counter - model;
      mp.holdOffsetKnown = true;
    }
    this.checks++;
    if (model + mp.holdOffset !== ev.counter) {
      this.disagree(
        p,
        ev,
        'hold-count',
        `state_hold hold=${ev.counter}, but the model's hold count makes it ${model + mp.holdOffset} (events lost or out of order; resynchronised)`,
      );
      mp.holdOffset = ev.counter - model;
    }
  }

  /** A traced release. */
  release(p: PoolState, ev: TraceEvent, key: number, held: boolean, preTrace: boolean): void {
    this.step(ev);
    const mp = this.active(p);
    if (mp === null) return;
    if (preTrace) {
      mp.releaseOffset++;
      return;
    }
    const nm = mp.netmemOf(key);
    this.checks++;
    if (!held || nm === 0) {
      this.disagree(
        p,
        ev,
        'release-not-held',
        `state_release of ${page(ev)}: the model's pool #${p.index} does not hold it (never held, or already released), so it cannot leave the pool`,
      );
      mp.releaseOffset++;
      return;
    }
    const before = mp.pool.releaseCount;
    const ringBefore = mp.ringPending;
    try {
      mp.release(key);
    } catch (e) {
      this.disagree(p, ev, 'release-refused', `the model refuses to release ${page(ev)}: ${message(e)}`);
      mp.releaseOffset++;
      return;
    }
    const delta = mp.pool.releaseCount - before;
    if (delta !== 1 && mp.ringPending !== ringBefore + 1) {
      this.disagree(p, ev, 'release-count', `the model released ${delta} netmems for one state_release`);
    }
  }

  /** A traced page_pool_release: the model's destroy (first) or its retry. */
  poolRelease(p: PoolState, ev: TraceEvent): void {
    this.step(ev);
    const mp = this.active(p);
    if (mp === null) return;
    const pool = mp.pool;
    if (pool.isFreed) {
      this.disagree(p, ev, 'attempt-after-free', `page_pool_release cnt=${ev.cnt}, but the model freed the pool at its attempt ${mp.attempts}`);
      return;
    }
    // A trace that shows the destroy from a later attempt on (it began after the destroy, or lost events): catch up silently.
    let catchUp = false;
    if (!pool.destroyStarted) {
      this.clock.within(mp, () => pool.destroy());
      if (ev.cnt > 1) {
        catchUp = true;
        if (!p.beganBeforeTrace)
          this.disagree(p, ev, 'attempts-missing', `the trace's first page_pool_release is cnt=${ev.cnt}: attempts 1..${ev.cnt - 1} are missing`);
      }
    }
    // Fire the model's retries up to the traced attempt (one, normally). With attempts missing
    // from the trace, the check is on their mean interval.
    const [lo, hi] = this.opts.retryWindow;
    const firstDue = this.clock.dueOf(mp);
    if (firstDue !== null && !catchUp && ev.cnt > mp.attempts) {
      const interval = (this.clock.now() - (firstDue - 1000)) / 1000 / (ev.cnt - mp.attempts);
      this.checks++;
      if (interval < lo || interval > hi) {
        this.disagree(
          p,
          ev,
          'retry-interval',
          `the model retries DEFER_TIME (1 s) after its previous attempt; the trace's cnt=${ev.cnt} came ${interval.toFixed(3)} s after it (accepted ${lo}–${hi} s)`,
        );
      }
    }
    while (mp.attempts < ev.cnt && !pool.isFreed && this.clock.fire(mp)) {
      if (mp.attempts < ev.cnt && !catchUp) {
        this.disagree(
          p,
          ev,
          'attempt-missing',
          `the model made attempt ${mp.attempts} (inflight ${mp.last?.inflight ?? '?'}) that the trace lacks (no page_pool_release cnt=${mp.attempts})`,
        );
      }
    }
    this.checks++;
    if (mp.attempts !== ev.cnt) {
      this.disagree(p, ev, 'attempt-number', `page_pool_release cnt=${ev.cnt}, but this is the model's attempt ${mp.attempts}`);
    }
    this.compareAttempt(mp, p, ev);
    this.checkPool(mp, p, ev);
  }

  /** An update_nid line: the model's pool changes node too. */
  updateNid(p: PoolState, ev: TraceEvent): void {
    this.step(ev);
    const mp = this.active(p);
    if (mp === null || mp.pool.destroyStarted) return;
    mp.pool.updateNid(ev.newNid);
  }

  /** The traced pool was freed: the model's must be too. */
  poolEnd(p: PoolState, ev: TraceEvent): void {
    const mp = this.models.get(p.index);
    if (mp === undefined || mp.disabled) return;
    this.checks++;
    if (!mp.pool.isFreed) {
      this.disagree(
        p,
        ev,
        'not-freed',
        `the trace's pool is freed (inflight=0), but the model's still has ${mp.pool.inflight} in flight (${placesText(mp.pool.places())})`,
      );
    }
  }

  /** End of the trace: final invariant checks and the report. */
  finish(parse: ParseSummary): ReplayReport {
    if (this.domain !== null) this.runDomainCheck(null, parse.lastTime ?? 0, 0);
    const modelPools: ModelPoolReport[] = [...this.models.values()].map((mp) => {
      const pool = mp.pool;
      return {
        pool: mp.index,
        modelId: pool.id,
        holdCount: pool.holdCount,
        releaseCount: pool.releaseCount,
        inflight: pool.inflight,
        state: mp.disabled ? 'not-replayed' : pool.isFreed ? 'freed' : pool.isDetached ? 'detached' : 'live',
        attempts: mp.attempts,
        places: pool.isFreed ? {} : pool.places(),
        stallWarnings: mp.stallWarnings.map((w) => `${w.message} (at attempt ${w.cnt})`),
      };
    });
    return {
      pools: this.models.size,
      events: this.events,
      checks: this.checks,
      invariantRuns: this.invariantRuns,
      disagreements: this.disagreements.slice(),
      disagreementCount: this.disagreementCount,
      violations: this.violations.slice(),
      modelPools,
    };
  }

  // ---- internals ---------------------------------------------------------------

  /** The model's domain, made on first use, with the model's tracepoint hooks. */
  private world(): MemoryDomain {
    if (this.domain !== null) return this.domain;
    const domain = new MemoryDomain({
      pages: this.opts.pages,
      netIovs: this.opts.netIovs,
      clock: this.clock,
      onWarn: false,
      checked: true,
      sharedMemory: false,
    });
    const n = Math.min(this.opts.netIovs, this.opts.pages);
    this.src = new ReplaySource(n > 0 ? domain.createArea('dmabuf', n, domain.pageRegion, 0, false) : null);
    setPagePoolTracer(domain, {
      release: (pool, inflight, hold, release, cnt) => {
        const mp = this.byModelId.get(pool.id);
        if (mp === undefined) return;
        mp.attempts++;
        mp.last = { inflight, hold, release, cnt };
        mp.ringPending = 0;
      },
    });
    domain.on('warn', (w) => {
      const mp = w.poolId === undefined ? undefined : this.byModelId.get(w.poolId);
      if (w.kind === 'stalled-pool' && mp !== undefined) mp.stallWarnings.push({ message: w.message, cnt: mp.attempts });
      else this.disagree(null, null, `model-${w.kind}`, `the model warns: ${w.message}`);
    });
    this.domain = domain;
    return domain;
  }

  /** The model pool of a traced pool, when it is being replayed; advances the clock. */
  private active(p: PoolState): ModelPool | null {
    const mp = this.models.get(p.index);
    return mp === undefined || mp.disabled ? null : mp;
  }

  private step(ev: TraceEvent): void {
    if (ev.line === this.lastLine) return;
    this.lastLine = ev.line;
    if (this.originUs < 0) this.originUs = ev.timeUs;
    this.clock.advanceTo((ev.timeUs - this.originUs) / 1000);
    this.events++;
    const every = this.opts.checkEvery;
    if (every > 0 && this.events % every === 0 && this.domain !== null) this.runDomainCheck(null, ev.timeUs / 1e6, ev.line);
  }

  /** Compares the model's last attempt with a traced page_pool_release line. */
  private compareAttempt(mp: ModelPool, p: PoolState, ev: TraceEvent): void {
    const last = mp.last;
    if (last === null) return;
    if (!mp.holdOffsetKnown) {
      mp.holdOffset = ev.hold - last.hold;
      mp.holdOffsetKnown = true;
    }
    if (!mp.releaseOffsetKnown) {
      mp.releaseOffset = ev.release - last.release;
      mp.releaseOffsetKnown = true;
    }
    const hold = last.hold + mp.holdOffset;
    const release = last.release + mp.releaseOffset;
    const inflight = hold - release;
    this.checks++;
    if (hold !== ev.hold || release !== ev.release || inflight !== ev.inflight) {
      this.disagree(
        p,
        ev,
        'attempt-mismatch',
        `page_pool_release cnt=${ev.cnt} says inflight=${ev.inflight} hold=${ev.hold} release=${ev.release}; the model's attempt ${last.cnt} counts inflight=${inflight} hold=${hold} release=${release} (resynchronised)`,
      );
      mp.holdOffset = ev.hold - last.hold;
      mp.releaseOffset = ev.release - last.release;
    }
  }

  /** Runs the pool's invariant checker (and the domain's when the pool was freed). */
  private checkPool(mp: ModelPool, p: PoolState, ev: TraceEvent): void {
    this.invariantRuns++;
    const v = mp.pool.isFreed ? [] : checkPoolInvariants(mp.pool);
    for (const m of v) this.violation(`line ${ev.line} (pool #${p.index}): ${m}`);
  }

  private runDomainCheck(_p: PoolState | null, time: number, line: number): void {
    this.invariantRuns++;
    for (const m of checkDomainInvariants(this.domain!)) this.violation(line > 0 ? `line ${line}: ${m}` : `end of trace (${time}): ${m}`);
  }

  private violation(m: string): void {
    if (this.violations.length < KEEP_VIOLATIONS) this.violations.push(m);
    this.disagreementCount++;
  }

  private outOfMemory(mp: ModelPool, p: PoolState, ev: TraceEvent): void {
    mp.disabled = true;
    if (!this.capacityWarned) {
      this.capacityWarned = true;
      this.disagree(
        p,
        ev,
        'model-capacity',
        `the model ran out of memory (${this.opts.pages} pages, ${this.opts.netIovs} net_iovs); replay of pool #${p.index} stops here (raise the model's pages)`,
      );
    }
  }

  private disagree(p: PoolState | null, ev: TraceEvent | null, kind: string, msg: string): void {
    this.disagreementCount++;
    if (this.disagreements.length >= KEEP) return;
    this.disagreements.push({ pool: p?.index ?? 0, line: ev?.line ?? 0, time: ev === null ? 0 : ev.timeUs / 1e6, kind, message: msg });
  }
}

function page(ev: TraceEvent): string {
  return ev.netIov ? 'a net_iov' : `pfn ${pfnText(ev.pfn)}`;
}

function message(e: unknown): string {
  return isNetmemError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

/** `handed-out 330, ring 2` from a places record. */
export function placesText(places: Record<string, number>): string {
  const parts = Object.entries(places)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? 'nowhere' : parts.join(', ');
}

/** Place names the model's ledger uses (re-exported for renderers). */
export const MODEL_PLACES = PLACE_NAMES;
