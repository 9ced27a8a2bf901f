/**
 * Completeness of one running counter (a pool's hold or release count):
 * every number from the first one seen should appear exactly once. Release
 * numbers come from an atomic counter bumped on several CPUs, so lines may
 * arrive a few numbers out of order: the check is on the set, not the
 * order (README rule 3).
 *
 * Memory strategy: a sliding window of WINDOW bits above `base` (every
 * number below `base` is settled: seen, or declared lost). A number more
 * than WINDOW above `base` settles the oldest ones first; so does a
 * page_pool_release line (its counter says which numbers must exist by
 * then) and the end of the trace. Jumps (a number above max + 1) are kept in
 * a short FIFO until settled, to say where a gap is and to count lines out
 * of order. Memory is constant per counter.
 */
import type { CounterGap, CounterReport, TracePoint } from '../types.js';

const WINDOW = 1 << 14;
const WMASK = WINDOW - 1;
const KEEP_GAPS = 50;
const KEEP_JUMPS = 4096;

interface Jump {
  from: number;
  to: number;
  after: TracePoint;
  before: TracePoint;
  filled: boolean;
}

/**
 * One counter's completeness check.
 * @category Reconstruction
 */
export class CounterTrack {
  /** First number seen (-1: none). */
  first = -1;
  /** Highest number seen (-1: none). */
  max = -1;
  /** Distinct numbers seen. */
  seen = 0;
  /** Numbers declared lost. */
  lost = 0;
  /** Numbers seen more than once (or after being declared lost). */
  repeats = 0;
  /** Lines out of trace order. */
  outOfOrder = 0;
  /** The first gaps. */
  readonly gaps: CounterGap[] = [];
  private base = 0;
  private readonly bits = new Uint32Array(WINDOW >>> 5);
  private readonly jumps: Jump[] = [];
  private maxUs = 0;
  private maxLine = 0;

  /** The counter is known to start at 1 (its pool began in the trace): numbers below the first seen count too. */
  startAtOne(): void {
    if (this.first >= 0) return;
    this.first = this.base = 1;
    this.max = 0;
  }

  /** Records number `n` seen at (`us`, `line`). */
  add(n: number, us: number, line: number): void {
    if (this.first < 0) {
      this.first = n;
      this.base = n;
      this.max = n - 1;
    }
    if (n < this.base) {
      this.repeats++;
      return;
    }
    if (n >= this.base + WINDOW) this.settle(n - WINDOW, { time: us / 1e6, line });
    const w = n & WMASK;
    const bit = 1 << (w & 31);
    if ((this.bits[w >>> 5] & bit) !== 0) {
      this.repeats++;
      return;
    }
    this.bits[w >>> 5] |= bit;
    this.seen++;
    if (n < this.max) {
      this.outOfOrder++;
      this.fillJump(n);
    } else if (n > this.max + 1 && this.max >= this.first) {
      if (this.jumps.length >= KEEP_JUMPS) this.jumps.shift();
      this.jumps.push({
        from: this.max + 1,
        to: n - 1,
        after: { time: this.maxUs / 1e6, line: this.maxLine },
        before: { time: us / 1e6, line },
        filled: false,
      });
    }
    if (n > this.max) {
      this.max = n;
      this.maxUs = us;
      this.maxLine = line;
    }
    this.advance();
  }

  /**
   * A page_pool_release line says the counter is `upTo`: every number up to
   * it must have been seen by now (the rest are lost). With nothing seen yet,
   * only a counter known to start at 1 (`startsAtOne`: the pool began in the
   * trace) can be judged.
   */
  expectUpTo(upTo: number, at: TracePoint, startsAtOne: boolean): void {
    if (this.first < 0) {
      if (!startsAtOne || upTo < 1) return;
      this.startAtOne();
    }
    if (upTo >= this.base) this.settle(upTo, at);
  }

  /** End of the trace: numbers between the lowest unsettled and the highest seen are lost. */
  finish(at: TracePoint): void {
    if (this.first >= 0 && this.max >= this.base) this.settle(this.max, at);
  }

  /** The report. */
  report(): CounterReport {
    return {
      first: this.first < 0 ? null : this.first,
      max: this.max < this.first || this.first < 0 ? null : this.max,
      seen: this.seen,
      lost: this.lost,
      gaps: this.gaps.slice(),
      repeats: this.repeats,
      outOfOrder: this.outOfOrder,
    };
  }

  /** Declares every unseen number up to `upTo` lost; moves `base` past it. */
  private settle(upTo: number, at: TracePoint): void {
    let runFrom = -1;
    for (let n = this.base; n <= upTo; n++) {
      const w = n & WMASK;
      const bit = 1 << (w & 31);
      if ((this.bits[w >>> 5] & bit) !== 0) {
        this.bits[w >>> 5] &= ~bit;
        if (runFrom >= 0) this.gap(runFrom, n - 1, at);
        runFrom = -1;
      } else if (runFrom < 0) runFrom = n;
    }
    if (runFrom >= 0) this.gap(runFrom, upTo, at);
    this.base = upTo + 1;
    if (this.max < upTo) this.max = upTo;
    this.advance();
  }

  private gap(from: number, to: number, at: TracePoint): void {
    this.lost += to - from + 1;
    if (this.gaps.length >= KEEP_GAPS) return;
    const j = this.jumps.find((x) => x.from <= from && from <= x.to);
    this.gaps.push({ from, to, after: j ? j.after : null, before: j ? j.before : at });
  }

  /** Moves `base` over numbers seen; drops settled jumps. */
  private advance(): void {
    for (;;) {
      const w = this.base & WMASK;
      const bit = 1 << (w & 31);
      if ((this.bits[w >>> 5] & bit) === 0 || this.base > this.max) break;
      this.bits[w >>> 5] &= ~bit;
      this.base++;
    }
    const jumps = this.jumps;
    while (jumps.length > 0 && jumps[0].to < this.base) jumps.shift();
  }

  /** A late number fills a jump: that jump's line was out of order too (counted once). */
  private fillJump(n: number): void {
    const jumps = this.jumps;
    for (let k = jumps.length - 1; k >= 0; k--) {
      const j = jumps[k];
      if (j.from <= n && n <= j.to) {
        if (!j.filled) {
          j.filled = true;
          this.outOfOrder++;
        }
        return;
      }
    }
  }
}
