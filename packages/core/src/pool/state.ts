/**
 * A pool's insides: the state and slow-path steps the pool's own files
 * (frag, release, introspect, bulk put, the provider helpers) work on. A
 * pool's users see only the {@link PagePool} interface; everything here is
 * core's business, reached through {@link internals}.
 */
import type { PagePool } from './types.js';
import type { PoolRegistry } from './registry.js';

/** What the pool layer's files need of a pool beyond its public face. */
export interface PoolInternals extends PagePool {
  /** Preferred node, writable (updateNid). */
  nidPref: number;
  /** The netdev, writable (orphan). */
  netdevRef: PoolNetdevRef;
  /** Sync for the device on recycle (providers may turn it off in init; scrub turns it off). */
  syncDev: boolean;
  /** The alloc cache (a stack). */
  readonly cache: Int32Array;
  /** Entries in the cache. */
  cacheCount: number;
  /** The ptr_ring. */
  readonly ring: Int32Array;
  /** Next entry to consume. */
  ringHead: number;
  /** Entries in the ring. */
  ringCount: number;
  /** Statistics counters (stats.ts indexes). */
  readonly st: Float64Array;
  /** pages_state_hold_cnt. */
  holdCnt: number;
  /** pages_state_release_cnt. */
  releaseCnt: number;
  /** The consumer NAPI (cleared by destroy). */
  napi: unknown;
  /** PP_FLAG_SYSTEM_POOL (cleared by destroy). */
  systemPool: boolean;
  /** destroy() ran. */
  destroying: boolean;
  /** Warnings this pool already gave once (keys of poolWarnOnce). */
  readonly warnedOnce: Set<string>;
  /** The domain is in checked mode. */
  readonly checked: boolean;
  /** The domain's pool registry. */
  readonly registry: PoolRegistry;
  /** The domain's tables the pool touches. */
  readonly ppTab: Uint32Array;
  readonly ppRefTab: Int32Array;
  readonly placeTab: Uint8Array;
  readonly dmaTab: Uint32Array;
  readonly magicTab: Int32Array;
  /** Last page descriptor of the domain. */
  readonly lastPage: number;
  /** Domain-clock ms when destroy found netmems in flight (-1: never). */
  readonly detachedAt: number;

  /** page_pool_return_netmem: the netmem leaves the pool for good. */
  returnNetmem(nm: number): void;
  /** Drops `n` pp references of descriptor `d`; what is left (0 resets the count to 1). */
  unref(nm: number, d: number, n: number): number;
  /** Whether a netmem whose last pp reference went may be recycled. */
  canRecycle(nm: number, d: number): boolean;
  /** Syncs `min(size, maxLen)` bytes of descriptor `d` for the device (-1: maxLen). */
  syncForDevice(d: number, size: number): void;
  syncBytesForDevice(d: number, len: number): void;
  dmaPage(nm: number): number;
  /** The oldest ring entry, 0 when empty. */
  ringConsume(): number;
  /** __page_pool_put_page: cache when allowed; returns the netmem for the ring, or 0. */
  recycleCandidate(nm: number, d: number, dmaSyncSize: number, direct: boolean): number;
  /** Produces `n` netmems of `list` into the ring; overflow is released. */
  recycleRingBulk(list: Int32Array, from: number, n: number): void;
  /** The checks a put makes before touching a netmem. */
  checkPut(nm: number): void;
  /** page_pool_napi_local. */
  napiLocal(): boolean;
  /** page_pool_free_frag. */
  freeFrag(): void;
  /** Return rings of worker threads (drained on the slow path and at destroy). */
  readonly remoteRings: { drain(): number }[];
  /** A pp reference returned from another thread: dropped, and the last one recycles into the ptr_ring, never the cache. */
  putRemote(nm: number): void;
  /** Stops listening to the device's faults and the domain's leak reports (the pool is freed). */
  unhook(): void;
  /** The netdev unregistered: move to loopback. */
  orphan(loopback: PoolNetdevRef): void;
}

/** The pool's netdev reference (PagePool['netdev']). */
export type PoolNetdevRef = PagePool['netdev'];

/** A pool's insides. Every PagePool is made by createPagePool, so this is a view, not a conversion. */
export function internals(pool: PagePool): PoolInternals {
  return pool as PoolInternals;
}
