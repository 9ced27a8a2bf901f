/**
 * page_pool_put_netmem_bulk: returns netmems of several pools at once. pp
 * references are dropped first; then one round per pool recycles its
 * netmems, cached when the pool's NAPI is running, else produced into its
 * ring together (one ringFull count if it overflows).
 */
import { NetmemError } from '../errors.js';
import { DESC_MASK } from '../netmem/handle.js';
import type { MemoryDomain } from '../netmem/domain.js';
import type { PagePool } from './page-pool.js';

let scratch = new Int32Array(64);

/**
 * Puts `count` netmems from `data` (any mix of pools). `data` is used as
 * scratch space and its contents are undefined afterwards, as in the kernel.
 */
export function putNetmemBulk(domain: MemoryDomain, data: Int32Array | number[], count = data.length): void {
  const pp = domain.table.pp;
  // Validate every entry before touching any, so a bad handle changes nothing.
  for (let i = 0; i < count; i++) {
    const nm = data[i];
    const pool = domain.poolById(pp[(nm >>> 1) & DESC_MASK]);
    if (nm === 0 || !pool) throw new NetmemError('EINVAL', `bulk put: netmem ${nm} belongs to no live pool`);
  }
  let n = 0;
  for (let i = 0; i < count; i++) {
    const nm = data[i];
    const pool = domain.poolById(pp[(nm >>> 1) & DESC_MASK])!;
    if (pool.unrefForBulk(nm, 1)) data[n++] = nm;
  }
  if (scratch.length < n) scratch = new Int32Array(n);
  while (n > 0) {
    let pool: PagePool | undefined;
    let direct = false;
    let foreign = 0;
    let bulk = 0;
    for (let i = 0; i < n; i++) {
      const nm = data[i];
      const d = (nm >>> 1) & DESC_MASK;
      const owner = domain.poolById(pp[d])!;
      if (pool === undefined) {
        pool = owner;
        direct = pool.napiLocalForBulk();
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
