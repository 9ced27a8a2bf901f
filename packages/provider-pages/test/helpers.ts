/** Shared set-up for the pages-provider pool tests. */
import {
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  createPagePool,
  type DmaDevice,
  type MemoryDomain,
  type NetmemWarning,
  type PagePool,
  type PagePoolParams,
  type VirtualClock,
} from '@netmem/core';
import { quietWorld } from '@netmem/core/testing';
import { pagesProvider, type PagesProviderOptions } from '../src/index.js';

export const MAP_SYNC = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV;

export interface Env {
  dom: MemoryDomain;
  clock: VirtualClock;
  dev: DmaDevice;
  warns: NetmemWarning[];
  /** Creates a pool on the env's domain and device with the pages provider (DMA_MAP|SYNC, maxLen 4096 by default). */
  pool(p?: Partial<PagePoolParams>, prov?: PagesProviderOptions): PagePool;
}

/** A quiet world (no net_iovs) with the pages provider's pool factory. */
export function env(opts: { pages?: number; numaNodes?: number; checked?: boolean } = {}): Env {
  const { domain: dom, clock, dev, warnings: warns } = quietWorld({ pages: opts.pages ?? 1024, numaNodes: opts.numaNodes, checked: opts.checked });
  return {
    dom,
    clock,
    dev,
    warns,
    pool: (p = {}, prov = {}) => createPagePool({ domain: dom, dev, provider: pagesProvider(prov), flags: MAP_SYNC, maxLen: 4096, ...p }),
  };
}

export { errnoOf as codeOf } from '@netmem/core/testing';

/** Allocates `n` netmems, failing the test on NULL. */
export function allocN(pool: PagePool, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const nm = pool.allocNetmems();
    if (nm === 0) throw new Error(`alloc ${i} of ${n} returned NULL`);
    out.push(nm);
  }
  return out;
}

/** All-zero stats with overrides. */
export function stats(
  alloc: Partial<Record<'fast' | 'slow' | 'slowHighOrder' | 'empty' | 'refill' | 'waive', number>> = {},
  recycle: Partial<Record<'cached' | 'cacheFull' | 'ring' | 'ringFull' | 'releasedRefcnt', number>> = {},
) {
  return {
    alloc: { fast: 0, slow: 0, slowHighOrder: 0, empty: 0, refill: 0, waive: 0, ...alloc },
    recycle: { cached: 0, cacheFull: 0, ring: 0, ringFull: 0, releasedRefcnt: 0, ...recycle },
  };
}
