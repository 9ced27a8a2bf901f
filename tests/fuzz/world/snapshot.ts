/** The snapshot of the world's observable state, compared before and after a malformed call ("a bad call changes nothing"). */
import { allPools } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { devmemTokens } from '@netmem/provider-devmem';
import type { World } from '../world.js';

/**
 * The observable state. `strict` includes cumulative counters (maps,
 * unmaps, syncs, pool stats) that a call refused for a malformed argument
 * must not move either; without it only the live state is compared.
 */
export function observeWorld(world: World, strict: boolean): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  const d = world.domain;
  s.clock = [world.clock.now(), world.clock.pending];
  s.domain = [d.freePages, d.leaks];
  s.pools = allPools(d).map((p) => ({
    id: p.id,
    inflight: p.inflight,
    hold: p.holdCount,
    release: p.releaseCount,
    cache: p.cacheSize,
    ring: p.ringLength,
    destroying: p.destroyStarted,
    freed: p.isFreed,
    frag: p.currentFragPage,
    nid: p.nid,
    ...(strict ? { stats: p.stats(), last: [p.lastOffset, p.lastSize] } : {}),
  }));
  s.devices = world.devices.map((dev) => {
    const c = dev.counters();
    return strict ? { name: dev.name, removed: dev.removed, ...c } : { name: dev.name, removed: dev.removed, live: c.liveMappings, faults: c.faults };
  });
  s.netdevs = world.netdevs.map(({ nd, drv }) => ({
    name: nd.name,
    reg: nd.regState,
    up: nd.up,
    rxq: nd.realNumRxQueues,
    hs: [nd.headerSplit, nd.hdsThresh],
    xdp: nd.xdp,
    mp: nd.rxQueues.map((q) => q.mp?.name ?? null),
    tx: [nd.txPackets, nd.txBytes, nd.txDropped, nd.txDroppedUnreadable],
    pools: nd.pools.size,
    q: nd.rxQueues.slice(0, nd.realNumRxQueues).map((_, i) => [drv.counters(i), drv.posted(i), drv.pool(i)?.id ?? 0]),
  }));
  s.ns = [world.ns.allDevices().map((x) => `${x.ifindex}:${x.name}`), world.ns.skbs.live];
  s.sockets = world.sockets.map(({ sk }) => {
    const t = devmemTokens(sk);
    return [sk.state, sk.pendingBytes, sk.queueLength, sk.rcvBytes, sk.copiedBytes, sk.coalesced, sk.headOffset, t ? [t.held, t.issued] : null];
  });
  s.bindings = world.bindings.map((b) => [
    b.id,
    b.refs,
    b.isFreed,
    b.isUnbound,
    b.chunks.free,
    b.mappings,
    b.boundQueues.length,
    b.leaked,
    ...(strict ? [b.allocs] : []),
  ]);
  s.nls = world.nls.map((nl) => [nl.isClosed, nl.bindings.map((b) => b.id)]);
  s.rings = world.rings.map((r) => {
    const a = r.ifq.area;
    let urefs = 0;
    for (let i = 0; i < a.count; i++) urefs += a.userRefs[i];
    return {
      exited: r.ring.isExited,
      pending: r.ring.pendingRequests,
      ifqs: r.ring.ifqs.size,
      cq: [r.ring.cq.ready, r.ring.cq.overflowed],
      ifq: [r.ifq.freed, r.ifq.ifRxq, r.ifq.pools, a.freeCount, urefs, r.ifq.refillPending],
      ...(strict ? { stats: { ...r.ifq.stats } } : {}),
    };
  });
  s.pages = world.pages.map((p) => [p.nm, inspectNetmem(d, p.nm).pageRef]);
  s.held = world.pools.map((p) => p.held.map((h) => inspectNetmem(d, h.nm).ppRef));
  s.raw = world.raw.map((m) => world.dmadev.isMapped(m.iova));
  s.d2 = [world.domain2.freePages, world.pool2.inflight, world.sk2.queueLength, world.ns2.skbs.live];
  return s;
}
