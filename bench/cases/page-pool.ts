/**
 * Page-pool cases, the equivalents of the kernel's bench_page_pool_simple:
 * an order-0 pool of ring size 1024, prefilled the way the kernel module
 * does (64 allocations, then 64 puts through the ring), then one of three
 * return paths per operation. Each case checks afterwards, from the pool's
 * statistics and the domain/device counters, that every operation took the
 * path it claims to measure.
 */
import { createPagePool, MemoryDomain, PP_FLAG_DMA_MAP, VirtualClock, type DmaDevice, type DmaTracking, type PagePool, type PagePoolStats } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import type { BenchCase, BenchInstance } from '../types.js';

/** Netmems a refill or bulk allocation moves (PP_ALLOC_CACHE_REFILL). */
const REFILL = 64;

interface PoolRig {
  domain: MemoryDomain;
  pool: PagePool;
  dev: DmaDevice | null;
}

/** A domain and an order-0 pages-provider pool, as the kernel bench makes it (DMA only when asked). */
function makePool(dma: DmaTracking | null): PoolRig {
  const domain = new MemoryDomain({ pages: 4096, netIovs: 0, clock: new VirtualClock(), onWarn: false });
  const dev = dma ? domain.createDevice('bench0') : null;
  const pool = createPagePool({
    domain,
    provider: pagesProvider(),
    order: 0,
    poolSize: 1024,
    dmaDir: 'bidirectional',
    flags: dma ? PP_FLAG_DMA_MAP : 0,
    dev,
    dmaTracking: dma ?? 'xarray',
  });
  // pp_fill_ptr_ring(pp, 64): the first allocation is a bulk slow one, then 64 puts go to the ring.
  const held = new Int32Array(REFILL);
  for (let i = 0; i < REFILL; i++) held[i] = pool.allocNetmems();
  for (let i = 0; i < REFILL; i++) pool.putNetmem(held[i], -1, false);
  return { domain, pool, dev };
}

type Counters = PagePoolStats & { maps: number; unmaps: number };

function counters(r: PoolRig): Counters {
  const c = r.dev?.counters();
  return { ...r.pool.stats(), maps: c?.maps ?? 0, unmaps: c?.unmaps ?? 0 };
}

/** Each field of `want` must equal after − before; throws naming every mismatch. */
function expectDeltas(before: Counters, after: Counters, want: Record<string, number>): void {
  const flat = (c: Counters): Record<string, number> => ({
    ...Object.fromEntries(Object.entries(c.alloc).map(([k, v]) => [`alloc.${k}`, v])),
    ...Object.fromEntries(Object.entries(c.recycle).map(([k, v]) => [`recycle.${k}`, v])),
    maps: c.maps,
    unmaps: c.unmaps,
  });
  const b = flat(before);
  const a = flat(after);
  const bad: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    const got = a[k] - b[k];
    if (got !== v) bad.push(`${k} +${got}, expected +${v}`);
  }
  if (bad.length > 0) throw new Error(bad.join('; '));
}

function expect(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

/** fast_path: alloc + recycleDirect; after the first refill every alloc is a cache hit. */
export const fastPath: BenchCase = {
  name: 'fast_path',
  title: 'allocNetmems + recycleDirect (alloc-cache hit)',
  setup(): BenchInstance {
    const rig = makePool(null);
    const pool = rig.pool;
    const before = counters(rig);
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const nm = pool.allocNetmems();
          acc = (acc + nm) | 0;
          pool.recycleDirect(nm);
        }
        return acc;
      },
      verify(total) {
        // The first alloc refills the cache from the prefilled ring; all others hit the cache.
        expectDeltas(before, counters(rig), {
          'alloc.fast': total - 1,
          'alloc.refill': 1,
          'alloc.slow': 0,
          'alloc.empty': 0,
          'recycle.cached': total,
          'recycle.cacheFull': 0,
          'recycle.ring': 0,
          'recycle.releasedRefcnt': 0,
        });
        expect(pool.cacheSize === REFILL && pool.ringLength === 0, `cache ${pool.cacheSize} ring ${pool.ringLength}, expected 64 / 0`);
        return `fast ${total - 1}, cached ${total}`;
      },
      teardown: () => rig.pool.destroy(),
    };
  },
};

/** ptr_ring: alloc + putNetmem without direct: every return goes to the ring, every 64th alloc refills from it. */
export const ptrRing: BenchCase = {
  name: 'ptr_ring',
  title: 'allocNetmems + putNetmem(direct=false) (via ptr_ring)',
  setup(): BenchInstance {
    const rig = makePool(null);
    const pool = rig.pool;
    const before = counters(rig);
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const nm = pool.allocNetmems();
          acc = (acc + nm) | 0;
          pool.putNetmem(nm, -1, false);
        }
        return acc;
      },
      verify(total) {
        // Kernel pattern: one refill of 64 then 63 cache hits, per 64 operations.
        const refills = Math.ceil(total / REFILL);
        expectDeltas(before, counters(rig), {
          'alloc.fast': total - refills,
          'alloc.refill': refills,
          'alloc.slow': 0,
          'alloc.empty': 0,
          'recycle.cached': 0,
          'recycle.ring': total,
          'recycle.ringFull': 0,
          'recycle.releasedRefcnt': 0,
        });
        return `refill ${refills}, fast ${total - refills}, ring ${total}`;
      },
      teardown: () => rig.pool.destroy(),
    };
  },
};

/**
 * slow: alloc + an extra page reference + put + drop that reference. The put
 * finds page refcount 2 and releases the page from the pool; the last
 * putPage frees it to the page allocator. Every page is therefore freshly
 * allocated by the provider (64 per bulk call, 63 of them via the cache).
 */
function slowCase(name: string, dma: DmaTracking | null): BenchCase {
  return {
    name,
    title: dma
      ? `slow path with PP_FLAG_DMA_MAP, ${dma} DMA tracking (map per page, unmap on release)`
      : 'allocNetmems + getPage + putNetmem + putPage (page leaves the pool)',
    setup(): BenchInstance {
      const rig = makePool(dma);
      const { pool, domain } = rig;
      const before = counters(rig);
      return {
        run(ops) {
          let acc = 0;
          for (let i = 0; i < ops; i++) {
            const nm = pool.allocNetmems();
            acc = (acc + nm) | 0;
            domain.getPage(nm);
            pool.putNetmem(nm, -1, false);
            domain.putPage(nm);
          }
          return acc;
        },
        verify(total) {
          // The first alloc drains the 64 prefilled ring pages; after that one bulk
          // provider allocation per 64 operations, each after finding the ring empty.
          const bulks = Math.ceil((total - REFILL) / REFILL);
          expectDeltas(before, counters(rig), {
            'alloc.fast': total - 1 - bulks,
            'alloc.refill': 1,
            'alloc.slow': bulks,
            'alloc.empty': bulks,
            'recycle.cached': 0,
            'recycle.ring': 0,
            'recycle.releasedRefcnt': total,
            maps: dma ? bulks * REFILL : 0,
            unmaps: dma ? total : 0,
          });
          const held = pool.cacheSize;
          expect(pool.inflight === held, `inflight ${pool.inflight}, expected ${held} (the cache)`);
          expect(domain.freePages === domain.pages - held, `free pages ${domain.freePages}, expected ${domain.pages - held}`);
          if (rig.dev) {
            expect(rig.dev.liveMappings === held, `live mappings ${rig.dev.liveMappings}, expected ${held}`);
            expect(rig.dev.faultCount === 0, `${rig.dev.faultCount} IOMMU faults`);
          }
          expect(domain.leaks === 0, `${domain.leaks} page_pool leaks`);
          return `slow ${bulks}, released ${total}${dma ? `, maps ${bulks * REFILL}, unmaps ${total}` : ''}`;
        },
        teardown: () => rig.pool.destroy(),
      };
    },
  };
}

/** slow: pages provider, no DMA mapping. */
export const slow = slowCase('slow', null);
/** slow_dma_xarray: DMA_MAP, xarray tracking (the upstream fix). */
export const slowDmaXarray = slowCase('slow_dma_xarray', 'xarray');
/** slow_dma_item_block: DMA_MAP, item-block tracking (the alternative series). */
export const slowDmaItemBlock = slowCase('slow_dma_item_block', 'item-block');
/** slow_dma_none: DMA_MAP, no tracking (pre-fix behaviour). */
export const slowDmaNone = slowCase('slow_dma_none', 'none');

/** Every page-pool case, in report order. */
export const pagePoolCases: readonly BenchCase[] = [fastPath, ptrRing, slow, slowDmaXarray, slowDmaItemBlock, slowDmaNone];
