/**
 * Page-pool statistics. Counters live in one Float64Array (no overflow in
 * practice, one typed-array increment per event); `stats()` builds the
 * readable object only when asked.
 */
export const S_FAST = 0;
export const S_SLOW = 1;
export const S_SLOW_HIGH_ORDER = 2;
export const S_EMPTY = 3;
export const S_REFILL = 4;
export const S_WAIVE = 5;
export const S_CACHED = 6;
export const S_CACHE_FULL = 7;
export const S_RING = 8;
export const S_RING_FULL = 9;
export const S_RELEASED_REFCNT = 10;
export const S_COUNT = 11;

/**
 * Allocation counters (page_pool_alloc_stats).
 * @category Pool
 */
export interface PagePoolAllocStats {
  /** Served from the alloc cache. */
  fast: number;
  /** Order-0 slow allocations (bulk from the page allocator). */
  slow: number;
  /** High-order slow allocations. */
  slowHighOrder: number;
  /** Refill attempts that found the ring empty. */
  empty: number;
  /** Refills that moved netmems from the ring to the cache. */
  refill: number;
  /** Ring pages released for being on the wrong NUMA node. */
  waive: number;
}

/**
 * Recycling counters (page_pool_recycle_stats).
 * @category Pool
 */
export interface PagePoolRecycleStats {
  /** Recycled into the alloc cache. */
  cached: number;
  /** Direct recycling found the cache full. */
  cacheFull: number;
  /** Recycled into the ring. */
  ring: number;
  /** The ring was full; the netmem was released. */
  ringFull: number;
  /** Released because someone else still held a page reference. */
  releasedRefcnt: number;
}

/**
 * `PagePool.stats()` reply.
 * @category Pool
 */
export interface PagePoolStats {
  /** Allocation counters. */
  alloc: PagePoolAllocStats;
  /** Recycling counters. */
  recycle: PagePoolRecycleStats;
}

/** Builds the stats object from the counter array. */
export function statsFromCounters(c: Float64Array): PagePoolStats {
  return {
    alloc: {
      fast: c[S_FAST],
      slow: c[S_SLOW],
      slowHighOrder: c[S_SLOW_HIGH_ORDER],
      empty: c[S_EMPTY],
      refill: c[S_REFILL],
      waive: c[S_WAIVE],
    },
    recycle: {
      cached: c[S_CACHED],
      cacheFull: c[S_CACHE_FULL],
      ring: c[S_RING],
      ringFull: c[S_RING_FULL],
      releasedRefcnt: c[S_RELEASED_REFCNT],
    },
  };
}
