/**
 * The ownership ledger: where a netmem is right now. The pool records cache,
 * ring and handed-out always (double-free detection needs them); in checked
 * mode the driver, skb, socket and provider extensions record the finer
 * places. A buffer shared by several holders (a frag page, a cloned skb)
 * shows its most recent holder.
 */
import type { MemoryDomain } from '../netmem/domain.js';
import { descOf } from '../netmem/handle.js';
import { PLACE_NAMES, type PlaceName } from '../netmem/places.js';

/** Answer of {@link whereIs}. */
export interface NetmemWhereabouts {
  /** Pool that holds the netmem (0: none: free, released or in a provider's freelist). */
  poolId: number;
  /** The place. */
  place: PlaceName;
  /** pp references. */
  ppRef: number;
}

/** Where `nm` is now. */
export function whereIs(domain: MemoryDomain, nm: number): NetmemWhereabouts {
  const t = domain.table;
  const d = descOf(nm);
  return { poolId: t.pp[d], place: PLACE_NAMES[t.place[d]] ?? 'none', ppRef: t.ppRef[d] };
}

/** Counts of every pool netmem in the domain by place, per pool id. */
export function ledgerSummary(domain: MemoryDomain): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const pool of domain.allPools()) out.set(pool.id, pool.places());
  return out;
}
