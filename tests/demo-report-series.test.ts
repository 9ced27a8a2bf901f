/**
 * The demo report's bounded series (examples/report/series.ts): however
 * many samples arrive, it keeps at most its limit of points, its first and
 * newest points exact, and nothing for a sample equal to the last one.
 */
import { describe, expect, it } from 'vitest';
import { BoundedSeries } from '../examples/report/series.js';

describe('BoundedSeries', () => {
  it('keeps at most `limit` points over a long run, first and newest exact', () => {
    const limit = 50;
    const s = new BoundedSeries(['n'], limit);
    const samples = limit * 1000;
    for (let i = 1; i <= samples; i++) if (s.take()) s.push(i, [i]);
    s.push(samples + 1, [samples + 1], true);
    const j = s.toJSON();
    expect(j.t.length).toBeLessThanOrEqual(limit);
    expect(j.t.length).toBeGreaterThan(limit / 4);
    expect(j.t[0]).toBe(1);
    expect(j.t.at(-1)).toBe(samples + 1);
    expect(j.values.n.at(-1)).toBe(samples + 1);
    expect(j.offered).toBe(samples);
    // The stride doubled each time the series filled: a power of two, and the points still in time order.
    expect(Math.log2(j.stride) % 1).toBe(0);
    expect(j.stride).toBeGreaterThan(1);
    expect(j.t.every((t, k) => k === 0 || t > j.t[k - 1])).toBe(true);
  });

  it('skips a sample equal to the last, unless asked to keep it; one instant holds one point', () => {
    const s = new BoundedSeries(['a', 'b'], 8);
    s.push(1, [1, 2]);
    s.push(2, [1, 2]);
    expect(s.length).toBe(1);
    s.push(3, [1, 2], true);
    expect(s.length).toBe(2);
    s.push(3, [5, 6]);
    expect(s.toJSON().values).toEqual({ a: [1, 5], b: [2, 6] });
  });

  it('forced samples are kept whatever the stride', () => {
    const s = new BoundedSeries(['n'], 4);
    for (let i = 0; i < 100; i++) if (s.take()) s.push(i, [i]);
    expect(s.take(true)).toBe(true);
  });
});
