/**
 * A netmem entering and leaving a pool's books (page_pool_set_pp_info,
 * page_pool_clear_pp_info, pages_state_hold_cnt, the alloc cache fill of a
 * provider's alloc). The provider helpers call these; the pool's release
 * path calls clearPpInfo.
 */
import { setPlace } from '../netmem/ledger.js';
import { PP_SIGNATURE } from '../netmem/netmem-table.js';
import { PP_ALLOC_CACHE_SIZE } from './constants.js';
import type { PoolInternals } from './state.js';

/** page_pool_set_pp_info: marks descriptor `d` as the pool's, with one pp reference. */
export function setPpInfo(pool: PoolInternals, d: number): void {
  pool.ppTab[d] = pool.id;
  const m = pool.magicTab;
  m[d] = (m[d] & ~0xff) | PP_SIGNATURE;
  pool.ppRefTab[d] = 1;
}

/** page_pool_clear_pp_info: descriptor `d` no longer belongs to any pool. */
export function clearPpInfo(pool: PoolInternals, d: number): void {
  pool.ppTab[d] = 0;
  pool.ppRefTab[d] = 0;
  pool.magicTab[d] = 0;
  setPlace(pool.placeTab, d, 0 /* Place.NONE */);
}

/** pages_state_hold_cnt++ with its page_pool_state_hold tracepoint: `nm` is now held by the pool. */
export function hold(pool: PoolInternals, nm: number): void {
  pool.holdCnt = (pool.holdCnt + 1) | 0;
  const tr = pool.registry.tracer;
  if (tr !== null && tr.stateHold !== undefined) tr.stateHold(pool, nm, pool.holdCnt >>> 0);
}

/** net_mp_netmem_place_in_cache: puts an accounted netmem in the alloc cache; false when full. */
export function placeInCache(pool: PoolInternals, nm: number): boolean {
  if (pool.cacheCount >= PP_ALLOC_CACHE_SIZE) return false;
  pool.cache[pool.cacheCount++] = nm;
  setPlace(pool.placeTab, (nm >>> 1) & 0xfffff /* DESC_MASK */, 1 /* Place.CACHE */);
  return true;
}
