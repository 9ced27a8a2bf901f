/**
 * Hostile and careless input on the page path: every refused call changes
 * nothing (free pages, pool counters, live mappings), and a device that
 * vanishes in the middle of a bulk allocation loses no page.
 */
import { describe, expect, it } from 'vitest';
import { createPagePool, type PagePool } from '@netmem/core';
import { checkDomainInvariants, errnoOf, quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '../src/index.js';
import { MAP_SYNC, allocN, env } from './helpers.js';

/** What a refused call must leave as it was. */
function figures(pool: PagePool) {
  return {
    free: pool.domain.freePages,
    inflight: pool.inflight,
    cache: pool.cacheSize,
    ring: pool.ringLength,
    stats: pool.stats(),
    live: pool.dev?.liveMappings ?? 0,
  };
}

/** The same without the alloc statistics (a failed slow allocation still counts its empty-ring attempt, as the kernel does). */
function holdings(pool: PagePool) {
  const { stats: _, ...rest } = figures(pool);
  return rest;
}

describe('pages provider: hostile input', () => {
  it('D4: a strict device removed before a bulk refill: ENODEV each time, no page lost, nothing counted', () => {
    const w = quietWorld({ pages: 1024, strictIommu: true });
    const pool = createPagePool({ domain: w.domain, dev: w.dev, provider: pagesProvider(), flags: MAP_SYNC, maxLen: 4096 });
    const before = holdings(pool);
    w.dev.remove();
    for (let i = 0; i < 3; i++) expect(errnoOf(() => pool.allocNetmems())).toBe('ENODEV');
    expect(holdings(pool)).toEqual(before);
    expect(pool.stats().alloc).toMatchObject({ slow: 0, empty: 3 });
    expect(w.domain.freePages).toBe(1024);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(checkDomainInvariants(w.domain).filter((v) => !v.includes('after removal'))).toEqual([]);
  });

  it('D4: a strict device removed part-way (some pages already cached): the cached ones stay accounted, the rest go back', () => {
    const w = quietWorld({ pages: 1024, strictIommu: true });
    const pool = createPagePool({ domain: w.domain, dev: w.dev, provider: pagesProvider({ bulk: 8 }), flags: MAP_SYNC, maxLen: 4096 });
    let maps = 0;
    // Remove the device in the middle of the 8 maps of one bulk refill.
    const map = w.dev.map.bind(w.dev);
    w.dev.map = (r, o, l, d) => {
      if (++maps === 4) w.dev.remove();
      return map(r, o, l, d);
    };
    expect(errnoOf(() => pool.allocNetmems())).toBe('ENODEV');
    // Three pages were mapped and accounted before the fault: they sit in the cache; the other five were freed.
    expect(pool.cacheSize).toBe(3);
    expect(pool.inflight).toBe(3);
    expect(w.domain.freePages).toBe(1024 - 3);
    expect(w.dev.liveMappings).toBe(3);
    expect(checkDomainInvariants(w.domain).filter((v) => !v.includes('after removal'))).toEqual([]);
    // Unmapping on the gone device is the crash strict mode reports; recorded only, the pool can be torn down.
    w.dev.strict = false;
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(w.domain.freePages).toBe(1024);
  });

  it('D14: maxLen or offset past the buffer is EINVAL at creation, nothing listed', () => {
    const e = env();
    expect(errnoOf(() => e.pool({ maxLen: 8192 }))).toBe('EINVAL');
    expect(errnoOf(() => e.pool({ offset: 4096, maxLen: 1 }))).toBe('EINVAL');
    expect(errnoOf(() => e.pool({ offset: 256, maxLen: 3841 }))).toBe('EINVAL');
    expect(e.pool({ offset: 256, maxLen: 3840 }).maxLen).toBe(3840);
    expect(errnoOf(() => e.pool({ order: 1, offset: 256, maxLen: 8192 }))).toBe('EINVAL');
    for (const bad of [NaN, -1, '7', 1.5]) expect(errnoOf(() => e.pool({ offset: bad as number }))).toBe('EINVAL');
    expect(errnoOf(() => e.pool({ nid: 1.5 }))).toBe('EINVAL');
    expect(errnoOf(() => e.pool({ nid: 5 }))).toBe('EINVAL');
    expect(errnoOf(() => e.pool({ flags: 2 ** 32 }))).toBe('EINVAL');
    expect(e.dom.freePages).toBe(1024);
  });

  it('D3: putNetmem(page | 1) is refused; the page keeps its refcount and the ring stays as it was', () => {
    const e = env();
    const pool = e.pool();
    const [nm] = allocN(pool, 1);
    e.dom.getPage(nm);
    const before = figures(pool);
    expect(errnoOf(() => pool.putNetmem(nm | 1))).toBe('EINVAL');
    expect(errnoOf(() => pool.recycleDirect(nm | 1))).toBe('EINVAL');
    expect(figures(pool)).toEqual(before);
    pool.putNetmem(nm); // refcount 2: released, not recycled
    e.dom.putPage(nm);
    expect(pool.stats().recycle.releasedRefcnt).toBe(1);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('D6: ref/unref counts that are not integers ≥ 1 are EINVAL; unref of a cached netmem is EALREADY; nothing changes', () => {
    const e = env();
    const pool = e.pool();
    const [nm, cached] = allocN(pool, 2);
    pool.recycleDirect(cached);
    for (const bad of [NaN, -1, 0, 1.5, 2 ** 31, Infinity, '7']) {
      expect(errnoOf(() => pool.refNetmem(nm, bad as number))).toBe('EINVAL');
      expect(errnoOf(() => pool.unrefNetmem(nm, bad as number))).toBe('EINVAL');
    }
    expect(errnoOf(() => pool.unrefNetmem(cached, 1))).toBe('EALREADY');
    expect(errnoOf(() => pool.unrefNetmem(cached, -1))).toBe('EALREADY');
    pool.refNetmem(nm, 2);
    expect(pool.unrefNetmem(nm, 2)).toBe(1);
    for (const [size, allow] of [
      [NaN, false],
      [-2, false],
      [1.5, false],
      [-1, 'yes'],
    ] as const) {
      expect(errnoOf(() => pool.putNetmem(nm, size, allow as boolean))).toBe('EINVAL');
    }
    pool.putNetmem(nm);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('D7/D8: allocPages and getPage/putPage refuse bad orders, nodes and handles; the allocator keeps its count', () => {
    const e = env();
    for (const bad of [undefined, NaN, 1.5, -1, 11, '0']) expect(errnoOf(() => e.dom.allocPages(bad as number))).toBe('EINVAL');
    for (const bad of [NaN, 1.5, -2, 1]) expect(errnoOf(() => e.dom.allocPages(0, bad))).toBe('EINVAL');
    expect(e.dom.freePages).toBe(1024);
    const nm = e.dom.allocPages(0);
    e.dom.putPage(nm);
    expect(errnoOf(() => e.dom.getPage(nm))).toBe('EINVAL'); // a free frame
    expect(errnoOf(() => e.dom.putPage(nm))).toBe('EINVAL');
    for (const bad of [NaN, 0, -2, 1.5, 2 ** 31, nm | 1]) {
      expect(errnoOf(() => e.dom.getPage(bad))).toBe('EINVAL');
      expect(errnoOf(() => e.dom.putPage(bad))).toBe('EINVAL');
    }
    const big = e.dom.allocPages(2);
    expect(errnoOf(() => e.dom.getPage(big + 2))).toBe('EINVAL'); // a tail page
    e.dom.putPage(big);
    expect(e.dom.freePages).toBe(1024);
  });
});
