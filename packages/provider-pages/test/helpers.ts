/** Shared set-up for the pages-provider pool tests. */
import {
  MemoryDomain,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  VirtualClock,
  createPagePool,
  type DmaDevice,
  type NetmemWarning,
  type PagePool,
  type PagePoolParams,
} from '@netmem/core';
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

/** A quiet domain (no net_iovs) on a virtual clock, with one device. */
export function env(opts: { pages?: number; numaNodes?: number; checked?: boolean } = {}): Env {
  const clock = new VirtualClock();
  const dom = new MemoryDomain({ pages: opts.pages ?? 1024, netIovs: 0, numaNodes: opts.numaNodes, checked: opts.checked, clock, onWarn: false });
  const dev = dom.createDevice('nic0');
  const warns: NetmemWarning[] = [];
  dom.on('warn', (w) => warns.push(w));
  return {
    dom,
    clock,
    dev,
    warns,
    pool: (p = {}, prov = {}) => createPagePool({ domain: dom, dev, provider: pagesProvider(prov), flags: MAP_SYNC, maxLen: 4096, ...p }),
  };
}

export { errnoOf as codeOf } from '@netmem/core';

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
export function stats(alloc: Partial<Record<'fast' | 'slow' | 'slowHighOrder' | 'empty' | 'refill' | 'waive', number>> = {}, recycle: Partial<Record<'cached' | 'cacheFull' | 'ring' | 'ringFull' | 'releasedRefcnt', number>> = {}) {
  return {
    alloc: { fast: 0, slow: 0, slowHighOrder: 0, empty: 0, refill: 0, waive: 0, ...alloc },
    recycle: { cached: 0, cacheFull: 0, ring: 0, ringFull: 0, releasedRefcnt: 0, ...recycle },
  };
}
