/**
 * @netmem/core: netmem handles and metadata, the memory domain and page
 * allocator, the DMA device / IOMMU model, the page pool with its DMA
 * tracking strategies, the memory-provider contract and its helpers.
 *
 * @packageDocumentation
 */
export { ERRNO, NetmemError, errnoOf, fail, isNetmemError, type ErrnoCode } from './errors.js';
export { NETMEM_NULL, descOf, isNetIov, genOf, makeHandle, MAX_DESCS } from './netmem/handle.js';
export { Place, PLACE_NAMES, type PlaceCode, type PlaceName } from './netmem/places.js';
export { NetmemTable, PP_SIGNATURE, NM_PFMEMALLOC, NM_UNREADABLE } from './netmem/netmem-table.js';
export { PageAllocator, MAX_PAGE_ORDER } from './netmem/page-allocator.js';
export { NetIovArea, NET_IOV_SIZE, type NetIovType, type NetIovOwner } from './netmem/area.js';
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
export { DmaDevice, IOVA_SLOT_BYTES, IOVA_PAGE_BYTES, IOVA_LARGE_BASE, type DmaFault, type DmaFaultKind, type DmaDeviceCounters, type DmaDeviceEvents, type DmaDeviceOptions } from './dma/device.js';
export { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, dmaDirCode, dmaDirName, type DmaDirection } from './dma/direction.js';
export { makeRegion, storageRegion, type MemRegion } from './dma/region.js';
export { ByteStorage } from './netmem/storage.js';
export { RangeViews } from './netmem/range-views.js';
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
  type PoolSnapshot,
} from './pool/page-pool.js';
export { putNetmemBulk } from './pool/bulk.js';
export type { MemoryProviderOps, ProviderInfo, ProviderRxQueue } from './provider/ops.js';
export { mpSetPool, mpClearPool, mpPlaceInCache, mpSetDmaAddr, mpDmaMapPage, mpDmaUnmapPage, mpCountSlowAlloc, mpPpRefCount } from './provider/helpers.js';
export { checkPoolInvariants, checkDomainInvariants, assertPoolInvariants, assertDomainInvariants } from './check/invariants.js';
export { providerConformanceCases, testProvider, ConformanceError, type ConformanceCase, type ConformanceOptions, type ProviderSetup, type ProviderSetupContext, type ProviderFixture, type ProviderRefusal } from './provider/conformance.js';
export { SkBuff, SkbShared, SkbFactory, MAX_SKB_FRAGS } from './net/skb.js';
export { TcpSocket, MSG_SOCK_DEVMEM, MSG_PEEK, type SocketExtension, type SocketState, type TcpSocketOptions } from './net/socket.js';
export { NetDevice, RxQueue, type QueueMgmtOps, type NetDeviceOptions, type NetdevRegState } from './net/netdev.js';
export { mpOpenRxq, mpCloseRxq, rxQueueRestart } from './net/mp-rxq.js';
export { NetdevsimDriver, QueueMem, type NetdevsimOptions, type RxQueueCounters, type PostedCounts } from './net/driver.js';
export { NetNamespace, type NetNamespaceOptions, type NetdevsimDeviceOptions } from './net/namespace.js';
export { ControlPlane, type ControlPlaneEvents, type PagePoolStatsReply, type PagePoolRef, type QueueInfo } from './control/netlink.js';
export { whereIs, ledgerSummary, type NetmemWhereabouts } from './check/ledger.js';
