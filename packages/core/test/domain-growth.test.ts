/**
 * Cheap domains: the metadata tables, the page allocator's arrays and the
 * view cache start small and grow as pages and net_iovs are first used.
 * Growth replaces the table arrays, so everything that keeps one (pools,
 * the pool registry, DMA trackers, return rings) must follow it.
 */
import { describe, expect, it } from 'vitest';
import { attachReturnRing, createPagePool, MemoryDomain, PAGE_SIZE, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, type PagePool } from '../src/index.js';
import { mpGetDmaAddr, mpSetDmaAddr } from '../src/provider.js';
import { assertDomainInvariants, errnoOf, inspectNetmem, staleHandleOf } from '../src/testing.js';
import { descOf, internals, makeHandle } from './helpers/internal.js';
import { areaProvider, onePageProvider, testDomain } from './helpers/test-provider.js';

/** Allocates `n` netmems from `pool` (each must succeed). */
function take(pool: PagePool, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const nm = pool.allocNetmems();
    expect(nm).not.toBe(0);
    out.push(nm);
  }
  return out;
}

/** The pool's cached arrays are the domain's current ones. */
function expectCurrent(pool: PagePool, domain: MemoryDomain): void {
  const p = internals(pool);
  const t = domain.table;
  expect([p.ppTab, p.ppRefTab, p.placeTab, p.dmaTab, p.magicTab]).toEqual([t.pp, t.ppRef, t.place, t.dma, t.magic]);
  expect(p.ppTab).toBe(t.pp);
  expect(p.placeTab).toBe(t.place);
}

describe('domain metadata grows with use', () => {
  it('a new default domain holds a few KiB of metadata, at most 32 bytes per descriptor', () => {
    const d = new MemoryDomain({ onWarn: false });
    const u = d.metadataUsage();
    expect(u.limit).toBe(1 + 65536 + 262144);
    expect(u.descriptors).toBeLessThanOrEqual(256);
    expect(u.bytesPerDescriptor).toBeLessThanOrEqual(32);
    expect(u.tableBytes).toBe(u.descriptors * u.bytesPerDescriptor);
    expect(u.allocatorBytes).toBe(0);
    expect(u.viewSlots).toBeLessThanOrEqual(64);
    // Frames are handed out from the bottom up, so the tables grow only as far as memory is used.
    const nm = d.allocPages(0);
    expect(d.pfnOf(nm)).toBe(0);
    expect(d.metadataUsage().descriptors).toBe(u.descriptors);
    expect(d.metadataUsage().allocatorBytes).toBe(1024 * 9);
  });

  it('pools made before and after growth keep working; the invariants hold throughout', () => {
    const domain = testDomain(8192);
    const dev = domain.createDevice('nic0');
    const params = { domain, dev, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096, poolSize: 4096 };
    const a = createPagePool({ ...params, provider: onePageProvider() });
    const before = domain.table.capacity;
    const first = take(a, 100);
    for (const nm of first) a.recycleDirect(nm);
    assertDomainInvariants(domain);
    const grown = take(a, 3000); // past the first capacity: the table grows while `a` lives
    expect(domain.table.capacity).toBeGreaterThan(before);
    expectCurrent(a, domain);
    const b = createPagePool({ ...params, provider: onePageProvider(), dmaTracking: 'item-block' });
    const fromB = take(b, 3000); // grows again with both pools alive
    expectCurrent(a, domain);
    expectCurrent(b, domain);
    assertDomainInvariants(domain);
    // Recycled through the ring and the cache, released when the ring is full: every path reads the new arrays.
    for (const nm of grown) a.putNetmem(nm);
    for (const nm of fromB) b.recycleDirect(nm);
    for (const nm of take(a, 3000)) a.putNetmem(nm);
    for (const nm of grown.slice(0, 10)) expect(errnoOf(() => a.putNetmem(nm))).toBe('EALREADY');
    assertDomainInvariants(domain);
    // destroy's scrub unmaps through the trackers, which follow the table too.
    a.destroy();
    b.destroy();
    expect(a.isFreed && b.isFreed).toBe(true);
    expect(dev.liveMappings).toBe(0);
    expect(domain.freePages).toBe(8192);
    assertDomainInvariants(domain);
  });

  it('a pool whose provider grows the table inside init follows it', () => {
    const domain = testDomain(4096);
    const inner = onePageProvider();
    let early: number[] = [];
    const pool = createPagePool({
      domain,
      poolSize: 4096,
      provider: { ...inner, init: () => void (early = Array.from({ length: 2000 }, () => domain.allocPages(0))) },
    });
    expectCurrent(pool, domain);
    for (const nm of early) domain.putPage(nm);
    const nms = take(pool, 2500);
    for (const nm of nms) pool.putNetmem(nm);
    assertDomainInvariants(domain);
    pool.destroy();
  });

  it('checked mode: generations and stale-handle detection survive growth', () => {
    const domain = testDomain(4096, { checked: true });
    const other = testDomain(4096, { checked: true });
    const pool = createPagePool({ domain, provider: onePageProvider(), poolSize: 64 });
    const nm = pool.allocNetmems();
    pool.recycleDirect(nm);
    const again = pool.allocNetmems();
    expect(again).toBe(nm);
    const stale = staleHandleOf(nm);
    const pages = Array.from({ length: 3000 }, () => domain.allocPages(0)); // grows the table
    expect(errnoOf(() => pool.putNetmem(stale))).toBe('ESTALE');
    expect(errnoOf(() => domain.bytes(stale))).toBe('ESTALE');
    pool.putNetmem(again);
    // Descriptors that came in with growth start at this domain's generation: ours pass, another domain's are stale.
    const high = pages[pages.length - 1];
    expect(descOf(high)).toBeGreaterThan(256);
    expect(inspectNetmem(domain, high).gen).toBe(inspectNetmem(domain, pages[0]).gen);
    domain.putPage(high);
    expect(errnoOf(() => domain.putPage(high))).toBe('ESTALE');
    const foreign = other.allocPages(0);
    expect(errnoOf(() => domain.getPage(makeHandle(descOf(pages[1]), false, inspectNetmem(other, foreign).gen)))).toBe('ESTALE');
    for (const p of pages.slice(0, -1)) domain.putPage(p);
    pool.destroy();
    assertDomainInvariants(domain);
  });

  it('the view cache keeps its views across growth and grows itself only as far as views are made', () => {
    const domain = testDomain(4096);
    const low = domain.allocPages(0);
    const view = domain.bytes(low);
    view[7] = 42;
    const slots = domain.metadataUsage().viewSlots;
    const pages = Array.from({ length: 3000 }, () => domain.allocPages(0));
    expect(domain.bytes(low)).toBe(view);
    expect(domain.metadataUsage().viewSlots).toBe(slots); // no view made up there yet
    const high = pages[pages.length - 1];
    const hv = domain.bytes(high);
    hv[0] = 9;
    expect(domain.bytes(high)).toBe(hv);
    expect(domain.bytes(low)).toBe(view);
    expect(domain.bytes(low)[7]).toBe(42);
    expect(domain.metadataUsage().viewSlots).toBeGreaterThan(descOf(high));
    domain.putPage(high);
    expect(errnoOf(() => domain.bytes(high))).toBe('EFAULT');
    for (const p of [low, ...pages.slice(0, -1)]) domain.putPage(p);
  });

  it('compound pages, NUMA nodes and never-used descriptors read as before', () => {
    const domain = testDomain(8192, { numaNodes: 2 });
    const far = domain.allocPages(2, 1); // node 1 starts at frame 4096: the table grows past it
    expect(domain.pfnOf(far)).toBe(4096);
    expect(domain.nidOf(far)).toBe(1);
    const tail = domain.vaToNetmem(domain.pageVa(far) + 3 * PAGE_SIZE);
    expect(tail).toBe(far);
    expect(errnoOf(() => domain.getPage(makeHandle(descOf(far) + 3, false, 0)))).toBe('EINVAL');
    // A descriptor past the table was never used: free, no pool, its node by position.
    const never = makeHandle(8000, false, 0);
    expect(domain.table.capacity).toBeLessThanOrEqual(8000);
    expect([domain.ppIdOf(never), domain.pageRefCount(never), domain.nidOf(never), domain.isPp(never)]).toEqual([0, 0, 1, false]);
    expect(domain.ledger.whereIs(never)).toEqual({ poolId: 0, place: 'none', ppRef: 0 });
    expect(errnoOf(() => domain.putPage(never))).toBe('EINVAL');
    domain.putPage(far);
    expect(domain.freePages).toBe(8192);
  });

  it('net_iov areas grow the table; DMA addresses keep every value a provider sets', () => {
    const domain = testDomain(64, { netIovs: 4096 });
    const pages = createPagePool({ domain, provider: onePageProvider(), poolSize: 64 });
    const held = take(pages, 10);
    const prov = areaProvider(domain, 3000);
    expect(domain.table.capacity).toBeGreaterThanOrEqual(1 + 64 + 3000);
    const iovs = createPagePool({
      domain,
      dev: domain.createDevice('nic0'),
      provider: prov,
      flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
      maxLen: 4096,
      poolSize: 4096,
    });
    const nms = take(iovs, 3000);
    for (const [i, iova] of [0x1000, 0x12345, 2 ** 44, 2 ** 50 + 4096, 7 * 4096].entries()) {
      mpSetDmaAddr(domain, nms[i], iova);
      expect(mpGetDmaAddr(domain, nms[i])).toBe(iova);
      expect(iovs.dmaAddr(nms[i])).toBe(iova);
    }
    for (const nm of nms.slice(0, 5)) mpSetDmaAddr(domain, nm, 0); // unmapped again: the puts below sync nothing
    expect(mpGetDmaAddr(domain, nms[2])).toBe(0);
    for (const nm of nms) iovs.putNetmem(nm);
    for (const nm of held) pages.recycleDirect(nm);
    assertDomainInvariants(domain);
    iovs.destroy();
    pages.destroy();
  });

  it('a return ring made before growth takes handles from above it', () => {
    const domain = testDomain(4096);
    const pool = createPagePool({ domain, provider: onePageProvider(), poolSize: 4096 });
    const ring = attachReturnRing(pool, 16);
    const nms = take(pool, 3000);
    ring.handOut(nms[2999]);
    expect(ring.reclaim()).toBe(1);
    for (const nm of nms.slice(0, -1)) pool.putNetmem(nm);
    assertDomainInvariants(domain);
  });
});
