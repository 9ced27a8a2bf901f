/** The per-step oracles: every SPEC §9 check the public API offers plus the model's bookkeeping (World.checkAll). */
import { checkDomainInvariants, inspectNetmem } from '@netmem/core/testing';
import { checkDevmemInvariants, devmemTokens } from '@netmem/provider-devmem';
import { checkZcrxInvariants } from '@netmem/provider-iouring';
import type { World } from '../world.js';
import { FuzzFailure, hex } from './errors.js';

/** Warnings that are always a bug (leaks and refcount violations found by the library itself). */
const FATAL_WARNINGS = new Set(['page-pool-leak', 'devmem-leak', 'ring-refcnt', 'negative-inflight', 'devmem-put', 'devmem-release']);

/** Every SPEC §9 check the public API offers, plus the model's own bookkeeping; throws FuzzFailure. */
export function checkWorld(world: World, where: string): void {
  const out: string[] = [];
  out.push(...checkDomainInvariants(world.domain).map((v) => `domain: ${v}`));
  out.push(...checkDomainInvariants(world.domain2).map((v) => `domain2: ${v}`));
  const socks = world.sockets.map((s) => s.sk);
  for (const b of world.bindings) if (!b.isFreed) out.push(...checkDevmemInvariants(b, socks).violations);
  for (const r of world.rings) {
    // checkZcrxInvariants asks of a freed ifq whether *any* area now owns its first descriptor, which a later
    // ifq's area may legitimately do (descriptors are reused): ask whether its own area still does instead.
    if (r.ifq.freed) {
      if (world.domain.areaOf(r.ifq.area.niov(0)) === r.ifq.area.nia) out.push(`ifq ${r.n}: freed, but its area is still registered`);
    } else {
      out.push(...checkZcrxInvariants(r.ifq).map((v) => `ifq ${r.n}: ${v}`));
    }
    if (!r.ifq.freed) {
      // The user holds exactly the references the kernel counts, except entries it has published and the kernel not yet consumed.
      let urefs = 0;
      const a = r.ifq.area;
      for (let i = 0; i < a.count; i++) urefs += a.userRefs[i];
      const unreaped = r.ring.cq.ready;
      if (urefs < r.held.length || urefs > r.held.length + r.rq.pending + unreaped) {
        out.push(
          `ifq ${r.n}: user refs ${urefs}, but the user holds ${r.held.length}, with ${r.rq.pending} refill entries pending and ${unreaped} CQEs not reaped`,
        );
      }
    }
    if (r.exited && r.ring.pendingRequests !== 0) out.push(`ring ${r.n}: ${r.ring.pendingRequests} requests armed after exit`);
  }
  // Devmem tokens: the table holds what the user was given and did not give back.
  for (const s of world.sockets) {
    const held = devmemTokens(s.sk)?.held ?? 0;
    const want = s.sk.state === 'closed' ? 0 : s.tokens.length;
    if (held !== want) out.push(`socket ${s.n}: token table holds ${held}, the user holds ${want}`);
    if (s.sk.state === 'closed' && (s.sk.queueLength !== 0 || s.sk.pendingBytes !== 0)) out.push(`closed socket ${s.n} still queues data`);
  }
  // skb conservation: every live skb is queued on a socket or a clone the user holds.
  let queued = 0;
  for (const { sk } of world.sockets) for (let skb = sk.peek(); skb !== null; skb = skb.next) queued++;
  if (world.ns.skbs.live !== queued + world.clones.length) out.push(`skbs live ${world.ns.skbs.live}, queued ${queued} + clones held ${world.clones.length}`);
  // Standalone pools: the user's references are real, and inflight is exactly what is out plus cache and ring.
  for (const p of world.pools) {
    if (p.pool.isFreed) {
      if (p.held.length) out.push(`pool ${p.pool.id} freed while the user holds ${p.held.length} references`);
      continue;
    }
    const count = new Map<number, number>();
    for (const h of p.held) count.set(h.nm, (count.get(h.nm) ?? 0) + 1);
    const descs = new Set<number>();
    for (const [nm, k] of count) {
      const x = inspectNetmem(world.domain, nm);
      descs.add(x.desc);
      if (x.poolId !== p.pool.id) out.push(`pool ${p.pool.id}: the user holds ${hex(nm)} but it names pool ${x.poolId}`);
      if (x.ppRef < k) out.push(`pool ${p.pool.id}: the user holds ${k} refs of ${hex(nm)} but its pp refcount is ${x.ppRef}`);
      if (x.handleGen !== x.gen) out.push(`pool ${p.pool.id}: the user's handle ${hex(nm)} went stale while held`);
    }
    const frag = p.pool.currentFragPage;
    if (frag !== 0) descs.add(inspectNetmem(world.domain, frag).desc);
    const want = descs.size + p.pool.cacheSize + p.pool.ringLength;
    if (p.pool.inflight !== want)
      out.push(`pool ${p.pool.id}: inflight ${p.pool.inflight}, but out ${descs.size} + cache ${p.pool.cacheSize} + ring ${p.pool.ringLength} = ${want}`);
  }
  for (const r of world.pages) {
    const x = inspectNetmem(world.domain, r.nm);
    if (x.pageRef < r.refs) out.push(`page ${hex(r.nm)}: the user holds ${r.refs} page refs, its refcount is ${x.pageRef}`);
    if (x.handleGen !== x.gen) out.push(`page ${hex(r.nm)} went stale while the user holds it`);
  }
  for (const m of world.raw) if (!world.dmadev.isMapped(m.iova)) out.push(`raw mapping ${hex(m.iova)} vanished`);
  for (const w of world.warnings) if (FATAL_WARNINGS.has(w.kind)) out.push(`warning ${w.kind}: ${w.message}`);
  if (out.length) throw new FuzzFailure(`${where}: ${out.length} violation(s):\n  ${out.slice(0, 20).join('\n  ')}`);
}
