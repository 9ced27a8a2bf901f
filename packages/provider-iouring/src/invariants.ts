/**
 * zcrx checks for SPEC §9 items 7 and 9, for tests: returns violations
 * instead of throwing, scans everything, allocates freely.
 */
import { allPools, poolById } from '@netmem/core';
import { ppRefCount } from '@netmem/core/provider';
import { E } from './errors.js';
import { ZcrxIfq } from './ifq.js';

/**
 * Item 7: every net_iov of the area is in exactly one state — on the
 * freelist (no pool, no refs), owned by a pool, or a copy buffer held by the
 * user (no pool, user refs > 0) — so free + held-by-pools + held-by-users
 * equals the total; the freelist holds no duplicate; user refs are ≥ 0 and
 * ≤ pp refs. Item 9: once the ifq's queue is closed no live (not
 * destroying) pool uses its provider, and a freed ifq has no net_iovs left:
 * its own area is no longer registered. (Its descriptors may already
 * belong to another area: that is reuse, not a leftover, so only the
 * identity of the registered area counts.) EINVAL when `ifq` is not a
 * ZcrxIfq.
 * @category Checks
 */
export function checkZcrxInvariants(ifq: ZcrxIfq): string[] {
  if (!(ifq instanceof ZcrxIfq)) E.expected('checkZcrxInvariants needs a ZcrxIfq', ifq);
  const out: string[] = [];
  const area = ifq.area;
  const domain = ifq.domain;
  if (ifq.freed) {
    if (domain.areaOf(area.nia.niov(0)) === area.nia) out.push('freed ifq still has its area registered');
    return out;
  }
  const n = area.count;
  const onFree = new Uint8Array(n);
  if (area.freeCount < 0 || area.freeCount > n) out.push(`freeCount ${area.freeCount} outside 0..${n}`);
  for (let k = 0; k < area.freeCount; k++) {
    const i = area.freelist[k];
    if (i < 0 || i >= n) out.push(`freelist slot ${k} holds index ${i}`);
    else if (onFree[i]++) out.push(`net_iov ${i} is on the freelist twice`);
  }
  let free = 0;
  let pooled = 0;
  let users = 0;
  for (let i = 0; i < n; i++) {
    const nm = area.niov(i);
    const u = area.userRefs[i];
    const pp = domain.ppIdOf(nm);
    const ref = ppRefCount(domain, nm);
    if (u < 0) out.push(`net_iov ${i} has user refs ${u}`);
    if (onFree[i]) {
      free++;
      if (pp !== 0) out.push(`net_iov ${i} is on the freelist but owned by pool ${pp}`);
      if (u !== 0) out.push(`net_iov ${i} is on the freelist with ${u} user refs`);
    } else if (pp !== 0) {
      pooled++;
      if (u > ref) out.push(`net_iov ${i}: user refs ${u} > pp refs ${ref}`);
      if (poolById(domain, pp) === undefined) out.push(`net_iov ${i} names pool ${pp}, which is not live`);
    } else {
      users++;
      if (u <= 0) out.push(`net_iov ${i} is neither free nor pooled nor held by the user (lost)`);
      else if (u > ref) out.push(`copy buffer ${i}: user refs ${u} > pp refs ${ref}`);
    }
  }
  if (free + pooled + users !== n) out.push(`free ${free} + pooled ${pooled} + user ${users} != total ${n}`);
  if (ifq.ifRxq === -1) {
    for (const pool of allPools(domain)) {
      if (pool.provider === ifq.ops && !pool.destroyStarted) out.push(`closed ifq's provider still serves live pool ${pool.id}`);
    }
  }
  return out;
}
