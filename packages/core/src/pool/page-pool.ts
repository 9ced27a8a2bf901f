/**
 * The page pool (net/core/page_pool.c): a per-NAPI recycling allocator for
 * network buffers. This file holds the pool itself: its state, the alloc
 * and put fast paths, the ring and cache, leaving the pool, and DMA map /
 * unmap. Beside it, as the kernel splits page_pool.c and its headers:
 * create.ts (page_pool_init's checks), frag.ts (the frag and va helpers),
 * release.ts (destroy, scrub, deferred release), introspect.ts (stats,
 * info, netlink fill), types.ts (parameters, events, the provider contract).
 *
 * Memory strategy: the alloc cache is an Int32Array stack of 128 handles, the
 * ptr_ring an Int32Array circle, statistics a Float64Array, and per-netmem
 * state the domain's typed-array tables (the pool keeps direct references to
 * them). alloc and put allocate nothing; the provider is called only when
 * both cache and ring are empty, or when a netmem leaves the pool.
 */
import { EventEmitter } from 'eventemitter3';
import { NetmemError, type ErrnoCode } from '../base/errors.js';
import { PAGE_SIZE } from '../base/units.js';
import type { DmaDevice, DmaFault } from '../dma/device.js';
import { DESC_MASK } from '../netmem/handle.js';
import type { LeakReport, MemoryDomain } from '../netmem/domain.js';
import { FIRST_OUT_PLACE, Place, setPlace } from '../netmem/ledger.js';
import { NM_PFMEMALLOC, PP_SIGNATURE } from '../netmem/netmem-table.js';
import { GFP_ATOMIC, PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_FLAG_SYSTEM_POOL } from './constants.js';
import { poolSettings } from './create.js';
import { createDmaTracker, type DmaTracker } from './dma-tracking.js';
import { FragCache } from './frag.js';
import { poolInfo, poolPlaces, poolSnapshot } from './introspect.js';
import { currentNapi, type Napi } from './napi.js';
import { poolRegistry, type PoolRegistry } from './registry.js';
import { PoolLifecycle } from './release.js';
import type { PoolInternals } from './state.js';
import * as S from './stats.js';
import type { PagePoolStats } from './stats.js';
import type { MemoryProviderOps, PagePool, PagePoolEvents, PagePoolInfo, PagePoolParams, PoolNetdev, PoolSnapshot } from './types.js';

// The hot paths below use these constants as literals: V8 loads an imported
// binding from its module cell and hole-checks it on every use (and a bundle
// turns them into mutable vars), which cost ~25% of the fast path. This runs
// once at load and keeps the literals honest.
if (
  DESC_MASK !== 0xfffff || FIRST_OUT_PLACE !== 3 || NM_PFMEMALLOC !== 1 || PP_ALLOC_CACHE_SIZE !== 128 || PP_ALLOC_CACHE_REFILL !== 64 ||
  Place.NONE !== 0 || Place.CACHE !== 1 || Place.RING !== 2 || Place.HANDED_OUT !== 3 || Place.FRAG_PAGE !== 8 ||
  S.S_FAST !== 0 || S.S_SLOW !== 1 || S.S_SLOW_HIGH_ORDER !== 2 || S.S_EMPTY !== 3 || S.S_REFILL !== 4 || S.S_WAIVE !== 5 ||
  S.S_CACHED !== 6 || S.S_CACHE_FULL !== 7 || S.S_RING !== 8 || S.S_RING_FULL !== 9 || S.S_RELEASED_REFCNT !== 10
) {
  throw new Error('page-pool: hot-path literal constants are out of date');
}

/**
 * page_pool_create: a new pool. Throws a NetmemError (and leaves nothing
 * behind) on bad parameters or when the provider's init refuses.
 *
 * @example
 * ```ts
 * const pool = createPagePool({
 *   domain, dev, order: 0, poolSize: 1024, maxLen: 4096, dmaDir: 'from-device',
 *   flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, provider: pagesProvider(),
 * });
 * ```
 */
export function createPagePool(params: PagePoolParams): PagePool {
  return new PagePoolImpl(params);
}

/** Stops the call: a netmem handed to the wrong pool, a double free, a refcount underflow. */
function misuse(code: ErrnoCode, msg: string): never {
  throw new NetmemError(code, msg);
}

/** The page pool (see {@link PagePool} for what each member does). */
class PagePoolImpl extends EventEmitter<PagePoolEvents> implements PoolInternals {
  /** Pool id, ≥ 1. */
  declare readonly id: number;
  /** The domain it allocates from. */
  declare readonly domain: MemoryDomain;
  /** The provider (the page path or a memory provider). */
  declare readonly provider: MemoryProviderOps;
  /** DMA device (may be null without DMA_MAP). */
  declare readonly dev: DmaDevice | null;
  /** Page order. */
  declare readonly order: number;
  /** PP_FLAG_* bits as created. */
  declare readonly flags: number;
  /** DMA direction code. */
  declare readonly dmaDirCode: number;
  /** Max bytes synced for the device per recycle. */
  declare readonly maxLen: number;
  /** Device write offset in each page. */
  declare readonly offset: number;
  /** Ring capacity. */
  declare readonly ringSize: number;
  /** Rx queue index. */
  declare readonly queueIdx: number;
  /** NAPI id given at creation (kept for info after destroy clears napi). */
  declare readonly napiId: number;
  /** DMA-tracking strategy in use. */
  declare readonly tracker: DmaTracker;
  /** Pool maps pages for DMA. */
  declare readonly dmaMap: boolean;
  lastOffset = 0;
  lastSize = 0;

  // Hot state: own fields, so alloc/put touch only this object and the tables.
  // The pool's sibling files reach them through PoolInternals.
  declare nidPref: number;
  declare netdevRef: PoolNetdev | null;
  declare syncDev: boolean;
  readonly cache = new Int32Array(PP_ALLOC_CACHE_SIZE);
  cacheCount = 0;
  declare readonly ring: Int32Array;
  ringHead = 0;
  ringTail = 0;
  ringCount = 0;
  readonly st = new Float64Array(S.S_COUNT);
  holdCnt = 0;
  releaseCnt = 0;
  declare napi: Napi | null;
  declare systemPool: boolean;
  destroying = false;
  declare readonly checked: boolean;
  declare readonly registry: PoolRegistry;
  declare readonly ppTab: Uint32Array;
  declare readonly ppRefTab: Int32Array;
  declare readonly pageRefTab: Int32Array;
  declare readonly flagsTab: Uint8Array;
  declare readonly placeTab: Uint8Array;
  declare readonly dmaTab: Float64Array;
  declare readonly magicTab: Int32Array;
  declare readonly frag: FragCache;
  declare readonly life: PoolLifecycle;
  declare readonly onDevFault: (f: DmaFault) => void;
  declare readonly onLeak: (r: LeakReport) => void;

  constructor(p: PagePoolParams) {
    super();
    const s = poolSettings(p);
    const domain = s.domain;
    const provider = s.provider;
    this.domain = domain;
    this.provider = provider;
    this.dev = s.dev;
    this.order = s.order;
    this.flags = s.flags;
    this.dmaDirCode = s.dirCode;
    this.maxLen = s.maxLen;
    this.offset = s.offset;
    this.ringSize = s.ringSize;
    this.ring = new Int32Array(s.ringSize);
    this.nidPref = s.nid;
    this.netdevRef = s.netdev;
    this.queueIdx = s.queueIdx;
    this.napi = s.napi;
    this.napiId = s.napi?.id ?? 0;
    this.systemPool = (s.flags & PP_FLAG_SYSTEM_POOL) !== 0;
    this.dmaMap = (s.flags & PP_FLAG_DMA_MAP) !== 0;
    this.syncDev = (s.flags & PP_FLAG_DMA_SYNC_DEV) !== 0;
    this.checked = domain.checked;
    this.registry = poolRegistry(domain);
    const t = domain.table;
    this.ppTab = t.pp;
    this.ppRefTab = t.ppRef;
    this.pageRefTab = t.pageRef;
    this.flagsTab = t.flags;
    this.placeTab = t.place;
    this.dmaTab = t.dma;
    this.magicTab = t.magic;
    this.tracker = createDmaTracker(s.tracking, t.magic);
    this.frag = new FragCache(this, s.fragAlign);
    this.life = new PoolLifecycle(this);
    this.onDevFault = (f) => this.emit('fault', f);
    this.onLeak = (r) => {
      if (r.poolId === this.id) this.emit('leak', r);
    };

    try {
      provider.init(this);
    } catch (e) {
      const code = e instanceof NetmemError ? e.code : 'EINVAL';
      domain.warn('mem-provider-init', `mem-provider init failed: ${provider.name}: ${(e as Error).message} (${code})`);
      throw e;
    }
    this.id = this.registry.list(this);
    this.dev?.on('fault', this.onDevFault);
    domain.on('leak', this.onLeak);
    s.netdev?.poolAttached?.(this);
    this.registry.emit('add', this);
  }

  /** Preferred node (-1: the current one). */
  get nid(): number {
    return this.nidPref;
  }

  /** The netdev (the loopback stand-in once orphaned; null when none). */
  get netdev(): PoolNetdev | null {
    return this.netdevRef;
  }

  /** Whether the pool syncs recycled buffers for the device (providers may turn it off in init). */
  get dmaSync(): boolean {
    return this.syncDev;
  }

  // ---- allocation --------------------------------------------------------

  /**
   * page_pool_alloc_netmems: one netmem with the pool's reference, or 0 when
   * none can be had. Fast path: the alloc cache.
   */
  allocNetmems(gfp = GFP_ATOMIC): number {
    if (this.cacheCount > 0) {
      const nm = this.cache[--this.cacheCount];
      this.st[0 /* S_FAST */]++;
      setPlace(this.placeTab, (nm >>> 1) & 0xfffff /* DESC_MASK */, 3 /* Place.HANDED_OUT */);
      return nm;
    }
    return this.allocSlow(gfp);
  }

  private allocSlow(gfp: number): number {
    if (this.destroying) misuse('EINVAL', `alloc from pool ${this.id} after destroy`);
    let nm = this.refillAllocCache();
    if (nm === 0) nm = this.provider.alloc(this, gfp);
    if (nm !== 0) setPlace(this.placeTab, (nm >>> 1) & 0xfffff /* DESC_MASK */, 3 /* Place.HANDED_OUT */);
    return nm;
  }

  /** Moves up to 64 netmems from the ring to the cache; returns the last one. */
  private refillAllocCache(): number {
    if (this.ringCount === 0) {
      this.st[3 /* S_EMPTY */]++;
      return 0;
    }
    const pref = this.nidPref < 0 ? this.domain.currentNode : this.nidPref;
    const nid = this.domain.table.nid;
    do {
      const nm = this.ringConsume();
      if (nm === 0) break;
      if ((nm & 1) === 1 || nid[(nm >>> 1) & 0xfffff /* DESC_MASK */] === pref) {
        this.cache[this.cacheCount++] = nm;
        setPlace(this.placeTab, (nm >>> 1) & 0xfffff /* DESC_MASK */, 1 /* Place.CACHE */);
      } else {
        // NUMA mismatch: release one page and let the provider allocate locally.
        this.returnNetmem(nm);
        this.st[5 /* S_WAIVE */]++;
        break;
      }
    } while (this.cacheCount < 64 /* PP_ALLOC_CACHE_REFILL */);
    if (this.cacheCount === 0) return 0;
    this.st[4 /* S_REFILL */]++;
    return this.cache[--this.cacheCount];
  }

  /**
   * page_pool_alloc_frag_netmem: `size` bytes of a shared page. The offset
   * lands in {@link lastOffset}. Returns 0 when no page can be had or when
   * `size` exceeds a page (warned once).
   */
  allocFrag(size: number, gfp = GFP_ATOMIC): number {
    return this.frag.alloc(size, gfp);
  }

  /**
   * page_pool_alloc_netmem (helpers.h): without `size` (or when two of
   * `size` do not fit a page) a whole page; otherwise a frag, widened to the
   * end of the page when no second frag of that size would fit. Offset and
   * size land in {@link lastOffset} and {@link lastSize}.
   */
  allocNetmem(size?: number, gfp = GFP_ATOMIC): number {
    return this.frag.allocNetmem(size, gfp);
  }

  /** page_pool_alloc_va: a frag's virtual address (0 on failure); free it with {@link freeVa}. */
  allocVa(size: number, gfp = GFP_ATOMIC): number {
    return this.frag.allocVa(size, gfp);
  }

  // ---- put / recycle -----------------------------------------------------

  /**
   * page_pool_put_netmem: drops one pp reference; the last one recycles the
   * netmem (cache when direct is allowed, else ring) or releases it.
   * `dmaSyncSize` -1 syncs up to maxLen.
   */
  putNetmem(nm: number, dmaSyncSize = -1, allowDirect = false): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || nm === 0) this.badPut(nm, d);
    if (this.checked) this.domain.checkStale(nm);
    const r = this.ppRefTab[d];
    if (r !== 1) {
      if (r < 1) this.underflow(nm, r, 1);
      this.ppRefTab[d] = r - 1;
      return;
    }
    this.putUnrefed(nm, d, dmaSyncSize, allowDirect);
  }

  /** page_pool_put_page. */
  putPage(nm: number, dmaSyncSize = -1, allowDirect = false): void {
    this.putNetmem(nm, dmaSyncSize, allowDirect);
  }

  /** page_pool_put_full_page: put with a full-length sync. */
  putFullPage(nm: number, allowDirect = false): void {
    this.putNetmem(nm, -1, allowDirect);
  }

  /** page_pool_recycle_direct: the caller is the pool's consumer context. */
  recycleDirect(nm: number): void {
    this.putNetmem(nm, -1, true);
  }

  /** page_pool_free_va: puts the page holding virtual address `va`. */
  freeVa(va: number, allowDirect = false): void {
    this.putNetmem(this.domain.vaToNetmem(va), -1, allowDirect);
  }

  /**
   * page_pool_put_unrefed_netmem: the caller already dropped the last pp
   * reference (e.g. with page_pool_unref_netmem).
   */
  putUnrefedNetmem(nm: number, dmaSyncSize = -1, allowDirect = false): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || nm === 0) this.badPut(nm, d);
    this.putUnrefed(nm, d, dmaSyncSize, allowDirect);
  }

  private putUnrefed(nm: number, d: number, dmaSyncSize: number, allowDirect: boolean): void {
    const keep = this.recycleCandidate(nm, d, dmaSyncSize, allowDirect || this.napiLocal());
    if (keep === 0) return;
    if (this.ringCount < this.ringSize) {
      this.ringProduce(nm, d);
      this.st[8 /* S_RING */]++;
      return;
    }
    this.st[9 /* S_RING_FULL */]++;
    this.returnNetmem(nm);
  }

  /**
   * __page_pool_put_page: recycle into the cache when allowed; returns the
   * netmem when it should go to the ring, 0 when it was cached or released.
   */
  recycleCandidate(nm: number, d: number, dmaSyncSize: number, direct: boolean): number {
    if (this.canRecycle(nm, d)) {
      if (this.syncDev) this.syncForDevice(d, dmaSyncSize);
      if (direct && !this.destroying) {
        if (this.cacheCount < 128 /* PP_ALLOC_CACHE_SIZE */) {
          this.cache[this.cacheCount++] = nm;
          setPlace(this.placeTab, d, 1 /* Place.CACHE */);
          this.st[6 /* S_CACHED */]++;
          return 0;
        }
        this.st[7 /* S_CACHE_FULL */]++;
      }
      return nm;
    }
    this.st[10 /* S_RELEASED_REFCNT */]++;
    this.returnNetmem(nm);
    return 0;
  }

  /**
   * page_pool_recycle_ring_bulk: produces `n` netmems of `list` from `from`
   * into the ring; on overflow counts ringFull once and releases the rest.
   */
  recycleRingBulk(list: Int32Array, from: number, n: number): void {
    let i = 0;
    for (; i < n; i++) {
      if (this.ringCount === this.ringSize) {
        this.st[9 /* S_RING_FULL */]++;
        break;
      }
      const nm = list[from + i];
      this.ringProduce(nm, (nm >>> 1) & 0xfffff /* DESC_MASK */);
    }
    this.st[8 /* S_RING */] += i;
    for (; i < n; i++) this.returnNetmem(list[from + i]);
  }

  /** The checks putNetmem makes before touching a netmem (owner, place, stale handle). */
  checkPut(nm: number): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || nm === 0) this.badPut(nm, d);
    if (this.checked) this.domain.checkStale(nm);
  }

  /**
   * page_pool_unref_netmem: drops `n` pp references; returns what is left.
   * When that is 0 the count is reset to 1 (a pool-owned netmem has 1).
   */
  unrefNetmem(nm: number, n: number): number {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.ppTab[d] !== this.id || nm === 0) this.badPut(nm, d);
    return this.unref(d, n);
  }

  /** page_pool_ref_netmem: takes `n` more pp references (frag users, clones, tokens). */
  refNetmem(nm: number, n = 1): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || nm === 0) this.badPut(nm, d);
    this.ppRefTab[d] += n;
  }

  /** True when `nm` is one of this pool's netmems (its pp names this pool). */
  owns(nm: number): boolean {
    return nm !== 0 && this.ppTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] === this.id;
  }

  /** page_pool_get_dma_addr_netmem: the IOVA the device reaches `nm` through (0 when unmapped). */
  dmaAddr(nm: number): number {
    return this.dmaTab[(nm >>> 1) & 0xfffff /* DESC_MASK */];
  }

  /** @internal Drops `n` pp references of descriptor `d`; see {@link unrefNetmem}. */
  unref(d: number, n: number): number {
    const r = this.ppRefTab[d];
    if (r === n) {
      this.ppRefTab[d] = 1;
      return 0;
    }
    if (r < n) this.underflow(d << 1, r, n);
    this.ppRefTab[d] = r - n;
    return r - n;
  }

  /** @internal A page with another holder (page refcount ≠ 1) or from pfmemalloc reserves is never recycled. */
  canRecycle(nm: number, d: number): boolean {
    return (nm & 1) === 1 || (this.pageRefTab[d] === 1 && (this.flagsTab[d] & 1 /* NM_PFMEMALLOC */) === 0);
  }

  /** page_pool_napi_local, for bulk put. */
  napiLocal(): boolean {
    return this.systemPool || (this.napi !== null && currentNapi() === this.napi);
  }

  private ringProduce(nm: number, d: number): void {
    this.ring[this.ringTail] = nm;
    this.ringTail = this.ringTail + 1 === this.ringSize ? 0 : this.ringTail + 1;
    this.ringCount++;
    setPlace(this.placeTab, d, 2 /* Place.RING */);
  }

  /** @internal ptr_ring_consume: the oldest ring entry, 0 when empty. */
  ringConsume(): number {
    if (this.ringCount === 0) return 0;
    const nm = this.ring[this.ringHead];
    this.ringHead = this.ringHead + 1 === this.ringSize ? 0 : this.ringHead + 1;
    this.ringCount--;
    return nm;
  }

  private badPut(nm: number, d: number): never {
    if (nm === 0) misuse('EINVAL', `pool ${this.id}: put of the NULL netmem`);
    const owner = this.ppTab[d];
    if (owner !== this.id) {
      misuse('EINVAL', owner === 0 ? `pool ${this.id}: netmem ${nm} is not a pool netmem (already released?)` : `pool ${this.id}: netmem ${nm} belongs to pool ${owner}`);
    }
    const where = this.placeTab[d] === Place.CACHE ? 'cache' : 'ring';
    misuse('EALREADY', `pool ${this.id}: double free of netmem ${nm}: it is already in the pool's ${where}`);
  }

  private underflow(nm: number, have: number, drop: number): never {
    this.domain.warn('pp-ref-underflow', `pool ${this.id}: pp refcount of netmem ${nm} would go below zero (${have} - ${drop})`, this.id);
    misuse('EINVAL', `pool ${this.id}: pp refcount underflow on netmem ${nm}`);
  }

  // ---- entering and leaving the pool -------------------------------------

  /** page_pool_return_netmem: the netmem leaves the pool for good. */
  returnNetmem(nm: number): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    const put = this.provider.release(this, nm);
    this.releaseCnt = (this.releaseCnt + 1) | 0;
    const tr = this.registry.tracer;
    if (tr !== null && tr.stateRelease !== undefined) tr.stateRelease(this, nm, this.releaseCnt >>> 0);
    setPlace(this.placeTab, d, 0 /* Place.NONE */);
    if (put) {
      this.clearPpInfo(d);
      this.domain.putPage(nm);
    }
  }

  /** page_pool_clear_pp_info. */
  clearPpInfo(d: number): void {
    this.ppTab[d] = 0;
    this.ppRefTab[d] = 0;
    this.magicTab[d] = 0;
    setPlace(this.placeTab, d, 0 /* Place.NONE */);
  }

  /** page_pool_set_pp_info: marks a netmem as this pool's, with one pp reference. */
  setPpInfo(d: number): void {
    this.ppTab[d] = this.id;
    const m = this.magicTab;
    m[d] = (m[d] & ~0xff) | PP_SIGNATURE;
    this.ppRefTab[d] = 1;
  }

  /** Counts `nm` as held by the pool (pages_state_hold_cnt++, trace_page_pool_state_hold). */
  hold(nm: number): void {
    this.holdCnt = (this.holdCnt + 1) | 0;
    const tr = this.registry.tracer;
    if (tr !== null && tr.stateHold !== undefined) tr.stateHold(this, nm, this.holdCnt >>> 0);
  }

  /** Places a netmem in the alloc cache (from a provider's alloc). */
  placeInCache(nm: number): boolean {
    if (this.cacheCount >= PP_ALLOC_CACHE_SIZE) return false;
    this.cache[this.cacheCount++] = nm;
    setPlace(this.placeTab, (nm >>> 1) & 0xfffff /* DESC_MASK */, 1 /* Place.CACHE */);
    return true;
  }

  // ---- DMA ---------------------------------------------------------------

  /**
   * page_pool_dma_map: maps a page of this pool's order, tracks the mapping,
   * syncs it for the device. False when the map or the tracking fails.
   */
  dmaMapPage(nm: number): boolean {
    const dev = this.dev!;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    const iova = dev.map(this.domain.pageRegion, (d - 1) * PAGE_SIZE, PAGE_SIZE << this.order, this.dmaDirCode);
    if (iova === 0) return false;
    this.dmaTab[d] = iova;
    if (!this.tracker.track(d)) {
      this.domain.warnOnce(`dma-track-${this.id}`, 'dma-track', `pool ${this.id}: couldn't track DMA mapping`, this.id);
      dev.unmap(iova, this.dmaDirCode);
      this.dmaTab[d] = 0;
      return false;
    }
    if (this.syncDev) this.syncForDevice(d, this.maxLen);
    return true;
  }

  /**
   * __page_pool_release_netmem_dma: unmaps a page unless scrub already did
   * (exactly one of "return" and "scrub" unmaps). @internal
   */
  dmaUnmapPage(nm: number): void {
    if (!this.dmaMap) return;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (!this.tracker.claim(d)) return;
    this.unmapDesc(d);
  }

  /** @internal Unmaps descriptor `d`'s mapping. */
  unmapDesc(d: number): void {
    this.dev!.unmap(this.dmaTab[d], this.dmaDirCode);
    this.dmaTab[d] = 0;
  }

  /** @internal page_pool_dma_sync_for_device over `min(size, maxLen)` bytes (-1: maxLen). */
  syncForDevice(d: number, size: number): void {
    const iova = this.dmaTab[d];
    if (iova === 0) return;
    const len = size < 0 || size > this.maxLen ? this.maxLen : size;
    this.dev!.syncForDevice(iova, this.offset, len, this.dmaDirCode);
  }

  // ---- lifecycle (release.ts) ----------------------------------------------

  /** Stops listening to the device's faults and the domain's leak reports. */
  unhook(): void {
    this.dev?.off('fault', this.onDevFault);
    this.domain.off('leak', this.onLeak);
  }

  /** page_pool_free_frag. */
  freeFrag(): void {
    this.frag.free();
  }

  /** Domain-clock ms when destroy found netmems in flight (-1: never). */
  get detachedAt(): number {
    return this.life.detachedAt;
  }

  /** page_pool_get: another user reference; each needs a destroy(). */
  get(): void {
    this.life.get();
  }

  /**
   * page_pool_destroy: drops the user reference; the last one scrubs the
   * pool and frees it, or detaches it until every netmem in flight returns.
   */
  destroy(): void {
    this.life.destroy();
  }

  /** page_pool_update_nid: a new preferred node; the cache is flushed. */
  updateNid(nid: number): void {
    this.life.updateNid(nid);
  }

  /** Orphans the pool (its netdev unregistered): it moves to loopback. */
  orphan(loopback: PoolNetdev | null): void {
    this.netdevRef = loopback;
    this.registry.emit('change', this);
  }

  // ---- introspection (introspect.ts) ---------------------------------------

  /** Netmems held by the pool and its users: hold − release (may be negative after a bug). */
  get inflight(): number {
    return (this.holdCnt - this.releaseCnt) | 0;
  }

  /** pages_state_hold_cnt. */
  get holdCount(): number {
    return this.holdCnt;
  }

  /** pages_state_release_cnt. */
  get releaseCount(): number {
    return this.releaseCnt;
  }

  /** Netmems in the alloc cache. */
  get cacheSize(): number {
    return this.cacheCount;
  }

  /** Netmems in the ring. */
  get ringLength(): number {
    return this.ringCount;
  }

  /** True once destroy() ran (direct recycling is off from then on). */
  get destroyStarted(): boolean {
    return this.destroying;
  }

  /** True once the pool is freed (nothing in flight after destroy). */
  get isFreed(): boolean {
    return this.life.freed;
  }

  /** True while destroyed but waiting for netmems in flight. */
  get isDetached(): boolean {
    return this.destroying && !this.life.freed;
  }

  /** The current frag page (0 when none). */
  get currentFragPage(): number {
    return this.frag.page;
  }

  /** A Uint8Array view of a netmem's bytes (cached; EFAULT for unreadable memory). */
  bytes(nm: number): Uint8Array {
    return this.domain.bytes(nm);
  }

  /** The pool's statistics. */
  stats(): PagePoolStats {
    return S.statsFromCounters(this.st);
  }

  /** page-pool-get: what netlink would report. */
  info(): PagePoolInfo {
    return poolInfo(this);
  }

  /** Where this pool's in-flight netmems are, counted by place (scans the tables). */
  places(): Record<string, number> {
    return poolPlaces(this);
  }

  /** Copies of the cache and ring contents (checks and tests; allocates). */
  snapshot(): PoolSnapshot {
    return poolSnapshot(this);
  }
}
