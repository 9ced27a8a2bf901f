import { describe, expect, it } from 'vitest';
import { BIAS_MAX, Place } from '@netmem/core';
import { checkDomainInvariants, inspectNetmem } from '@netmem/core/testing';
import { env, stats } from './helpers.js';

describe('fragments', () => {
  it('hands out offsets on one page, aligned to fragAlign', () => {
    const e = env();
    const pool = e.pool({ fragAlign: 64 });
    const offs: number[] = [];
    const a = pool.allocFrag(100);
    offs.push(pool.lastOffset);
    const b = pool.allocFrag(100);
    offs.push(pool.lastOffset);
    const c = pool.allocFrag(1);
    offs.push(pool.lastOffset);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(offs).toEqual([0, 128, 256]);
    const d = a;
    expect(pool.currentFragPage).toBe(a);
    expect(inspectNetmem(e.dom, d).place).toBe(Place.FRAG_PAGE);
    expect(inspectNetmem(e.dom, d).ppRef).toBe(BIAS_MAX);
    expect(pool.inflight).toBe(64);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('a frag larger than the page is NULL, warned once', () => {
    const e = env();
    const pool = e.pool();
    expect(pool.allocFrag(4097)).toBe(0);
    expect(pool.allocFrag(5000)).toBe(0);
    expect(e.warns.map((w) => w.kind)).toEqual(['frag-size']);
    expect(pool.inflight).toBe(0);
    expect(pool.allocFrag(4096)).not.toBe(0);
  });

  it('drain with frags still out: the page is left to them, a new page starts; the last frag put recycles it', () => {
    const e = env();
    const pool = e.pool();
    const p = pool.allocFrag(2048);
    pool.allocFrag(2048);
    const q = pool.allocFrag(1024); // does not fit: drain p (2 frags out), start a new page
    expect(q).not.toBe(p);
    expect(pool.lastOffset).toBe(0);
    const d = p;
    expect(inspectNetmem(e.dom, d).ppRef).toBe(2);
    expect(inspectNetmem(e.dom, d).place).toBe(Place.HANDED_OUT);
    expect(pool.stats()).toEqual(stats({ slow: 1, empty: 1, fast: 1 }));
    pool.putNetmem(p);
    expect(pool.ringLength).toBe(0);
    pool.putNetmem(p);
    expect(pool.ringLength).toBe(1);
    expect(inspectNetmem(e.dom, d).ppRef).toBe(1);
    expect(pool.stats().recycle).toMatchObject({ ring: 1, cached: 0 });
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('drain with no frag out: the page is reused at once (recycle.cached++, alloc.fast++)', () => {
    const e = env();
    const pool = e.pool();
    const p = pool.allocFrag(1024);
    for (let i = 0; i < 3; i++) pool.allocFrag(1024);
    for (let i = 0; i < 4; i++) pool.putNetmem(p);
    expect(inspectNetmem(e.dom, p).ppRef).toBe(BIAS_MAX - 4);
    const syncs = e.dev.counters().syncsForDevice;
    expect(pool.allocFrag(1024)).toBe(p);
    expect(pool.lastOffset).toBe(0);
    expect(pool.stats()).toEqual(stats({ slow: 1, empty: 1, fast: 1 }, { cached: 1 }));
    expect(inspectNetmem(e.dom, p).ppRef).toBe(BIAS_MAX);
    expect(e.dev.counters().syncsForDevice).toBe(syncs + 1); // synced for the device before reuse
    expect(pool.inflight).toBe(64);
    expect(pool.cacheSize).toBe(63);
  });

  it('allocNetmem(size): a whole page for big sizes, else a frag widened to the page end when no second fits', () => {
    const e = env();
    const pool = e.pool();
    const whole = pool.allocNetmem(3000);
    expect([pool.lastOffset, pool.lastSize]).toEqual([0, 4096]);
    expect(inspectNetmem(e.dom, whole).ppRef).toBe(1);
    const f1 = pool.allocNetmem(1500);
    expect([pool.lastOffset, pool.lastSize]).toEqual([0, 1500]);
    const f2 = pool.allocNetmem(1500);
    expect(f2).toBe(f1);
    expect([pool.lastOffset, pool.lastSize]).toEqual([1500, 4096 - 1500]);
    const f3 = pool.allocNetmem(16); // the page was closed by the widening
    expect(f3).not.toBe(f1);
    expect([pool.lastOffset, pool.lastSize]).toEqual([0, 16]);
    expect(pool.allocNetmem()).not.toBe(0);
    expect([pool.lastOffset, pool.lastSize]).toEqual([0, 4096]);
  });

  it('allocVa / freeVa: the address is the page address plus the frag offset', () => {
    const e = env();
    const pool = e.pool();
    const va1 = pool.allocVa(1000);
    const va2 = pool.allocVa(1000);
    const nm = e.dom.vaToNetmem(va1);
    expect(va1).toBe(e.dom.pageVa(nm));
    expect(va2).toBe(va1 + 1000);
    expect(e.dom.vaToNetmem(va2)).toBe(nm);
    pool.freeVa(va1);
    expect(inspectNetmem(e.dom, nm).ppRef).toBe(BIAS_MAX - 1);
    pool.freeVa(va2);
    pool.destroy(); // drains the frag page: no frag out, it leaves at once
    expect(pool.isFreed).toBe(true);
    expect(e.dom.freePages).toBe(1024);
  });

  it('destroy drains the frag page; frags still out keep the pool detached until they return', () => {
    const e = env();
    const pool = e.pool();
    const p = pool.allocFrag(100);
    pool.allocFrag(100);
    pool.destroy();
    expect(pool.currentFragPage).toBe(0);
    expect(pool.isDetached).toBe(true);
    expect(pool.inflight).toBe(1);
    expect(inspectNetmem(e.dom, p).ppRef).toBe(2);
    pool.putNetmem(p);
    pool.putNetmem(p);
    expect(pool.ringLength).toBe(1);
    e.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(e.dom.freePages).toBe(1024);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });
});
