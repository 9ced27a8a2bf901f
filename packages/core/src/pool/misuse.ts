/**
 * What a put that must not happen throws: a netmem of another pool, the
 * NULL netmem, a double free (the pool already holds it), a pp reference
 * count going below zero. Beyond the kernel, which would corrupt itself or
 * WARN; the error changes nothing.
 */
import { NetmemError } from '../base/errors.js';
import { Place } from '../netmem/ledger.js';
import type { PoolInternals } from './state.js';

/** The put of `nm` (descriptor `d`) on `pool` failed its checks: says which and throws. */
export function badPut(pool: PoolInternals, nm: number, d: number): never {
  const id = pool.id;
  if (nm === 0) throw new NetmemError('EINVAL', `pool ${id}: put of the NULL netmem`);
  const owner = pool.ppTab[d];
  if (owner !== id) {
    throw new NetmemError('EINVAL', owner === 0 ? `pool ${id}: netmem ${nm} is not a pool netmem (already released?)` : `pool ${id}: netmem ${nm} belongs to pool ${owner}`);
  }
  const where = pool.placeTab[d] === Place.CACHE ? 'cache' : 'ring';
  throw new NetmemError('EALREADY', `pool ${id}: double free of netmem ${nm}: it is already in the pool's ${where}`);
}

/** Dropping `drop` pp references of `nm` with `have` left would go below zero: warns and throws. */
export function ppRefUnderflow(pool: PoolInternals, nm: number, have: number, drop: number): never {
  pool.domain.warn('pp-ref-underflow', `pool ${pool.id}: pp refcount of netmem ${nm} would go below zero (${have} - ${drop})`, pool.id);
  throw new NetmemError('EINVAL', `pool ${pool.id}: pp refcount underflow on netmem ${nm}`);
}
