import { describe, expect, it } from 'vitest';
import {
  Napi,
  NetNamespace,
  PP_FLAG_DMA_MAP,
  allPools,
  createPagePool,
  poolRegistry,
  type DmaFault,
  type MemoryProviderOps,
  type PagePool,
  type StalledPoolEvent,
} from '@netmem/core';
import { checkDomainInvariants, checkPoolInvariants, injectExtraRelease } from '@netmem/core/testing';
import { pagesProvider } from '../src/index.js';
import { MAP_SYNC, allocN, env, type Env } from './helpers.js';

/** The pages provider with a count of destroy calls. */
function countingProvider(): MemoryProviderOps & { destroys: number } {
  const inner = pagesProvider();
  const p = {
    ...inner,
    destroys: 0,
    destroy(pool: PagePool) {
      p.destroys++;
      inner.destroy(pool);
    },
  };
  return p;
}

function events(e: Env, pool: PagePool) {
  const log: string[] = [];
  pool.on('detached', () => log.push(`detached@${e.clock.now()}`));
  pool.on('destroyed', () => log.push(`destroyed@${e.clock.now()}`));
  poolRegistry(e.dom).on('change', (p) => p === pool && log.push(`pool-change@${e.clock.now()}`));
  poolRegistry(e.dom).on('del', (p) => p === pool && log.push(`pool-del@${e.clock.now()}`));
  return log;
}

describe('destroy', () => {
  it('with nothing in flight: freed at once, destroyed + pool-del, provider destroy called', () => {
    const e = env();
    const prov = countingProvider();
    const pool = createPagePool({ domain: e.dom, dev: e.dev, provider: prov, flags: MAP_SYNC, maxLen: 4096 });
    const log = events(e, pool);
    const got = allocN(pool, 10);
    for (const nm of got.slice(0, 5)) pool.putNetmem(nm);
    for (const nm of got.slice(5)) pool.recycleDirect(nm);
    expect(pool.inflight).toBe(64);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(pool.isDetached).toBe(false);
    expect(log).toEqual(['pool-del@0', 'destroyed@0']);
    expect(prov.destroys).toBe(1);
    expect(pool.inflight).toBe(0);
    expect(pool.releaseCount).toBe(64);
    expect(e.dom.freePages).toBe(1024);
    expect(e.dev.counters()).toMatchObject({ maps: 64, unmaps: 64, liveMappings: 0 });
    expect(allPools(e.dom)).toEqual([]);
    expect(e.clock.pending).toBe(0);
    expect(pool.info().detachTime).toBeUndefined();
    expect(checkPoolInvariants(pool)).toEqual([]);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('with k in flight: detached, retried every 1000 ms, freed at the first retry after the last return', () => {
    const e = env();
    const prov = countingProvider();
    const pool = createPagePool({ domain: e.dom, dev: e.dev, provider: prov, flags: MAP_SYNC, maxLen: 4096 });
    const log = events(e, pool);
    const [a, b, c] = allocN(pool, 3);
    pool.destroy();
    expect(pool.isDetached).toBe(true);
    expect(log).toEqual(['detached@0']); // no netdev: nobody to tell about the change
    expect(pool.inflight).toBe(3);
    expect(pool.releaseCount).toBe(61); // the cache was emptied
    expect(pool.info().detachTime).toBe(0);
    expect(e.clock.pending).toBe(1);
    e.clock.advance(1000);
    expect(pool.isDetached).toBe(true);
    pool.putNetmem(a); // t = 1000, right after the first retry
    e.clock.advance(1000);
    expect(pool.isFreed).toBe(false);
    expect(pool.inflight).toBe(2);
    expect(pool.ringLength).toBe(0); // each retry scrubs the ring
    e.clock.advance(500);
    pool.putNetmem(b);
    pool.putNetmem(c); // last return at t = 2500
    expect(pool.ringLength).toBe(2);
    e.clock.advance(499);
    expect(pool.isFreed).toBe(false);
    e.clock.advance(1); // t = 3000: the first retry after the last return
    expect(pool.isFreed).toBe(true);
    expect(log).toEqual(['detached@0', 'pool-del@3000', 'destroyed@3000']);
    expect(prov.destroys).toBe(1);
    expect(e.dom.freePages).toBe(1024);
    expect(e.clock.pending).toBe(0);
    expect(checkDomainInvariants(e.dom)).toEqual([]);
  });

  it('is NOT freed 999 ms after the last return, and is at the next retry tick', () => {
    const e = env();
    const pool = e.pool();
    const [a] = allocN(pool, 1);
    pool.destroy();
    e.clock.advance(1000);
    pool.putNetmem(a); // returned at t = 1000 just after a retry
    e.clock.advance(999);
    expect(pool.isFreed).toBe(false);
    expect(pool.isDetached).toBe(true);
    e.clock.advance(1);
    expect(pool.isFreed).toBe(true);
  });

  it('a pool without netdev warns "stalled pool shutdown" once 60 s have passed, then every 60 s', () => {
    const e = env();
    const pool = e.pool();
    const stalled: StalledPoolEvent[] = [];
    pool.on('stalled', (s) => stalled.push(s));
    allocN(pool, 3);
    pool.destroy();
    e.clock.advance(59_999);
    expect(stalled).toEqual([]);
    expect(e.warns).toEqual([]);
    e.clock.advance(1);
    expect(stalled).toEqual([{ id: pool.id, inflight: 3, seconds: 60, places: { 'handed-out': 3 } }]);
    expect(e.warns).toHaveLength(1);
    expect(e.warns[0]).toMatchObject({ kind: 'stalled-pool', poolId: pool.id });
    expect(e.warns[0].message).toContain(`stalled pool shutdown: id ${pool.id}, 3 inflight 60 sec`);
    e.clock.advance(59_999);
    expect(stalled).toHaveLength(1);
    e.clock.advance(1);
    expect(stalled.map((s) => s.seconds)).toEqual([60, 120]);
    expect(e.warns.map((w) => w.kind)).toEqual(['stalled-pool', 'stalled-pool']);
  });

  it('a pool with a netdev never warns (the user can see it) and announces the detach', () => {
    const e = env();
    const pool = e.pool({ netdev: { ifindex: 5, name: 'eth0' } });
    const log = events(e, pool);
    const stalled: StalledPoolEvent[] = [];
    pool.on('stalled', (s) => stalled.push(s));
    allocN(pool, 2);
    pool.destroy();
    expect(log).toEqual(['detached@0', 'pool-change@0']);
    e.clock.advance(180_000);
    expect(stalled).toEqual([]);
    expect(e.warns).toEqual([]);
    expect(pool.isDetached).toBe(true);
    expect(e.clock.pending).toBe(1);
  });

  describe.each(['xarray', 'item-block'] as const)('tracking %s', (tracking) => {
    it('destroy unmaps every in-flight mapping before it returns; late returns make zero DMA-API calls', () => {
      const e = env();
      const pool = e.pool({ dmaTracking: tracking });
      const got = allocN(pool, 5);
      pool.destroy();
      expect(e.dev.liveMappings).toBe(0);
      expect(pool.tracker.tracked).toBe(0);
      const before = e.dev.counters();
      expect(before).toMatchObject({ maps: 64, unmaps: 64 });
      for (const nm of got) pool.putNetmem(nm);
      e.clock.advance(1000);
      expect(pool.isFreed).toBe(true);
      expect(e.dev.counters()).toEqual(before);
      expect(e.dom.freePages).toBe(1024);
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });

    it('device removal with pages in flight (destroy, remove, returns): zero faults', () => {
      const e = env();
      e.dev.strict = true; // any fault would throw
      const pool = e.pool({ dmaTracking: tracking });
      const got = allocN(pool, 7);
      pool.destroy();
      expect(e.dev.liveMappings).toBe(0);
      e.dev.remove();
      for (const nm of got.slice(0, 4)) pool.putNetmem(nm, -1, true);
      for (const nm of got.slice(4)) {
        e.dom.getPage(nm); // one comes back through a page ref holder
        pool.putNetmem(nm);
        e.dom.putPage(nm);
      }
      e.clock.advance(1000);
      expect(pool.isFreed).toBe(true);
      expect(e.dev.faultCount).toBe(0);
      expect(e.dom.freePages).toBe(1024);
      expect(checkDomainInvariants(e.dom)).toEqual([]);
    });
  });

  describe('tracking none (pre-fix)', () => {
    it('destroy cannot unmap pages in flight; their late returns fault on the removed device', () => {
      const e = env();
      const pool = e.pool({ dmaTracking: 'none' });
      const faults: DmaFault[] = [];
      pool.on('fault', (f) => faults.push(f));
      const got = allocN(pool, 3);
      pool.destroy();
      expect(e.dev.liveMappings).toBe(3);
      e.dev.remove();
      for (const nm of got) pool.putNetmem(nm); // still syncs for the device: 3 faults
      expect(e.dev.counters().faults['device-gone']).toBe(3);
      e.clock.advance(1000); // the retry returns them: 3 unmaps on a gone device
      expect(pool.isFreed).toBe(true);
      expect(e.dev.counters().faults).toEqual({ 'unmapped-access': 0, 'double-unmap': 0, 'direction-mismatch': 0, 'device-gone': 6 });
      expect(e.dev.faultLog.map((f) => f.op)).toEqual(['sync-for-device', 'sync-for-device', 'sync-for-device', 'unmap', 'unmap', 'unmap']);
      expect(faults.map((f) => f.op)).toEqual(['sync-for-device', 'sync-for-device', 'sync-for-device', 'unmap', 'unmap', 'unmap']);
      expect(e.dev.liveMappings).toBe(3); // the IOMMU entries leaked
    });

    it('without DMA_SYNC_DEV only the late unmaps fault', () => {
      const e = env();
      const pool = e.pool({ dmaTracking: 'none', flags: PP_FLAG_DMA_MAP, maxLen: 0 });
      const got = allocN(pool, 2);
      pool.destroy();
      e.dev.remove();
      for (const nm of got) pool.putNetmem(nm);
      expect(e.dev.faultCount).toBe(0);
      e.clock.advance(1000);
      expect(e.dev.counters().faults['device-gone']).toBe(2);
    });
  });

  it('negative inflight (a page released twice by a buggy driver): warned once, retrying stops', () => {
    const e = env();
    const pool = createPagePool({ domain: e.dom, provider: pagesProvider({ bulk: 1 }) });
    const nm = pool.allocNetmems();
    expect(pool.inflight).toBe(1);
    pool.putNetmem(nm);
    injectExtraRelease(pool, 1); // what a double release does to pages_state_release_cnt
    expect(pool.inflight).toBe(0);
    pool.destroy();
    expect(pool.inflight).toBe(-1);
    expect(e.warns.map((w) => w.kind)).toEqual(['negative-inflight']);
    expect(e.warns[0].poolId).toBe(pool.id);
    expect(pool.info()).toMatchObject({ inflight: 0, inflightMem: 0 });
    expect(e.clock.pending).toBe(1);
    e.clock.advance(1000);
    expect(e.clock.pending).toBe(0); // no reschedule on negative inflight
    e.clock.advance(120_000);
    expect(e.warns.map((w) => w.kind)).toEqual(['negative-inflight']);
    expect(pool.isFreed).toBe(false);
  });
});

describe('info()', () => {
  it('reports id, inflight, inflightMem, napiId; ifindex only with a netdev; detachTime once detached', () => {
    const e = env();
    const napi = new Napi();
    const bare = e.pool();
    expect(bare.info()).toEqual({ id: bare.id, inflight: 0, inflightMem: 0 });
    expect('ifindex' in bare.info()).toBe(false);
    const ns = new NetNamespace(e.dom, { pageProvider: pagesProvider() });
    const nd = ns.createNetdevsim({ name: 'eth0', up: false });
    const pool = e.pool({ order: 1, napi, netdev: nd });
    const got = allocN(pool, 2);
    expect(pool.info()).toEqual({ id: pool.id, ifindex: nd.ifindex, napiId: napi.id, inflight: 2, inflightMem: 2 * 8192 });
    e.clock.advance(5500);
    pool.destroy();
    expect(pool.info()).toEqual({ id: pool.id, ifindex: nd.ifindex, napiId: napi.id, inflight: 2, inflightMem: 2 * 8192, detachTime: 5 });
    nd.unregister(); // the pool is orphaned: moved to loopback
    expect(pool.netdev).toBe(ns.loopback);
    expect('ifindex' in pool.info()).toBe(false);
    for (const nm of got) pool.putNetmem(nm);
    e.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(pool.info()).toMatchObject({ inflight: 0, inflightMem: 0, detachTime: 5 });
  });

  it('places() counts where in-flight netmems are', () => {
    const e = env();
    const pool = e.pool();
    const [a, b] = allocN(pool, 3);
    pool.putNetmem(a);
    pool.recycleDirect(b);
    expect(pool.places()).toEqual({ cache: 62, ring: 1, 'handed-out': 1 });
  });
});
