/**
 * The page pool (net/core/page_pool.c): a per-NAPI recycling allocator for
 * network buffers.
 *
 * Memory strategy: the alloc cache is an Int32Array stack of 128 handles, the
 * ptr_ring an Int32Array circle, statistics a Float64Array, and per-netmem
 * state the domain's typed-array tables (the pool keeps direct references to
 * them). alloc and put allocate nothing; the provider is called only when
 * both cache and ring are empty, or when a netmem leaves the pool.
 */
import { EventEmitter } from 'eventemitter3';
import { NetmemError, type ErrnoCode } from '../errors.js';
import type { DmaDevice, DmaFault } from '../dma/device.js';
import { dmaDirCode, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, type DmaDirection } from '../dma/direction.js';
import { DESC_MASK } from '../netmem/handle.js';
import type { LeakReport, MemoryDomain } from '../netmem/domain.js';
import { PAGE_SIZE } from '../netmem/domain.js';
import { NM_PFMEMALLOC, PP_SIGNATURE } from '../netmem/netmem-table.js';
import { MAX_PAGE_ORDER } from '../netmem/page-allocator.js';
import { FIRST_OUT_PLACE, Place, PLACE_NAMES } from '../netmem/places.js';
import type { MemoryProviderOps, ProviderInfo } from '../provider/ops.js';
import {
  BIAS_MAX,
  DEFER_TIME_MS,
  DEFER_WARN_INTERVAL_MS,
  GFP_ATOMIC,
  LOOPBACK_IFINDEX,
  PP_ALLOC_CACHE_REFILL,
  PP_ALLOC_CACHE_SIZE,
  PP_FLAG_ALL,
  PP_FLAG_ALLOW_UNREADABLE_NETMEM,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  PP_FLAG_SYSTEM_POOL,
  PP_RING_DEFAULT,
  PP_RING_MAX,
} from './constants.js';
import { createDmaTracker, DMA_TRACKING_KINDS, type DmaTracker, type DmaTracking } from './dma-tracking.js';
import type { TimerHandle } from './clock.js';
import { currentNapi, type Napi } from './napi.js';
import * as S from './stats.js';
import type { PagePoolStats } from './stats.js';

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

/** What a pool needs to know of the net device it serves. */
export interface PoolNetdev {
  /** Interface index (1 is loopback: pools moved there are orphans). */
  readonly ifindex: number;
  /** Interface name. */
  readonly name: string;
  /** The provider installed on rx queue `idx` (mp_params), or null. */
  rxQueueProvider?(idx: number): MemoryProviderOps | null;
  /** A pool for this netdev was created (netdev->page_pools). */
  poolAttached?(pool: PagePool): void;
  /** A pool of this netdev was freed. */
  poolDetached?(pool: PagePool): void;
}

/** Parameters of {@link createPagePool} (struct page_pool_params). */
export interface PagePoolParams {
  /** The memory domain the pool allocates from. */
  domain: MemoryDomain;
  /** The provider: the normal page path (`pagesProvider()`) or a memory provider. */
  provider?: MemoryProviderOps | null;
  /** The DMA device; required with PP_FLAG_DMA_MAP. */
  dev?: DmaDevice | null;
  /** Page order, 0..10. Default 0. */
  order?: number;
  /** Ring size; 0 means 1024, above 16384 is clamped. Default 0. */
  poolSize?: number;
  /** Preferred NUMA node; -1 for the current node. Default -1. */
  nid?: number;
  /** The NAPI that consumes from this pool; puts inside its poll recycle directly. */
  napi?: Napi | null;
  /** DMA direction. Default `from-device`. */
  dmaDir?: DmaDirection;
  /** Most bytes to sync for the device on recycle (required with DMA_SYNC_DEV). */
  maxLen?: number;
  /** Offset into the page where the device starts writing. Default 0. */
  offset?: number;
  /** PP_FLAG_* bits. */
  flags?: number;
  /** The net device the pool serves (makes it visible to the control plane). */
  netdev?: PoolNetdev | null;
  /** The rx queue index on `netdev`. */
  queueIdx?: number;
  /** DMA-mapping tracking strategy. Default `xarray`. */
  dmaTracking?: DmaTracking;
  /** Fragment size alignment (dma_get_cache_alignment). Default 1. */
  fragAlign?: number;
}

/** `PagePool.info()` reply (the netlink page-pool-get attributes). */
export interface PagePoolInfo extends ProviderInfo {
  /** Pool id. */
  id: number;
  /** ifindex of the netdev; absent when there is none or the pool is orphaned. */
  ifindex?: number;
  /** NAPI id, when the pool was created for one. */
  napiId?: number;
  /** Netmems held by the pool or its users (never negative here). */
  inflight: number;
  /** inflight × bytes per netmem. */
  inflightMem: number;
  /** Seconds on the domain clock when destroy found netmems in flight. */
  detachTime?: number;
  /** Checked mode: the pool's netmems counted by where they are (the ownership ledger). */
  places?: Record<string, number>;
}

/** Contents of a pool's cache and ring, oldest ring entry first. */
export interface PoolSnapshot {
  /** Cache entries, bottom of the stack first. */
  cache: number[];
  /** Ring entries, next to be consumed first. */
  ring: number[];
}

/** Payload of the `stalled` event. */
export interface StalledPoolEvent {
  /** Pool id. */
  id: number;
  /** Netmems still in flight. */
  inflight: number;
  /** Seconds since destroy. */
  seconds: number;
  /** Where the in-flight netmems are (checked mode: every place; otherwise coarse). */
  places: Record<string, number>;
}

/** Events of a {@link PagePool}. */
export interface PagePoolEvents {
  /** destroy() found netmems in flight; the pool waits for them. */
  detached: (pool: PagePool) => void;
  /** A detached pool without a visible netdev is still waiting (every 60 s). */
  stalled: (e: StalledPoolEvent) => void;
  /** The pool was freed. */
  destroyed: (pool: PagePool) => void;
  /** An IOMMU fault on the pool's device while the pool was alive. */
  fault: (f: DmaFault) => void;
  /** One of the pool's pages was freed while still marked as a pool page. */
  leak: (r: LeakReport) => void;
}

/** Creates a page pool (page_pool_create). Throws NetmemError on bad parameters. */
export function createPagePool(params: PagePoolParams): PagePool {
  return new PagePool(params);
}

/** Stops the process: a netmem handed to the wrong pool, a double free, a refcount underflow. */
function misuse(code: ErrnoCode, msg: string): never {
  throw new NetmemError(code, msg);
}

/** A page pool: alloc cache, ring, frags, recycling, DMA tracking and deferred release. */
export class PagePool extends EventEmitter<PagePoolEvents> {
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
  /** Preferred node (-1 current). */
  declare nid: number;
  /** The netdev (loopback stand-in once orphaned; null when none). */
  declare netdev: PoolNetdev | null;
  /** Rx queue index. */
  declare readonly queueIdx: number;
  /** NAPI id given at creation (kept for info after destroy clears napi). */
  declare readonly napiId: number;
  /** DMA-tracking strategy in use. */
  declare readonly tracker: DmaTracker;
  /** Pool maps pages for DMA. */
  declare readonly dmaMap: boolean;
  /** Pool syncs for the device on recycle (providers may turn this off in init). */
  declare dmaSync: boolean;
  /** Offset of the last allocFrag / allocNetmem(size) result. */
  lastOffset = 0;
  /** Size of the last allocNetmem(size) result. */
  lastSize = 0;

  // Hot state: kept as own fields so alloc/put touch only this object and the tables.
  private readonly cache = new Int32Array(PP_ALLOC_CACHE_SIZE);
  private cacheCount = 0;
  private declare readonly ring: Int32Array;
  private ringHead = 0;
  private ringTail = 0;
  private ringCount = 0;
  private readonly st = new Float64Array(S.S_COUNT);
  private holdCnt = 0;
  private releaseCnt = 0;
  private declare napi: Napi | null;
  private declare systemPool: boolean;
  private destroying = false;
  private declare readonly checked: boolean;
  private declare readonly ppTab: Uint32Array;
  private declare readonly ppRefTab: Int32Array;
  private declare readonly pageRefTab: Int32Array;
  private declare readonly flagsTab: Uint8Array;
  private declare readonly placeTab: Uint8Array;
  private declare readonly dmaTab: Float64Array;

  // Fragments.
  private fragPage = 0;
  private fragOffset = 0;
  private fragUsers = 0;
  private declare readonly fragAlign: number;

  // Lifecycle.
  private userCnt = 1;
  private destroyCnt = 0;
  private freed = false;
  private detachedAt = -1;
  private deferStart = 0;
  private deferWarn = 0;
  private retryTimer: TimerHandle | null = null;
  private negativeWarned = false;
  private readonly onDevFault: (f: DmaFault) => void;
  private readonly onLeak: (r: LeakReport) => void;

  constructor(p: PagePoolParams) {
    super();
    const domain = p.domain;
    if (!domain) misuse('EINVAL', 'page pool needs a domain');
    const flags = p.flags ?? 0;
    const order = p.order ?? 0;
    const dmaDir = p.dmaDir ?? 'from-device';
    const dirCode = dmaDirCode(dmaDir);
    const maxLen = p.maxLen ?? 0;
    const tracking = p.dmaTracking ?? 'xarray';
    const netdev = p.netdev ?? null;
    const queueIdx = p.queueIdx ?? 0;

    // Validation, in the kernel's order; nothing is allocated before it passes.
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~PP_FLAG_ALL) !== 0) misuse('EINVAL', `unknown page pool flags 0x${flags.toString(16)}`);
    if (dirCode < 0) misuse('EINVAL', `unknown DMA direction ${String(dmaDir)}`);
    if (!Number.isInteger(order) || order < 0) misuse('EINVAL', `bad page order ${order}`);
    if (flags & PP_FLAG_DMA_MAP) {
      if (dirCode !== DMA_FROM_DEVICE && dirCode !== DMA_BIDIRECTIONAL) misuse('EINVAL', `DMA_MAP needs from-device or bidirectional, not ${dmaDir}`);
      if (!p.dev) misuse('EINVAL', 'DMA_MAP needs a device');
    }
    if (flags & PP_FLAG_DMA_SYNC_DEV) {
      if (!(flags & PP_FLAG_DMA_MAP)) misuse('EINVAL', 'DMA_SYNC_DEV needs DMA_MAP');
      if (!(maxLen > 0)) misuse('EINVAL', 'DMA_SYNC_DEV needs maxLen > 0');
    }
    if (!DMA_TRACKING_KINDS.includes(tracking)) misuse('EINVAL', `unknown DMA tracking ${String(tracking)}`);
    const fragAlign = p.fragAlign ?? 1;
    if (!Number.isInteger(fragAlign) || fragAlign < 1 || (fragAlign & (fragAlign - 1)) !== 0 || fragAlign > PAGE_SIZE) misuse('EINVAL', `fragAlign ${fragAlign} is not a power of two up to ${PAGE_SIZE}`);
    const poolSize = p.poolSize ?? 0;
    if (!Number.isInteger(poolSize) || poolSize < 0) misuse('EINVAL', `bad poolSize ${poolSize}`);
    const ringSize = poolSize === 0 ? PP_RING_DEFAULT : Math.min(poolSize, PP_RING_MAX);

    let provider = p.provider ?? null;
    if (flags & PP_FLAG_ALLOW_UNREADABLE_NETMEM && netdev?.rxQueueProvider) {
      provider = netdev.rxQueueProvider(queueIdx) ?? provider;
    }
    if (!provider) misuse('EINVAL', 'page pool needs a provider (pagesProvider() from @netmem/provider-pages for normal pages)');
    if (!provider.pagePath) {
      if (!(flags & PP_FLAG_DMA_MAP) || !(flags & PP_FLAG_DMA_SYNC_DEV)) {
        misuse('EOPNOTSUPP', `memory provider ${provider.name} needs DMA_MAP and DMA_SYNC_DEV`);
      }
    } else if (order > MAX_PAGE_ORDER) {
      misuse('EINVAL', `page order ${order} above ${MAX_PAGE_ORDER}`);
    }

    this.domain = domain;
    this.provider = provider;
    this.dev = p.dev ?? null;
    this.order = order;
    this.flags = flags;
    this.dmaDirCode = dirCode;
    this.maxLen = maxLen;
    this.offset = p.offset ?? 0;
    this.ringSize = ringSize;
    this.ring = new Int32Array(ringSize);
    this.nid = p.nid ?? -1;
    this.netdev = netdev;
    this.queueIdx = queueIdx;
    this.napi = p.napi ?? null;
    this.napiId = this.napi?.id ?? 0;
    this.systemPool = (flags & PP_FLAG_SYSTEM_POOL) !== 0;
    this.dmaMap = (flags & PP_FLAG_DMA_MAP) !== 0;
    this.dmaSync = (flags & PP_FLAG_DMA_SYNC_DEV) !== 0;
    this.fragAlign = fragAlign;
    this.checked = domain.checked;
    const t = domain.table;
    this.ppTab = t.pp;
    this.ppRefTab = t.ppRef;
    this.pageRefTab = t.pageRef;
    this.flagsTab = t.flags;
    this.placeTab = t.place;
    this.dmaTab = t.dma;
    this.tracker = createDmaTracker(tracking, t.magic);
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
    this.id = domain.listPool(this);
    this.dev?.on('fault', this.onDevFault);
    domain.on('leak', this.onLeak);
    netdev?.poolAttached?.(this);
    domain.emit('pool-add', this);
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
      this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 3 /* Place.HANDED_OUT */;
      return nm;
    }
    return this.allocSlow(gfp);
  }

  private allocSlow(gfp: number): number {
    if (this.destroying) misuse('EINVAL', `alloc from pool ${this.id} after destroy`);
    let nm = this.refillAllocCache();
    if (nm === 0) nm = this.provider.alloc(this, gfp);
    if (nm !== 0) this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 3 /* Place.HANDED_OUT */;
    return nm;
  }

  /** Moves up to 64 netmems from the ring to the cache; returns the last one. */
  private refillAllocCache(): number {
    if (this.ringCount === 0) {
      this.st[3 /* S_EMPTY */]++;
      return 0;
    }
    const pref = this.nid < 0 ? this.domain.currentNode : this.nid;
    const nid = this.domain.table.nid;
    do {
      const nm = this.ringConsume();
      if (nm === 0) break;
      if ((nm & 1) === 1 || nid[(nm >>> 1) & 0xfffff /* DESC_MASK */] === pref) {
        this.cache[this.cacheCount++] = nm;
        this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 1 /* Place.CACHE */;
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
    const max = PAGE_SIZE << this.order;
    if (!(size <= max) || !(size >= 0)) {
      this.domain.warnOnce(`frag-size-${this.id}`, 'frag-size', `pool ${this.id}: frag of ${size} bytes exceeds ${max}`, this.id);
      return 0;
    }
    size = Math.ceil(size / this.fragAlign) * this.fragAlign;
    let nm = this.fragPage;
    let offset = this.fragOffset;
    if (nm !== 0 && offset + size > max) {
      nm = this.drainFrag(nm);
      if (nm !== 0) {
        this.st[6 /* S_CACHED */]++;
        this.st[0 /* S_FAST */]++;
        return this.startFragPage(nm, size);
      }
    }
    if (nm === 0) {
      nm = this.allocNetmems(gfp);
      if (nm === 0) {
        this.fragPage = 0;
        return 0;
      }
      this.fragPage = nm;
      return this.startFragPage(nm, size);
    }
    this.fragUsers++;
    this.fragOffset = offset + size;
    this.lastOffset = offset;
    return nm;
  }

  private startFragPage(nm: number, size: number): number {
    this.fragUsers = 1;
    this.fragOffset = size;
    this.lastOffset = 0;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    this.ppRefTab[d] = BIAS_MAX;
    this.placeTab[d] = 8 /* Place.FRAG_PAGE */;
    return nm;
  }

  /** Lets go of the current frag page: its bias minus the frags handed out. */
  private drainFrag(nm: number): number {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.unref(d, BIAS_MAX - this.fragUsers) !== 0) {
      this.placeTab[d] = 3 /* Place.HANDED_OUT */;
      return 0;
    }
    if (this.canRecycle(nm, d)) {
      if (this.dmaSync) this.syncForDevice(d, -1);
      return nm;
    }
    this.returnNetmem(nm);
    return 0;
  }

  /** page_pool_free_frag: destroy drains the current frag page. */
  private freeFrag(): void {
    const nm = this.fragPage;
    this.fragPage = 0;
    if (nm === 0) return;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (this.unref(d, BIAS_MAX - this.fragUsers) !== 0) {
      this.placeTab[d] = 3 /* Place.HANDED_OUT */;
      return;
    }
    this.returnNetmem(nm);
  }

  /**
   * page_pool_alloc_netmem (helpers.h): without `size` (or when two of
   * `size` do not fit a page) a whole page; otherwise a frag, widened to the
   * end of the page when no second frag of that size would fit. Offset and
   * size land in {@link lastOffset} and {@link lastSize}.
   */
  allocNetmem(size?: number, gfp = GFP_ATOMIC): number {
    const max = PAGE_SIZE << this.order;
    if (size === undefined || size * 2 > max) {
      this.lastOffset = 0;
      this.lastSize = max;
      return this.allocNetmems(gfp);
    }
    const nm = this.allocFrag(size, gfp);
    if (nm === 0) return 0;
    this.lastSize = size;
    if (this.fragOffset + size > max) {
      this.lastSize = max - this.lastOffset;
      this.fragOffset = max;
    }
    return nm;
  }

  /** page_pool_alloc_va: a frag's virtual address (0 on failure); free it with {@link freeVa}. */
  allocVa(size: number, gfp = GFP_ATOMIC): number {
    const nm = this.allocNetmem(size, gfp);
    if (nm === 0) return 0;
    if ((nm & 1) === 1) {
      this.putNetmem(nm, -1, false);
      misuse('EINVAL', `allocVa on pool ${this.id}: its provider hands out net_iovs, which have no address`);
    }
    return this.domain.pageVa(nm) + this.lastOffset;
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
   * @internal
   */
  recycleCandidate(nm: number, d: number, dmaSyncSize: number, direct: boolean): number {
    if (this.canRecycle(nm, d)) {
      if (this.dmaSync) this.syncForDevice(d, dmaSyncSize);
      if (direct && !this.destroying) {
        if (this.cacheCount < 128 /* PP_ALLOC_CACHE_SIZE */) {
          this.cache[this.cacheCount++] = nm;
          this.placeTab[d] = 1 /* Place.CACHE */;
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
   * @internal
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

  /** The checks putNetmem makes before touching a netmem (owner, place, stale handle). @internal */
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

  private unref(d: number, n: number): number {
    const r = this.ppRefTab[d];
    if (r === n) {
      this.ppRefTab[d] = 1;
      return 0;
    }
    if (r < n) this.underflow(d << 1, r, n);
    this.ppRefTab[d] = r - n;
    return r - n;
  }

  private canRecycle(nm: number, d: number): boolean {
    return (nm & 1) === 1 || (this.pageRefTab[d] === 1 && (this.flagsTab[d] & 1 /* NM_PFMEMALLOC */) === 0);
  }

  /** page_pool_napi_local, for bulk put. @internal */
  napiLocalForBulk(): boolean {
    return this.napiLocal();
  }

  private napiLocal(): boolean {
    return this.systemPool || (this.napi !== null && currentNapi() === this.napi);
  }

  private ringProduce(nm: number, d: number): void {
    this.ring[this.ringTail] = nm;
    this.ringTail = this.ringTail + 1 === this.ringSize ? 0 : this.ringTail + 1;
    this.ringCount++;
    this.placeTab[d] = 2 /* Place.RING */;
  }

  private ringConsume(): number {
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

  // ---- leaving the pool --------------------------------------------------

  /** page_pool_return_netmem: the netmem leaves the pool for good. */
  private returnNetmem(nm: number): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    const put = this.provider.release(this, nm);
    this.releaseCnt = (this.releaseCnt + 1) | 0;
    this.placeTab[d] = 0 /* Place.NONE */;
    if (put) {
      this.clearPpInfo(d);
      this.domain.putPage(nm);
    }
  }

  /** page_pool_clear_pp_info. @internal */
  clearPpInfo(d: number): void {
    this.ppTab[d] = 0;
    this.ppRefTab[d] = 0;
    this.domain.table.magic[d] = 0;
    this.placeTab[d] = 0 /* Place.NONE */;
  }

  /** page_pool_set_pp_info: marks a netmem as this pool's, with one pp reference. @internal */
  setPpInfo(d: number): void {
    this.ppTab[d] = this.id;
    const m = this.domain.table.magic;
    m[d] = (m[d] & ~0xff) | PP_SIGNATURE;
    this.ppRefTab[d] = 1;
  }

  /** Counts a netmem as held by the pool (pages_state_hold_cnt++). @internal */
  hold(): void {
    this.holdCnt = (this.holdCnt + 1) | 0;
  }

  /** Places a netmem in the alloc cache (from a provider's alloc). @internal */
  placeInCache(nm: number): boolean {
    if (this.cacheCount >= PP_ALLOC_CACHE_SIZE) return false;
    this.cache[this.cacheCount++] = nm;
    this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 1 /* Place.CACHE */;
    return true;
  }

  /** Bumps an alloc statistic (providers count slow allocations). @internal */
  countStat(index: number, n = 1): void {
    this.st[index] += n;
  }

  // ---- DMA ---------------------------------------------------------------

  /**
   * page_pool_dma_map: maps a page of this pool's order, tracks the mapping,
   * syncs it for the device. False when the map or the tracking fails.
   * @internal
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
    if (this.dmaSync) this.syncForDevice(d, this.maxLen);
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

  private unmapDesc(d: number): void {
    this.dev!.unmap(this.dmaTab[d], this.dmaDirCode);
    this.dmaTab[d] = 0;
  }

  private syncForDevice(d: number, size: number): void {
    const iova = this.dmaTab[d];
    if (iova === 0) return;
    const len = size < 0 || size > this.maxLen ? this.maxLen : size;
    this.dev!.syncForDevice(iova, this.offset, len, this.dmaDirCode);
  }

  // ---- destroy / release -------------------------------------------------

  /** page_pool_get: another user reference; each needs a destroy(). */
  get(): void {
    if (this.destroying) misuse('EINVAL', `pool ${this.id} is being destroyed`);
    this.userCnt++;
  }

  /**
   * page_pool_destroy: drops the user reference; the last one scrubs the
   * pool and frees it, or detaches it until every netmem in flight returns.
   */
  destroy(): void {
    if (this.destroying || this.freed) misuse('EINVAL', `pool ${this.id} already destroyed`);
    if (--this.userCnt > 0) return;
    this.destroying = true;
    this.napi = null;
    this.systemPool = false;
    this.freeFrag();
    if (this.release() === 0) return;
    this.detachedAt = this.domain.clock.now();
    this.emit('detached', this);
    if (this.netdev) this.domain.emit('pool-change', this);
    this.deferStart = this.detachedAt;
    this.deferWarn = this.detachedAt + DEFER_WARN_INTERVAL_MS;
    this.retryTimer = this.domain.clock.setTimeout(this.retry, DEFER_TIME_MS);
  }

  private readonly retry = (): void => {
    this.retryTimer = null;
    const inflight = this.release();
    if (inflight <= 0) return;
    const now = this.domain.clock.now();
    const visible = this.netdev !== null;
    if (now >= this.deferWarn && !visible) {
      const seconds = Math.floor((now - this.deferStart) / 1000);
      const places = this.places();
      const where = Object.entries(places)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      this.domain.warn('stalled-pool', `stalled pool shutdown: id ${this.id}, ${inflight} inflight ${seconds} sec (${where})`, this.id);
      this.emit('stalled', { id: this.id, inflight, seconds, places });
      this.deferWarn = now + DEFER_WARN_INTERVAL_MS;
    }
    this.retryTimer = this.domain.clock.setTimeout(this.retry, DEFER_TIME_MS);
  };

  /** page_pool_release: scrub, count what is in flight, free when nothing is. */
  private release(): number {
    this.scrub();
    const inflight = this.inflightStrict();
    if (inflight === 0) this.free();
    return inflight;
  }

  private scrub(): void {
    this.provider.scrub?.(this);
    if (this.destroyCnt === 0) {
      while (this.cacheCount > 0) this.returnNetmem(this.cache[--this.cacheCount]);
    }
    if (this.destroyCnt++ === 0 && this.dmaMap) {
      // Pre-fix kernels ('none') neither stopped syncing nor unmapped here.
      if (this.tracker.kind !== 'none') this.dmaSync = false;
      this.tracker.claimAll((d) => this.unmapDesc(d));
    }
    for (let nm = this.ringConsume(); nm !== 0; nm = this.ringConsume()) {
      if (this.domain.pageRefCount(nm) !== 1) {
        this.domain.warn('ring-refcnt', `page_pool refcnt ${this.domain.pageRefCount(nm)} violation for netmem ${nm} in pool ${this.id}'s ring`, this.id);
      }
      this.returnNetmem(nm);
    }
  }

  private inflightStrict(): number {
    const inflight = (this.holdCnt - this.releaseCnt) | 0;
    if (inflight < 0 && !this.negativeWarned) {
      this.negativeWarned = true;
      this.domain.warn('negative-inflight', `pool ${this.id}: negative (${inflight}) inflight packet-pages`, this.id);
    }
    return inflight;
  }

  private free(): void {
    if (this.retryTimer !== null) this.domain.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.freed = true;
    this.domain.unlistPool(this);
    this.provider.destroy(this);
    this.dev?.off('fault', this.onDevFault);
    this.domain.off('leak', this.onLeak);
    this.netdev?.poolDetached?.(this);
    this.domain.emit('pool-del', this);
    this.emit('destroyed', this);
  }

  // ---- introspection -----------------------------------------------------

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
    return this.freed;
  }

  /** True while destroyed but waiting for netmems in flight. */
  get isDetached(): boolean {
    return this.destroying && !this.freed;
  }

  /** The current frag page (0 when none). */
  get currentFragPage(): number {
    return this.fragPage;
  }

  /** Copies of the cache and ring contents (checks and tests; allocates). */
  snapshot(): PoolSnapshot {
    const cache = Array.from(this.cache.subarray(0, this.cacheCount));
    const ring: number[] = [];
    for (let i = 0, at = this.ringHead; i < this.ringCount; i++, at = at + 1 === this.ringSize ? 0 : at + 1) ring.push(this.ring[at]);
    return { cache, ring };
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
    const inflight = Math.max(0, this.inflight);
    const out: PagePoolInfo = { id: this.id, inflight, inflightMem: inflight * (PAGE_SIZE << this.order) };
    if (this.netdev && this.netdev.ifindex !== LOOPBACK_IFINDEX) out.ifindex = this.netdev.ifindex;
    if (this.napiId) out.napiId = this.napiId;
    if (this.detachedAt >= 0) out.detachTime = Math.floor(this.detachedAt / 1000);
    if (this.provider.nlFill) Object.assign(out, this.provider.nlFill(this, null));
    if (this.checked) out.places = this.places();
    return out;
  }

  /** Where this pool's in-flight netmems are, counted by place (scans the tables). */
  places(): Record<string, number> {
    const out: Record<string, number> = {};
    const pp = this.ppTab;
    for (let d = 1; d < pp.length; d++) {
      if (pp[d] !== this.id) continue;
      const name = PLACE_NAMES[this.placeTab[d]] ?? 'unknown';
      out[name] = (out[name] ?? 0) + 1;
    }
    return out;
  }

  /** page_pool_update_nid: a new preferred node; the cache is flushed. */
  updateNid(nid: number): void {
    this.nid = nid;
    while (this.cacheCount > 0) this.returnNetmem(this.cache[--this.cacheCount]);
  }

  /** Orphans the pool (its netdev unregistered): it moves to loopback. @internal */
  orphan(loopback: PoolNetdev): void {
    this.netdev = loopback;
    this.domain.emit('pool-change', this);
  }
}

