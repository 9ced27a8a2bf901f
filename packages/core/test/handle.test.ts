import { describe, expect, it } from 'vitest';
import { NETMEM_NULL, isNetIov } from '../src/index.js';
import { MAX_DESCS, descOf, genOf, makeHandle } from './helpers/internal.js';

describe('netmem handles', () => {
  it('NULL is 0 and names descriptor 0', () => {
    expect(NETMEM_NULL).toBe(0);
    expect(descOf(0)).toBe(0);
    expect(isNetIov(0)).toBe(false);
  });

  it('round-trips descriptor, net_iov bit and generation', () => {
    for (const [d, iov, gen] of [
      [1, false, 0],
      [1, true, 0],
      [12345, false, 7],
      [MAX_DESCS - 1, true, 0x1ff],
    ] as const) {
      const h = makeHandle(d, iov, gen);
      expect(descOf(h)).toBe(d);
      expect(isNetIov(h)).toBe(iov);
      expect(genOf(h)).toBe(gen);
      expect(h & 1).toBe(iov ? 1 : 0);
      // Always a positive small integer (never boxes, never negative).
      expect(h).toBeGreaterThan(0);
      expect(h).toBeLessThan(2 ** 30);
    }
  });

  it('wraps the generation at 9 bits', () => {
    expect(genOf(makeHandle(5, false, 0x200))).toBe(0);
    expect(genOf(makeHandle(5, false, 0x201))).toBe(1);
    expect(makeHandle(5, false, 0x200)).toBe(makeHandle(5, false, 0));
  });

  it('handles of different generations differ but name the same descriptor', () => {
    const a = makeHandle(42, false, 1);
    const b = makeHandle(42, false, 2);
    expect(a).not.toBe(b);
    expect(descOf(a)).toBe(descOf(b));
  });
});
