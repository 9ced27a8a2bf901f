/** The end-of-run oracle: let go of everything and check the domain is back to empty (World.teardown). */
import { allPools } from '@netmem/core';
import type { World } from '../world.js';
import { FuzzFailure } from './errors.js';

/**
 * Lets go of everything (sockets, clones, user references, tokens, rings,
 * bindings, pools, netdevs), advances the clock one retry period, and
 * checks that the domain is back to empty.
 */
export function teardownWorld(world: World): void {
  const log = (s: string) => world.log(`teardown: ${s}`);
  for (const c of world.clones.splice(0)) world.ns.skbs.free(c);
  log('free clones');
  for (const r of world.rings) for (const req of r.reqs.values()) req.issue();
  for (const s of world.sockets) {
    s.sk.close();
    s.tokens = [];
  }
  log('close sockets');
  for (const p of world.pools) {
    for (const h of p.held.splice(0)) p.pool.putNetmem(h.nm, -1, false);
  }
  log('put every held pp reference');
  for (const r of world.pages.splice(0)) for (let i = 0; i < r.refs; i++) world.domain.putPage(r.nm);
  log('put every page reference');
  for (const m of world.raw.splice(0)) world.dmadev.unmap(m.iova, m.dir);
  log('unmap raw mappings');
  for (const r of world.rings) {
    r.ring.exit();
    r.exited = true;
    r.held = [];
  }
  log('exit rings');
  for (const nl of world.nls) nl.close();
  log('close netlink sockets');
  for (const p of world.pools) {
    while (!p.destroyed) {
      p.pool.destroy();
      if (--p.users === 0) p.destroyed = true;
    }
  }
  log('destroy pools');
  for (const n of world.netdevs) {
    n.nd.unregister();
    n.unregistered = true;
  }
  log('unregister netdevs');
  world.clock.advance(1000);
  log('clock.advance(1000)');
  for (const nm of world.foreign) world.pool2.putNetmem(nm, -1, false);
  world.foreign.length = 0;
  world.sk2.close();

  const out: string[] = [];
  const left = allPools(world.domain);
  if (left.length)
    out.push(
      `pools still alive one retry period after everything was let go: ${left.map((p) => `${p.id} (inflight ${p.inflight}, ${JSON.stringify(p.places())})`).join(', ')}`,
    );
  if (world.domain.freePages !== world.startFree) out.push(`free pages ${world.domain.freePages}, started with ${world.startFree}`);
  if (world.domain.leaks !== 0) out.push(`${world.domain.leaks} page_pool leak report(s)`);
  for (const b of world.bindings) {
    if (!b.isFreed) out.push(`binding ${b.id} not freed (refs ${b.refs}, free chunks ${b.chunks.free}/${b.size})`);
    if (b.leaked !== 0) out.push(`binding ${b.id} leaked ${b.leaked} net_iovs`);
    if (b.mappings !== 0) out.push(`binding ${b.id} still holds ${b.mappings} mappings`);
  }
  for (const r of world.rings) if (!r.ifq.freed) out.push(`ifq of ring ${r.n} not freed (pools ${r.ifq.pools})`);
  if (world.ns.skbs.live !== 0) out.push(`${world.ns.skbs.live} skbs still alive`);
  for (const dev of world.devices) {
    if (!dev.removed && dev.liveMappings !== 0) out.push(`device ${dev.name}: ${dev.liveMappings} live mappings`);
    if (!world.faultyOk.has(dev) && dev.faultCount !== 0)
      out.push(`device ${dev.name}: IOMMU faults ${JSON.stringify(dev.counters().faults)} (last: ${JSON.stringify(dev.faultLog.slice(-3))})`);
  }
  if (world.clock.pending !== 0) out.push(`${world.clock.pending} timers still pending`);
  if (allPools(world.domain2).length !== 1 || world.pool2.inflight !== world.pool2.cacheSize + world.pool2.ringLength)
    out.push('the second domain was disturbed');
  if (out.length) throw new FuzzFailure(`teardown: ${out.length} problem(s):\n  ${out.join('\n  ')}`);
  world.checkAll('after teardown');
}
