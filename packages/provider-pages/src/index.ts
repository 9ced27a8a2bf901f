/**
 * @netmem/provider-pages: the normal page path as a memory provider. Order-0
 * pools get pages from the domain's page allocator in bulk (64 at a time,
 * like alloc_pages_bulk_node), each DMA-mapped through the pool's tracking
 * strategy; higher orders get one compound page per slow allocation.
 * Released pages go back to the page allocator (release answers true).
 *
 * @packageDocumentation
 */
import {
  PP_ALLOC_CACHE_REFILL,
  errorScope,
  mpCountSlowAlloc,
  mpDmaMapPage,
  mpDmaUnmapPage,
  mpPlaceInCache,
  mpSetPool,
  type MemoryProviderOps,
  type PagePool,
} from '@netmem/core/provider';

const E = errorScope('provider-pages');

/** Options for {@link pagesProvider}. */
export interface PagesProviderOptions {
  /** Pages per order-0 bulk allocation, 1..64. Default 64 (PP_ALLOC_CACHE_REFILL). */
  bulk?: number;
}

/**
 * Creates the normal page provider. One instance may serve many pools.
 *
 * @example
 * ```ts
 * import { MemoryDomain, createPagePool, PP_FLAG_DMA_MAP } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const domain = new MemoryDomain({ pages: 4096 });
 * const provider = pagesProvider({ bulk: 16 });   // 16 pages per slow-path refill instead of 64
 * const pool = createPagePool({ domain, dev: domain.createDevice('nic0'), flags: PP_FLAG_DMA_MAP, provider });
 * pool.putNetmem(pool.allocNetmems());
 * console.log(pool.stats().alloc);                 // one slow allocation; the other 15 wait in the cache
 * ```
 */
export function pagesProvider(opts: PagesProviderOptions = {}): MemoryProviderOps {
  E.options(opts, 'pagesProvider', ['bulk']);
  const bulk = E.int(opts.bulk ?? PP_ALLOC_CACHE_REFILL, 'bulk', 1, PP_ALLOC_CACHE_REFILL);
  // Scratch for one bulk allocation; alloc is never re-entered.
  const got = new Int32Array(bulk);

  /** Maps (when the pool maps) and accounts a fresh page; false when mapping failed and the page was freed. */
  function adopt(pool: PagePool, nm: number): boolean {
    if (pool.dmaMap && !mpDmaMapPage(pool, nm)) {
      pool.domain.putPage(nm);
      return false;
    }
    mpSetPool(pool, nm);
    return true;
  }

  return {
    name: 'pages',
    pagePath: true,
    init() {},
    destroy() {},
    alloc(pool) {
      if (pool.order > 0) {
        const nm = pool.domain.allocPages(pool.order, pool.nid);
        if (nm === 0) return 0;
        try {
          if (!adopt(pool, nm)) return 0;
        } catch (e) {
          pool.domain.putPage(nm); // a strict IOMMU threw on the map: the page goes back, nothing is lost
          throw e;
        }
        mpCountSlowAlloc(pool, true);
        return nm;
      }
      const n = pool.domain.allocPagesBulk(pool.nid, bulk, got);
      let last = 0;
      let i = 0;
      try {
        for (; i < n; i++) {
          const nm = got[i];
          if (!adopt(pool, nm)) continue;
          // All but the last go to the cache; the last is returned (LIFO as the kernel).
          if (last !== 0) mpPlaceInCache(pool, last);
          last = nm;
        }
      } catch (e) {
        // A strict IOMMU threw while mapping page i (a removed device): the
        // pages accounted so far stay in the pool's cache, the rest go back.
        if (last !== 0) mpPlaceInCache(pool, last);
        for (; i < n; i++) pool.domain.putPage(got[i]);
        throw e;
      }
      if (last !== 0) mpCountSlowAlloc(pool, false);
      return last;
    },
    release(pool, nm) {
      mpDmaUnmapPage(pool, nm);
      return true;
    },
  };
}
