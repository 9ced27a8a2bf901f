/**
 * Helpers a provider uses from its ops (the kernel's net_mp_* functions and
 * page_pool_set_dma_addr_netmem). They keep the pool's accounting right:
 * every netmem a provider hands to a pool is marked and counted as held.
 */
import { NetmemError } from '../errors.js';
import { descOf, isNetIov } from '../netmem/handle.js';
import type { PagePool } from '../pool/page-pool.js';
import * as S from '../pool/stats.js';

/** net_mp_niov_set_page_pool: marks `nm` as the pool's (pp, signature, pp ref 1) and counts it held. */
export function mpSetPool(pool: PagePool, nm: number): void {
  const d = descOf(nm);
  if (pool.domain.table.pp[d] !== 0) {
    throw new NetmemError('EBUSY', `netmem ${nm} already belongs to pool ${pool.domain.table.pp[d]}`);
  }
  pool.setPpInfo(d);
  pool.hold();
}

/** net_mp_niov_clear_page_pool: hands a netmem leaving the pool back to its provider. */
export function mpClearPool(pool: PagePool, nm: number): void {
  pool.clearPpInfo(descOf(nm));
}

/** net_mp_netmem_place_in_cache: only from `alloc`; false when the cache is full. */
export function mpPlaceInCache(pool: PagePool, nm: number): boolean {
  return pool.placeInCache(nm);
}

/** Sets a net_iov's DMA address (its area was mapped by the provider). */
export function mpSetDmaAddr(pool: PagePool, nm: number, iova: number): void {
  if (!isNetIov(nm)) throw new NetmemError('EINVAL', `mpSetDmaAddr on a page: ${nm}`);
  pool.domain.table.dma[descOf(nm)] = iova;
}

/** DMA-maps a page for the pool through its tracking strategy; false on failure. */
export function mpDmaMapPage(pool: PagePool, nm: number): boolean {
  return pool.dmaMapPage(nm);
}

/** Unmaps a page the pool mapped, unless destroy's scrub already did. */
export function mpDmaUnmapPage(pool: PagePool, nm: number): void {
  pool.dmaUnmapPage(nm);
}

/** Counts a slow allocation in the pool's stats (`slow` for order 0, else `slowHighOrder`). */
export function mpCountSlowAlloc(pool: PagePool, highOrder: boolean): void {
  pool.countStat(highOrder ? S.S_SLOW_HIGH_ORDER : S.S_SLOW);
}

/** The pool's pp reference count of a netmem. */
export function mpPpRefCount(pool: PagePool, nm: number): number {
  return pool.domain.table.ppRef[descOf(nm)];
}
