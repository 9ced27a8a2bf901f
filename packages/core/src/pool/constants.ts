/** Page-pool constants (include/net/page_pool/types.h). */

/**
 * Map pages for DMA when they enter the pool.
 * @category Pool
 */
export const PP_FLAG_DMA_MAP = 1;
/**
 * Sync pages for the device when they are recycled.
 * @category Pool
 */
export const PP_FLAG_DMA_SYNC_DEV = 2;
/**
 * A per-CPU system pool: every put from its context may recycle directly.
 * @category Pool
 */
export const PP_FLAG_SYSTEM_POOL = 4;
/**
 * The driver handles unreadable netmem: the pool takes the rx queue's provider.
 * @category Pool
 */
export const PP_FLAG_ALLOW_UNREADABLE_NETMEM = 8;
/**
 * Every known flag.
 * @category Pool
 */
export const PP_FLAG_ALL = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_SYSTEM_POOL | PP_FLAG_ALLOW_UNREADABLE_NETMEM;

/**
 * Alloc cache capacity.
 * @category Pool
 */
export const PP_ALLOC_CACHE_SIZE = 128;
/**
 * Most netmems one refill moves from the ring to the cache (and one bulk alloc asks for).
 * @category Pool
 */
export const PP_ALLOC_CACHE_REFILL = 64;
/**
 * Ring size when poolSize is 0.
 * @category Pool
 */
export const PP_RING_DEFAULT = 1024;
/**
 * Largest ring; larger requests are clamped silently.
 * @category Pool
 */
export const PP_RING_MAX = 16384;
/**
 * The frag bias: a fresh frag page's pp refcount (the kernel uses LONG_MAX / 2).
 * @category Pool
 */
export const BIAS_MAX = 1 << 30;
/**
 * Release retry period (DEFER_TIME), ms.
 * @category Pool
 */
export const DEFER_TIME_MS = 1000;
/**
 * Stalled-shutdown warning period (DEFER_WARN_INTERVAL), ms.
 * @category Pool
 */
export const DEFER_WARN_INTERVAL_MS = 60_000;
/**
 * Bulk put size (XDP_BULK_QUEUE_SIZE).
 * @category Pool
 */
export const XDP_BULK_QUEUE_SIZE = 16;
/**
 * ifindex of the loopback device, where orphaned pools go.
 * @category Stack model
 */
export const LOOPBACK_IFINDEX = 1;
/**
 * GFP_ATOMIC (the model only passes GFP flags through to providers).
 * @category Pool
 */
export const GFP_ATOMIC = 0x820;
/**
 * GFP_KERNEL.
 * @category Pool
 */
export const GFP_KERNEL = 0xcc0;
