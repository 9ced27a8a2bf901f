/**
 * A pool's DMA mappings (page_pool_dma_map, __page_pool_release_netmem_dma):
 * every page the pool maps is tracked by its DMA-tracking strategy, so
 * exactly one of "the page returns" and "destroy's scrub" unmaps it.
 */
import { PAGE_SIZE } from '../base/units.js';
import { DMA_SPILL } from '../netmem/netmem-table.js';
import { poolWarnOnce } from './misuse.js';
import type { PoolInternals } from './state.js';

/**
 * page_pool_dma_map: maps a page of the pool's order, tracks the mapping,
 * syncs it for the device. False when the map or the tracking fails (the
 * page is left unmapped).
 */
export function dmaMapPage(pool: PoolInternals, nm: number): boolean {
  const dev = pool.dev!;
  const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
  const iova = dev.map(pool.domain.pageRegion, (d - 1) * PAGE_SIZE, PAGE_SIZE << pool.order, pool.dmaDirCode);
  if (iova === 0) return false;
  const p = iova / PAGE_SIZE;
  // The table keeps IOVA >> PAGE_SHIFT (NetmemTable.dma): the plain store for a page-aligned address below 2^44.
  if (p === p >>> 0 && p !== DMA_SPILL) pool.dmaTab[d] = p;
  else pool.domain.table.setDma(d, iova);
  if (!pool.tracker.track(d)) {
    poolWarnOnce(pool, 'dma-track', 'dma-track', `pool ${pool.id}: couldn't track DMA mapping`);
    dev.unmap(iova, pool.dmaDirCode);
    pool.domain.table.setDma(d, 0);
    return false;
  }
  if (pool.syncDev) {
    try {
      pool.syncForDevice(d, pool.maxLen);
    } catch (e) {
      // A strict IOMMU threw on the sync: undo the mapping so the caller can free the page cleanly.
      if (pool.tracker.claim(d)) unmapDesc(pool, d);
      throw e;
    }
  }
  return true;
}

/** Unmaps a page the pool mapped, unless destroy's scrub already claimed it. */
export function dmaUnmapPage(pool: PoolInternals, nm: number): void {
  if (!pool.dmaMap) return;
  const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
  if (!pool.tracker.claim(d)) return;
  unmapDesc(pool, d);
}

/** Unmaps descriptor `d`'s mapping (its tracking was already claimed). */
export function unmapDesc(pool: PoolInternals, d: number): void {
  const p = pool.dmaTab[d];
  pool.dev!.unmap(p !== DMA_SPILL ? p * PAGE_SIZE : pool.domain.table.dmaOf(d), pool.dmaDirCode);
  if (p !== DMA_SPILL) pool.dmaTab[d] = 0;
  else pool.domain.table.setDma(d, 0);
}
