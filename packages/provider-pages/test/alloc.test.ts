import { describe, expect, it } from 'vitest';
import { PP_FLAG_DMA_MAP, Place } from '@netmem/core';
import { checkDomainInvariants, inspectNetmem } from '@netmem/core/testing';
import { pagesProvider } from '../src/index.js';
import { allocN, codeOf, env, stats } from './helpers.js';

describe('pages provider: allocation paths', () => {
  it('the first alloc is one slow bulk: 64 pages mapped and held, 63 cached, one handed out', () => {
    const e = env();
    const pool = e.pool();
    const nm = pool.allocNetmems();
    expect(nm).not.toBe(0);
    expect(pool.stats()).toEqual(stats({ slow: 1, empty: 1 }));
    expect(pool.cacheSize).toBe(63);
    expect(pool.ringLength).toBe(0);
    expect(pool.inflight).toBe(64);
    expect(pool.holdCount).toBe(64);
    expect(e.dom.freePages).toBe(1024 - 64);
    expect(e.dev.counters()).toMatchObject({ maps: 64, liveMappings: 64, syncsForDevice: 64 });
    const desc = inspectNetmem(e.dom, nm);
    expect(desc.place).toBe(Place.HANDED_OUT);
    expect(desc.poolId).toBe(pool.id);
    expect(desc.ppRef).toBe(1);
    expect(e.dev.isMapped(desc.dma)).toBe(true);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('the fast path is LIFO and counts fast', () => {
    const e = env();
    const pool = e.pool();
    const [a, b, c] = allocN(pool, 3);
    // The bulk returns the page it placed last; the cache pops in reverse order of placement.
    expect(inspectNetmem(e.dom, b).desc).toBe(inspectNetmem(e.dom, a).desc - 1);
    expect(inspectNetmem(e.dom, c).desc).toBe(inspectNetmem(e.dom, a).desc - 2);
    pool.recycleDirect(c);
    expect(pool.allocNetmems()).toBe(c);
    pool.recycleDirect(a);
    pool.recycleDirect(b);
    expect(pool.allocNetmems()).toBe(b);
    expect(pool.allocNetmems()).toBe(a);
    expect(pool.stats()).toEqual(stats({ slow: 1, empty: 1, fast: 5 }, { cached: 3 }));
    expect(pool.inflight).toBe(64);
  });

  it('order 2: one compound page per slow alloc (slowHighOrder), inflight +1 each', () => {
    const e = env();
    const pool = e.pool({ order: 2 });
    const got: number[] = [];
    for (let i = 1; i <= 3; i++) {
      got.push(pool.allocNetmems());
      expect(pool.inflight).toBe(i);
      expect(pool.cacheSize).toBe(0);
      expect(e.dom.freePages).toBe(1024 - 4 * i);
    }
    expect(pool.stats()).toEqual(stats({ slowHighOrder: 3, empty: 3 }));
    expect(pool.bytes(got[0]).byteLength).toBe(4 * 4096);
    expect(pool.info().inflightMem).toBe(3 * 4 * 4096);
    expect(e.dev.counters().maps).toBe(3);
    pool.recycleDirect(got[2]);
    expect(pool.allocNetmems()).toBe(got[2]);
    expect(pool.stats().alloc.fast).toBe(1);
  });

  it('runs out of memory with NULL, not an exception', () => {
    const e = env({ pages: 70 });
    const pool = e.pool();
    const got = allocN(pool, 70);
    expect(pool.allocNetmems()).toBe(0);
    expect(pool.stats()).toEqual(stats({ slow: 2, empty: 3, fast: 68 }));
    expect(pool.inflight).toBe(70);
    for (const nm of got) pool.putNetmem(nm);
    expect(pool.ringLength).toBe(70);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(e.dom.freePages).toBe(70);
  });

  it('a page whose DMA map fails is freed and skipped', () => {
    const e = env();
    e.dom.injectFaults({ dmaMapEvery: 4 });
    const pool = e.pool();
    expect(pool.allocNetmems()).not.toBe(0);
    expect(pool.inflight).toBe(48);
    expect(pool.cacheSize).toBe(47);
    expect(e.dom.freePages).toBe(1024 - 48);
    expect(e.dev.counters().maps).toBe(48);
  });

  it('a pool without DMA_MAP maps nothing', () => {
    const e = env();
    const pool = e.pool({ flags: 0, maxLen: 0 });
    pool.recycleDirect(pool.allocNetmems());
    expect(e.dev.counters().maps).toBe(0);
    expect(inspectNetmem(e.dom, pool.allocNetmems()).dma).toBe(0);
  });

  it('cache full: direct recycling counts cacheFull and goes to the ring', () => {
    const e = env();
    const pool = e.pool();
    const got = allocN(pool, 129); // three bulks: 192 held, 63 cached
    expect(pool.cacheSize).toBe(63);
    for (let i = 0; i < 65; i++) pool.recycleDirect(got[i]);
    expect(pool.cacheSize).toBe(128);
    for (let i = 65; i < 129; i++) pool.recycleDirect(got[i]);
    expect(pool.cacheSize).toBe(128);
    expect(pool.ringLength).toBe(64);
    expect(pool.stats()).toEqual(stats({ slow: 3, empty: 3, fast: 126 }, { cached: 65, cacheFull: 64, ring: 64 }));
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('refill moves at most 64 from the ring and counts one refill each time; an empty ring counts empty', () => {
    const e = env();
    const pool = e.pool();
    const got = allocN(pool, 128); // two bulks, cache now empty
    expect(pool.cacheSize).toBe(0);
    for (let i = 0; i < 100; i++) pool.putNetmem(got[i]);
    expect(pool.ringLength).toBe(100);
    // The ring is FIFO: the first refill takes got[0..63] and hands out the last moved.
    expect(pool.allocNetmems()).toBe(got[63]);
    expect(pool.cacheSize).toBe(63);
    expect(pool.ringLength).toBe(36);
    expect(pool.stats()).toEqual(stats({ slow: 2, empty: 2, fast: 126, refill: 1 }, { ring: 100 }));
    allocN(pool, 63);
    expect(pool.allocNetmems()).toBe(got[99]);
    expect(pool.cacheSize).toBe(35);
    expect(pool.ringLength).toBe(0);
    expect(pool.stats().alloc).toMatchObject({ refill: 2, fast: 126 + 63 });
    allocN(pool, 35);
    pool.allocNetmems(); // cache and ring empty: empty++ then a slow bulk
    expect(pool.stats()).toEqual(stats({ slow: 3, empty: 3, fast: 126 + 63 + 35, refill: 2 }, { ring: 100 }));
    expect(pool.inflight).toBe(192);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('waive: a ring page from another NUMA node is released and the refill stops', () => {
    const e = env({ pages: 512, numaNodes: 2 });
    const pool = e.pool();
    const got = allocN(pool, 64);
    expect(got.every((nm) => e.dom.nidOf(nm) === 0)).toBe(true);
    for (const nm of got) pool.putNetmem(nm);
    e.dom.currentNode = 1; // the NAPI moved: nid -1 now means node 1
    const free0 = e.dom.freePages;
    const nm = pool.allocNetmems();
    expect(e.dom.nidOf(nm)).toBe(1);
    expect(pool.stats()).toEqual(stats({ slow: 2, empty: 1, fast: 63, waive: 1 }, { ring: 64 }));
    expect(pool.ringLength).toBe(63);
    expect(pool.releaseCount).toBe(1);
    expect(pool.inflight).toBe(64 - 1 + 64);
    expect(e.dom.freePages).toBe(free0 + 1 - 64);
    // Once the cache is used up the next refill meets another node-0 page.
    allocN(pool, 63);
    pool.allocNetmems();
    expect(pool.stats().alloc).toMatchObject({ waive: 2, slow: 3, refill: 0 });
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('updateNid flushes the cache back to the allocator and allocates on the new node', () => {
    const e = env({ pages: 512, numaNodes: 2 });
    const pool = e.pool();
    const first = pool.allocNetmems();
    expect(pool.cacheSize).toBe(63);
    pool.updateNid(1);
    expect(pool.nid).toBe(1);
    expect(pool.cacheSize).toBe(0);
    expect(pool.releaseCount).toBe(63);
    expect(pool.inflight).toBe(1);
    expect(e.dev.counters()).toMatchObject({ unmaps: 63, liveMappings: 1 });
    expect(e.dom.freePages).toBe(512 - 1);
    const nm = pool.allocNetmems();
    expect(e.dom.nidOf(nm)).toBe(1);
    expect(e.dom.nidOf(first)).toBe(0);
    expect(pool.stats().alloc).toMatchObject({ slow: 2, empty: 2 });
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('ring full: ringFull counts and the page leaves the pool for the allocator', () => {
    const e = env();
    const pool = e.pool({ poolSize: 4 });
    expect(pool.ringSize).toBe(4);
    const got = allocN(pool, 64);
    const free0 = e.dom.freePages;
    for (let i = 0; i < 5; i++) pool.putNetmem(got[i]);
    expect(pool.ringLength).toBe(4);
    expect(pool.stats().recycle).toEqual({ cached: 0, cacheFull: 0, ring: 4, ringFull: 1, releasedRefcnt: 0 });
    expect(e.dom.freePages).toBe(free0 + 1);
    expect(pool.releaseCount).toBe(1);
    expect(pool.inflight).toBe(63);
    expect(e.dev.counters()).toMatchObject({ unmaps: 1, liveMappings: 63 });
    expect(inspectNetmem(e.dom, got[4]).poolId).toBe(0);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('stats() has exactly the kernel counter names', () => {
    const pool = env().pool();
    const s = pool.stats();
    expect(Object.keys(s)).toEqual(['alloc', 'recycle']);
    expect(Object.keys(s.alloc)).toEqual(['fast', 'slow', 'slowHighOrder', 'empty', 'refill', 'waive']);
    expect(Object.keys(s.recycle)).toEqual(['cached', 'cacheFull', 'ring', 'ringFull', 'releasedRefcnt']);
    expect(s).toEqual(stats());
    expect(pool.stats()).not.toBe(s); // a fresh object each call
  });

  it('bulk option: 1..64, else EINVAL', () => {
    expect(codeOf(() => pagesProvider({ bulk: 0 }))).toBe('EINVAL');
    expect(codeOf(() => pagesProvider({ bulk: 65 }))).toBe('EINVAL');
    const e = env();
    const pool = e.pool({ flags: PP_FLAG_DMA_MAP, maxLen: 0 }, { bulk: 8 });
    pool.allocNetmems();
    expect(pool.inflight).toBe(8);
    expect(pool.cacheSize).toBe(7);
  });
});
