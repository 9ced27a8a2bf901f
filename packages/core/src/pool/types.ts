/**
 * The page pool's public types (include/net/page_pool/types.h): the pool
 * as its users see it, creation parameters, the introspection reply,
 * events, what a pool needs of its net device, and the memory-provider
 * contract (struct memory_provider_ops), which the pool calls on its slow
 * paths. The implementation is in page-pool.ts; declaring the pool's shape
 * here lets every other file of the layer name it without an import cycle.
 */
import type { EventEmitter } from 'eventemitter3';
import type { DmaDevice } from '../dma/device.js';
import type { DmaFault } from '../dma/device-types.js';
import type { DmaDirection } from '../dma/direction.js';
import type { LeakReport, MemoryDomain } from '../netmem/domain.js';
import type { DmaTracker, DmaTracking } from './dma-tracking.js';
import type { Napi } from './napi.js';
import type { PagePoolStats } from './stats.js';

/** An eventemitter3 emitter of the events in `T`. */
type Emitter<T extends object> = InstanceType<typeof EventEmitter<T>>;

/**
 * Fields a provider adds to a pool's or queue's introspection reply.
 * @category Provider contract
 */
export type ProviderInfo = Record<string, unknown>;

/**
 * An rx queue as a provider sees it on uninstall.
 * @category Provider contract
 */
export interface ProviderRxQueue {
  /** Queue index on its netdev. */
  readonly index: number;
  /** ifindex of the netdev. */
  readonly ifindex: number;
}

/**
 * The memory-provider contract (the kernel's `struct memory_provider_ops`).
 * A provider is a plain object; a factory returns one. The pool calls it
 * only on slow paths: `alloc` when the cache and ring are empty, `release`
 * when a netmem leaves the pool. Helpers for the ops live in
 * `@netmem/core/provider`.
 * @category Provider contract
 */
export interface MemoryProviderOps {
  /** Short name, used in messages and introspection. */
  readonly name: string;
  /**
   * True for the normal page path (the kernel's "no memory provider" case):
   * the pool applies its no-provider rules (order limit; DMA_MAP optional)
   * instead of requiring DMA_MAP | DMA_SYNC_DEV.
   */
  readonly pagePath?: boolean;
  /** Pool creation. Throw a NetmemError to refuse; creation fails with it. */
  init(pool: PagePool): void;
  /** The pool is finally freed: drop what `init` took. */
  destroy(pool: PagePool): void;
  /**
   * The cache is empty: return one netmem (0 = none). It may place more in
   * the cache with `mpPlaceInCache`. Every netmem returned or placed must be
   * accounted with `mpSetPool` (pp set, hold count raised) first.
   */
  alloc(pool: PagePool, gfp: number): number;
  /**
   * A netmem leaves the pool. Return true to have the core drop its page
   * reference (pages); false when the provider keeps the buffer (net_iovs).
   */
  release(pool: PagePool, nm: number): boolean;
  /** Optional: at destroy and each release retry, return buffers the provider's users still hold. */
  scrub?(pool: PagePool): void;
  /** Optional: the provider's fields in pool info (pool given) and queue info (queue given). */
  nlFill?(pool: PagePool | null, rxq: ProviderRxQueue | null): ProviderInfo;
  /** Optional: the netdev is unregistering; let go of device resources. */
  uninstall?(rxq: ProviderRxQueue): void;
}

/**
 * What a pool needs to know of the net device it serves.
 * @category Pool
 */
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

/**
 * Parameters of {@link createPagePool} (struct page_pool_params).
 * @category Pool
 */
export interface PagePoolParams {
  /** The memory domain the pool allocates from. */
  domain: MemoryDomain;
  /** The provider: the normal page path (`pagesProvider()`) or a memory provider. */
  provider?: MemoryProviderOps | null;
  /** The DMA device, made by `domain.createDevice`; required with PP_FLAG_DMA_MAP. */
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

/**
 * `PagePool.info()` reply (the netlink page-pool-get attributes).
 * @category Pool
 */
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

/**
 * Contents of a pool's cache and ring, oldest ring entry first.
 * @category Pool
 */
export interface PoolSnapshot {
  /** Cache entries, bottom of the stack first. */
  cache: number[];
  /** Ring entries, next to be consumed first. */
  ring: number[];
}

/**
 * Payload of the `stalled` event.
 * @category Pool
 */
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

/**
 * Events of a {@link PagePool}.
 * @category Pool
 */
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

/**
 * The page_pool tracepoints (include/trace/events/page_pool.h) as hooks. A
 * tracer set with `setPagePoolTracer(domain, tracer)` sees every pool of
 * the domain: a netmem entering the pool from its provider (state_hold), a
 * netmem leaving it (state_release), each attempt to finish a destroy
 * (release, with the attempt number), and a preferred-node change. Hooks run
 * on slow paths only; the fast paths never call them.
 * @category Pool
 */
export interface PagePoolTracer {
  /** page_pool_state_hold: `nm` entered the pool; `hold` is the pool's hold count after it. */
  stateHold?(pool: PagePool, nm: number, hold: number): void;
  /** page_pool_state_release: `nm` left the pool; `release` is the pool's release count after it. */
  stateRelease?(pool: PagePool, nm: number, release: number): void;
  /** page_pool_release: one attempt to finish a destroy (`cnt` counts them from 1). */
  release?(pool: PagePool, inflight: number, hold: number, release: number, cnt: number): void;
  /** page_pool_update_nid: the pool's preferred node changed. */
  updateNid?(pool: PagePool, oldNid: number, newNid: number): void;
}

/**
 * A page pool (struct page_pool): a per-NAPI recycling allocator for
 * network buffers. Make one with `createPagePool(params)`.
 *
 * Netmems are numbers (0: none). The pool hands each out with one pp
 * reference; `putNetmem` drops one, and the last one recycles the buffer
 * into the alloc cache (direct, from the pool's own context) or the ring,
 * or releases it to its provider. `destroy` frees the pool at once or, with
 * buffers still out, detaches it until they come back.
 *
 * @example
 * ```ts
 * import { MemoryDomain, createPagePool, PP_FLAG_DMA_MAP } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const domain = new MemoryDomain({ pages: 1024 });
 * const pool = createPagePool({ domain, dev: domain.createDevice('nic0'), provider: pagesProvider(), flags: PP_FLAG_DMA_MAP, maxLen: 4096 });
 * const nm = pool.allocNetmems();   // 0 when nothing can be had
 * pool.bytes(nm)[0] = 1;
 * pool.recycleDirect(nm);           // straight back to the cache: we are the pool's only user
 * pool.destroy();
 * ```
 * @category Pool
 */
export interface PagePool extends Emitter<PagePoolEvents> {
  /** Pool id, ≥ 1. */
  readonly id: number;
  /** The domain it allocates from. */
  readonly domain: MemoryDomain;
  /** The provider (the page path or a memory provider). */
  readonly provider: MemoryProviderOps;
  /** DMA device (may be null without DMA_MAP). */
  readonly dev: DmaDevice | null;
  /** Page order. */
  readonly order: number;
  /** PP_FLAG_* bits as created. */
  readonly flags: number;
  /** DMA direction code. */
  readonly dmaDirCode: number;
  /** Max bytes synced for the device per recycle. */
  readonly maxLen: number;
  /** Device write offset in each page. */
  readonly offset: number;
  /** Ring capacity. */
  readonly ringSize: number;
  /** Rx queue index. */
  readonly queueIdx: number;
  /** NAPI id given at creation (kept for info after destroy clears napi). */
  readonly napiId: number;
  /** DMA-tracking strategy in use. */
  readonly tracker: DmaTracker;
  /** Pool maps pages for DMA. */
  readonly dmaMap: boolean;
  /** Whether the pool syncs recycled buffers for the device (a provider may turn it off in init). */
  readonly dmaSync: boolean;
  /** Preferred NUMA node (-1: the current one). */
  readonly nid: number;
  /** The netdev (the loopback stand-in once orphaned; null when none). */
  readonly netdev: PoolNetdev | null;
  /** Offset of the last allocFrag / allocNetmem(size) result. */
  lastOffset: number;
  /** Size of the last allocNetmem(size) result. */
  lastSize: number;

  /** page_pool_alloc_netmems: one netmem with the pool's reference, or 0 when none can be had. */
  allocNetmems(gfp?: number): number;
  /**
   * page_pool_alloc_frag_netmem: `size` bytes of a shared page; the offset
   * lands in {@link lastOffset}. 0 when no page can be had or when `size`
   * exceeds a page (warned once).
   */
  allocFrag(size: number, gfp?: number): number;
  /**
   * page_pool_alloc_netmem (helpers.h): without `size` (or when two of
   * `size` do not fit a page) a whole page; otherwise a frag, widened to the
   * end of the page when no second frag of that size would fit. Offset and
   * size land in {@link lastOffset} and {@link lastSize}.
   */
  allocNetmem(size?: number, gfp?: number): number;
  /** page_pool_alloc_va: a frag's virtual address (0 on failure); free it with {@link freeVa}. */
  allocVa(size: number, gfp?: number): number;
  /**
   * page_pool_put_netmem: drops one pp reference; the last one recycles the
   * netmem (cache when direct is allowed, else ring) or releases it.
   * `dmaSyncSize` -1 syncs up to maxLen.
   */
  putNetmem(nm: number, dmaSyncSize?: number, allowDirect?: boolean): void;
  /** page_pool_put_page. */
  putPage(nm: number, dmaSyncSize?: number, allowDirect?: boolean): void;
  /** page_pool_put_full_page: put with a full-length sync. */
  putFullPage(nm: number, allowDirect?: boolean): void;
  /** page_pool_recycle_direct: the caller is the pool's consumer context. */
  recycleDirect(nm: number): void;
  /** page_pool_free_va: puts the page holding virtual address `va`. */
  freeVa(va: number, allowDirect?: boolean): void;
  /** page_pool_put_unrefed_netmem: the caller already dropped the last pp reference. */
  putUnrefedNetmem(nm: number, dmaSyncSize?: number, allowDirect?: boolean): void;
  /**
   * page_pool_unref_netmem: drops `n` pp references; returns what is left.
   * When that is 0 the count is reset to 1 (a pool-owned netmem has 1).
   */
  unrefNetmem(nm: number, n: number): number;
  /** page_pool_ref_netmem: takes `n` more pp references (frag users, clones, tokens). */
  refNetmem(nm: number, n?: number): void;
  /** True when `nm` is one of this pool's netmems (its pp names this pool). */
  owns(nm: number): boolean;
  /** page_pool_get_dma_addr_netmem: the IOVA the device reaches `nm` through (0 when unmapped). */
  dmaAddr(nm: number): number;
  /** A Uint8Array view of a netmem's bytes (cached; EFAULT for unreadable memory). */
  bytes(nm: number): Uint8Array;

  /** page_pool_get: another user reference; each needs a destroy(). */
  get(): void;
  /**
   * page_pool_destroy: drops the user reference; the last one scrubs the
   * pool and frees it, or detaches it until every netmem in flight returns.
   */
  destroy(): void;
  /** page_pool_update_nid: a new preferred node; the cache is flushed. */
  updateNid(nid: number): void;

  /** Netmems held by the pool and its users: hold − release (may be negative after a bug). */
  readonly inflight: number;
  /** pages_state_hold_cnt. */
  readonly holdCount: number;
  /** pages_state_release_cnt. */
  readonly releaseCount: number;
  /** Netmems in the alloc cache. */
  readonly cacheSize: number;
  /** Netmems in the ring. */
  readonly ringLength: number;
  /** True once destroy() ran (direct recycling is off from then on). */
  readonly destroyStarted: boolean;
  /** True once the pool is freed (nothing in flight after destroy). */
  readonly isFreed: boolean;
  /** True while destroyed but waiting for netmems in flight. */
  readonly isDetached: boolean;
  /** The current frag page (0 when none). */
  readonly currentFragPage: number;
  /** The pool's statistics. */
  stats(): PagePoolStats;
  /** page-pool-get: what netlink would report. */
  info(): PagePoolInfo;
  /** Where this pool's in-flight netmems are, counted by place (scans the tables). */
  places(): Record<string, number>;
  /** Copies of the cache and ring contents (checks and tests; allocates). */
  snapshot(): PoolSnapshot;
}
