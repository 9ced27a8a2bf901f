/**
 * Invariant checker for page pools (SPEC §9 items 1–6). It reads only what a
 * pool, its domain and its device expose, scans the metadata tables, and
 * returns a list of violations instead of throwing, so tests can run it after
 * every step and print everything that broke at once. It allocates freely:
 * it is for tests and debugging, never for a hot path.
 */
import { NetmemError } from '../base/errors.js';
import { descOf, isNetIov, makeHandle } from '../netmem/handle.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { Place } from '../netmem/ledger.js';
import { PP_DMA_INDEX_SHIFT, PP_SIGNATURE } from '../netmem/netmem-table.js';
import { PP_ALLOC_CACHE_SIZE } from '../pool/constants.js';
import { poolRegistry } from '../pool/registry.js';
import type { PagePool } from '../pool/types.js';

/**
 * Checks one pool against SPEC §9 items 1–6 and returns the violations
 * (empty when everything holds):
 * 1. conservation: cache and ring entries are distinct, never in both, and
 *    the place table says CACHE / RING for exactly those; while the pool is
 *    alive the descriptors naming it number exactly `inflight`;
 * 2. `holdCount − releaseCount == inflight ≥ 0`;
 * 3. cache and ring entries belong to the pool with pp ref 1 and page ref 1,
 *    and (before destroy, when the pool maps) have a live mapping in the
 *    pool's direction and, when tracked, a non-zero tracking index;
 * 4. cache ≤ 128 and ring ≤ its size;
 * 5. the device saw no access to an unmapped IOVA, no double unmap or
 *    direction mismatch, and no DMA-API call after removal when the pool
 *    tracks its mappings;
 * 6. after destroy started the cache is empty.
 * @category Checks and testing
 */
export function checkPoolInvariants(pool: PagePool): string[] {
  const out: string[] = [];
  const t = pool.domain.table;
  const id = pool.id;
  const { cache, ring } = pool.snapshot();

  // (4) bounds, and the snapshot agrees with the counters.
  if (pool.cacheSize > PP_ALLOC_CACHE_SIZE) out.push(`cache holds ${pool.cacheSize} > ${PP_ALLOC_CACHE_SIZE}`);
  if (pool.ringLength > pool.ringSize) out.push(`ring holds ${pool.ringLength} > its size ${pool.ringSize}`);
  if (cache.length !== pool.cacheSize) out.push(`cache snapshot has ${cache.length} entries, cacheSize says ${pool.cacheSize}`);
  if (ring.length !== pool.ringLength) out.push(`ring snapshot has ${ring.length} entries, ringLength says ${pool.ringLength}`);

  // (2) accounting.
  const inflight = pool.inflight;
  if (((pool.holdCount - pool.releaseCount) | 0) !== inflight) {
    out.push(`hold ${pool.holdCount} - release ${pool.releaseCount} != inflight ${inflight}`);
  }
  if (inflight < 0) out.push(`negative inflight ${inflight}`);

  // (1) conservation between cache and ring.
  const where = new Map<number, 'cache' | 'ring'>();
  const note = (nm: number, place: 'cache' | 'ring'): void => {
    const d = descOf(nm);
    const prev = where.get(d);
    if (prev !== undefined) out.push(`netmem ${nm} is in the ${prev} and again in the ${place}`);
    else where.set(d, place);
    const want = place === 'cache' ? Place.CACHE : Place.RING;
    if (t.place[d] !== want) out.push(`netmem ${nm} is in the ${place} but its place is ${t.place[d]}`);
    if (nm === 0) out.push(`NULL netmem in the ${place}`);
    else if (makeHandle(d, isNetIov(nm), t.gen[d]) !== nm) out.push(`stale handle ${nm} in the ${place}`);
  };
  for (const nm of cache) note(nm, 'cache');
  for (const nm of ring) note(nm, 'ring');

  // (1) the place table and the pp table agree with the pool's counters.
  let owned = 0;
  for (let d = 1; d < t.capacity; d++) {
    if (t.pp[d] !== id) continue;
    owned++;
    const p = t.place[d];
    if ((p === Place.CACHE || p === Place.RING) && !where.has(d)) {
      out.push(`descriptor ${d} says ${p === Place.CACHE ? 'cache' : 'ring'} but is not there`);
    }
  }
  if (pool.isFreed) {
    if (owned !== 0) out.push(`freed pool still names ${owned} descriptors`);
    if (inflight !== 0) out.push(`freed pool has inflight ${inflight}`);
  } else if (owned !== inflight) {
    out.push(`${owned} descriptors name the pool but inflight is ${inflight}`);
  }

  // (3) what sits in the cache or ring is pool-owned, unshared and mapped.
  const dev = pool.dev;
  const checkMapping = pool.dmaMap && dev !== null && !pool.destroyStarted;
  for (const [d, place] of where) {
    if (t.pp[d] !== id) out.push(`descriptor ${d} in the ${place} names pool ${t.pp[d]}`);
    if ((t.magic[d] & 0xff) !== PP_SIGNATURE) out.push(`descriptor ${d} in the ${place} lacks the pool signature`);
    if (t.ppRef[d] !== 1) out.push(`descriptor ${d} in the ${place} has pp refcount ${t.ppRef[d]}`);
    const netIov = d > pool.domain.pages;
    const pageRef = netIov ? 1 : t.pageRef[d];
    if (pageRef !== 1) out.push(`descriptor ${d} in the ${place} has page refcount ${pageRef}`);
    // Net_iovs are mapped by their provider (per area), not per page by the pool.
    if (checkMapping && !netIov) {
      const iova = t.dmaOf(d);
      if (iova === 0 || !dev.isMapped(iova)) out.push(`descriptor ${d} in the ${place} has no live DMA mapping`);
      else if (dev.directionOf(iova) !== pool.dmaDirCode) {
        out.push(`descriptor ${d} in the ${place} is mapped in direction ${dev.directionOf(iova)}, pool uses ${pool.dmaDirCode}`);
      }
      if (pool.tracker.kind !== 'none' && t.magic[d] >>> PP_DMA_INDEX_SHIFT === 0) {
        out.push(`descriptor ${d} in the ${place} has no DMA-tracking index`);
      }
    }
  }

  // (5) device faults the pool must never cause.
  if (dev !== null) {
    const f = dev.counters().faults;
    if (f['unmapped-access'] !== 0) out.push(`device ${dev.name}: ${f['unmapped-access']} DMA access(es) to an unmapped IOVA`);
    if (f['double-unmap'] !== 0) out.push(`device ${dev.name}: ${f['double-unmap']} double unmap(s)`);
    if (f['direction-mismatch'] !== 0) out.push(`device ${dev.name}: ${f['direction-mismatch']} direction mismatch(es)`);
    if (pool.tracker.kind !== 'none' && f['device-gone'] !== 0) {
      out.push(`device ${dev.name}: ${f['device-gone']} DMA-API call(s) after removal`);
    }
  }

  // (6) nothing enters the cache once destroy started.
  if (pool.destroyStarted && pool.cacheSize !== 0) out.push(`cache holds ${pool.cacheSize} after destroy started`);

  return out.map((m) => `pool ${id}: ${m}`);
}

/**
 * Runs {@link checkPoolInvariants} for every live pool of the domain and
 * checks the domain itself: no free page still carries pool marks, every
 * pool mark names a live pool, and no "page_pool leak" was reported.
 * @category Checks and testing
 */
export function checkDomainInvariants(domain: MemoryDomain): string[] {
  const out: string[] = [];
  const pools = poolRegistry(domain).all();
  // A device fault is the device's, not each pool's: pools sharing a device report it once, naming them all.
  const deviceLines = new Map<string, number[]>();
  for (const pool of pools) {
    const prefix = `pool ${pool.id}: `;
    for (const v of checkPoolInvariants(pool)) {
      const rest = v.slice(prefix.length);
      if (!rest.startsWith('device ')) out.push(v);
      else deviceLines.set(rest, [...(deviceLines.get(rest) ?? []), pool.id]);
    }
  }
  for (const [line, ids] of deviceLines) out.push(`${ids.length === 1 ? 'pool' : 'pools'} ${ids.join(', ')}: ${line}`);
  const t = domain.table;
  const live = new Set(pools.map((p) => p.id));
  // Page descriptors are 1..pages (those past the table were never used); a free frame has refcount 0 and is no tail.
  for (let d = 1; d <= domain.pages && d < t.capacity; d++) {
    if (t.tail[d] !== 0 || t.pageRef[d] !== 0) continue;
    if (t.pp[d] !== 0 || (t.magic[d] & 0xff) === PP_SIGNATURE) {
      out.push(`free page ${d} is still marked as a page of pool ${t.pp[d]}`);
    }
  }
  for (let d = 1; d < t.capacity; d++) {
    if (t.pp[d] !== 0 && !live.has(t.pp[d])) out.push(`descriptor ${d} names pool ${t.pp[d]}, which is not live`);
  }
  if (domain.leaks !== 0) out.push(`${domain.leaks} page_pool leak(s) reported`);
  return out;
}

function raise(violations: string[]): void {
  if (violations.length > 0) {
    throw new NetmemError('EINVAL', `invariant violation(s):\n  ${violations.join('\n  ')}`);
  }
}

/**
 * Throws a NetmemError `EINVAL` listing every violation {@link checkPoolInvariants} finds.
 * @category Checks and testing
 */
export function assertPoolInvariants(pool: PagePool): void {
  raise(checkPoolInvariants(pool));
}

/**
 * Throws a NetmemError `EINVAL` listing every violation {@link checkDomainInvariants} finds.
 * @category Checks and testing
 */
export function assertDomainInvariants(domain: MemoryDomain): void {
  raise(checkDomainInvariants(domain));
}
