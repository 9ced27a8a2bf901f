/**
 * The memory-provider contract (the kernel's `struct memory_provider_ops`).
 * A provider is a plain object; a factory returns one. The pool calls it
 * only on slow paths: `alloc` when the cache and ring are empty, `release`
 * when a netmem leaves the pool.
 */
import type { PagePool } from '../pool/page-pool.js';

/** Fields a provider adds to a pool's or queue's introspection reply. */
export type ProviderInfo = Record<string, unknown>;

/** An rx queue as a provider sees it on uninstall. */
export interface ProviderRxQueue {
  /** Queue index on its netdev. */
  readonly index: number;
  /** ifindex of the netdev. */
  readonly ifindex: number;
}

/** The ops every memory provider implements. */
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
