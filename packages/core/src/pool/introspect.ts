/**
 * What a pool tells about itself (net/core/page_pool_user.c): the netlink
 * page-pool-get reply with the provider's fields, the ledger's count of
 * where its netmems are, and copies of its cache and ring. These scan and
 * allocate: they are for introspection, never for a data path.
 */
import { PAGE_SIZE } from '../base/units.js';
import { PLACE_NAMES } from '../netmem/ledger.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { LOOPBACK_IFINDEX } from './constants.js';
import { poolRegistry } from './registry.js';
import type { PoolInternals } from './state.js';
import type { PagePoolInfo, PoolSnapshot } from './types.js';

/** page_pool_nl_fill: the pool's page-pool-get reply. */
export function poolInfo(pool: PoolInternals): PagePoolInfo {
  const inflight = Math.max(0, pool.inflight);
  const out: PagePoolInfo = { id: pool.id, inflight, inflightMem: inflight * (PAGE_SIZE << pool.order) };
  const netdev = pool.netdev;
  if (netdev && netdev.ifindex !== LOOPBACK_IFINDEX) out.ifindex = netdev.ifindex;
  if (pool.napiId) out.napiId = pool.napiId;
  if (pool.detachedAt >= 0) out.detachTime = Math.floor(pool.detachedAt / 1000);
  if (pool.provider.nlFill) Object.assign(out, pool.provider.nlFill(pool, null));
  if (pool.checked) out.places = poolPlaces(pool);
  return out;
}

/** Where the pool's in-flight netmems are, counted by place (scans the tables). */
export function poolPlaces(pool: PoolInternals): Record<string, number> {
  const out: Record<string, number> = {};
  const pp = pool.ppTab;
  const place = pool.placeTab;
  const id = pool.id;
  for (let d = 1; d < pp.length; d++) {
    if (pp[d] !== id) continue;
    const name = PLACE_NAMES[place[d]] ?? 'unknown';
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** Copies of the cache (bottom first) and ring (oldest first). */
export function poolSnapshot(pool: PoolInternals): PoolSnapshot {
  const cache = Array.from(pool.cache.subarray(0, pool.cacheCount));
  const ring: number[] = [];
  const size = pool.ringSize;
  for (let i = 0, at = pool.ringHead; i < pool.ringCount; i++, at = at + 1 === size ? 0 : at + 1) ring.push(pool.ring[at]);
  return { cache, ring };
}

/**
 * Counts of every pool netmem of `domain` by place, per pool id (the ledger summed up).
 * @category Memory
 */
export function ledgerSummary(domain: MemoryDomain): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const pool of poolRegistry(domain).all()) out.set(pool.id, pool.places());
  return out;
}
