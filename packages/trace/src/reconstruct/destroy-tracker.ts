/**
 * A pool's destroy as its page_pool_release lines show it (README rules 5
 * to 7): the first attempt is the destroy, in the destroying task; each
 * retry comes from a kworker about every DEFER_TIME (1 s) plus timer slack;
 * the attempt that sees inflight 0 frees the pool. The tracker keeps every
 * attempt, checks the retry intervals against a window, and says when the
 * kernel's 60 s "stalled pool shutdown" warning would have fired.
 */
import type { BadInterval, DestroyReport, FreedAt, PoolReleaseAttempt, StallWarningAt, TaskRef } from '../types.js';

/**
 * Accepted retry intervals, seconds. DEFER_TIME is 1 s; schedule_delayed_work
 * rounds the expiry up to the timer wheel's granularity for that range
 * (8 jiffies: 32 ms at HZ=250, 80 ms at HZ=100) and the kworker may run a
 * little late, so 0.99 s to 1.15 s is normal. The README's captures retry
 * every 1.017 to 1.028 s.
 * @category Reconstruction
 */
export const RETRY_WINDOW: [number, number] = [0.99, 1.15];
/**
 * DEFER_WARN_INTERVAL: the stall warning's delay after destroy, seconds.
 * @category Reconstruction
 */
export const STALL_WARN_SECONDS = 60;
const KEEP_ATTEMPTS = 100_000;

/**
 * The attempts of one pool's destroy.
 * @category Reconstruction
 */
export class DestroyTracker {
  /** Every attempt kept (the first 100,000). */
  readonly attempts: PoolReleaseAttempt[] = [];
  /** The attempt that freed the pool. */
  freed: FreedAt | null = null;
  /** Intervals outside the window. */
  readonly badIntervals: BadInterval[] = [];
  /** When the stall warning would have fired. */
  stallWarning: StallWarningAt | null = null;
  private firstUs = -1;
  private prevUs = -1;
  private count = 0;

  constructor(private readonly window: [number, number] = RETRY_WINDOW) {}

  /** Attempts seen. */
  get attemptCount(): number {
    return this.count;
  }

  /** Records one page_pool_release line; returns the attempt. */
  add(a: Omit<PoolReleaseAttempt, 'sinceDestroy' | 'interval'>, us: number): PoolReleaseAttempt {
    if (this.firstUs < 0) this.firstUs = us;
    const interval = this.prevUs < 0 ? null : (us - this.prevUs) / 1e6;
    const since = (us - this.firstUs) / 1e6;
    const attempt: PoolReleaseAttempt = { ...a, sinceDestroy: since, interval };
    this.prevUs = us;
    this.count++;
    if (this.attempts.length < KEEP_ATTEMPTS) this.attempts.push(attempt);
    if (interval !== null && (interval < this.window[0] || interval > this.window[1])) this.badIntervals.push({ cnt: a.cnt, interval });
    // page_pool_release_retry warns when jiffies ≥ defer_warn (destroy + 60 s) and pages are in flight.
    if (this.stallWarning === null && a.cnt > 1 && a.inflight > 0 && since >= STALL_WARN_SECONDS) {
      this.stallWarning = { time: a.time, cnt: a.cnt, inflight: a.inflight, seconds: Math.floor(since) };
    }
    if (a.inflight === 0 && this.freed === null) this.freed = { time: a.time, cnt: a.cnt, afterSeconds: since };
    return attempt;
  }

  /** The report. */
  report(task: TaskRef): DestroyReport {
    const first = this.attempts[0];
    return {
      time: first.time,
      line: first.line,
      task,
      attempts: this.attempts.slice(),
      freed: this.freed,
      badIntervals: this.badIntervals.slice(),
      retryWindow: [this.window[0], this.window[1]],
      stallWarning: this.stallWarning,
    };
  }
}
