/**
 * Invariant checks for devmem (SPEC §9 items 7 and 8), for tests and
 * debugging: they scan everything and allocate freely.
 *
 * 7. Every net_iov of the binding is exactly one of: on a freelist, held by
 *    a pool (cache, ring, driver, stack), held by users (tokens); no net_iov
 *    twice on a freelist; user references ≥ 0 and ≤ pp references.
 * 8. Every token accounts for exactly one pp reference: a net_iov's pp
 *    count equals its tokens plus the skb frags (in the given sockets'
 *    queues) that name it, or 1 when neither holds it.
 */
import { TcpSocket } from '@netmem/core';
import { ppRefCount } from '@netmem/core/provider';
import { DmabufBinding } from './binding.js';
import { E } from './errors.js';
import { devmemTokens } from './tokens.js';

/**
 * Counts {@link checkDevmemInvariants} found.
 * @category Checks
 */
export interface DevmemCensus {
  /** Net_iovs on the freelists. */
  free: number;
  /** Net_iovs held by pools without a user token. */
  pooled: number;
  /** Net_iovs with at least one user token. */
  user: number;
  /** Net_iovs taken with allocNetIov outside any pool. */
  direct: number;
}

/**
 * Result of {@link checkDevmemInvariants}.
 * @category Checks
 */
export interface DevmemCheck {
  /** Violations (empty when everything holds). */
  violations: string[];
  /** Where the binding's net_iovs are. */
  census: DevmemCensus;
}

/**
 * Checks a live binding against invariants 7 and 8, given every socket that
 * may hold its skbs or tokens. `allowDirect` accepts net_iovs taken with
 * {@link DmabufBinding.allocNetIov} outside a pool.
 * @category Checks
 */
export function checkDevmemInvariants(binding: DmabufBinding, sockets: readonly TcpSocket[], allowDirect = false): DevmemCheck {
  if (!(binding instanceof DmabufBinding)) E.expected('checkDevmemInvariants needs a DmabufBinding', binding);
  if (!Array.isArray(sockets) || !sockets.every((s) => s instanceof TcpSocket)) E.expected('checkDevmemInvariants needs an array of sockets', sockets);
  E.bool(allowDirect, 'allowDirect');
  const out: string[] = [];
  const census: DevmemCensus = { free: 0, pooled: 0, user: 0, direct: 0 };
  if (binding.isFreed) return { violations: out, census };
  const domain = binding.domain;
  const total = binding.size;
  out.push(...binding.chunks.check());
  // Tokens and skb frag references per net_iov index.
  const tokens = new Int32Array(total);
  const frags = new Int32Array(total);
  for (const sk of sockets) {
    devmemTokens(sk)?.forEach((token, nm) => {
      const idx = binding.indexOf(nm);
      if (idx < 0) {
        if (domain.areaOf(nm) === undefined) out.push(`socket ${sk.id} token ${token} names net_iov ${nm} of a freed binding`);
        return;
      }
      tokens[idx]++;
      if (domain.ppIdOf(nm) === 0) out.push(`socket ${sk.id} token ${token} names net_iov ${idx}, which no pool holds`);
    });
    const seen = new Set<unknown>();
    for (let skb = sk.peek(); skb !== null; skb = skb.next) {
      if (seen.has(skb.shinfo)) continue;
      seen.add(skb.shinfo);
      for (let i = 0; i < skb.shinfo.nrFrags; i++) {
        const idx = binding.indexOf(skb.shinfo.fragNm[i]);
        if (idx >= 0) frags[idx]++;
      }
    }
  }
  for (let idx = 0; idx < total; idx++) {
    const nm = binding.netIov(idx);
    const free = binding.chunks.isFree(idx);
    const pp = domain.ppIdOf(nm);
    if (free && pp !== 0) out.push(`net_iov ${idx} is on a freelist and held by pool ${pp}`);
    if (free) {
      census.free++;
      if (tokens[idx] !== 0) out.push(`net_iov ${idx} is free but has ${tokens[idx]} token(s)`);
      continue;
    }
    if (pp === 0) {
      census.direct++;
      if (!allowDirect) out.push(`net_iov ${idx} is neither free nor held by a pool`);
      continue;
    }
    if (tokens[idx] > 0) census.user++;
    else census.pooled++;
    const ppRef = ppRefCount(domain, nm);
    if (tokens[idx] > ppRef) out.push(`net_iov ${idx}: ${tokens[idx]} user refs > ${ppRef} pp refs`);
    const want = tokens[idx] + frags[idx] > 0 ? tokens[idx] + frags[idx] : 1;
    if (ppRef !== want) out.push(`net_iov ${idx}: pp refcount ${ppRef}, tokens ${tokens[idx]} + skb frags ${frags[idx]} account for ${want}`);
  }
  if (census.free + census.pooled + census.user + census.direct !== total) out.push(`census does not add up to ${total}`);
  return { violations: out.map((m) => `binding ${binding.id}: ${m}`), census };
}
