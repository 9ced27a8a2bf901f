import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../src/index.js';

describe('VirtualClock', () => {
  it('starts at 0 and moves only on advance', () => {
    const c = new VirtualClock();
    expect(c.now()).toBe(0);
    c.advance(250);
    expect(c.now()).toBe(250);
  });

  it('fires due timers in time order, ties in creation order, each at its own time', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimeout(() => log.push(`b@${c.now()}`), 200);
    c.setTimeout(() => log.push(`a@${c.now()}`), 100);
    c.setTimeout(() => log.push(`c@${c.now()}`), 200);
    c.setTimeout(() => log.push(`late@${c.now()}`), 301);
    expect(c.pending).toBe(4);
    c.advance(199);
    expect(log).toEqual(['a@100']);
    c.advance(1);
    expect(log).toEqual(['a@100', 'b@200', 'c@200']);
    c.advance(100);
    expect(log).toHaveLength(3);
    expect(c.pending).toBe(1);
    c.advance(1);
    expect(log).toEqual(['a@100', 'b@200', 'c@200', 'late@301']);
    expect(c.pending).toBe(0);
  });

  it('fires timers scheduled by a timer when they fall inside the same advance', () => {
    const c = new VirtualClock();
    const at: number[] = [];
    const tick = (): void => {
      at.push(c.now());
      c.setTimeout(tick, 1000);
    };
    c.setTimeout(tick, 1000);
    c.advance(3500);
    expect(at).toEqual([1000, 2000, 3000]);
    expect(c.now()).toBe(3500);
    expect(c.pending).toBe(1);
  });

  it('never fires a cancelled timer; negative delays run at now', () => {
    const c = new VirtualClock();
    let n = 0;
    const h = c.setTimeout(() => n++, 10);
    c.clearTimeout(h);
    expect(c.pending).toBe(0);
    c.setTimeout(() => (n += 10), -5);
    c.advance(0);
    expect(n).toBe(10);
    c.advance(100);
    expect(n).toBe(10);
  });
});

describe('RealClock', () => {
  it('runs a timer and can cancel one', async () => {
    const c = new RealClock();
    const t0 = c.now();
    let cancelled = false;
    c.clearTimeout(c.setTimeout(() => (cancelled = true), 1));
    await new Promise<void>((resolve) => c.setTimeout(resolve, 5));
    expect(c.now()).toBeGreaterThan(t0);
    expect(cancelled).toBe(false);
  });
});
