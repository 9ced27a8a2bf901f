import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_PAGE_ORDER } from '../src/index.js';
import { PageAllocator } from './helpers/internal.js';

describe('PageAllocator (buddy)', () => {
  it('seeds a 2048-frame node as two order-10 blocks', () => {
    const a = new PageAllocator(0, 2048);
    expect(a.freePages).toBe(2048);
    // Free lists are LIFO: the block seeded last comes out first.
    expect([a.alloc(10), a.alloc(10)].sort((x, y) => x - y)).toEqual([0, 1024]);
    expect(a.alloc(0)).toBe(-1);
    expect(a.freePages).toBe(0);
  });

  it('seeds a non-power-of-two node with the largest aligned blocks', () => {
    // 1500 = 1024 + 256 + 128 + 64 + 16 + 8 + 4
    const a = new PageAllocator(0, 1500);
    expect(a.freePages).toBe(1500);
    expect(a.alloc(10)).toBe(0);
    expect(a.alloc(10)).toBe(-1);
    expect(a.alloc(9)).toBe(-1);
    expect(a.alloc(8)).toBe(1024);
    expect(a.alloc(7)).toBe(1280);
    expect(a.alloc(6)).toBe(1408);
    expect(a.alloc(5)).toBe(-1);
    expect(a.alloc(4)).toBe(1472);
    expect(a.alloc(3)).toBe(1488);
    expect(a.alloc(2)).toBe(1496);
    expect(a.freePages).toBe(0);
    expect(a.alloc(0)).toBe(-1);
  });

  it('returns pfns offset by its base', () => {
    const a = new PageAllocator(4096, 1024);
    expect(a.alloc(0)).toBe(4096);
    expect(a.alloc(0)).toBe(4097);
    expect(a.alloc(1)).toBe(4098);
  });

  it.each(Array.from({ length: MAX_PAGE_ORDER + 1 }, (_, o) => o))('order %i: allocates, frees and merges back to a full order-10 block', (order) => {
    const a = new PageAllocator(0, 1024);
    const n = 1024 >> order;
    const got: number[] = [];
    for (let i = 0; i < n; i++) {
      const pfn = a.alloc(order);
      expect(pfn).toBeGreaterThanOrEqual(0);
      expect(pfn % (1 << order)).toBe(0); // naturally aligned
      got.push(pfn);
    }
    expect(new Set(got).size).toBe(n);
    expect(a.freePages).toBe(0);
    expect(a.alloc(order)).toBe(-1);
    expect(a.alloc(0)).toBe(-1);
    // Free in an interleaved order so merges happen out of sequence.
    const evens = got.filter((_, i) => i % 2 === 0);
    const odds = got.filter((_, i) => i % 2 === 1).reverse();
    for (const pfn of [...odds, ...evens]) a.release(pfn, order);
    expect(a.freePages).toBe(1024);
    expect(a.isFree(0)).toBe(true);
    expect(a.alloc(10)).toBe(0);
    expect(a.freePages).toBe(0);
  });

  it('splits an order-10 block on the first order-0 alloc and merges it back', () => {
    const a = new PageAllocator(0, 1024);
    expect(a.alloc(0)).toBe(0);
    expect(a.freePages).toBe(1023);
    expect(a.isFree(0)).toBe(false);
    expect(a.isFree(1)).toBe(true); // the order-0 buddy
    expect(a.isFree(2)).toBe(true); // the order-1 buddy
    expect(a.isFree(512)).toBe(true); // the order-9 buddy
    expect(a.alloc(10)).toBe(-1);
    a.release(0, 0);
    expect(a.freePages).toBe(1024);
    expect(a.isFree(1)).toBe(false); // merged away
    expect(a.alloc(10)).toBe(0);
  });

  it('does not merge with a buddy that is only partly free', () => {
    const a = new PageAllocator(0, 4);
    expect(a.alloc(0)).toBe(0);
    expect(a.alloc(0)).toBe(1);
    expect(a.alloc(0)).toBe(2);
    a.release(0, 0);
    expect(a.alloc(1)).toBe(-1); // 1 still used: 0 cannot pair up
    a.release(1, 0);
    expect(a.alloc(1)).toBe(0);
  });

  it('property: random alloc/free never overlaps and always merges back', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ alloc: fc.boolean(), order: fc.integer({ min: 0, max: 4 }), pick: fc.nat() }), { maxLength: 80 }), (ops) => {
        const a = new PageAllocator(0, 256);
        const used = new Uint8Array(256);
        const held: [number, number][] = [];
        for (const op of ops) {
          if (op.alloc || held.length === 0) {
            const pfn = a.alloc(op.order);
            if (pfn < 0) continue;
            for (let i = pfn; i < pfn + (1 << op.order); i++) {
              expect(used[i]).toBe(0);
              used[i] = 1;
            }
            held.push([pfn, op.order]);
          } else {
            const [pfn, order] = held.splice(op.pick % held.length, 1)[0];
            for (let i = pfn; i < pfn + (1 << order); i++) used[i] = 0;
            a.release(pfn, order);
          }
          expect(a.freePages).toBe(256 - used.reduce((s, v) => s + v, 0));
        }
        for (const [pfn, order] of held) a.release(pfn, order);
        expect(a.freePages).toBe(256);
        expect(a.alloc(8)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
