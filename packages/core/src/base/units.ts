/**
 * Memory units shared by every layer: one definition of the page size.
 * A net_iov is page-sized too, so provider areas slice memory the way the
 * page allocator does.
 */

/**
 * log2 of {@link PAGE_SIZE}.
 * @category Memory
 */
export const PAGE_SHIFT = 12;
/**
 * Bytes per page (and per net_iov).
 * @category Memory
 */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/**
 * Bytes per net_iov: one page.
 * @category Memory
 */
export const NET_IOV_SIZE = PAGE_SIZE;
