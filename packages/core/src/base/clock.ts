/**
 * Time source for deferred work (the pool release retry). The real clock uses
 * unref'd timers so a detached pool never keeps a program alive; the virtual
 * clock lets tests step time exactly.
 */
import { E } from './validate.js';

/**
 * An opaque timer handle.
 * @category Clock
 */
export type TimerHandle = unknown;

/**
 * What netmem needs from a clock.
 * @category Clock
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Wall-clock time and Node timers (unref'd).
 * @category Clock
 */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  }
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to; timers fire in time order.
 * @category Clock
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (typeof fn !== 'function') E.expected('setTimeout needs a function', fn);
    if (typeof ms !== 'number' || !Number.isFinite(ms)) E.expected('a timer delay must be a finite number of ms (negative runs now, as setTimeout does)', ms);
    const timer: VirtualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(handle: TimerHandle): void {
    (handle as VirtualTimer).cancelled = true;
  }
  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
  /** Moves time forward by `ms`, firing every timer that comes due, in order. */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0) || ms === Infinity) E.expected('advance takes a finite number of ms ≥ 0', ms);
    const end = this.t + ms;
    for (;;) {
      let next: VirtualTimer | undefined;
      for (const tm of this.timers) {
        if (tm.cancelled || tm.at > end) continue;
        if (!next || tm.at < next.at || (tm.at === next.at && tm.seq < next.seq)) next = tm;
      }
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = next.at;
      next.fn();
    }
    this.timers = this.timers.filter((tm) => !tm.cancelled);
    this.t = end;
  }
}
