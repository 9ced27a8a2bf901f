/**
 * @netmem/core: what applications use. Memory domains (pages, net_iov
 * areas, the ownership ledger), DMA devices behind the IOMMU model and
 * dmabufs, page pools with their DMA tracking strategies and registry, the
 * receive-path model (netdev, netdevsim driver, skb, TCP-like socket), the
 * netlink-style control plane, clocks and errors.
 *
 * Memory providers use `@netmem/core/provider`; tests use
 * `@netmem/core/testing`.
 *
 * @packageDocumentation
 * @module @netmem/core
 */
export { ERRNO, NetmemError, isNetmemError, type ErrnoCode } from './base/errors.js';
export { PAGE_SIZE, PAGE_SHIFT, NET_IOV_SIZE } from './base/units.js';
export { RealClock, VirtualClock, type Clock, type TimerHandle } from './base/clock.js';
export { ByteStorage } from './bytes/storage.js';
export { DmaDevice } from './dma/device.js';
export type { DmaFault, DmaFaultKind, DmaDeviceCounters, DmaDeviceEvents, DmaDeviceOptions } from './dma/device-types.js';
export { IOVA_SLOT_BYTES, IOVA_PAGE_BYTES, IOVA_LARGE_BASE } from './dma/iova.js';
export { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, dmaDirCode, dmaDirName, type DmaDirection } from './dma/direction.js';
export { makeRegion, type MemRegion } from './dma/region.js';
export { Dmabuf, MAX_DMABUF_SEGMENT, type DmabufOptions, type DmabufSegment } from './dma/dmabuf.js';
export { NETMEM_NULL, isNetIov } from './netmem/handle.js';
export { Place, PLACE_NAMES, Ledger, whereIs, type PlaceCode, type PlaceName, type NetmemWhereabouts } from './netmem/ledger.js';
export { MAX_PAGE_ORDER } from './netmem/page-allocator.js';
export type { NetIovArea, NetIovType, NetIovOwner } from './netmem/area.js';
export {
  MemoryDomain,
  type MemoryDomainOptions,
  type MemoryDomainEvents,
  type DomainMetadataUsage,
  type FaultInjection,
  type LeakReport,
  type NetmemWarning,
  type WarningFacts,
} from './netmem/domain.js';
export * from './pool/constants.js';
export { Napi, currentNapi } from './pool/napi.js';
export { DMA_TRACKING_KINDS, type DmaTracker, type DmaTracking } from './pool/dma-tracking.js';
export type { PagePoolStats, PagePoolAllocStats, PagePoolRecycleStats } from './pool/stats.js';
export { createPagePool } from './pool/page-pool.js';
export type {
  PagePool,
  PagePoolParams,
  PagePoolInfo,
  PagePoolEvents,
  PagePoolTracer,
  PoolNetdev,
  StalledPoolEvent,
  PoolSnapshot,
  MemoryProviderOps,
  ProviderInfo,
  ProviderRxQueue,
} from './pool/types.js';
export { PoolRegistry, poolRegistry, poolById, allPools, poolOf, setPagePoolTracer, type PoolRegistryEvents } from './pool/registry.js';
export { ledgerSummary } from './pool/introspect.js';
export { putNetmemBulk } from './pool/bulk.js';
export { attachReturnRing, detachReturnRing, ReturnRing, ReturnRingProducer, returnRingBytes, type ReturnRingStats } from './pool/return-ring.js';
export { SkbFactory } from './net/skb.js';
export { SkBuff, SkbShared, MAX_SKB_FRAGS, type SkbMaker } from './net/skbuff.js';
export { TcpSocket, MSG_SOCK_DEVMEM, MSG_PEEK, type SocketExtension, type SocketState, type TcpSocketOptions } from './net/socket.js';
export { NetDevice, RxQueue, HDS_THRESH_MAX, type QueueMgmtOps, type NetDeviceOptions, type NetdevRegState } from './net/netdev.js';
export { NetdevsimDriver, type NetdevsimOptions, type RxQueueCounters, type PostedCounts } from './net/driver.js';
export type { QueueMem } from './net/queue-mem.js';
export type { RxLayout } from './net/rx-path.js';
export { NetNamespace, type NetNamespaceOptions, type NetdevsimDeviceOptions } from './net/namespace.js';
export { ControlPlane, controlPlane, type ControlPlaneEvents, type PagePoolStatsReply, type PagePoolRef, type QueueInfo } from './control/netlink.js';
