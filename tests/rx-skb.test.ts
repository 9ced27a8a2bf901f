/**
 * skb: head + frags, ppRecycle, clone, free, tryCoalesce (SPEC §5 and the
 * kernel's skb_try_coalesce), frag ref/unref, the unreadable flag.
 */
import { describe, expect, it } from 'vitest';
import { PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, createPagePool, type PagePool, type SkBuff } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { iovProvider, rig } from './rx-fixture.js';

const code = (c: string) => expect.objectContaining({ code: c });

function setup() {
  const r = rig();
  const pool = createPagePool({ domain: r.domain, provider: pagesProvider() });
  const dev = r.domain.createDevice('nic9');
  /** What the domain's descriptor says about a netmem (pp / page references, owning pool). */
  const inspect = (nm: number) => inspectNetmem(r.domain, nm);
  return { ...r, pool, dev, f: r.ns.skbs, inspect };
}

/** Buffers out of the pool (held by skbs / the test). */
const out = (p: PagePool) => p.inflight - p.cacheSize - p.ringLength;

/** A pp skb: head (len `head`) and `frags` frags of 1000 bytes, every buffer a whole pool page. */
function ppSkb(s: ReturnType<typeof setup>, head: number, frags: number, pool = s.pool): SkBuff {
  const skb = s.f.build(pool.allocNetmems(), 0, 4096, head, true);
  for (let i = 0; i < frags; i++) s.f.addFrag(skb, pool.allocNetmems(), 0, 1000);
  return skb;
}

/** A non-pp skb over plain pages from the page allocator. */
function pageSkb(s: ReturnType<typeof setup>, head: number, frags: number): SkBuff {
  const skb = s.f.build(s.domain.allocPages(0), 0, 4096, head, false);
  for (let i = 0; i < frags; i++) s.f.addFrag(skb, s.domain.allocPages(0), 0, 1000);
  return skb;
}

function nms(skb: SkBuff): number[] {
  return [skb.shinfo.head, ...Array.from(skb.shinfo.fragNm.subarray(0, skb.shinfo.nrFrags))];
}

describe('skb build / clone / free', () => {
  it('head + frags: lengths, frag count, ppRecycle', () => {
    const s = setup();
    const skb = ppSkb(s, 200, 3);
    expect([skb.len, skb.headLen, skb.dataLen, skb.nrFrags, skb.ppRecycle, skb.unreadable, skb.cloned]).toEqual([3200, 200, 3000, 3, true, false, false]);
    skb.pull(54);
    expect([skb.len, skb.headLen, skb.dataOff]).toEqual([3146, 146, 54]);
    expect(() => skb.pull(147)).toThrow(code('EINVAL'));
    expect(s.f.live).toBe(1);
    s.f.free(skb);
    expect(s.f.live).toBe(0);
    expect(out(s.pool)).toBe(0);
  });

  it('clone + free returns each page exactly once, whichever sharer goes last', () => {
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
    ]) {
      const s = setup();
      const skb = ppSkb(s, 100, 4);
      const bufs = nms(skb);
      const c1 = s.f.clone(skb);
      const c2 = s.f.clone(c1);
      expect([skb.cloned, c1.cloned, c2.cloned, skb.shinfo.dataref]).toEqual([true, true, true, 3]);
      expect(c2.shinfo).toBe(skb.shinfo);
      const all = [skb, c1, c2];
      const st0 = s.pool.stats().recycle;
      s.f.free(all[order[0]]);
      s.f.free(all[order[1]]);
      // Two of three sharers gone: nothing returned, no pp or page refs touched.
      expect(out(s.pool)).toBe(5);
      expect(bufs.map((nm) => s.inspect(nm).ppRef)).toEqual([1, 1, 1, 1, 1]);
      s.f.free(all[order[2]]);
      const st1 = s.pool.stats().recycle;
      expect(out(s.pool)).toBe(0);
      // Every buffer went back once: five ring produces, nothing released.
      expect(st1.ring - st0.ring).toBe(5);
      expect(st1.releasedRefcnt - st0.releasedRefcnt).toBe(0);
      expect(s.pool.ringLength).toBe(5);
      expect(new Set(s.pool.snapshot().ring)).toEqual(new Set(bufs));
      // A freed skb cannot be freed or cloned again.
      expect(() => s.f.free(skb)).toThrow(code('EINVAL'));
      expect(() => s.f.clone(c2)).toThrow(code('EINVAL'));
      expect(s.f.live).toBe(0);
    }
  });

  it('a non-pp skb drops page references: the pages return to the page allocator', () => {
    const s = setup();
    const free0 = s.domain.freePages;
    const skb = pageSkb(s, 100, 2);
    const c = s.f.clone(skb);
    expect(s.domain.freePages).toBe(free0 - 3);
    s.f.free(skb);
    expect(s.domain.freePages).toBe(free0 - 3);
    s.f.free(c);
    expect(s.domain.freePages).toBe(free0);
  });

  it('frag ref takes a page reference (never pp); the pool lets the page go and the last unref frees it', () => {
    const s = setup();
    const skb = ppSkb(s, 100, 1);
    const nm = skb.shinfo.fragNm[0];
    s.f.fragRef(skb, 0);
    expect([s.inspect(nm).ppRef, s.inspect(nm).pageRef]).toEqual([1, 2]);
    const free0 = s.domain.freePages;
    s.f.free(skb);
    // The pool saw page refcount 2: released from the pool, page still alive for our ref.
    expect(s.pool.stats().recycle.releasedRefcnt).toBe(1);
    expect(s.inspect(nm).poolId).toBe(0);
    expect(s.inspect(nm).pageRef).toBe(1);
    expect(s.domain.freePages).toBe(free0);
    s.f.fragUnref(nm, true); // not a pp page any more: a plain put_page
    expect(s.domain.freePages).toBe(free0 + 1);
    expect(s.domain.leaks).toBe(0);
  });

  it('addFrag of a dmabuf net_iov marks the skb unreadable; an io_uring one does not', () => {
    const s = setup();
    for (const [readable, want] of [
      [false, true],
      [true, false],
    ] as const) {
      const mp = iovProvider(8, readable);
      const pool = createPagePool({ domain: s.domain, dev: s.dev, provider: mp, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 });
      const skb = s.f.build(s.pool.allocNetmems(), 0, 256, 64, true);
      expect(skb.unreadable).toBe(false);
      s.f.addFrag(skb, pool.allocNetmems(), 0, 4096);
      expect(skb.unreadable).toBe(want);
      s.f.free(skb);
      pool.destroy();
      expect(pool.isFreed).toBe(true);
      expect(mp.free).toBe(8);
    }
  });
});

describe('tryCoalesce', () => {
  it('refuses when to is cloned, ppRecycle differs, or readability differs; nothing changes', () => {
    const s = setup();
    const snap = (k: SkBuff) => [k.len, k.headLen, k.nrFrags, ...nms(k).map((nm) => s.inspect(nm).ppRef), ...nms(k).map((nm) => s.inspect(nm).pageRef)];
    // to cloned
    const to = ppSkb(s, 100, 1);
    const toClone = s.f.clone(to);
    const from = ppSkb(s, 0, 1);
    const b = [snap(to), snap(from)];
    expect(s.f.tryCoalesce(to, from)).toBe(false);
    expect([snap(to), snap(from)]).toEqual(b);
    s.f.free(toClone);
    // pp vs non-pp, both ways
    const plain = pageSkb(s, 0, 1);
    const b2 = [snap(to), snap(plain)];
    expect(s.f.tryCoalesce(to, plain)).toBe(false);
    expect(s.f.tryCoalesce(plain, to)).toBe(false);
    expect([snap(to), snap(plain)]).toEqual(b2);
    // readable vs unreadable, both ways
    const mp = iovProvider(8);
    const iovPool = createPagePool({ domain: s.domain, dev: s.dev, provider: mp, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 });
    const ur = s.f.build(s.pool.allocNetmems(), 0, 256, 0, true);
    s.f.addFrag(ur, iovPool.allocNetmems(), 0, 4096);
    const b3 = [snap(to), snap(ur)];
    expect(s.f.tryCoalesce(to, ur)).toBe(false);
    expect(s.f.tryCoalesce(ur, to)).toBe(false);
    expect([snap(to), snap(ur)]).toEqual(b3);
    // An skb never coalesces into itself.
    expect(s.f.tryCoalesce(plain, plain)).toBe(false);
    // Once `to` is no longer cloned the first pair coalesces.
    expect(to.cloned).toBe(false);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    for (const k of [to, plain, ur]) s.f.free(k);
    s.f.freePartial(from, s.f.lastHeadStolen);
    iovPool.destroy();
    expect(out(s.pool)).toBe(0);
    expect(mp.free).toBe(8);
  });

  it('moves frags of an uncloned from without new references; a linear from head is stolen as a frag', () => {
    const s = setup();
    const to = ppSkb(s, 100, 1);
    const from = ppSkb(s, 300, 2);
    from.pull(40);
    const [fHead, f1, f2] = nms(from);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    expect(s.f.lastHeadStolen).toBe(true);
    expect(to.nrFrags).toBe(4);
    expect(Array.from(to.shinfo.fragNm.subarray(1, 4))).toEqual([fHead, f1, f2]);
    expect([to.shinfo.fragOff[1], to.shinfo.fragLen[1]]).toEqual([40, 260]);
    expect(to.len).toBe(100 + 1000 + 260 + 2000);
    expect(from.shinfo.nrFrags).toBe(0);
    expect([fHead, f1, f2].map((nm) => s.inspect(nm).ppRef)).toEqual([1, 1, 1]);
    s.f.freePartial(from, true);
    expect(out(s.pool)).toBe(5); // every buffer now belongs to `to`
    s.f.free(to);
    expect(out(s.pool)).toBe(0);
    expect(s.pool.stats().recycle.ring).toBe(5);
  });

  it('a cloned pp from gives its moved frags a pp reference each; every buffer still returns exactly once', () => {
    const s = setup();
    const to = ppSkb(s, 100, 0);
    to.headLen = to.len = 4096; // no tailroom: force the frag path
    const from = ppSkb(s, 0, 3);
    const [fHead, ...frags] = nms(from);
    const fromClone = s.f.clone(from);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    expect(s.f.lastHeadStolen).toBe(false);
    expect(frags.map((nm) => s.inspect(nm).ppRef)).toEqual([2, 2, 2]);
    expect(frags.map((nm) => s.inspect(nm).pageRef)).toEqual([1, 1, 1]);
    expect(from.shinfo.nrFrags).toBe(3); // the clone keeps them
    s.f.freePartial(from, false);
    s.f.free(to);
    expect(frags.map((nm) => s.inspect(nm).ppRef)).toEqual([1, 1, 1]);
    expect(out(s.pool)).toBe(4); // the clone's head + 3 frags
    s.f.free(fromClone);
    expect(out(s.pool)).toBe(0);
    expect(s.inspect(fHead).poolId).toBe(s.pool.id);
    expect(s.pool.stats().recycle).toMatchObject({ ring: 5, releasedRefcnt: 0 });
  });

  it('a cloned non-pp from gives its moved frags a page reference each', () => {
    const s = setup();
    const free0 = s.domain.freePages;
    const to = pageSkb(s, 100, 0);
    to.headLen = to.len = 4096;
    const from = pageSkb(s, 0, 2);
    const frags = nms(from).slice(1);
    const c = s.f.clone(from);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    expect(frags.map((nm) => s.inspect(nm).pageRef)).toEqual([2, 2]);
    s.f.freePartial(from, false);
    s.f.free(to);
    expect(frags.map((nm) => s.inspect(nm).pageRef)).toEqual([1, 1]);
    s.f.free(c);
    expect(s.domain.freePages).toBe(free0);
  });

  it('a cloned pp from with a non-pool page frag takes a page reference for it (skb_pp_frag_ref)', () => {
    const s = setup();
    const to = ppSkb(s, 100, 0);
    to.headLen = to.len = 4096;
    const from = ppSkb(s, 0, 1);
    const page = s.domain.allocPages(0);
    s.f.addFrag(from, page, 0, 500);
    const c = s.f.clone(from);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    expect(s.inspect(page).pageRef).toBe(2);
    expect(s.inspect(from.shinfo.fragNm[0]).ppRef).toBe(2);
    s.f.freePartial(from, false);
    s.f.free(to);
    s.f.free(c);
    expect(out(s.pool)).toBe(0);
    expect(s.inspect(page).pageRef).toBe(0);
  });

  it('copies a small from into the tailroom of a linear to', () => {
    const s = setup();
    const to = ppSkb(s, 100, 0);
    s.domain.bytes(to.shinfo.head).fill(1, 0, 100);
    const from = ppSkb(s, 50, 0);
    s.domain.bytes(from.shinfo.head).fill(2, 0, 50);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    expect([to.len, to.headLen, to.nrFrags, s.f.lastHeadStolen]).toEqual([150, 150, 0, false]);
    s.f.freePartial(from, false);
    const buf = new Uint8Array(150);
    expect(s.f.copyBits(to, 0, buf, 0, 150)).toBe(150);
    expect(Array.from(buf.subarray(98, 102))).toEqual([1, 1, 2, 2]);
    s.f.free(to);
    expect(out(s.pool)).toBe(0);
  });

  it('never copies into the head of an skb with frags (its tailroom is 0): byte order is kept', () => {
    const s = setup();
    // Header-split shape: a 256-byte header buffer whose headers were pulled, payload in a frag.
    const to = s.f.build(s.pool.allocNetmems(), 0, 256, 54, true);
    const p1 = s.pool.allocNetmems();
    s.domain.bytes(p1).fill(0xaa, 0, 1000);
    s.f.addFrag(to, p1, 0, 1000);
    to.pull(54);
    expect(to.tailroom).toBe(0);
    const from = s.f.build(s.pool.allocNetmems(), 0, 256, 54, true);
    const p2 = s.pool.allocNetmems();
    s.domain.bytes(p2).fill(0xbb, 0, 100);
    s.f.addFrag(from, p2, 0, 100);
    from.pull(54);
    expect(s.f.tryCoalesce(to, from)).toBe(true);
    s.f.freePartial(from, s.f.lastHeadStolen);
    const buf = new Uint8Array(1100);
    expect(s.f.copyBits(to, 0, buf, 0, 1100)).toBe(1100);
    expect(buf[0]).toBe(0xaa);
    expect(buf[999]).toBe(0xaa);
    expect(buf[1000]).toBe(0xbb);
    expect(buf[1099]).toBe(0xbb);
    s.f.free(to);
    expect(out(s.pool)).toBe(0);
  });

  it('refuses when the frags would not fit (17 at most; 16 when the head is stolen)', () => {
    const s = setup();
    const to = ppSkb(s, 0, 10);
    to.shinfo.headCap = 0;
    const from = ppSkb(s, 0, 8);
    expect(s.f.tryCoalesce(to, from)).toBe(false);
    const from2 = ppSkb(s, 10, 7); // 10 + 7 + stolen head = 18
    expect(s.f.tryCoalesce(to, from2)).toBe(false);
    const from3 = ppSkb(s, 0, 7);
    expect(s.f.tryCoalesce(to, from3)).toBe(true);
    expect(to.nrFrags).toBe(17);
    s.f.freePartial(from3, false);
    for (const k of [to, from, from2]) s.f.free(k);
    expect(out(s.pool)).toBe(0);
  });
});
