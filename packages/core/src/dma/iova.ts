/**
 * The IOMMU model's address layout, in one place. A mapping of at most one
 * page gets IOVA (slot + 1) << 12, below 2^32, which every 32-bit page
 * number slot of the metadata table holds (and the first 2^18 of them are
 * small integers V8 keeps unboxed); a larger one (a whole dmabuf or
 * io_uring area) gets its own 1 GiB window at 2^32 + slot << 30. 0 is never
 * a valid IOVA (the DMA API's mapping error).
 *
 * An IOVA of 2^30 or more is a heap number in V8, and handing one to a call
 * the JIT did not inline boxes it: 16 bytes of garbage per sync or copy
 * (every net_iov area maps above 2^32). So the device's checks take an IOVA
 * as its page number and its offset in that page, both small integers
 * (pageOf, slotOfPage, pageOffsetInMapping), and core's hot paths pass the
 * page number the metadata table keeps without forming the byte address.
 */
import { PAGE_SHIFT, PAGE_SIZE } from '../base/units.js';

/**
 * Bytes one large-mapping IOVA window spans: the largest single mapping (1 GiB).
 * @category DMA
 */
export const IOVA_SLOT_BYTES = 2 ** 30;
/**
 * Mappings of at most this many bytes (one page) get page-granular IOVAs below {@link IOVA_LARGE_BASE}.
 * @category DMA
 */
export const IOVA_PAGE_BYTES = PAGE_SIZE;
const IOVA_PAGE_SHIFT = PAGE_SHIFT;
/**
 * First IOVA of the large-mapping windows.
 * @category DMA
 */
export const IOVA_LARGE_BASE = 2 ** 32;
/** Slots that can take a page-granular IOVA (below IOVA_LARGE_BASE). */
const PAGE_IOVA_SLOTS = IOVA_LARGE_BASE / IOVA_PAGE_BYTES - 1;

/** Page number of the first large-mapping window, and pages per window. */
const LARGE_BASE_PAGE = IOVA_LARGE_BASE / IOVA_PAGE_BYTES;
const SLOT_PAGES = IOVA_SLOT_BYTES / IOVA_PAGE_BYTES;

/** The IOVA of a new mapping of `len` bytes in `slot`. */
export function iovaOfSlot(slot: number, len: number): number {
  return len <= IOVA_PAGE_BYTES && slot < PAGE_IOVA_SLOTS ? (slot + 1) * IOVA_PAGE_BYTES : IOVA_LARGE_BASE + slot * IOVA_SLOT_BYTES;
}

/** The slot an IOVA falls in (not range-checked: the device checks it against its slots). */
export function slotOfIova(iova: number): number {
  return iova < IOVA_LARGE_BASE ? (iova >>> IOVA_PAGE_SHIFT) - 1 : Math.floor((iova - IOVA_LARGE_BASE) / IOVA_SLOT_BYTES);
}

/** slotOfIova of the IOVA on page `page`. */
export function slotOfPage(page: number): number {
  return page < LARGE_BASE_PAGE ? page - 1 : Math.floor((page - LARGE_BASE_PAGE) / SLOT_PAGES);
}

/** Byte offset of `iova` inside its mapping. */
export function offsetInMapping(iova: number): number {
  // Page IOVAs fit in 32 bits: integer masks instead of floating-point remainders on the hot path.
  return iova < IOVA_LARGE_BASE ? iova & (IOVA_PAGE_BYTES - 1) : (iova - IOVA_LARGE_BASE) % IOVA_SLOT_BYTES;
}

/** Page number of `iova` (IOVA ÷ page size, rounded down). */
export function pageOf(iova: number): number {
  return Math.floor(iova / IOVA_PAGE_BYTES);
}

/** offsetInMapping of the IOVA at `page` × page size + `inPage`. */
export function pageOffsetInMapping(page: number, inPage: number): number {
  return page < LARGE_BASE_PAGE ? inPage : ((page - LARGE_BASE_PAGE) % SLOT_PAGES) * IOVA_PAGE_BYTES + inPage;
}
