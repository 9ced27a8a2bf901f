/**
 * A memory provider a user would write: a fixed arena of page-sized buffers
 * ("huge arena"), carved out of one SharedArrayBuffer allocated up front,
 * registered as ONE net_iov area and DMA-mapped ONCE for the pool's device.
 * The pool never touches the page allocator: alloc hands out net_iovs from
 * the arena's own freelist, release takes them back.
 *
 * Memory strategy: the freelist is an Int32Array stack of buffer indices; an
 * Uint8Array marks which buffers the pool holds (a second release of the
 * same buffer is caught, never pushed twice). Nothing is allocated per
 * alloc or release.
 */
import {
  NET_IOV_SIZE,
  errorScope,
  makeRegion,
  mpClearPool,
  mpCountSlowAlloc,
  mpPlaceInCache,
  mpSetDmaAddr,
  mpSetPool,
  PP_ALLOC_CACHE_SIZE,
  type ErrorScope,
  type MemRegion,
  type MemoryProviderOps,
  type NetIovArea,
  type PagePool,
} from '@netmem/core/provider';

/** The provider's error scope: its errors read `huge-arena: ... (CODE)`. */
const E: ErrorScope = errorScope('huge-arena');

/** Options of {@link hugeArenaProvider}. */
export interface HugeArenaOptions {
  /** Buffers (4096 bytes each) in the arena. */
  buffers: number;
  /** Buffers one slow allocation hands the pool (1 returned, the rest placed in its cache). Default 16. */
  batch?: number;
}

/** The provider's ops plus a few read-only figures for demos and tests. */
export interface HugeArenaProvider extends MemoryProviderOps {
  /** Buffers in the arena. */
  readonly buffers: number;
  /** Buffers on the freelist now. */
  readonly free: number;
  /** The net_iov area while a pool is bound (null otherwise). */
  readonly area: NetIovArea | null;
  /** The arena's bytes (what a user thread would share). */
  readonly region: MemRegion;
}

/**
 * Creates a huge-arena provider. One instance serves one pool at a time (a
 * second pool's init fails with EBUSY); pools need order 0 (E2BIG otherwise).
 */
export function hugeArenaProvider(opts: HugeArenaOptions): HugeArenaProvider {
  const n = E.int(opts.buffers, 'buffers', 1, Number.MAX_SAFE_INTEGER);
  const batch = E.int(opts.batch ?? 16, 'batch', 1, PP_ALLOC_CACHE_SIZE);
  const region = makeRegion('huge-arena', new SharedArrayBuffer(n * NET_IOV_SIZE));
  const freelist = new Int32Array(n);
  const held = new Uint8Array(n);
  let nFree = 0;
  let area: NetIovArea | null = null;
  let bound: PagePool | null = null;
  let iova = 0;

  /** Takes one buffer off the freelist and marks it the pool's. */
  function take(pool: PagePool, a: NetIovArea): number {
    const i = freelist[--nFree];
    held[i] = 1;
    const nm = a.niov(i);
    mpSetPool(pool, nm);
    return nm;
  }

  const ops: HugeArenaProvider = {
    name: 'huge-arena',
    get buffers() {
      return n;
    },
    get free() {
      return nFree;
    },
    get area() {
      return area;
    },
    region,

    init(pool) {
      if (bound) E.fail('EBUSY', `already serving pool ${bound.id}`);
      if (pool.order !== 0) E.fail('E2BIG', `buffers are ${NET_IOV_SIZE} bytes, pool wants order ${pool.order}`);
      const dev = pool.dev;
      if (!dev) E.fail('EINVAL', 'the pool has no DMA device');
      const a = pool.domain.createArea('io_uring', n, region, 0, true, null);
      // One mapping for the whole arena; each buffer's DMA address is an offset into it.
      const base = dev.map(region, 0, n * NET_IOV_SIZE, pool.dmaDirCode);
      if (base === 0) {
        pool.domain.destroyArea(a);
        E.fail('ENOMEM', `DMA map of ${n} buffers failed`);
      }
      for (let i = 0; i < n; i++) mpSetDmaAddr(pool.domain, a.niov(i), base + i * NET_IOV_SIZE);
      // Freelist in reverse so buffer 0 goes out first.
      for (let i = 0; i < n; i++) freelist[i] = n - 1 - i;
      nFree = n;
      held.fill(0);
      area = a;
      bound = pool;
      iova = base;
    },

    destroy(pool) {
      if (pool !== bound || !area) return;
      if (nFree !== n) pool.domain.warn('huge-arena-leak', `huge-arena: ${n - nFree} buffers not back at destroy`, pool.id);
      pool.dev!.unmap(iova, pool.dmaDirCode);
      pool.domain.destroyArea(area);
      area = null;
      bound = null;
      iova = 0;
    },

    alloc(pool) {
      const a = area;
      if (!a || nFree === 0) return 0; // exhaustion is normal: the pool reports NULL
      const nm = take(pool, a);
      // The pool asks only when its cache is empty; stay within it all the same.
      for (let k = 1; k < batch && nFree > 0 && pool.cacheSize < PP_ALLOC_CACHE_SIZE; k++) mpPlaceInCache(pool, take(pool, a));
      mpCountSlowAlloc(pool, false);
      return nm;
    },

    release(pool, nm) {
      const i = area ? area.indexOf(nm) : -1;
      if (i < 0) E.fail('EINVAL', `netmem ${nm} is not one of this arena's buffers`);
      if (held[i] === 0) E.fail('EALREADY', `buffer ${i} released twice`);
      held[i] = 0;
      mpClearPool(pool, nm);
      freelist[nFree++] = i;
      return false; // the arena keeps its buffers
    },

    nlFill(pool) {
      return pool && area ? { arenaId: area.id, arenaBuffers: n, arenaFree: nFree } : {};
    },
  };
  return ops;
}
