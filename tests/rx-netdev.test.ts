/**
 * NetDevice, provider install on an rx queue (mpOpenRxq / mpCloseRxq with
 * SPEC §4's checks in order), queue restart and its rollback, the channel
 * count limit, unregister and transmit.
 */
import { describe, expect, it } from 'vitest';
import { NetDevice, allPools, controlPlane, type NetmemError } from '@netmem/core';
import { mpCloseRxq, mpOpenRxq } from '@netmem/core/provider';
import { iovProvider, packet, rig } from './rx-fixture.js';

const code = (c: string) => expect.objectContaining({ code: c });

/** A snapshot of everything "the queue as it was" means. */
function queueState(r: ReturnType<typeof rig>, nd: NetDevice, q: number) {
  const drv = r.ns.driver(nd);
  return {
    mp: nd.rxQueues[q].mp,
    pool: drv.pool(q),
    hdrPool: drv.hdrPool(q),
    posted: drv.posted(q),
    pools: [...nd.pools].map((p) => p.id),
    livePools: allPools(r.domain).map((p) => p.id),
  };
}

describe('NetDevice', () => {
  it('has an ifindex, real rx queues, header-split settings, XDP / AF_XDP flags and up/down', () => {
    const { ns } = rig();
    const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 3, headerSplit: true });
    expect(nd.ifindex).toBe(2);
    expect(ns.loopback.ifindex).toBe(1);
    expect(ns.deviceByIfindex(2)).toBe(nd);
    expect(nd.realNumRxQueues).toBe(3);
    expect(nd.rxQueues.length).toBe(8);
    expect(nd.rxQueues.map((q) => q.ifindex)).toEqual(Array(8).fill(2));
    expect(nd.headerSplit).toBe(true);
    expect(nd.hdsThresh).toBe(0);
    expect(nd.up).toBe(true);
    expect(nd.regState).toBe('registered');
    expect(() => nd.rxQueue(3)).toThrow(code('ERANGE'));
    // One payload pool and one header pool per queue.
    expect(nd.pools.size).toBe(6);
    nd.close();
    expect(nd.up).toBe(false);
    expect(nd.pools.size).toBe(0);
    nd.open();
    expect(nd.pools.size).toBe(6);
    expect(() => new NetDevice({ name: 'x', ifindex: 9, rxQueues: 0 })).toThrow(code('EINVAL'));
  });

  it('open is all or nothing: a queue that fails to start leaves no queue running and no pool behind', () => {
    const r = rig();
    const free0 = r.domain.freePages;
    const nd = r.ns.createNetdevsim({ rxQueues: 3, headerSplit: true, up: false });
    const drv = r.ns.driver(nd);
    // The first queue start fails.
    drv.failNextQueueStart = true;
    expect(() => nd.open()).toThrow(code('EIO'));
    expect(nd.up).toBe(false);
    expect([drv.pool(0), drv.pool(1), drv.pool(2)]).toEqual([null, null, null]);
    expect(allPools(r.domain)).toEqual([]);
    expect(r.domain.freePages).toBe(free0);
    // A provider whose init fails on queue 2 (pool creation fails after queues 0 and 1 started).
    const mp = iovProvider(8);
    nd.rxQueues[2].mp = {
      ...mp,
      init() {
        throw Object.assign(new Error('refused'), { code: 'EPERM' });
      },
    };
    expect(() => nd.open()).toThrow('refused');
    expect(allPools(r.domain)).toEqual([]);
    expect(r.domain.freePages).toBe(free0);
    expect(nd.dev!.liveMappings).toBe(0);
    nd.rxQueues[2].mp = null;
    nd.open();
    expect(nd.pools.size).toBe(6);
  });

  it('header split off: one pool per queue and no header pool', () => {
    const { ns } = rig();
    const nd = ns.createNetdevsim({ rxQueues: 2 });
    const drv = ns.driver(nd);
    expect(nd.pools.size).toBe(2);
    expect(drv.hdrPool(0)).toBe(null);
    expect(drv.pool(0)!.queueIdx).toBe(0);
    expect(drv.pool(1)!.queueIdx).toBe(1);
    expect(drv.pool(0)!.provider.name).toBe('pages');
    // Turning split on reconfigures the running device: every queue gets a header pool.
    nd.setHeaderSplit(true);
    expect(drv.hdrPool(0)).not.toBe(null);
    expect(drv.hdrPool(1)).not.toBe(null);
    expect(nd.pools.size).toBe(4);
  });

  it('the channel count cannot drop below a provider-bound queue', () => {
    const { ns } = rig();
    const nd = ns.createNetdevsim({ rxQueues: 4, headerSplit: true });
    const mp = iovProvider(64);
    mpOpenRxq(nd, 2, mp);
    expect(() => nd.setChannels(2)).toThrow(code('EINVAL'));
    expect(nd.realNumRxQueues).toBe(4);
    nd.setChannels(3);
    expect(nd.realNumRxQueues).toBe(3);
    expect(ns.driver(nd).pool(2)!.provider).toBe(mp);
    expect(ns.driver(nd).pool(3)).toBe(null);
    expect(() => nd.setChannels(0)).toThrow(code('EINVAL'));
    expect(() => nd.setChannels(9)).toThrow(code('EINVAL'));
    // Header split and XDP cannot be changed under a bound provider either.
    expect(() => nd.setHeaderSplit(false)).toThrow(code('EINVAL'));
    expect(() => nd.setHeaderSplit(true, 128)).toThrow(code('EINVAL'));
    expect(() => nd.setXdp(true)).toThrow(code('EBUSY'));
    mpCloseRxq(nd, 2, mp);
    nd.setChannels(2);
    expect(nd.realNumRxQueues).toBe(2);
    nd.setXdp(true);
    expect(nd.xdp).toBe(true);
  });
});

describe('mpOpenRxq', () => {
  it('checks in SPEC §4 order: ERANGE, EINVAL, EINVAL, EEXIST, EEXIST, EBUSY; each leaves the queue as it was', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: false });
    const mp = iovProvider(64);
    const other = iovProvider(64);
    // Every condition is true at once; each step removes the one that was reported.
    nd.setHeaderSplit(false, 64);
    nd.setXdp(true);
    const got: string[] = [];
    const attempt = (idx: number, p = mp) => {
      const before = queueState(r, nd, 1);
      try {
        mpOpenRxq(nd, idx, p);
        got.push('ok');
      } catch (e) {
        got.push((e as NetmemError).code);
        expect(queueState(r, nd, 1)).toEqual(before);
      }
    };
    attempt(2); // ERANGE
    attempt(-1); // ERANGE
    attempt(1); // header split off
    nd.setHeaderSplit(true, 64);
    attempt(1); // threshold
    nd.setHeaderSplit(true, 0);
    attempt(1); // XDP
    nd.setXdp(false);
    mpOpenRxq(nd, 1, other);
    nd.rxQueues[1].xsk = true;
    attempt(1); // already bound (checked before AF_XDP)
    mpCloseRxq(nd, 1, other);
    attempt(1); // AF_XDP
    nd.rxQueues[1].xsk = false;
    attempt(1);
    expect(got).toEqual(['ERANGE', 'ERANGE', 'EINVAL', 'EINVAL', 'EEXIST', 'EEXIST', 'EBUSY', 'ok']);
    expect(nd.rxQueues[1].mp).toBe(mp);
    expect(r.ns.driver(nd).pool(1)!.provider).toBe(mp);
  });

  it('restarts the queue: new pool with the provider, old pool destroyed, no leak', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const oldPool = drv.pool(1)!;
    const oldHdr = drv.hdrPool(1)!;
    expect(drv.posted(1)).toEqual({ payload: 16, header: 16 });
    const mp = iovProvider(64);
    mpOpenRxq(nd, 1, mp);
    expect(oldPool.isFreed).toBe(true);
    expect(oldHdr.isFreed).toBe(true);
    const pool = drv.pool(1)!;
    expect(pool).not.toBe(oldPool);
    expect(pool.provider).toBe(mp);
    expect(pool.queueIdx).toBe(1);
    expect(drv.hdrPool(1)!.provider.name).toBe('pages');
    expect(drv.posted(1)).toEqual({ payload: 16, header: 16 });
    expect(mp.free).toBe(48);
    expect(mp.inits).toBe(1);
    // Queue 0 is untouched.
    expect(drv.pool(0)!.provider.name).toBe('pages');
    // Close restores a provider-less queue and gives back every net_iov.
    mpCloseRxq(nd, 1, mp);
    expect(nd.rxQueues[1].mp).toBe(null);
    expect(pool.isFreed).toBe(true);
    expect(drv.pool(1)!.provider.name).toBe('pages');
    expect(mp.free).toBe(64);
    expect(mp.destroys).toBe(1);
    expect(nd.dev!.faultCount).toBe(0);
  });

  it('a failed queue start restores the old queue (restart rollback) and unbinds', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const before = queueState(r, nd, 1);
    const mp = iovProvider(64);
    const events: string[] = [];
    const nl = controlPlane(r.ns);
    nl.on('page-pool-add', (i) => events.push(`add ${i.id}`));
    nl.on('page-pool-del', (i) => events.push(`del ${i.id}`));
    drv.failNextQueueStart = true;
    expect(() => mpOpenRxq(nd, 1, mp)).toThrow(code('EIO'));
    expect(queueState(r, nd, 1)).toEqual(before);
    expect(before.pool!.isFreed).toBe(false);
    // The new memory was built (payload pool with the provider + header pool) and freed.
    expect(events).toEqual(['add 5', 'add 6', 'del 5', 'del 6']);
    expect(mp.inits).toBe(1);
    expect(mp.destroys).toBe(1);
    expect(mp.free).toBe(64);
    // The restored queue still receives.
    const sk = r.ns.socket();
    expect(drv.receive(1, packet(1, 600), 54, sk)).toBe(true);
    expect(sk.pendingBytes).toBe(546);
    sk.close();
  });

  it('ENODATA when the driver ignored the provider; nothing changes', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, supportsUnreadable: false });
    const before = queueState(r, nd, 0);
    const mp = iovProvider(64);
    expect(() => mpOpenRxq(nd, 0, mp)).toThrow(code('ENODATA'));
    expect(queueState(r, nd, 0)).toEqual(before);
    expect(mp.inits).toBe(0);
    expect(allPools(r.domain).length).toBe(4);
  });

  it('a provider whose init fails: the error is the open error and the queue is unchanged', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true });
    const before = queueState(r, nd, 0);
    const bad = {
      ...iovProvider(8),
      init() {
        throw Object.assign(new Error('no'), { code: 'E2BIG' });
      },
    };
    expect(() => mpOpenRxq(nd, 0, bad)).toThrow('no');
    expect(queueState(r, nd, 0)).toEqual(before);
  });

  it('binding while the device is down: the queue starts with the provider on open', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true, up: false });
    const mp = iovProvider(300);
    mpOpenRxq(nd, 0, mp);
    expect(r.ns.driver(nd).pool(0)).toBe(null);
    expect(mp.inits).toBe(1); // the check pool, already gone
    expect(mp.destroys).toBe(1);
    nd.open();
    expect(r.ns.driver(nd).pool(0)!.provider).toBe(mp);
    expect(r.ns.driver(nd).posted(0).payload).toBe(256);
  });

  it('after unregister: mpOpenRxq is ENODEV and mpCloseRxq is a no-op', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true });
    const mp = iovProvider(64);
    mpOpenRxq(nd, 0, mp);
    nd.unregister();
    expect(mp.uninstalled).toEqual([nd.rxQueues[0]]);
    expect(() => mpOpenRxq(nd, 0, iovProvider(8))).toThrow(code('ENODEV'));
    expect(() => mpCloseRxq(nd, 0, mp)).not.toThrow();
    expect(nd.rxQueues[0].mp).toBe(null);
    expect(mp.free).toBe(64);
  });
});

describe('unregister', () => {
  it('closes the device, calls each bound provider uninstall once, and orphans what is still alive', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 3, headerSplit: true });
    const a = iovProvider(300);
    const b = iovProvider(300);
    mpOpenRxq(nd, 0, a);
    mpOpenRxq(nd, 2, b);
    const sk = r.ns.socket();
    r.ns.driver(nd).receive(2, packet(0, 3000), 60, sk);
    nd.unregister();
    expect(nd.up).toBe(false);
    expect(nd.regState).toBe('unregistered');
    expect(a.uninstalled.map((q) => q.index)).toEqual([0]);
    expect(b.uninstalled.map((q) => q.index)).toEqual([2]);
    expect(r.ns.deviceByIfindex(nd.ifindex)).toBe(undefined);
    // Queue 2's payload pool and header pool wait for the socket's skb.
    expect(nd.pools.size).toBe(0);
    const orphans = [...r.ns.loopback.pools];
    expect(orphans.map((p) => p.info().ifindex)).toEqual([undefined, undefined]);
    expect(orphans.map((p) => p.inflight)).toEqual([1, 1]);
    nd.unregister(); // twice is harmless
    expect(a.uninstalled.length).toBe(1);
    sk.close();
    // The returned buffers wait in the detached pools' rings; one release retry frees them.
    expect(orphans.map((p) => p.isFreed)).toEqual([false, false]);
    r.clock.advance(1000);
    expect(orphans.every((p) => p.isFreed)).toBe(true);
    expect(r.ns.loopback.pools.size).toBe(0);
    expect(b.free).toBe(300);
    expect(() => nd.open()).toThrow(code('ENODEV'));
  });
});

describe('transmit', () => {
  it('drops and counts an unreadable skb; sends a readable one; both free their buffers', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const mp = iovProvider(64);
    mpOpenRxq(nd, 1, mp);
    const skU = r.ns.socket({ coalesce: false });
    const skR = r.ns.socket({ coalesce: false });
    drv.receive(1, packet(1, 2000), 54, skU);
    drv.receive(0, packet(2, 2000), 54, skR);
    const u = skU.peek()!;
    const rd = skR.peek()!;
    expect(u.unreadable).toBe(true);
    expect(rd.unreadable).toBe(false);
    // Take them off the sockets' queues without freeing: clone, then let the socket drop its own.
    const uc = r.ns.skbs.clone(u);
    const rc = r.ns.skbs.clone(rd);
    skU.close();
    skR.close();
    // Buffers out of the pool and not posted on the ring: the ones the skbs hold.
    const inflight = (q: number) => {
      const p = drv.pool(q)!;
      return p.inflight - p.cacheSize - p.ringLength - drv.posted(q).payload;
    };
    expect(inflight(1)).toBe(1);
    expect(inflight(0)).toBe(1);
    expect(nd.transmit(uc)).toBe(false);
    expect(nd.txDroppedUnreadable).toBe(1);
    expect(nd.txPackets).toBe(0);
    expect(nd.transmit(rc)).toBe(true);
    expect(nd.txPackets).toBe(1);
    expect(nd.txBytes).toBe(1946);
    expect(inflight(1)).toBe(0);
    expect(inflight(0)).toBe(0);
    expect(r.ns.skbs.live).toBe(0);
    // Down: dropped, counted, freed.
    const sk = r.ns.socket({ coalesce: false });
    drv.receive(0, packet(3, 100), 54, sk);
    const c = r.ns.skbs.clone(sk.peek()!);
    sk.close();
    nd.close();
    expect(nd.transmit(c)).toBe(false);
    expect(nd.txDropped).toBe(1);
    expect(r.ns.skbs.live).toBe(0);
    expect(() => r.ns.loopback.transmit(c)).toThrow(code('EOPNOTSUPP'));
  });
});
