/**
 * A netmem's way back to the pool that owns it (netmem_get_pp and the puts
 * that follow it). This is the one implementation that every holder outside
 * the pool uses when it lets go: skb free (napi_pp_put_page), a devmem
 * token's DONTNEED or socket close, a zcrx refill-ring entry
 * (page_pool_put_unrefed_netmem), and bulk put.
 */
import { NetmemError } from '../base/errors.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { poolRegistry } from './registry.js';
import { internals, type PoolInternals } from './state.js';
import type { PagePool } from './types.js';

/**
 * netmem_get_pp for a put: the live pool `nm` belongs to; EINVAL when `nm`
 * is NULL or names no live pool. The pool's own put then checks the rest
 * (a double free is EALREADY, a stale handle ESTALE in checked mode).
 */
export function owningPool(domain: MemoryDomain, nm: number, what: string): PoolInternals {
  const pool = nm === 0 ? undefined : poolRegistry(domain).poolOf(nm);
  if (pool === undefined) throw new NetmemError('EINVAL', `${what}: netmem ${nm} belongs to no live page pool`);
  return internals(pool);
}

/**
 * napi_pp_put_page: drops one pp reference of a pool netmem and, when it was
 * the last, recycles it into its pool (directly only when the put runs in
 * the pool's NAPI, or `allowDirect`). Returns false, changing nothing, when
 * `nm` is not a pool netmem (the caller then drops a page reference).
 */
export function napiPpPutPage(domain: MemoryDomain, nm: number, allowDirect = false): boolean {
  if (!domain.isPp(nm)) return false;
  owningPool(domain, nm, 'napi_pp_put_page').putNetmem(nm, -1, allowDirect);
  return true;
}

/**
 * page_pool_put_netmem to `nm`'s own pool after dropping `refs` pp
 * references at once: the last one recycles it. Returns the references
 * left (0: it went back to its pool).
 */
export function ppPutNetmemRefs(domain: MemoryDomain, nm: number, refs: number): number {
  const pool = owningPool(domain, nm, 'page_pool_put_netmem');
  const left = pool.unrefNetmem(nm, refs);
  if (left === 0) pool.putUnrefedNetmem(nm, -1, false);
  return left;
}

/** page_pool_put_unrefed_netmem to `nm`'s own pool: the caller already dropped the last pp reference. */
export function ppPutUnrefedNetmem(domain: MemoryDomain, nm: number, allowDirect = false): void {
  owningPool(domain, nm, 'page_pool_put_unrefed_netmem').putUnrefedNetmem(nm, -1, allowDirect);
}

/** page_pool_ref_netmem on `nm`'s own pool: `n` more pp references. */
export function ppRefNetmem(domain: MemoryDomain, nm: number, n = 1): void {
  owningPool(domain, nm, 'page_pool_ref_netmem').refNetmem(nm, n);
}

/**
 * page_pool_unref_netmem on `nm`'s own pool: drops `n` pp references and
 * returns what is left, without recycling (0 resets the count to 1; the
 * caller then puts it with {@link ppPutUnrefedNetmem}).
 */
export function ppUnrefNetmem(domain: MemoryDomain, nm: number, n = 1): number {
  return owningPool(domain, nm, 'page_pool_unref_netmem').unrefNetmem(nm, n);
}

/** The live pool `nm` belongs to (netmem_get_pp), without put checks; undefined when none. */
export function netmemGetPp(domain: MemoryDomain, nm: number): PagePool | undefined {
  return nm === 0 ? undefined : poolRegistry(domain).poolOf(nm);
}

/**
 * skb_pp_frag_ref / __skb_frag_ref: one more reference on a frag. A pool
 * netmem held by a pool-recycling skb (`pp`) takes a pp reference; anything
 * else falls back to a page reference (get_netmem: for a net_iov, whatever
 * its area's owner takes).
 */
export function netmemRef(domain: MemoryDomain, nm: number, pp: boolean): void {
  if (pp && domain.isPp(nm)) owningPool(domain, nm, 'skb_pp_frag_ref').refNetmem(nm, 1);
  else domain.getNetmem(nm);
}

/**
 * skb_page_unref: drops what {@link netmemRef} took: a pool netmem of a
 * recycling holder goes back to its pool (napi_pp_put_page); anything else
 * drops a page reference (put_netmem).
 */
export function netmemUnref(domain: MemoryDomain, nm: number, pp: boolean): void {
  if (pp && napiPpPutPage(domain, nm)) return;
  domain.putNetmem(nm);
}
