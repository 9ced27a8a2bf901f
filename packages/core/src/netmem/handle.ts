/**
 * Netmem handles. A netmem is a small integer (always a V8 small integer, so
 * it never boxes): bit 0 tells a net_iov (1) from a page (0), bits 1..20 are
 * the descriptor index into the metadata tables, bits 21..29 a generation
 * used to catch stale handles in checked mode. 0 is NULL.
 */

/**
 * The NULL netmem: "no buffer".
 * @category Memory
 */
export const NETMEM_NULL = 0;
/** Bit 0 of a handle: set for a net_iov. */
export const NET_IOV_BIT = 1;
/** Descriptor index bits. */
export const DESC_BITS = 20;
/** Largest number of descriptors a domain can have (pages + net_iovs + 1). */
export const MAX_DESCS = 1 << DESC_BITS;
/** Mask for the descriptor index once shifted down by one. */
export const DESC_MASK = MAX_DESCS - 1;
/** Where the generation starts in a handle. */
export const GEN_SHIFT = DESC_BITS + 1;
/** Generation mask (9 bits: handles stay below 2^30). */
export const GEN_MASK = 0x1ff;

/** Descriptor index of a handle. */
export function descOf(nm: number): number {
  return (nm >>> 1) & DESC_MASK;
}

/**
 * True when the handle names a net_iov rather than a page.
 * @category Memory
 */
export function isNetIov(nm: number): boolean {
  return (nm & NET_IOV_BIT) !== 0;
}

/** Generation bits of a handle. */
export function genOf(nm: number): number {
  return (nm >>> GEN_SHIFT) & GEN_MASK;
}

/** Builds a handle from its parts. */
export function makeHandle(desc: number, netIov: boolean, gen: number): number {
  return ((gen & GEN_MASK) << GEN_SHIFT) | (desc << 1) | (netIov ? NET_IOV_BIT : 0);
}
