/**
 * @netmem/core/provider: everything a memory provider needs and nothing
 * else. The contract (`MemoryProviderOps`), the kernel's net_mp_* helpers
 * that keep a pool's accounting right, DMA address and mapping helpers, pp
 * reference helpers and the one way back to a netmem's owning pool, the
 * ledger writer, installing a provider on an rx queue, and scoped errors.
 * The built-in providers use only this entry, `@netmem/core` and
 * `@netmem/core/testing`; so can yours.
 *
 * @packageDocumentation
 * @module @netmem/core/provider
 */
// Re-exports of root-entry names: the comment on each statement puts them in
// this entry's one section of the API reference (typedoc reads it there).
/** @category Provider contract */
export type { MemoryProviderOps, ProviderInfo, ProviderRxQueue, PagePool } from './pool/types.js';
/** @category Provider contract */
export type { NetIovArea, NetIovType, NetIovOwner } from './netmem/area.js';
/** @category Provider contract */
export type { SocketExtension } from './net/socket.js';
/** @category Provider contract */
export { makeRegion, type MemRegion } from './dma/region.js';
/** @category Provider contract */
export { NetmemError, isNetmemError, type ErrnoCode } from './base/errors.js';
export { errorScope, type ErrorScope } from './base/validate.js';
/** @category Provider contract */
export { PAGE_SIZE, NET_IOV_SIZE } from './base/units.js';
/** @category Provider contract */
export { NETMEM_NULL, isNetIov } from './netmem/handle.js';
/** @category Provider contract */
export { Place, type PlaceCode } from './netmem/ledger.js';
/** @category Provider contract */
export { GFP_ATOMIC, GFP_KERNEL, PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE } from './pool/constants.js';
export {
  mpSetPool,
  mpClearPool,
  mpPlaceInCache,
  mpCountSlowAlloc,
  mpDisableDmaSync,
  mpSetDmaAddr,
  mpGetDmaAddr,
  mpDmaMapPage,
  mpDmaUnmapPage,
  mpDmaSyncForDevice,
  ppRefCount,
  mpSetOrphanRefCount,
  mpSetPlace,
  mpWarnOnce,
} from './provider/helpers.js';
export { napiPpPutPage, ppPutNetmemRefs, ppPutUnrefedNetmem, ppRefNetmem, ppUnrefNetmem, netmemGetPp, netmemRef, netmemUnref } from './pool/owner.js';
export { mpOpenRxq, mpCloseRxq } from './net/mp-rxq.js';
