import { describe, expect, it } from 'vitest';
import { Napi, PP_FLAG_SYSTEM_POOL, Place, putNetmemBulk, type NetmemError } from '@netmem/core';
import { checkDomainInvariants, inspectNetmem, staleHandleOf } from '@netmem/core/testing';
import { MAP_SYNC, allocN, codeOf, env, stats } from './helpers.js';

describe('put and recycle', () => {
  it('a recycled page is synced for the device over min(dmaSyncSize, maxLen)', () => {
    const e = env();
    const pool = e.pool({ maxLen: 1500 });
    const [a, b] = allocN(pool, 2);
    const syncs0 = e.dev.counters().syncsForDevice;
    pool.putNetmem(a, 100);
    pool.putNetmem(b, 9000);
    expect(e.dev.counters().syncsForDevice).toBe(syncs0 + 2);
    const noSync = e.pool({ flags: 1, maxLen: 0 });
    const c = noSync.allocNetmems();
    const before = e.dev.counters().syncsForDevice;
    noSync.putNetmem(c);
    expect(e.dev.counters().syncsForDevice).toBe(before);
  });

  it('an extra page reference: the put releases the page (releasedRefcnt) and the other holder frees it', () => {
    const e = env();
    const pool = e.pool();
    const nm = pool.allocNetmems();
    const d = nm;
    const free0 = e.dom.freePages;
    e.dom.getPage(nm); // e.g. an skb frag ref
    pool.putNetmem(nm, -1, true);
    expect(pool.stats().recycle).toEqual({ cached: 0, cacheFull: 0, ring: 0, ringFull: 0, releasedRefcnt: 1 });
    expect(pool.cacheSize).toBe(63);
    expect(pool.releaseCount).toBe(1);
    expect(pool.inflight).toBe(63);
    // It left the pool: unmapped, marks cleared, but not freed yet.
    expect(inspectNetmem(e.dom, d).poolId).toBe(0);
    expect(inspectNetmem(e.dom, d).place).toBe(Place.NONE);
    expect(e.dom.pageRefCount(nm)).toBe(1);
    expect(e.dom.freePages).toBe(free0);
    expect(e.dev.counters()).toMatchObject({ unmaps: 1, liveMappings: 63 });
    e.dom.putPage(nm);
    expect(e.dom.freePages).toBe(free0 + 1);
    expect(e.dom.leaks).toBe(0);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('a pfmemalloc page is never recycled', () => {
    const e = env();
    const pool = e.pool();
    const nm = pool.allocNetmems();
    e.dom.setPfmemalloc(nm, true);
    pool.recycleDirect(nm);
    expect(pool.stats().recycle.releasedRefcnt).toBe(1);
    expect(pool.cacheSize).toBe(63);
    expect(e.dom.pageRefCount(nm)).toBe(0);
  });

  describe('unref rules', () => {
    it('ppRef == n gives 0 and resets the count to 1; otherwise what is left', () => {
      const e = env();
      const pool = e.pool();
      const nm = pool.allocNetmems();
      const d = nm;
      pool.refNetmem(nm, 2);
      expect(inspectNetmem(e.dom, d).ppRef).toBe(3);
      expect(pool.unrefNetmem(nm, 1)).toBe(2);
      expect(pool.unrefNetmem(nm, 2)).toBe(0);
      expect(inspectNetmem(e.dom, d).ppRef).toBe(1);
      // The caller owns the last reference now: put it as unrefed.
      pool.putUnrefedNetmem(nm, -1, true);
      expect(pool.cacheSize).toBe(64);
      expect(pool.stats().recycle.cached).toBe(1);
    });

    it('putNetmem drops one reference; only the last one recycles', () => {
      const e = env();
      const pool = e.pool();
      const nm = pool.allocNetmems();
      pool.refNetmem(nm);
      pool.putNetmem(nm);
      expect(pool.ringLength).toBe(0);
      expect(inspectNetmem(e.dom, nm).ppRef).toBe(1);
      pool.putNetmem(nm);
      expect(pool.ringLength).toBe(1);
    });

    it('underflow warns with the netmem and the count, returns the negative count and goes on (as the kernel WARNs)', () => {
      const e = env();
      const pool = e.pool();
      const nm = pool.allocNetmems();
      expect(pool.unrefNetmem(nm, 2)).toBe(-1);
      expect(inspectNetmem(e.dom, nm).ppRef).toBe(-1);
      expect(inspectNetmem(e.dom, nm).place).toBe(Place.HANDED_OUT);
      expect(e.warns).toEqual([
        { kind: 'pp-ref-underflow', message: expect.stringContaining(`netmem ${nm} went below zero (-1)`), poolId: pool.id, netmem: nm, value: -1 },
      ]);
      expect(pool.inflight).toBe(64);
      pool.putNetmem(nm); // not the last reference any more: the count goes further down, nothing is recycled
      expect(inspectNetmem(e.dom, nm).ppRef).toBe(-2);
      expect(pool.ringLength).toBe(0);
      expect(e.warns.map((w) => w.value)).toEqual([-1, -2]);
    });
  });

  describe('double free and misuse', () => {
    it('a second put is EALREADY and the buffer never sits twice in the ring or cache', () => {
      const e = env();
      const pool = e.pool();
      const [a, b] = allocN(pool, 2);
      pool.putNetmem(a);
      expect(codeOf(() => pool.putNetmem(a))).toBe('EALREADY');
      expect(codeOf(() => pool.recycleDirect(a))).toBe('EALREADY');
      expect(pool.ringLength).toBe(1);
      pool.recycleDirect(b);
      expect(codeOf(() => pool.recycleDirect(b))).toBe('EALREADY');
      expect(codeOf(() => pool.putNetmem(b))).toBe('EALREADY');
      expect(codeOf(() => pool.putUnrefedNetmem(b))).toBe('EALREADY');
      expect(codeOf(() => pool.refNetmem(b))).toBe('EALREADY');
      expect(pool.cacheSize).toBe(63);
      expect(pool.stats().recycle).toMatchObject({ ring: 1, cached: 1 });
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });

    it("a put of NULL, of a released page, or of another pool's page is EINVAL", () => {
      const e = env();
      const p1 = e.pool();
      const p2 = e.pool();
      const a = p1.allocNetmems();
      const b = p2.allocNetmems();
      expect(codeOf(() => p1.putNetmem(0))).toBe('EINVAL');
      expect(codeOf(() => p1.putNetmem(b))).toBe('EINVAL');
      e.dom.getPage(a);
      p1.putNetmem(a); // released: the extra ref keeps the page
      expect(codeOf(() => p1.putNetmem(a))).toBe('EINVAL');
      expect(p1.ringLength + p2.ringLength).toBe(0);
    });

    it('checked mode: a stale handle (its page was freed and reused) is ESTALE and changes nothing', () => {
      const e = env({ checked: true });
      const pool = e.pool({}, { bulk: 1 });
      const old = pool.allocNetmems();
      e.dom.getPage(old);
      pool.putNetmem(old); // leaves the pool
      e.dom.putPage(old); // and is freed
      const fresh = pool.allocNetmems(); // the allocator hands the same frame back
      expect(fresh).toBe(staleHandleOf(old)); // same descriptor, next generation
      const err = (() => {
        try {
          pool.putNetmem(old);
        } catch (x) {
          return x as NetmemError;
        }
        return undefined;
      })();
      expect(err?.code).toBe('ESTALE');
      expect(err?.errno).toBe(-116);
      expect(inspectNetmem(e.dom, fresh).place).toBe(Place.HANDED_OUT);
      expect(inspectNetmem(e.dom, fresh).ppRef).toBe(1);
      expect(pool.ringLength).toBe(0);
      expect(codeOf(() => pool.bytes(old))).toBe('ESTALE');
      pool.putNetmem(fresh);
      expect(pool.ringLength).toBe(1);
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });
  });

  describe('napi-local direct recycling', () => {
    it("inside the pool's napi poll a put goes to the cache; outside, or in another napi, to the ring", () => {
      const e = env();
      const napi = new Napi('eth0-rx0');
      const other = new Napi('eth0-rx1');
      const pool = e.pool({ napi });
      const [a, b, c] = allocN(pool, 3);
      napi.poll(() => pool.putNetmem(a));
      pool.putNetmem(b);
      other.poll(() => pool.putNetmem(c));
      expect(pool.stats().recycle).toMatchObject({ cached: 1, ring: 2 });
      expect(pool.cacheSize).toBe(62);
      expect(napi.running).toBe(false);
    });

    it('enter/exit by hand nest like poll: the inner NAPI is local until exit restores the outer one', () => {
      const e = env();
      const napi = new Napi('eth0-rx0');
      const other = new Napi('eth0-rx1');
      const pool = e.pool({ napi });
      const [a, b, c] = allocN(pool, 3);
      const outer = napi.enter();
      expect(outer).toBeNull();
      const inner = other.enter();
      expect(inner).toBe(napi);
      pool.putNetmem(a); // `other` polls: not local to the pool → ring
      other.exit(inner);
      expect(napi.running).toBe(true);
      pool.putNetmem(b); // back in the pool's NAPI → cache
      napi.exit(outer);
      expect(napi.running).toBe(false);
      pool.putNetmem(c); // outside any NAPI → ring
      expect(pool.stats().recycle).toMatchObject({ cached: 1, ring: 2 });
    });

    it('a system pool recycles directly from any context', () => {
      const e = env();
      const pool = e.pool({ flags: MAP_SYNC | PP_FLAG_SYSTEM_POOL });
      pool.putNetmem(pool.allocNetmems());
      expect(pool.stats().recycle).toMatchObject({ cached: 1, ring: 0 });
    });

    it('never after destroy: napi-local, recycleDirect and system pools all go to the ring', () => {
      const e = env();
      const napi = new Napi();
      const pool = e.pool({ napi, flags: MAP_SYNC | PP_FLAG_SYSTEM_POOL });
      const [a, b, c] = allocN(pool, 3);
      pool.destroy();
      expect(pool.isDetached).toBe(true);
      napi.poll(() => pool.putNetmem(a));
      pool.recycleDirect(b);
      napi.poll(() => pool.recycleDirect(c));
      expect(pool.cacheSize).toBe(0);
      expect(pool.ringLength).toBe(3);
      expect(pool.stats().recycle).toMatchObject({ cached: 0, ring: 3, cacheFull: 0 });
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });
  });

  describe('putNetmemBulk', () => {
    it('returns netmems of two pools, one ring round each', () => {
      const e = env();
      const p1 = e.pool();
      const p2 = e.pool();
      const a = allocN(p1, 3);
      const b = allocN(p2, 2);
      putNetmemBulk(e.dom, [a[0], b[0], a[1], b[1], a[2]]);
      expect(p1.ringLength).toBe(3);
      expect(p2.ringLength).toBe(2);
      expect(p1.stats()).toEqual(stats({ slow: 1, empty: 1, fast: 2 }, { ring: 3 }));
      expect(p2.stats()).toEqual(stats({ slow: 1, empty: 1, fast: 1 }, { ring: 2 }));
      expect(p1.snapshot().ring).toEqual([a[0], a[1], a[2]]);
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });

    it('counts ringFull once on overflow and releases the rest', () => {
      const e = env();
      const p1 = e.pool({ poolSize: 2 });
      const p2 = e.pool({ poolSize: 2 });
      const a = allocN(p1, 5);
      const b = allocN(p2, 3);
      const free0 = e.dom.freePages;
      putNetmemBulk(e.dom, new Int32Array([...a, ...b]));
      expect(p1.stats().recycle).toEqual({ cached: 0, cacheFull: 0, ring: 2, ringFull: 1, releasedRefcnt: 0 });
      expect(p2.stats().recycle).toEqual({ cached: 0, cacheFull: 0, ring: 2, ringFull: 1, releasedRefcnt: 0 });
      expect(p1.releaseCount).toBe(3);
      expect(p2.releaseCount).toBe(1);
      expect(e.dom.freePages).toBe(free0 + 4);
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });

    it('only the last pp reference recycles; the napi-local pool caches', () => {
      const e = env();
      const napi = new Napi();
      const p1 = e.pool({ napi });
      const p2 = e.pool();
      const [a1, a2] = allocN(p1, 2);
      const [b1] = allocN(p2, 1);
      p1.refNetmem(a2);
      napi.poll(() => putNetmemBulk(e.dom, [a1, a2, b1]));
      expect(p1.stats().recycle).toMatchObject({ cached: 1, ring: 0 });
      expect(p1.cacheSize).toBe(63);
      expect(inspectNetmem(e.dom, a2).ppRef).toBe(1);
      expect(p2.ringLength).toBe(1);
    });

    it('a netmem of no live pool is EINVAL before anything changes', () => {
      const e = env();
      const p1 = e.pool();
      const a = allocN(p1, 2);
      expect(codeOf(() => putNetmemBulk(e.dom, [a[0], 0]))).toBe('EINVAL');
      expect(p1.ringLength).toBe(0);
      expect(inspectNetmem(e.dom, a[0]).place).toBe(Place.HANDED_OUT);
    });

    // BUG (reported): putNetmemBulk drops pp refs one entry at a time and only
    // checks the place, which is still HANDED_OUT for the first copy, so [a, a]
    // with one reference recycles `a` twice into the ring. See the report.
    it('a double free inside one bulk list is EALREADY and never puts the buffer twice in the ring', () => {
      const e = env();
      const pool = e.pool();
      const [a, b] = allocN(pool, 2);
      pool.putNetmem(b);
      expect(codeOf(() => putNetmemBulk(e.dom, [b]))).toBe('EALREADY');
      expect(pool.ringLength).toBe(1);
      let code = 'no error';
      try {
        putNetmemBulk(e.dom, [a, a]);
      } catch (x) {
        code = (x as NetmemError).code;
      }
      const ring = pool.snapshot().ring;
      expect(ring.filter((nm) => nm === a).length).toBeLessThanOrEqual(1);
      expect(code).toBe('EALREADY');
      // Nothing changed: `a` is still out with its one reference, the ring holds only `b`.
      expect(ring).toEqual([b]);
      expect(inspectNetmem(e.dom, a).place).toBe(Place.HANDED_OUT);
      expect(inspectNetmem(e.dom, a).ppRef).toBe(1);
      // The same buffer twice is fine when it holds two references: recycled once.
      pool.refNetmem(a);
      putNetmemBulk(e.dom, [a, a]);
      expect(pool.snapshot().ring).toEqual([b, a]);
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });
  });
});
