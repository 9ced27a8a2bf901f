/**
 * page_pool_put_netmem_bulk: returns netmems of several pools at once. pp
 * references are dropped first; then one round per pool recycles its
 * netmems, cached when the pool's NAPI is running, else produced into its
 * ring together (one ringFull count if it overflows).
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import { DESC_MASK } from '../netmem/handle.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { poolRegistry } from './registry.js';
import { internals, type PoolInternals } from './state.js';

let scratch = new Int32Array(64);

/**
 * Puts `count` netmems from `data` (any mix of pools; one entry per pp
 * reference dropped). `data` is used as scratch space and its contents are
 * undefined afterwards, as in the kernel. A bad entry throws before any
 * netmem is recycled, with every reference it dropped restored.
 * @category Pool
 */
export function putNetmemBulk(domain: MemoryDomain, data: Int32Array | number[], count = data?.length): void {
  if (!(data instanceof Int32Array) && !Array.isArray(data)) E.expected('putNetmemBulk takes an Int32Array or an array of netmems', data);
  E.int(count, 'count', 0, data.length);
  const registry = poolRegistry(domain);
  const ppRef = domain.table.ppRef;
  // Pass 1: check and drop one pp reference per entry. An entry whose count
  // is already 0 was listed more often than it has references: a double free.
  let i = 0;
  try {
    for (; i < count; i++) {
      const nm = data[i];
      const d = (nm >>> 1) & DESC_MASK;
      internals(registry.owner(nm, 'bulk put')).checkPut(nm);
      if (ppRef[d] < 1) throw new NetmemError('EALREADY', `bulk put: netmem ${nm} listed more times than it has references`);
      ppRef[d]--;
    }
  } catch (e) {
    for (let j = 0; j < i; j++) ppRef[(data[j] >>> 1) & DESC_MASK]++;
    throw e;
  }
  // Pass 2: keep each netmem whose last reference went, once; a pool-owned
  // netmem has pp refcount 1.
  let n = 0;
  for (let j = 0; j < count; j++) {
    const nm = data[j];
    const d = (nm >>> 1) & DESC_MASK;
    if (ppRef[d] !== 0) continue;
    ppRef[d] = 1;
    data[n++] = nm;
  }
  if (scratch.length < n) scratch = new Int32Array(n);
  while (n > 0) {
    let pool: PoolInternals | undefined;
    let direct = false;
    let foreign = 0;
    let bulk = 0;
    for (let j = 0; j < n; j++) {
      const nm = data[j];
      const d = (nm >>> 1) & DESC_MASK;
      const owner = internals(registry.poolOf(nm)!);
      if (pool === undefined) {
        pool = owner;
        direct = pool.napiLocal();
      } else if (owner !== pool) {
        data[foreign++] = nm;
        continue;
      }
      const keep = pool.recycleCandidate(nm, d, -1, direct);
      if (keep !== 0) scratch[bulk++] = keep;
    }
    if (bulk > 0) pool!.recycleRingBulk(scratch, 0, bulk);
    n = foreign;
  }
}
