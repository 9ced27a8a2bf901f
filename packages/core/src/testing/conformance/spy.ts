/**
 * The counting proxy: wraps a provider so the suite sees, and checks, every
 * call the pool makes into it.
 */
import { isNetIov, descOf } from '../../netmem/handle.js';
import { Place } from '../../netmem/ledger.js';
import { PP_ALLOC_CACHE_SIZE } from '../../pool/constants.js';
import { poolRegistry } from '../../pool/registry.js';
import type { MemoryProviderOps } from '../../pool/types.js';
import { check, eq } from './assert.js';

/** Counts and checks every call the pool makes into the provider. */
export interface ProviderSpy {
  ops: MemoryProviderOps;
  calls: { init: number; destroy: number; alloc: number; release: number; scrub: number };
  /** Times each handle entered a pool (returned by alloc or placed in the cache). */
  entered: Map<number, number>;
  /** Times each handle was released. */
  released: Map<number, number>;
}

function bump(m: Map<number, number>, nm: number): void {
  m.set(nm, (m.get(nm) ?? 0) + 1);
}

export function spyOn(inner: MemoryProviderOps): ProviderSpy {
  const spy: ProviderSpy = {
    ops: undefined as unknown as MemoryProviderOps,
    calls: { init: 0, destroy: 0, alloc: 0, release: 0, scrub: 0 },
    entered: new Map(),
    released: new Map(),
  };
  const ops: MemoryProviderOps = {
    name: inner.name,
    pagePath: inner.pagePath,
    init(pool) {
      spy.calls.init++;
      inner.init(pool);
    },
    destroy(pool) {
      spy.calls.destroy++;
      check(pool.isFreed, `provider destroy called before pool ${pool.id} was freed`);
      check(poolRegistry(pool.domain).byId(pool.id) !== pool, `provider destroy called while pool ${pool.id} is still listed`);
      eq(pool.inflight, 0, `inflight of pool ${pool.id} when its provider is destroyed`);
      inner.destroy(pool);
    },
    alloc(pool, gfp) {
      spy.calls.alloc++;
      // The pool asks only when its cache is empty.
      eq(pool.cacheSize, 0, 'cache size when the provider is asked to alloc');
      const held = pool.holdCount;
      const nm = inner.alloc(pool, gfp);
      const cached = pool.cacheSize;
      check(cached <= PP_ALLOC_CACHE_SIZE, `provider alloc left ${cached} netmems in a cache of ${PP_ALLOC_CACHE_SIZE}`);
      // Everything the provider accounted is either returned or in the cache: nothing placed past a full cache.
      eq((pool.holdCount - held) | 0, cached + (nm !== 0 ? 1 : 0), 'netmems accounted by one provider alloc (returned + placed in cache)');
      const tab = pool.domain.table;
      for (const c of pool.snapshot().cache) {
        const d = descOf(c);
        eq(tab.pp[d], pool.id, `pp of netmem ${c} placed in the cache`);
        eq(tab.ppRef[d], 1, `pp refcount of netmem ${c} placed in the cache`);
        eq(tab.place[d], Place.CACHE, `place of netmem ${c} placed in the cache`);
        bump(spy.entered, c);
      }
      if (nm !== 0) {
        eq(tab.pp[descOf(nm)], pool.id, `pp of netmem ${nm} returned by provider alloc`);
        eq(tab.ppRef[descOf(nm)], 1, `pp refcount of netmem ${nm} returned by provider alloc`);
        bump(spy.entered, nm);
      }
      return nm;
    },
    release(pool, nm) {
      spy.calls.release++;
      bump(spy.released, nm);
      const put = inner.release(pool, nm);
      eq(put, !isNetIov(nm), `release(${isNetIov(nm) ? 'net_iov' : 'page'} ${nm}) answer`);
      if (!put) eq(pool.domain.table.pp[descOf(nm)], 0, `pp of net_iov ${nm} after its release (mpClearPool)`);
      return put;
    },
  };
  if (inner.scrub) {
    const scrub = inner.scrub;
    ops.scrub = (pool) => {
      spy.calls.scrub++;
      scrub.call(inner, pool);
    };
  }
  if (inner.nlFill) {
    const nlFill = inner.nlFill;
    ops.nlFill = (pool, rxq) => nlFill.call(inner, pool, rxq);
  }
  if (inner.uninstall) {
    const uninstall = inner.uninstall;
    ops.uninstall = (rxq) => uninstall.call(inner, rxq);
  }
  spy.ops = ops;
  return spy;
}
