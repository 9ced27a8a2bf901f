/**
 * The model's clock during a replay: time is the trace's (milliseconds since
 * the first replayed event), and each pool's deferred-release timer fires
 * when the trace shows that pool's retry, not when the model's own 1 s
 * DEFER_TIME runs out. The kernel retries every ~1.02 s (1 s plus timer
 * slack) and every pool on its own schedule, so one clock cannot serve
 * several detached pools by time alone: timers are tagged with the pool
 * whose destroy or retry armed them (the replay names the owner around the
 * calls that may arm one), and the replay fires a pool's timer at its
 * traced retry. Timers armed with no owner fire by time, as a virtual clock's.
 */
import type { Clock, TimerHandle } from '@netmem/core';

interface Timer {
  at: number;
  fn: () => void;
  owner: object | null;
  cancelled: boolean;
}

/**
 * A virtual clock whose owned timers fire on demand.
 * @category Replay
 */
export class ReplayClock implements Clock {
  private t = 0;
  private owner: object | null = null;
  private readonly owned = new Map<object, Timer>();
  private readonly timed: Timer[] = [];

  /** Milliseconds since the replay began. */
  now(): number {
    return this.t;
  }

  /** Arms a timer; it belongs to the current owner, if any. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), fn, owner: this.owner, cancelled: false };
    if (timer.owner !== null) this.owned.set(timer.owner, timer);
    else this.timed.push(timer);
    return timer;
  }

  /** Cancels a timer. */
  clearTimeout(handle: TimerHandle): void {
    const timer = handle as Timer;
    timer.cancelled = true;
    if (timer.owner !== null && this.owned.get(timer.owner) === timer) this.owned.delete(timer.owner);
  }

  /** Runs `fn` with `owner` named as the owner of any timer it arms. */
  within<T>(owner: object, fn: () => T): T {
    const prev = this.owner;
    this.owner = owner;
    try {
      return fn();
    } finally {
      this.owner = prev;
    }
  }

  /** When `owner`'s pending timer is due (ms), or null when it has none. */
  dueOf(owner: object): number | null {
    return this.owned.get(owner)?.at ?? null;
  }

  /** Fires `owner`'s pending timer now; false when it has none. */
  fire(owner: object): boolean {
    const timer = this.owned.get(owner);
    if (timer === undefined) return false;
    this.owned.delete(owner);
    this.within(owner, timer.fn);
    return true;
  }

  /** Moves time to `ms` (never backwards), firing unowned timers that come due. */
  advanceTo(ms: number): void {
    if (ms <= this.t) return;
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.timed.length; i++) {
        const tm = this.timed[i];
        if (!tm.cancelled && tm.at <= ms && (next < 0 || tm.at < this.timed[next].at)) next = i;
      }
      if (next < 0) break;
      const tm = this.timed.splice(next, 1)[0];
      this.t = Math.max(this.t, tm.at);
      tm.fn();
    }
    this.t = ms;
  }
}
