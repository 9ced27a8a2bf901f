/**
 * A zcrx interface queue (struct io_zcrx_ifq): one area, one refill ring,
 * and the memory provider (io_uring_pp_zc_ops) installed on one rx queue.
 * The provider hands the area's net_iovs to the queue's page pool; user
 * space gets them in RECV_ZC CQEs and gives them back through the refill
 * ring, which the provider's alloc drains before it touches the freelist.
 *
 * Ownership per net_iov: on the area freelist (no pool), owned by a pool
 * (pp set; in its cache/ring/driver ring/skbs, or held by the user with
 * `userRefs[i]` ≤ pp refs), or a copy-fallback buffer (no pool, one pp ref
 * and one user ref) until the user returns it.
 */
import { DMA_FROM_DEVICE, type DmaDevice, type MemoryDomain, type NetDevice } from '@netmem/core';
import {
  NET_IOV_SIZE,
  PP_ALLOC_CACHE_REFILL,
  mpClearPool,
  mpCloseRxq,
  mpDmaSyncForDevice,
  mpPlaceInCache,
  mpSetOrphanRefCount,
  mpSetPool,
  ppPutUnrefedNetmem,
  ppRefCount,
  ppUnrefNetmem,
  type MemoryProviderOps,
  type PagePool,
  type ProviderInfo,
  type ProviderRxQueue,
} from '@netmem/core/provider';
import { ZcrxArea } from './area.js';
import { ZCRX_RQ_HEAD_OFF, ZCRX_RQ_TAIL_OFF, ZCRX_RQE_SIZE, ZCRX_RQES_OFF } from './constants.js';
import { E } from './errors.js';
import { checkIfqParams } from './ifq-params.js';
import type { ZcrxIfqParams, ZcrxIfqStats, ZcrxRefillResult } from './ifq-types.js';
import { isU32 } from './user-errors.js';
import type { ZcrxRqOffsets } from './user.js';

/**
 * Provider name (the kernel's NETDEV_A_PAGE_POOL_IO_URING).
 * @category Zero-copy receive
 */
export const ZCRX_PROVIDER_NAME = 'io_uring';

/**
 * A zcrx interface queue and its memory provider (see the file header).
 * @category Zero-copy receive
 */
export class ZcrxIfq {
  /** Id in its ring (zcrx_id). */
  readonly id: number;
  /** The domain. */
  readonly domain: MemoryDomain;
  /** The device the area is mapped for. */
  readonly dev: DmaDevice;
  /** The area. */
  readonly area: ZcrxArea;
  /** The refill-ring region (share it with the user thread). */
  readonly rqBuffer: SharedArrayBuffer;
  /** Refill-ring entries. */
  readonly rqEntries: number;
  /** Refill-ring offsets. */
  readonly offsets: ZcrxRqOffsets = { head: ZCRX_RQ_HEAD_OFF, tail: ZCRX_RQ_TAIL_OFF, rqes: ZCRX_RQES_OFF };
  /** The netdev while the queue is bound (null after close or unregister). */
  netdev: NetDevice | null = null;
  /** The bound rx queue, -1 when none. */
  ifRxq = -1;
  /** The memory provider to install on the rx queue. */
  readonly ops: MemoryProviderOps;
  /** Counters. */
  readonly stats: ZcrxIfqStats = {
    rqConsumed: 0,
    rqBad: 0,
    rqNoUserRef: 0,
    rqStillReferenced: 0,
    rqRecycled: 0,
    rqReturned: 0,
    freelistAllocs: 0,
    zcFrags: 0,
    copyBufs: 0,
    scrubbed: 0,
  };

  private readonly rqI32: Int32Array;
  private readonly rqU32: Uint32Array;
  private readonly mask: number;
  private cachedRqHead = 0;
  /** ringRefill's warm-up loads land here (a store is never optimised away). */
  private readonly warmSink = new Int32Array(1);
  private poolRefs = 0;
  private ownerHeld = true;
  private freedFlag = false;

  private constructor(p: ZcrxIfqParams, area: ZcrxArea, rq: SharedArrayBuffer) {
    this.id = p.id ?? 0;
    this.domain = p.domain;
    this.dev = p.dev;
    this.area = area;
    this.rqEntries = p.rqEntries;
    this.mask = p.rqEntries - 1;
    this.rqBuffer = rq;
    this.rqI32 = new Int32Array(rq);
    this.rqU32 = new Uint32Array(rq);
    this.ops = {
      name: ZCRX_PROVIDER_NAME,
      init: (pool) => this.ppInit(pool),
      destroy: (pool) => this.ppDestroy(pool),
      alloc: (pool) => this.ppAlloc(pool),
      release: (pool, nm) => this.ppRelease(pool, nm),
      nlFill: (pool, rxq) => this.nlFill(pool, rxq),
      uninstall: (rxq) => this.uninstall(rxq),
    };
  }

  /**
   * Builds an ifq: the refill ring and the area (net_iovs, freelist, user
   * refs). Nothing is mapped until the first pool's init. Everything is
   * checked before anything is made: EINVAL for an unknown key, a domain
   * that is not a MemoryDomain, refill entries that are not a power of two
   * 1..32768, an id that is not a u32, a region too small or an area that
   * is not a page multiple (the area's own checks: {@link ZcrxArea});
   * EFAULT for a region buffer that is not a SharedArrayBuffer.
   */
  static create(p: ZcrxIfqParams): ZcrxIfq {
    const need = checkIfqParams(p);
    const area = new ZcrxArea(p.domain, p.dev, p.area);
    const rq = p.rqBuffer ?? new SharedArrayBuffer(need);
    return new ZcrxIfq(p, area, rq);
  }

  /** True once the ifq was freed (area gone). */
  get freed(): boolean {
    return this.freedFlag;
  }

  /** Refill entries the user published that the kernel side has not consumed yet (tail − head, capped). */
  get refillPending(): number {
    const n = (Atomics.load(this.rqI32, ZCRX_RQ_TAIL_OFF >>> 2) - this.cachedRqHead) >>> 0;
    return n > this.rqEntries ? this.rqEntries : n;
  }

  /** Pools currently using this ifq's provider. */
  get pools(): number {
    return this.poolRefs;
  }

  // ---- provider ops (io_uring_pp_zc_ops) -------------------------------------

  private ppInit(pool: PagePool): void {
    if (this.freedFlag) E.fail('EINVAL', `a pool needs a live ifq, got ifq ${this.id}, which was freed`);
    if (pool.dev !== this.dev)
      E.fail('EINVAL', `the pool's DMA device must be the ifq's (${this.dev.name}), got ${pool.dev === null ? 'none' : pool.dev.name}`);
    if (!pool.dmaMap) E.fail('EOPNOTSUPP', 'the pool must DMA-map (PP_FLAG_DMA_MAP), got a pool without it');
    if (pool.order !== 0) E.expected('the pool order must be 0', pool.order, 'EOPNOTSUPP');
    if (pool.dmaDirCode !== DMA_FROM_DEVICE) E.expected(`the pool DMA direction must be from-device (${DMA_FROM_DEVICE})`, pool.dmaDirCode, 'EOPNOTSUPP');
    if (!this.area.map()) E.fail('ENOMEM', `the area of ifq ${this.id} must map for ${this.dev.name}, got no IOVA`);
    this.poolRefs++;
  }

  private ppDestroy(_pool: PagePool): void {
    this.poolRefs--;
    this.maybeFree();
  }

  /** io_pp_zc_alloc_netmems: the refill ring first, then the freelist. */
  private ppAlloc(pool: PagePool): number {
    const nm = this.ringRefill(pool);
    return nm !== 0 ? nm : this.refillSlow(pool);
  }

  /** io_pp_zc_release_netmem: back on the freelist; the pool frees nothing. */
  private ppRelease(pool: PagePool, nm: number): boolean {
    const i = this.area.indexOf(nm);
    if (i < 0) E.fail('EINVAL', `release expects a net_iov of the area of ifq ${this.id}, got netmem ${nm}`);
    mpClearPool(pool, nm);
    this.area.pushFree(i);
    return false;
  }

  private nlFill(_pool: PagePool | null, _rxq: ProviderRxQueue | null): ProviderInfo {
    // An empty nest: NETDEV_A_PAGE_POOL_IO_URING / NETDEV_A_QUEUE_IO_URING.
    return { ioUring: {} };
  }

  /** io_pp_uninstall: the netdev is going away: forget it and unmap the area (once). */
  private uninstall(_rxq: ProviderRxQueue): void {
    this.netdev = null;
    this.area.unmap();
  }

  // ---- refill -------------------------------------------------------------

  /**
   * io_zcrx_ring_refill: consumes at most min(tail − head, entries, 64 −
   * cached) refill entries, advancing head over every one. A valid entry
   * drops one user ref and one pp ref; the buffer comes back to this pool's
   * cache when that was the last pp ref. Returns one netmem (the rest are in
   * the cache) or 0.
   */
  private ringRefill(pool: PagePool): number {
    let entries = (Atomics.load(this.rqI32, ZCRX_RQ_TAIL_OFF >>> 2) - this.cachedRqHead) >>> 0;
    if (entries > this.rqEntries) entries = this.rqEntries;
    const room = PP_ALLOC_CACHE_REFILL - pool.cacheSize;
    if (entries > room) entries = room > 0 ? room : 0;
    if (entries === 0) return 0;
    const u32 = this.rqU32;
    const area = this.area;
    const urefs = area.userRefs;
    const st = this.stats;
    let pending = 0;
    st.rqConsumed += entries;
    // One load per 64-byte line first: the lines come from the user's core, and independent loads overlap their misses.
    for (let k = 0; k < entries; k += 4) this.warmSink[0] ^= u32[(ZCRX_RQES_OFF >>> 2) + ((this.cachedRqHead + k) & this.mask) * (ZCRX_RQE_SIZE >>> 2)];
    do {
      const w = (ZCRX_RQES_OFF >>> 2) + (this.cachedRqHead & this.mask) * (ZCRX_RQE_SIZE >>> 2);
      this.cachedRqHead = (this.cachedRqHead + 1) | 0;
      const lo = u32[w];
      const hi = u32[w + 1];
      if (u32[w + 3] !== 0 || hi >>> 16 !== area.areaId) {
        st.rqBad++;
        continue;
      }
      // (off & ~AREA_MASK) >> PAGE_SHIFT lands in a 32-bit unsigned, as in the kernel.
      const idx = (((hi & 0xfff) << 20) | (lo >>> 12)) >>> 0;
      if (idx >= area.count) {
        st.rqBad++;
        continue;
      }
      if (urefs[idx] === 0) {
        st.rqNoUserRef++;
        continue;
      }
      urefs[idx]--;
      const nm = area.nia.niov(idx);
      const mine = pool.owns(nm);
      if ((mine ? pool.unrefNetmem(nm, 1) : this.unrefOther(nm, 1)) !== 0) {
        st.rqStillReferenced++;
        continue;
      }
      if (!mine) {
        this.putNiov(nm, idx);
        st.rqReturned++;
        continue;
      }
      this.syncForDevice(pool, nm);
      if (pending !== 0) mpPlaceInCache(pool, pending);
      pending = nm;
      st.rqRecycled++;
    } while (--entries > 0);
    Atomics.store(this.rqI32, ZCRX_RQ_HEAD_OFF >>> 2, this.cachedRqHead);
    return pending;
  }

  /**
   * Runs the refill-ring consumption alone (io_zcrx_ring_refill) for
   * `pool`, a live pool of this ifq's provider (EINVAL otherwise): consumes
   * at most min(tail − head, entries, 64 − cached) entries, moves head over
   * each, and puts the buffers whose last reference went into the pool's
   * cache. The freelist is never touched, so a scenario sees exactly what
   * the ring did.
   */
  refillRing(pool: PagePool): ZcrxRefillResult {
    if (typeof pool !== 'object' || pool === null || pool.provider !== this.ops) E.expected(`refillRing needs a pool of ifq ${this.id}'s provider`, pool);
    if (pool.destroyStarted) E.fail('EINVAL', `refillRing needs a live pool, got pool ${pool.id}, which was destroyed`);
    const st = this.stats;
    const [c, r, ret, bad, nu, held] = [st.rqConsumed, st.rqRecycled, st.rqReturned, st.rqBad, st.rqNoUserRef, st.rqStillReferenced];
    const nm = this.ringRefill(pool);
    if (nm !== 0) mpPlaceInCache(pool, nm); // ringRefill keeps the last one out for alloc to hand over
    return {
      consumed: st.rqConsumed - c,
      recycled: st.rqRecycled - r,
      returned: st.rqReturned - ret,
      bad: st.rqBad - bad,
      noUserRef: st.rqNoUserRef - nu,
      stillReferenced: st.rqStillReferenced - held,
      head: this.cachedRqHead >>> 0,
    };
  }

  /** io_zcrx_refill_slow: up to 64 net_iovs from the freelist into the pool. */
  private refillSlow(pool: PagePool): number {
    const area = this.area;
    let pending = 0;
    let n = 0;
    while (area.freeCount > 0 && n < PP_ALLOC_CACHE_REFILL) {
      const nm = area.nia.niov(area.popFree());
      mpSetPool(pool, nm);
      this.syncForDevice(pool, nm);
      if (pending !== 0) mpPlaceInCache(pool, pending);
      pending = nm;
      n++;
    }
    this.stats.freelistAllocs += n;
    return pending;
  }

  private syncForDevice(pool: PagePool, nm: number): void {
    if (pool.dmaSync) mpDmaSyncForDevice(pool, nm, NET_IOV_SIZE - pool.offset);
  }

  /** page_pool_unref_netmem for a net_iov of another pool, or of none (a copy-fallback buffer). */
  private unrefOther(nm: number, n: number): number {
    const domain = this.domain;
    if (domain.ppIdOf(nm) !== 0) return ppUnrefNetmem(domain, nm, n);
    const r = ppRefCount(domain, nm);
    if (r < n) E.fail('EINVAL', `dropping ${n} pp refs of copy buffer ${nm} needs at least ${n}, got ${r}`);
    // The last reference leaves the count at 1, as page_pool_unref_netmem does.
    mpSetOrphanRefCount(domain, nm, r === n ? 1 : r - n);
    return r - n;
  }

  /**
   * io_zcrx_return_niov: a copy buffer goes to the freelist, a pool buffer
   * back to its pool. EINVAL unless `idx` is an index of the area and `nm`
   * its net_iov (the caller dropped the last reference).
   */
  returnNiov(nm: number, idx: number): void {
    if (!isU32(idx) || idx >= this.area.count || this.area.nia.niov(idx) !== nm) {
      E.expected(
        `returnNiov needs net_iov ${isU32(idx) && idx < this.area.count ? this.area.nia.niov(idx) : '(none)'} for index ${idx} of ifq ${this.id}'s area`,
        nm,
      );
    }
    this.putNiov(nm, idx);
  }

  /** {@link returnNiov} without the checks (callers inside the package know the pair is right). */
  private putNiov(nm: number, idx: number): void {
    if (this.domain.ppIdOf(nm) === 0) {
      mpSetOrphanRefCount(this.domain, nm, 0);
      this.area.pushFree(idx);
      return;
    }
    ppPutUnrefedNetmem(this.domain, nm, false);
  }

  /** Takes a free net_iov for a copy (io_zcrx_alloc_fallback): no pool, one pp ref. -1 when none. */
  allocFallback(): number {
    if (this.freedFlag) return -1;
    const i = this.area.popFree();
    if (i >= 0) mpSetOrphanRefCount(this.domain, this.area.nia.niov(i), 1);
    return i;
  }

  // ---- scrub, close, free ------------------------------------------------------

  /**
   * io_zcrx_scrub: takes back every buffer user space holds: all its user
   * refs at once, that many pp refs dropped, the buffer returned when that
   * was the last.
   */
  scrub(): void {
    if (this.freedFlag) return;
    const area = this.area;
    const urefs = area.userRefs;
    for (let i = 0; i < area.count; i++) {
      const nr = urefs[i];
      if (nr === 0) continue;
      urefs[i] = 0;
      this.stats.scrubbed++;
      const nm = area.nia.niov(i);
      if (this.unrefOther(nm, nr) === 0) this.putNiov(nm, i);
    }
  }

  /**
   * io_close_queue: unbinds the provider from its rx queue (restarting it on
   * pages), once. The ifq lets go of the queue even when the restart fails
   * (the error is thrown after): it is unbound either way, and a second
   * call does nothing.
   */
  closeQueue(): void {
    if (this.ifRxq === -1) return;
    const nd = this.netdev;
    const idx = this.ifRxq;
    this.netdev = null;
    this.ifRxq = -1;
    if (nd) mpCloseRxq(nd, idx, this.ops);
  }

  /**
   * The owner (the ring, or a standalone user) lets go: close the queue and
   * free the ifq as soon as no pool uses its provider any more.
   */
  release(): void {
    if (!this.ownerHeld) return;
    this.ownerHeld = false;
    try {
      this.closeQueue();
    } finally {
      // Let go either way: a queue that failed to restart keeps its pool, whose destroy frees the ifq later.
      this.maybeFree();
    }
  }

  private maybeFree(): void {
    if (this.ownerHeld || this.poolRefs > 0 || this.freedFlag) return;
    this.freedFlag = true;
    this.area.free();
  }
}
