import { describe, expect, it } from 'vitest';
import {
  MemoryDomain,
  PAGE_SIZE,
  PP_FLAG_DMA_MAP,
  VirtualClock,
  createPagePool,
  poolById,
  poolOf,
  poolRegistry,
  makeRegion,
  type LeakReport,
  type NetmemWarning,
} from '../src/index.js';
import { errnoOf } from '../src/testing.js';
import { descOf, genOf } from './helpers/internal.js';
import { areaProvider, onePageProvider, testDomain } from './helpers/test-provider.js';

const codeOf = errnoOf;

describe('MemoryDomain', () => {
  it('validates its size', () => {
    expect(codeOf(() => new MemoryDomain({ pages: 0, onWarn: false }))).toBe('EINVAL');
    expect(codeOf(() => new MemoryDomain({ pages: 4, numaNodes: 5, onWarn: false }))).toBe('EINVAL');
    expect(codeOf(() => new MemoryDomain({ pages: 1 << 20, netIovs: 0, onWarn: false }))).toBe('E2BIG');
  });

  describe('pages', () => {
    it('allocates with refcount 1 and frees on the last put', () => {
      const dom = testDomain(16);
      const nm = dom.allocPages(0);
      expect(nm).not.toBe(0);
      expect(dom.freePages).toBe(15);
      expect(dom.pageRefCount(nm)).toBe(1);
      dom.getPage(nm);
      expect(dom.pageRefCount(nm)).toBe(2);
      dom.putPage(nm);
      expect(dom.freePages).toBe(15);
      dom.putPage(nm);
      expect(dom.freePages).toBe(16);
      expect(dom.pageRefCount(nm)).toBe(0);
      expect(codeOf(() => dom.putPage(nm))).toBe('EINVAL');
    });

    it('exhaustion returns 0, not an exception', () => {
      const dom = testDomain(4);
      expect(dom.allocPages(2)).not.toBe(0);
      expect(dom.allocPages(0)).toBe(0);
      expect(dom.freePages).toBe(0);
    });

    it('bulk-allocates up to what is free', () => {
      const dom = testDomain(10);
      const out = new Int32Array(16);
      expect(dom.allocPagesBulk(-1, 14, out, 2)).toBe(10);
      expect(out[0]).toBe(0);
      expect(new Set(out.subarray(2, 12)).size).toBe(10);
      expect(dom.freePages).toBe(0);
    });

    it('marks tail pages of a compound page and resolves addresses to the head', () => {
      const dom = testDomain(16);
      const nm = dom.allocPages(2);
      const va = dom.pageVa(nm);
      expect(va).toBe(descOf(nm) * PAGE_SIZE); // pfn + 1 pages up: no page at address 0
      expect(dom.vaToNetmem(va + 3 * PAGE_SIZE + 17)).toBe(nm);
      expect(codeOf(() => dom.vaToNetmem(17 * PAGE_SIZE))).toBe('EFAULT');
      expect(codeOf(() => dom.vaToNetmem(PAGE_SIZE - 1))).toBe('EFAULT'); // NULL's page
      expect(codeOf(() => dom.vaToNetmem(0))).toBe('EFAULT');
      expect(codeOf(() => dom.vaToNetmem(-1))).toBe('EFAULT');
    });

    it('prefers the requested NUMA node and falls back to the others', () => {
      const dom = testDomain(8, { numaNodes: 2 });
      expect(dom.numaNodes).toBe(2);
      const a = dom.allocPages(0, 1);
      expect(dom.nidOf(a)).toBe(1);
      dom.currentNode = 1;
      const b = dom.allocPages(0); // -1: the current node
      expect(dom.nidOf(b)).toBe(1);
      expect(dom.allocPages(1, 1)).not.toBe(0); // node 1 now has 0 free
      const c = dom.allocPages(0, 1);
      expect(c).not.toBe(0);
      expect(dom.nidOf(c)).toBe(0);
    });

    it('rejects page ops on NULL and net_iovs', () => {
      const dom = testDomain(4);
      expect(codeOf(() => dom.getPage(0))).toBe('EINVAL');
      expect(codeOf(() => dom.putPage(3))).toBe('EINVAL');
    });

    it('checked mode: a freed handle is stale (ESTALE); the descriptor reuse bumps the generation', () => {
      const dom = testDomain(1, { checked: true });
      const a = dom.allocPages(0);
      dom.putPage(a);
      const b = dom.allocPages(0);
      expect(descOf(b)).toBe(descOf(a));
      expect(genOf(b)).toBe(genOf(a) + 1);
      expect(codeOf(() => dom.putPage(a))).toBe('ESTALE');
      expect(codeOf(() => dom.getPage(a))).toBe('ESTALE');
      expect(codeOf(() => dom.bytes(a))).toBe('ESTALE');
      expect(dom.pageRefCount(b)).toBe(1);
    });
  });

  describe('bytes()', () => {
    it("returns the same cached view on every call, over the page's bytes", () => {
      const dom = testDomain(4);
      const nm = dom.allocPages(1);
      const v = dom.bytes(nm);
      expect(dom.bytes(nm)).toBe(v);
      expect(v.byteLength).toBe(2 * PAGE_SIZE);
      expect(v.buffer).toBe(dom.pageRegion.buffer);
      expect(v.byteOffset).toBe(dom.pageVa(nm) - PAGE_SIZE); // addresses start one page up: none is 0
      v[5] = 99;
      expect(dom.pageRegion.u8[dom.pageVa(nm) - PAGE_SIZE + 5]).toBe(99);
    });

    it('drops the cached view when the page is freed (a reuse with another order gets its own)', () => {
      const dom = testDomain(2);
      const big = dom.allocPages(1);
      expect(dom.bytes(big).byteLength).toBe(8192);
      dom.putPage(big);
      expect(codeOf(() => dom.bytes(big))).toBe('EFAULT'); // free page
      const small = dom.allocPages(0);
      expect(descOf(small)).toBe(descOf(big));
      expect(dom.bytes(small).byteLength).toBe(4096);
    });

    it('NULL is EINVAL; a dmabuf (unreadable) net_iov is EFAULT; a readable area gives its slice', () => {
      const dom = testDomain(4, { netIovs: 8 });
      expect(codeOf(() => dom.bytes(0))).toBe('EINVAL');
      const region = makeRegion('dmabuf', new SharedArrayBuffer(4 * 4096));
      const dmabuf = dom.createArea('dmabuf', 2, region, 0, false, null);
      expect(codeOf(() => dom.bytes(dmabuf.niov(0)))).toBe('EFAULT');
      expect(codeOf(() => dom.bytes(dmabuf.niov(0)))).toBe('EFAULT'); // never cached
      const user = makeRegion('user', new SharedArrayBuffer(4 * 4096));
      const area = dom.createArea('io_uring', 2, user, 4096, true, null);
      const v = dom.bytes(area.niov(1));
      expect(v.byteLength).toBe(4096);
      expect(v.byteOffset).toBe(2 * 4096);
      expect(v.buffer).toBe(user.buffer);
      expect(dom.bytes(area.niov(1))).toBe(v);
      expect(dom.pageRefCount(area.niov(1))).toBe(1);
    });
  });

  describe('areas', () => {
    it('creates net_iovs, finds them, and reuses the descriptors after destroy', () => {
      const dom = testDomain(4, { netIovs: 8 });
      const region = makeRegion('r', new SharedArrayBuffer(8 * 4096));
      const a = dom.createArea('io_uring', 5, region, 0, true, 'owner');
      expect(a.id).toBe(1);
      expect(a.niov(0) & 1).toBe(1);
      expect(a.indexOf(a.niov(4))).toBe(4);
      expect(a.indexOf(a.niov(4) - 1)).toBe(-1); // a page handle
      expect(dom.areaOf(a.niov(2))).toBe(a);
      expect(codeOf(() => dom.createArea('io_uring', 4, region, 0, true, null))).toBe('ENOMEM'); // 3 left
      const b = dom.createArea('io_uring', 3, region, 0, true, null);
      const first = a.niov(0);
      dom.destroyArea(a);
      expect(dom.areaOf(a.niov(2))).toBeUndefined();
      dom.destroyArea(b);
      dom.destroyArea(b); // already gone: a no-op
      // The freed ranges merged back: all 8 fit again, in new descriptors' generations.
      const c = dom.createArea('io_uring', 8, region, 0, true, null);
      expect(c.id).toBe(3);
      expect(descOf(c.niov(0))).toBe(descOf(first));
      expect(genOf(c.niov(0))).toBe(genOf(first) + 1);
    });

    it('rejects bad sizes: EINVAL', () => {
      const dom = testDomain(4, { netIovs: 8 });
      const region = makeRegion('r', new SharedArrayBuffer(2 * 4096));
      expect(codeOf(() => dom.createArea('io_uring', 0, region, 0, true, null))).toBe('EINVAL');
      expect(codeOf(() => dom.createArea('io_uring', 3, region, 0, true, null))).toBe('EINVAL');
      expect(codeOf(() => dom.createArea('io_uring', 2, region, 1, true, null))).toBe('EINVAL');
    });

    it('refuses to destroy an area whose net_iov still belongs to a pool: EBUSY', () => {
      const dom = testDomain(4, { netIovs: 8 });
      const dev = dom.createDevice('nic0');
      const prov = areaProvider(dom, 4);
      const pool = createPagePool({ domain: dom, dev, provider: prov, flags: 3, maxLen: 4096 });
      const nm = pool.allocNetmems();
      expect(prov.area.indexOf(nm)).toBe(0);
      expect(codeOf(() => dom.destroyArea(prov.area))).toBe('EBUSY');
      expect(dom.areaOf(nm)).toBe(prov.area);
      pool.putNetmem(nm);
      pool.destroy();
      expect(pool.isFreed).toBe(true);
      dom.destroyArea(prov.area);
      expect(dom.areaOf(nm)).toBeUndefined();
    });
  });

  describe('leaks and warnings', () => {
    it('a pool page freed with putPage is a "page_pool leak" naming the pool', () => {
      const dom = testDomain(8);
      const warns: NetmemWarning[] = [];
      const leaks: LeakReport[] = [];
      const poolLeaks: LeakReport[] = [];
      dom.on('warn', (w) => warns.push(w));
      dom.on('leak', (r) => leaks.push(r));
      const pool = createPagePool({ domain: dom, provider: onePageProvider() });
      pool.on('leak', (r) => poolLeaks.push(r));
      const nm = pool.allocNetmems();
      dom.putPage(nm); // the bug: the driver put the pool's page straight back
      expect(dom.leaks).toBe(1);
      expect(leaks).toEqual([{ netmem: nm, poolId: pool.id }]);
      expect(poolLeaks).toEqual([{ netmem: nm, poolId: pool.id }]);
      expect(warns).toHaveLength(1);
      expect(warns[0].kind).toBe('page-pool-leak');
      expect(warns[0].poolId).toBe(pool.id);
      expect(warns[0].message).toContain('page_pool leak');
      expect(dom.table.pp[descOf(nm)]).toBe(0); // marks scrubbed on the way out
      expect(dom.freePages).toBe(8);
    });

    it('poolOf follows pool ids through its one-entry cache and forgets an unlisted pool', () => {
      const dom = testDomain(8);
      const a = createPagePool({ domain: dom, provider: onePageProvider() });
      const b = createPagePool({ domain: dom, provider: onePageProvider() });
      const na = a.allocNetmems();
      const nb = b.allocNetmems();
      const reg = poolRegistry(dom);
      expect(poolOf(dom, na)).toBe(a);
      expect(poolOf(dom, na)).toBe(a); // cached
      expect(poolOf(dom, nb)).toBe(b); // another id replaces the entry
      expect(poolOf(dom, na)).toBe(a);
      reg.unlist(a); // what freeing the pool does
      expect(poolOf(dom, na)).toBeUndefined();
      expect(poolById(dom, a.id)).toBeUndefined();
      expect(poolOf(dom, nb)).toBe(b);
    });

    it('poolOf finds each of thousands of interleaved pools, also two that share a slot of its table', () => {
      const n = 4200; // past the table's 4096 slots: pools 1 and 4097 share one
      const dom = testDomain(n + 1);
      const pools = Array.from({ length: n }, () => createPagePool({ domain: dom, provider: onePageProvider(), poolSize: 16 }));
      const nms = pools.map((p) => p.allocNetmems());
      expect(pools[4096].id & 4095).toBe(pools[0].id & 4095);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < n; i++)
          if (poolOf(dom, nms[i]) !== pools[i]) expect.fail(`round ${round}: netmem of pool ${pools[i].id} found ${poolOf(dom, nms[i])?.id}`);
        for (const i of [0, 4096, 0, 4096, 1, 4097]) expect(poolOf(dom, nms[i])).toBe(pools[i]);
      }
      const reg = poolRegistry(dom);
      for (let i = 0; i < n; i += 2) reg.unlist(pools[i]);
      for (let i = 0; i < n; i++) expect(poolOf(dom, nms[i])).toBe(i % 2 === 0 ? undefined : pools[i]);
      // A new pool after growth and unlisting: found at once.
      const late = createPagePool({ domain: dom, provider: onePageProvider(), poolSize: 16 });
      expect(poolOf(dom, late.allocNetmems())).toBe(late);
      expect(poolOf(dom, nms[1])).toBe(pools[1]);
    });

    it('warnOnce reports a key once; onWarn receives every warning', () => {
      const seen: string[] = [];
      const dom = new MemoryDomain({ pages: 4, onWarn: (w) => seen.push(w.kind) });
      dom.warnOnce('k', 'a', 'first');
      dom.warnOnce('k', 'a', 'second');
      dom.warn('b', 'plain', 3);
      expect(seen).toEqual(['a', 'b']);
    });
  });

  describe('fault injection', () => {
    it('every Nth page allocation fails', () => {
      const dom = testDomain(64);
      dom.injectFaults({ pageAllocEvery: 3 });
      const got = Array.from({ length: 7 }, () => dom.allocPages(0) !== 0);
      expect(got).toEqual([true, true, false, true, true, false, true]);
      expect(dom.freePages).toBe(64 - 5);
      dom.injectFaults({ pageAllocEvery: 0 });
      expect(Array.from({ length: 3 }, () => dom.allocPages(0) !== 0)).toEqual([true, true, true]);
    });

    it('every Nth DMA map fails, on devices created before and after', () => {
      const dom = testDomain(64);
      const before = dom.createDevice('a');
      dom.injectFaults({ dmaMapEvery: 2 });
      const after = dom.createDevice('b');
      for (const dev of [before, after]) {
        const got = Array.from({ length: 4 }, () => dev.map(dom.pageRegion, 0, 4096, 2) !== 0);
        expect(got).toEqual([true, false, true, false]);
        expect(dev.counters().maps).toBe(2);
      }
    });

    it('a pool whose DMA map fails gets no page and leaks nothing', () => {
      const dom = testDomain(8);
      const dev = dom.createDevice('nic0');
      dom.injectFaults({ dmaMapEvery: 1 });
      const pool = createPagePool({ domain: dom, dev, provider: onePageProvider(), flags: PP_FLAG_DMA_MAP });
      expect(pool.allocNetmems()).toBe(0);
      expect(dom.freePages).toBe(8);
      expect(pool.inflight).toBe(0);
    });
  });

  it('uses the virtual clock it was given', () => {
    const clock = new VirtualClock();
    const dom = new MemoryDomain({ pages: 1, clock, onWarn: false });
    expect(dom.clock).toBe(clock);
  });
});
