/** The checkable stream: what the sender slices is what the checker accepts, and any wrong byte is found exactly. */
import { describe, expect, it } from 'vitest';
import { PATTERN_PERIOD, PatternTape } from '../src/index.js';

describe('PatternTape', () => {
  const tape = new PatternTape(99, 1 << 16);

  it('slices are the stream, across the period, and the checker accepts them at every alignment', () => {
    const mem = new Uint8Array(1 << 20);
    const check = tape.checker(mem.buffer);
    for (const offset of [0, 1, 3, 7, 8, 4093, PATTERN_PERIOD - 5, 3 * PATTERN_PERIOD + 6]) {
      const n = 50_000;
      mem.set(tape.slice(offset, n), 4096);
      for (let i = 0; i < n; i += 9973) expect(mem[4096 + i]).toBe(tape.byteAt(offset + i));
      expect(check.check(4096, n, offset)).toBe(-1);
      expect(check.check(4096 + 3, n - 3, offset + 3)).toBe(-1); // an unaligned start is checked byte by byte
      expect(check.check(4096, n, offset + 1)).toBeGreaterThanOrEqual(0); // the wrong place in the stream
    }
  });

  it('finds the first wrong byte exactly, including words that are equal only as numbers', () => {
    const mem = new Uint8Array(1 << 20);
    const check = tape.checker(mem.buffer);
    const n = 200_000; // longer than the tape's extra: checked in pieces
    for (let k = 0; k < n; k += 65536) mem.set(tape.slice(k, Math.min(65536, n - k)), 8192 + k);
    expect(check.check(8192, n, 0)).toBe(-1);
    for (const at of [0, 5, 8, 65535, 65536, 150_001, n - 1]) {
      mem[8192 + at] ^= 0x80;
      expect(check.check(8192, n, 0)).toBe(at);
      mem[8192 + at] ^= 0x80;
    }
    // +0 against -0 and NaN patterns: compared as integers.
    const f = new Float64Array(mem.buffer, 8192, 4);
    const saved = mem.slice(8192, 8192 + 32);
    f[1] = -0;
    expect(check.check(8192, 32, 0)).toBe(8 + new Uint8Array(tape.slice(8, 8)).findIndex((b, i) => b !== mem[8192 + 8 + i]));
    mem.set(saved, 8192);
    expect(check.check(8192, 32, 0)).toBe(-1);
  });

  it('refuses bad arguments', () => {
    expect(() => new PatternTape(1, 100)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => tape.slice(0, (1 << 16) + 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => tape.checker(new ArrayBuffer(64)).check(60, 8, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
