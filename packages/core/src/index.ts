/**
 * @netmem/core: netmem handles and metadata, the memory domain and page
 * allocator, the DMA device / IOMMU model, the page pool with its DMA
 * tracking strategies, the memory-provider contract and its helpers.
 *
 * @packageDocumentation
 */
export { ERRNO, NetmemError, fail, isNetmemError, type ErrnoCode } from './errors.js';
export { NETMEM_NULL, descOf, isNetIov, genOf, makeHandle, MAX_DESCS } from './netmem/handle.js';
export { Place, PLACE_NAMES, type PlaceCode, type PlaceName } from './netmem/places.js';
export { NetmemTable, PP_SIGNATURE, NM_PFMEMALLOC, NM_UNREADABLE } from './netmem/netmem-table.js';
export { PageAllocator, MAX_PAGE_ORDER } from './netmem/page-allocator.js';
export { NetIovArea, NET_IOV_SIZE, type NetIovType } from './netmem/area.js';
export {
  MemoryDomain,
  PAGE_SIZE,
  PAGE_SHIFT,
  type MemoryDomainOptions,
  type MemoryDomainEvents,
  type FaultInjection,
  type LeakReport,
  type NetmemWarning,
} from './netmem/domain.js';
export { DmaDevice, IOVA_SLOT_BYTES, type DmaFault, type DmaFaultKind, type DmaDeviceCounters, type DmaDeviceEvents, type DmaDeviceOptions } from './dma/device.js';
export { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, dmaDirCode, dmaDirName, type DmaDirection } from './dma/direction.js';
export { makeRegion, type MemRegion } from './dma/region.js';
export * from './pool/constants.js';
export { Napi, currentNapi } from './pool/napi.js';
export { RealClock, VirtualClock, type Clock, type TimerHandle } from './pool/clock.js';
export { createDmaTracker, DMA_TRACKING_KINDS, type DmaTracker, type DmaTracking } from './pool/dma-tracking.js';
export type { PagePoolStats, PagePoolAllocStats, PagePoolRecycleStats } from './pool/stats.js';
export {
  PagePool,
  createPagePool,
  type PagePoolParams,
  type PagePoolInfo,
  type PagePoolEvents,
  type PoolNetdev,
  type StalledPoolEvent,
} from './pool/page-pool.js';
export { putNetmemBulk } from './pool/bulk.js';
export type { MemoryProviderOps, ProviderInfo, ProviderRxQueue } from './provider/ops.js';
export { mpSetPool, mpClearPool, mpPlaceInCache, mpSetDmaAddr, mpDmaMapPage, mpDmaUnmapPage, mpCountSlowAlloc, mpPpRefCount } from './provider/helpers.js';
