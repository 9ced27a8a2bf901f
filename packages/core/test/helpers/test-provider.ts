/**
 * Tiny providers for core-only tests (core tests must not import a provider
 * package): one page per alloc on the normal page path, and a net_iov
 * provider over a readable io_uring-style area. Both record their calls.
 */
import { makeRegion, type MemoryDomain, NET_IOV_SIZE, type MemoryProviderOps, type NetIovArea, type PagePool } from '../../src/index.js';
import { mpClearPool, mpCountSlowAlloc, mpDmaMapPage, mpDmaUnmapPage, mpSetPool } from '../../src/provider.js';
import { quietWorld } from '../../src/testing.js';

/** Call counts of a test provider. */
export interface Calls {
  init: number;
  destroy: number;
  alloc: number;
  release: number;
}

/** A page-path provider: one page (of the pool's order) per alloc, mapped when the pool maps. */
export function onePageProvider(): MemoryProviderOps & { calls: Calls } {
  const calls: Calls = { init: 0, destroy: 0, alloc: 0, release: 0 };
  return {
    name: 'test-pages',
    pagePath: true,
    calls,
    init() {
      calls.init++;
    },
    destroy() {
      calls.destroy++;
    },
    alloc(pool: PagePool) {
      calls.alloc++;
      const nm = pool.domain.allocPages(pool.order, pool.nid);
      if (nm === 0) return 0;
      if (pool.dmaMap && !mpDmaMapPage(pool, nm)) {
        pool.domain.putPage(nm);
        return 0;
      }
      mpSetPool(pool, nm);
      mpCountSlowAlloc(pool, pool.order > 0);
      return nm;
    },
    release(pool: PagePool, nm: number) {
      calls.release++;
      mpDmaUnmapPage(pool, nm);
      return true;
    },
  };
}

/** A net_iov provider over one readable area with a LIFO freelist. */
export function areaProvider(domain: MemoryDomain, count: number): MemoryProviderOps & { calls: Calls; area: NetIovArea; free: number[] } {
  const calls: Calls = { init: 0, destroy: 0, alloc: 0, release: 0 };
  const region = makeRegion('test-area', new SharedArrayBuffer(count * NET_IOV_SIZE));
  const area = domain.createArea('io_uring', count, region, 0, true, null);
  const free: number[] = [];
  for (let i = count - 1; i >= 0; i--) free.push(area.niov(i));
  return {
    name: 'test-area',
    calls,
    area,
    free,
    init() {
      calls.init++;
    },
    destroy() {
      calls.destroy++;
    },
    alloc(pool: PagePool) {
      calls.alloc++;
      const nm = free.pop();
      if (nm === undefined) return 0;
      mpSetPool(pool, nm);
      return nm;
    },
    release(pool: PagePool, nm: number) {
      calls.release++;
      mpClearPool(pool, nm);
      free.push(nm);
      return false;
    },
  };
}

/** A quiet domain on a virtual clock (the testing entry's quiet world, domain only). */
export function testDomain(pages = 1024, extra: { netIovs?: number; checked?: boolean; numaNodes?: number } = {}): MemoryDomain {
  return quietWorld({ pages, netIovs: extra.netIovs ?? 0, checked: extra.checked, numaNodes: extra.numaNodes }).domain;
}
