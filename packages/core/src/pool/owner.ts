/**
 * A netmem's way back to the pool that owns it, keyed by domain: the
 * functions providers call (netmem_get_pp and the puts that follow it). The
 * one implementation is the domain's pool registry (registry.ts); code on a
 * data path keeps the registry itself (`poolRegistry(domain)`) and calls
 * its methods instead.
 */
import type { MemoryDomain } from '../netmem/domain.js';
import { poolRegistry } from './registry.js';
import type { PagePool } from './types.js';

/**
 * napi_pp_put_page: drops one pp reference of a pool netmem and, when it was
 * the last, recycles it into its pool (directly only when the put runs in
 * the pool's NAPI, or `allowDirect`). Returns false, changing nothing, when
 * `nm` is not a pool netmem (the caller then drops a page reference).
 * @category Provider contract
 */
export function napiPpPutPage(domain: MemoryDomain, nm: number, allowDirect = false): boolean {
  return poolRegistry(domain).napiPpPutPage(nm, allowDirect);
}

/**
 * page_pool_put_netmem to `nm`'s own pool after dropping `refs` pp
 * references at once: the last one recycles it. Returns the references
 * left (0: it went back to its pool).
 * @category Provider contract
 */
export function ppPutNetmemRefs(domain: MemoryDomain, nm: number, refs: number): number {
  const pool = poolRegistry(domain).owner(nm, 'page_pool_put_netmem');
  const left = pool.unrefNetmem(nm, refs);
  if (left === 0) pool.putUnrefedNetmem(nm, -1, false);
  return left;
}

/**
 * page_pool_put_unrefed_netmem to `nm`'s own pool: the caller already dropped the last pp reference.
 * @category Provider contract
 */
export function ppPutUnrefedNetmem(domain: MemoryDomain, nm: number, allowDirect = false): void {
  poolRegistry(domain).putUnrefedNetmem(nm, allowDirect);
}

/**
 * page_pool_ref_netmem on `nm`'s own pool: `n` more pp references.
 * @category Provider contract
 */
export function ppRefNetmem(domain: MemoryDomain, nm: number, n = 1): void {
  poolRegistry(domain).refNetmem(nm, n);
}

/**
 * page_pool_unref_netmem on `nm`'s own pool: drops `n` pp references and
 * returns what is left, without recycling (0 resets the count to 1; the
 * caller then puts it with {@link ppPutUnrefedNetmem}).
 * @category Provider contract
 */
export function ppUnrefNetmem(domain: MemoryDomain, nm: number, n = 1): number {
  return poolRegistry(domain).unrefNetmem(nm, n);
}

/**
 * The live pool `nm` belongs to (netmem_get_pp), without put checks; undefined when none.
 * @category Provider contract
 */
export function netmemGetPp(domain: MemoryDomain, nm: number): PagePool | undefined {
  return nm === 0 ? undefined : poolRegistry(domain).poolOf(nm);
}

/**
 * skb_pp_frag_ref / __skb_frag_ref: one more reference on a frag. A pool
 * netmem held by a pool-recycling skb (`pp`) takes a pp reference; anything
 * else falls back to a page reference (get_netmem: for a net_iov, whatever
 * its area's owner takes).
 * @category Provider contract
 */
export function netmemRef(domain: MemoryDomain, nm: number, pp: boolean): void {
  if (pp && domain.isPp(nm)) poolRegistry(domain).refNetmem(nm, 1);
  else domain.getNetmem(nm);
}

/**
 * skb_page_unref: drops what {@link netmemRef} took: a pool netmem of a
 * recycling holder goes back to its pool (napi_pp_put_page); anything else
 * drops a page reference (put_netmem).
 * @category Provider contract
 */
export function netmemUnref(domain: MemoryDomain, nm: number, pp: boolean): void {
  if (pp && poolRegistry(domain).napiPpPutPage(nm)) return;
  domain.putNetmem(nm);
}
