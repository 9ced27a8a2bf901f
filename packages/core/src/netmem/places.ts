/**
 * Where a netmem is (the ownership ledger's vocabulary). The first three are
 * tracked always, because double-free detection needs them; the finer places
 * past HANDED_OUT are recorded by the stack model in checked mode only.
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
  /** Held by user space (devmem token, zcrx CQE). */
  USER: 7,
  /** The pool's current fragment page. */
  FRAG_PAGE: 8,
} as const;

/** One of the {@link Place} values. */
export type PlaceCode = (typeof Place)[keyof typeof Place];

/** Lower-case names of the places, indexed by code. */
export const PLACE_NAMES = [
  'none',
  'cache',
  'ring',
  'handed-out',
  'driver-ring',
  'skb',
  'socket',
  'user',
  'frag-page',
] as const;

/** A place's name. */
export type PlaceName = (typeof PLACE_NAMES)[number];

/** Places below this value are "held by the pool" (put there again is a double free). */
export const FIRST_OUT_PLACE = Place.HANDED_OUT;
