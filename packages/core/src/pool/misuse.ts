/**
 * What a put that must not happen throws: a netmem of another pool, the
 * NULL netmem, a double free (the pool already holds it), a pp reference
 * count going below zero. Beyond the kernel, which would corrupt itself or
 * WARN; the error changes nothing.
 */
import { NetmemError, show } from '../base/errors.js';
import { Place } from '../netmem/ledger.js';
import type { WarningFacts } from '../netmem/domain-types.js';
import type { PoolInternals } from './state.js';

/** The put of `nm` (descriptor `d`) on `pool` failed its checks: says which and throws. */
export function badPut(pool: PoolInternals, nm: number, d: number): never {
  const id = pool.id;
  if (nm === 0) throw new NetmemError('EINVAL', `pool ${id}: put of the NULL netmem`);
  if (typeof nm !== 'number' || (nm | 0) !== nm || nm < 0 || (nm & 1) !== (d > pool.domain.pages ? 1 : 0)) {
    throw new NetmemError('EINVAL', `pool ${id}: expected a netmem handle of this domain, got ${show(nm)}`);
  }
  // The domain's table, not the pool's copy: a freed pool stops following the table's growth.
  const t = pool.domain.table;
  const owner = t.pp[d] ?? 0;
  if (owner !== id) {
    throw new NetmemError(
      'EINVAL',
      owner === 0 ? `pool ${id}: netmem ${nm} is not a pool netmem (already released?)` : `pool ${id}: netmem ${nm} belongs to pool ${owner}`,
    );
  }
  const where = t.place[d] === Place.CACHE ? 'cache' : 'ring';
  throw new NetmemError('EALREADY', `pool ${id}: double free of netmem ${nm}: it is already in the pool's ${where}`);
}

/**
 * A pp reference count went below zero (page_pool_unref_netmem's WARN): a
 * `pp-ref-underflow` warning with the full handle and the count left. The
 * scenario goes on, as in the kernel.
 */
export function ppRefUnderflow(pool: PoolInternals, nm: number, left: number): void {
  pool.domain.warn('pp-ref-underflow', `pool ${pool.id}: pp refcount of netmem ${nm} went below zero (${left})`, { poolId: pool.id, netmem: nm, value: left });
}

/** A pp reference count to take or drop that is not an integer ≥ 1 (or would overflow the count): throws EINVAL. */
export function badRefCount(pool: PoolInternals, nm: number, n: number, what: 'take' | 'drop'): never {
  throw new NetmemError(
    'EINVAL',
    `pool ${pool.id}: pp references to ${what} on netmem ${nm} must be an integer ≥ 1 (and keep the count below 2^31), got ${show(n)}`,
  );
}

/** A put's sync size is not -1 or an integer ≥ 0, or its allowDirect is not a boolean: throws EINVAL. */
export function badPutArgs(pool: PoolInternals, dmaSyncSize: number, allowDirect: unknown): never {
  if (allowDirect !== true && allowDirect !== false)
    throw new NetmemError('EINVAL', `pool ${pool.id}: allowDirect must be true or false, got ${show(allowDirect)}`);
  throw new NetmemError('EINVAL', `pool ${pool.id}: dmaSyncSize must be -1 (up to maxLen) or an integer ≥ 0, got ${show(dmaSyncSize)}`);
}

/** gfp flags that are not an integer: throws EINVAL. */
export function badGfp(pool: PoolInternals, gfp: unknown): never {
  throw new NetmemError('EINVAL', `pool ${pool.id}: gfp flags must be a u32 integer, got ${show(gfp)}`);
}

/** WARN_ONCE for one pool: the key lives with the pool (a freed pool's keys go with it). */
export function poolWarnOnce(pool: PoolInternals, key: string, kind: string, message: string, facts: WarningFacts = {}): void {
  if (pool.warnedOnce.has(key)) return;
  pool.warnedOnce.add(key);
  pool.domain.warn(kind, message, { poolId: pool.id, ...facts });
}
