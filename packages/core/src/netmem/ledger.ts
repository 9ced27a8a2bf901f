/**
 * The ownership ledger: where every pool netmem is right now (SPEC §8). Its
 * vocabulary, its writers and its reader live here, so every place change
 * goes through this file.
 *
 * Two kinds of writer:
 * - the pool's own transitions (cache, ring, handed out, frag page, left the
 *   pool) are recorded always, because double-free detection reads them:
 *   {@link setPlace}, a plain store into the place table. The pool's alloc
 *   and put fast paths (pool/pool-core.ts) make the same store inline, with
 *   the Place codes as literals checked at load, because a call through an
 *   imported function costs a module-cell load per use there;
 * - the finer places of the stack and providers (driver ring, skb, socket,
 *   user) are recorded in checked mode only, through a domain's
 *   {@link Ledger} (`domain.ledger.record(nm, place)`).
 *
 * A buffer shared by several holders (a frag page, a cloned skb) shows its
 * most recent holder.
 */
import { descOf } from './handle.js';
import type { NetmemTable } from './netmem-table.js';

/**
 * Where a netmem is (the ledger's vocabulary).
 * @category Memory
 */
export const Place = {
  /** Not held by any pool (free, released, or in a provider's freelist). */
  NONE: 0,
  /** In the pool's alloc cache. */
  CACHE: 1,
  /** In the pool's ptr_ring. */
  RING: 2,
  /** Handed out by the pool; the holder is not recorded more precisely. */
  HANDED_OUT: 3,
  /** Posted in a driver's rx descriptor ring. */
  DRIVER_RING: 4,
  /** Attached to an skb in the stack. */
  SKB: 5,
  /** In a socket's receive queue. */
  SOCKET: 6,
  /** Held by user space (devmem token, zcrx CQE, a buffer an application holds). */
  USER: 7,
  /** The pool's current fragment page. */
  FRAG_PAGE: 8,
} as const;

/**
 * One of the {@link Place} values.
 * @category Memory
 */
export type PlaceCode = (typeof Place)[keyof typeof Place];

/**
 * Lower-case names of the places, indexed by code.
 * @category Memory
 */
export const PLACE_NAMES = ['none', 'cache', 'ring', 'handed-out', 'driver-ring', 'skb', 'socket', 'user', 'frag-page'] as const;

/**
 * A place's name.
 * @category Memory
 */
export type PlaceName = (typeof PLACE_NAMES)[number];

/** Places below this value are "held by the pool" (a put there is a double free). */
export const FIRST_OUT_PLACE = Place.HANDED_OUT;

/**
 * The pool's always-on transition: descriptor `d` is now at `code`. A plain
 * store, so the pool's fast path inlines it.
 */
export function setPlace(place: Uint8Array, d: number, code: PlaceCode): void {
  place[d] = code;
}

/**
 * Answer of {@link Ledger.whereIs}.
 * @category Memory
 */
export interface NetmemWhereabouts {
  /** Pool that holds the netmem (0: none: free, released or in a provider's freelist). */
  poolId: number;
  /** The place. */
  place: PlaceName;
  /** pp references. */
  ppRef: number;
}

/**
 * A domain's ledger: the stack's and providers' writers (checked mode) and the reader.
 * @category Memory
 */
export class Ledger {
  /** @internal The domain makes its ledger; use `domain.ledger`. */
  constructor(
    private readonly table: NetmemTable,
    /** Whether the finer places are recorded (the domain's checked mode). */
    readonly checked: boolean,
  ) {}

  /**
   * Checked mode: a holder outside the pool now has `nm` (driver ring, skb,
   * socket, user). Only pool netmems that are out of the pool are recorded;
   * a frag page keeps its place until the pool lets go of it.
   */
  record(nm: number, code: PlaceCode): void {
    if (!this.checked) return;
    const t = this.table;
    const d = descOf(nm);
    if (t.pp[d] !== 0 && t.place[d] >= FIRST_OUT_PLACE && t.place[d] !== Place.FRAG_PAGE) t.place[d] = code;
  }

  /**
   * Checked mode: a holder in the stack let go of `nm` but others remain (a
   * page shared by frags). Its place named the holder that left, so it
   * becomes "handed-out" until a remaining holder records itself again.
   */
  holderLeft(nm: number): void {
    if (!this.checked) return;
    const t = this.table;
    const d = descOf(nm);
    const p = t.place[d];
    if (t.pp[d] !== 0 && (p === Place.SKB || p === Place.SOCKET || p === Place.DRIVER_RING)) t.place[d] = Place.HANDED_OUT;
  }

  /** Where `nm` is now. */
  whereIs(nm: number): NetmemWhereabouts {
    const t = this.table;
    const d = descOf(nm);
    // Past the table (`undefined`): a descriptor never used.
    return { poolId: t.pp[d] ?? 0, place: PLACE_NAMES[t.place[d]] ?? 'none', ppRef: t.ppRef[d] ?? 0 };
  }

  /** The place code of `nm`. */
  placeOf(nm: number): PlaceCode {
    return (this.table.place[descOf(nm)] ?? Place.NONE) as PlaceCode;
  }
}

/**
 * Where `nm` is now in `domain` (the ledger's reader as a function).
 * @category Memory
 */
export function whereIs(domain: { readonly ledger: Ledger }, nm: number): NetmemWhereabouts {
  return domain.ledger.whereIs(nm);
}
