/**
 * What a memory provider may do to a pool and its netmems (the kernel's
 * net_mp_* helpers of include/net/page_pool/memory_provider.h and the
 * page_pool DMA helpers). They keep the pool's accounting right: every
 * netmem a provider hands to a pool is marked and counted as held, and only
 * the provider's alloc may fill the cache.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import type { MemoryDomain } from '../netmem/domain.js';
import type { WarningFacts } from '../netmem/domain-types.js';
import { descOf, isNetIov } from '../netmem/handle.js';
import { Place, type PlaceCode } from '../netmem/ledger.js';
import { clearPpInfo, hold, placeInCache, setPpInfo } from '../pool/accounting.js';
import { dmaMapPage, dmaUnmapPage } from '../pool/dma.js';
import { poolWarnOnce } from '../pool/misuse.js';
import { internals } from '../pool/state.js';
import * as S from '../pool/stats.js';
import type { PagePool } from '../pool/types.js';

/**
 * net_mp_niov_set_page_pool (and page_pool_set_pp_info for pages): marks
 * `nm` as the pool's (pp, signature, one pp reference) and counts it held,
 * with its page_pool_state_hold tracepoint. EBUSY when another pool owns it.
 * @category Provider contract
 */
export function mpSetPool(pool: PagePool, nm: number): void {
  const p = internals(pool);
  p.domain.checkHandle(nm, 'mpSetPool');
  const d = descOf(nm);
  if (p.ppTab[d] !== 0) throw new NetmemError('EBUSY', `netmem ${nm} already belongs to pool ${p.ppTab[d]}`);
  if (!isNetIov(nm) && p.domain.pageRefCount(nm) <= 0) E.fail('EINVAL', `mpSetPool: page ${nm} is free`);
  setPpInfo(p, d);
  hold(p, nm);
}

/**
 * net_mp_niov_clear_page_pool: the netmem leaves the pool for its provider
 * (call it from `release`): pool marks and pp reference cleared.
 * @category Provider contract
 */
export function mpClearPool(pool: PagePool, nm: number): void {
  if (!pool.owns(nm)) E.fail('EINVAL', `mpClearPool: netmem ${nm} is not pool ${pool.id}'s`);
  clearPpInfo(internals(pool), descOf(nm));
}

/**
 * net_mp_netmem_place_in_cache: puts a netmem the provider just accounted
 * (mpSetPool) in the pool's alloc cache. Only from the provider's `alloc`;
 * false when the cache is full.
 * @category Provider contract
 */
export function mpPlaceInCache(pool: PagePool, nm: number): boolean {
  const p = internals(pool);
  const d = descOf(nm);
  if (!pool.owns(nm) || p.placeTab[d] === Place.CACHE || p.placeTab[d] === Place.RING)
    E.fail('EINVAL', `mpPlaceInCache: netmem ${nm} must be accounted to pool ${pool.id} (mpSetPool) and not already in its cache or ring`);
  return placeInCache(p, nm);
}

/**
 * alloc_stat_inc(slow / slow_high_order): counts one slow allocation in the pool's stats.
 * @category Provider contract
 */
export function mpCountSlowAlloc(pool: PagePool, highOrder: boolean): void {
  internals(pool).st[highOrder ? S.S_SLOW_HIGH_ORDER : S.S_SLOW]++;
}

/**
 * The provider's init turns DMA sync off (mp_dmabuf_devmem_init:
 * `pool->dma_sync = false`): a dmabuf's addresses are never synced.
 * @category Provider contract
 */
export function mpDisableDmaSync(pool: PagePool): void {
  internals(pool).syncDev = false;
}

/**
 * page_pool_set_dma_addr_netmem for a net_iov: its DMA address, once its area is mapped.
 * @category Provider contract
 */
export function mpSetDmaAddr(domain: MemoryDomain, nm: number, iova: number): void {
  domain.checkHandle(nm, 'mpSetDmaAddr');
  if (!isNetIov(nm)) throw new NetmemError('EINVAL', `mpSetDmaAddr sets a net_iov's address (a page's comes from mpDmaMapPage), got page ${nm}`);
  if (!Number.isInteger(iova) || iova < 0) E.expected('a DMA address must be an integer ≥ 0', iova);
  domain.table.setDma(descOf(nm), iova);
}

/**
 * page_pool_get_dma_addr_netmem: the DMA address of a netmem (0: not mapped).
 * @category Provider contract
 */
export function mpGetDmaAddr(domain: MemoryDomain, nm: number): number {
  return domain.table.dmaOf(descOf(nm));
}

/**
 * page_pool_dma_map: maps a page for the pool through its tracking
 * strategy and syncs it for the device. False when the map or the tracking
 * failed (the page is not mapped then).
 * @category Provider contract
 */
export function mpDmaMapPage(pool: PagePool, nm: number): boolean {
  return dmaMapPage(internals(pool), nm);
}

/**
 * The provider syncs one of the pool's netmems for the device
 * (io_zcrx_sync_for_device: dma_sync_single_range_for_device at the
 * netmem's DMA address + the pool's offset): `len` bytes. Nothing when the
 * pool does not sync (`pool.dmaSync` false) or the netmem is not mapped.
 * Unlike `pool.dev.syncForDevice(pool.dmaAddr(nm), …)` it never forms the
 * byte address, which above 2^30 is a heap number V8 may box on a call.
 * EINVAL for a netmem that is not the pool's or a bad length.
 * @category Provider contract
 */
export function mpDmaSyncForDevice(pool: PagePool, nm: number, len: number): void {
  if (!pool.owns(nm)) E.fail('EINVAL', `mpDmaSyncForDevice: netmem ${nm} is not pool ${pool.id}'s`);
  if ((len | 0) !== len || len < 0) E.expected('a sync length must be an integer ≥ 0', len);
  const p = internals(pool);
  if (p.syncDev) p.syncBytesForDevice(descOf(nm), len);
}

/**
 * __page_pool_release_netmem_dma: unmaps a page the pool mapped, unless
 * destroy's scrub already did (exactly one of the two unmaps).
 * @category Provider contract
 */
export function mpDmaUnmapPage(pool: PagePool, nm: number): void {
  dmaUnmapPage(internals(pool), nm);
}

/**
 * The pp reference count of a netmem (netmem_get_pp_ref_count_ref).
 * @category Provider contract
 */
export function ppRefCount(domain: MemoryDomain, nm: number): number {
  return domain.table.ppRef[descOf(nm)] ?? 0; // past the table: never used
}

/**
 * For a net_iov that belongs to no pool (a zcrx copy-fallback buffer): sets
 * its pp reference count. A pool netmem's count belongs to its pool (use
 * ppRefNetmem / ppUnrefNetmem); EBUSY for one.
 * @category Provider contract
 */
export function mpSetOrphanRefCount(domain: MemoryDomain, nm: number, n: number): void {
  const d = descOf(nm);
  if (!isNetIov(nm)) E.fail('EINVAL', `mpSetOrphanRefCount on a page: ${nm}`);
  if (d < domain.table.limit) domain.table.ensure(d);
  if (domain.table.pp[d] !== 0) E.fail('EBUSY', `net_iov ${nm} belongs to pool ${domain.table.pp[d]}`);
  E.int(n, 'pp reference count', 0, 0x7fffffff);
  domain.table.ppRef[d] = n;
}

/**
 * Records where a netmem is for the ownership ledger (checked mode; a no-op
 * otherwise): a provider marks a buffer it handed to user space
 * (`Place.USER`).
 * @category Provider contract
 */
export function mpSetPlace(domain: MemoryDomain, nm: number, place: PlaceCode): void {
  E.int(place, 'ledger place', Place.DRIVER_RING, Place.USER);
  domain.ledger.record(nm, place);
}

/**
 * WARN_ONCE for a provider, scoped to one pool: the first call with `key`
 * warns (with the pool id among the facts), later ones are silent. The key
 * lives and dies with the pool, so a program that makes many pools keeps no
 * keys of freed ones.
 * @category Provider contract
 */
export function mpWarnOnce(pool: PagePool, key: string, kind: string, message: string, facts: WarningFacts = {}): void {
  if (typeof key !== 'string' || typeof kind !== 'string' || typeof message !== 'string')
    E.expected(
      'mpWarnOnce takes a key, a kind and a message (strings)',
      [key, kind, message].find((v) => typeof v !== 'string'),
    );
  poolWarnOnce(internals(pool), key, kind, message, { poolId: pool.id, ...facts });
}
