/**
 * Core's white-box tests reach past the published entry points for the
 * pieces they test directly (handles, the buddy allocator, DMA trackers,
 * cached views, a pool's insides). Everything else comes from the entries.
 */
export { MAX_DESCS, descOf, genOf, makeHandle } from '../../src/netmem/handle.js';
export { PageAllocator } from '../../src/netmem/page-allocator.js';
export { PP_SIGNATURE } from '../../src/netmem/netmem-table.js';
export { createDmaTracker } from '../../src/pool/dma-tracking.js';
export { RangeViews } from '../../src/bytes/range-views.js';
export { internals } from '../../src/pool/state.js';
