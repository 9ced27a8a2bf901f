/**
 * Hostile and careless input through core's public API: each call is
 * refused with a NetmemError and an errno code, and leaves everything as it
 * was; multi-step operations complete or change nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  MemoryDomain,
  NetNamespace,
  VirtualClock,
  createPagePool,
  isNetmemError,
  makeRegion,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  allPools,
} from '../src/index.js';
import { NetmemError } from '../src/provider.js';
import { checkDomainInvariants, errnoOf, quietWorld } from '../src/testing.js';
import { areaProvider, onePageProvider } from './helpers/test-provider.js';

const MAP_SYNC = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV;

/** A namespace with one netdevsim on a quiet world. */
function net(o: { strict?: boolean; headerSplit?: boolean } = {}) {
  const w = quietWorld({ pages: 512, netIovs: 256 });
  const ns = new NetNamespace(w.domain, { pageProvider: onePageProvider() });
  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, ringSize: 8, strictIommu: o.strict ?? false, headerSplit: o.headerSplit ?? false });
  return { ...w, ns, nd, drv: ns.driver(nd), sk: ns.socket() };
}

describe('core: hostile input', () => {
  it('D1: a device forgets a region with its last mapping (no dmabuf or area stays reachable)', () => {
    const { dev } = quietWorld();
    for (let i = 0; i < 50; i++) {
      const region = makeRegion(`r${i}`, new SharedArrayBuffer(64 * 4096));
      const a = dev.map(region, 0, 64 * 4096, DMA_FROM_DEVICE);
      const b = dev.map(region, 4096, 4096, DMA_FROM_DEVICE);
      expect(dev.regionCount).toBe(1);
      dev.unmap(a, DMA_FROM_DEVICE);
      expect(dev.regionCount).toBe(1); // b still maps it
      dev.unmap(b, DMA_FROM_DEVICE);
      expect(dev.regionCount).toBe(0);
    }
    expect(dev.liveMappings).toBe(0);
  });

  it('D2: bytes(niov ^ 1) is refused and never poisons the view cache; a dmabuf net_iov stays EFAULT', () => {
    const w = quietWorld({ netIovs: 64 });
    const readable = areaProvider(w.domain, 4);
    const niov = readable.area.niov(0);
    const view = w.domain.bytes(niov);
    expect(errnoOf(() => w.domain.bytes(niov ^ 1))).toBe('EINVAL');
    expect(w.domain.bytes(niov)).toBe(view);
    const dmabuf = w.domain.createArea('dmabuf', 4, makeRegion('gpu', new SharedArrayBuffer(4 * 4096)), 0, false);
    expect(errnoOf(() => w.domain.bytes(dmabuf.niov(1) ^ 1))).toBe('EINVAL');
    expect(errnoOf(() => w.domain.bytes(dmabuf.niov(1)))).toBe('EFAULT');
    for (const bad of [1e9, NaN, -2, 1.5, 0, 2 ** 31]) expect(errnoOf(() => w.domain.bytes(bad))).toBe('EINVAL');
  });

  it('D5: receive with a bad header length, packet or socket is refused before any buffer leaves the ring', () => {
    const n = net();
    const posted = n.drv.posted(0);
    for (const bad of [1.5, -1, NaN, '66', 3001]) expect(errnoOf(() => n.drv.receive(0, new Uint8Array(3000), bad as number, n.sk))).toBe('EINVAL');
    expect(errnoOf(() => n.drv.receive(0, [1, 2, 3] as unknown as Uint8Array, 0, n.sk))).toBe('EINVAL');
    expect(errnoOf(() => n.drv.receive(0, new Uint8Array(100), 0, {} as never))).toBe('EINVAL');
    const other = new NetNamespace(n.domain, { pageProvider: onePageProvider() }).socket();
    expect(errnoOf(() => n.drv.receive(0, new Uint8Array(100), 0, other))).toBe('EINVAL');
    expect(n.drv.posted(0)).toEqual(posted);
    expect(n.drv.counters(0)).toMatchObject({ packets: 0, dropped: 0 });
    expect(n.drv.receive(0, new Uint8Array(3000), 66, n.sk)).toBe(true);
    expect(checkDomainInvariants(n.domain)).toEqual([]);
  });

  it('D5: a DMA fault part-way through a receive (strict IOMMU) frees every buffer it took', () => {
    const n = net({ strict: true });
    const pool = n.drv.pool(0)!;
    const inflight = pool.inflight;
    const dev = n.nd.dev!;
    // The receive path writes through writePage (page number + offset): the second write goes to a page nobody mapped.
    const writePage = dev.writePage.bind(dev);
    let writes = 0;
    dev.writePage = (page, inPage, src, off, len) => {
      if (++writes === 2) return writePage((2 ** 31 + 2 ** 30 * 1000) / 4096, 0, src, off, len); // faults, strict throws
      return writePage(page, inPage, src, off, len);
    };
    expect(errnoOf(() => n.drv.receive(0, new Uint8Array(9000), 66, n.sk))).toBe('EFAULT');
    expect(writes).toBe(2);
    dev.writePage = writePage;
    expect(n.sk.queueLength).toBe(0);
    // The buffers went back (the NAPI context recycles them) and the ring was refilled: nothing in flight beyond the ring.
    expect(pool.inflight).toBe(inflight);
    expect(checkDomainInvariants(n.domain).filter((v) => !v.includes('unmapped IOVA'))).toEqual([]);
  });

  it('D9: a throwing warning callback or stalled listener does not stop the release retry', () => {
    const clock = new VirtualClock();
    let throws = 0;
    const onWarn = (): void => {
      throws++;
      throw new Error('a careless onWarn');
    };
    const dom = new MemoryDomain({ pages: 64, netIovs: 0, clock, onWarn });
    const pool = createPagePool({ domain: dom, provider: onePageProvider() });
    pool.on('stalled', () => {
      throw new Error('a careless listener');
    });
    const nm = pool.allocNetmems();
    pool.destroy();
    // Every 60 s the stall warning runs the throwing callbacks; the retry must stay armed regardless.
    for (let s = 0; s < 130; s++) {
      try {
        clock.advance(1000);
      } catch {
        /* the callback's error surfaces here */
      }
    }
    expect(throws).toBeGreaterThanOrEqual(2);
    expect(clock.pending).toBe(1);
    pool.putNetmem(nm);
    clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('D11: closing a socket with data queued on a removed strict device frees every skb, then reports the fault once', () => {
    const n = net({ strict: true });
    for (let i = 0; i < 10; i++) n.drv.receive(0, new Uint8Array(2000), 66, n.sk);
    expect(n.sk.queueLength).toBeGreaterThan(0);
    n.nd.dev!.remove();
    const err = (() => {
      try {
        n.sk.close();
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isNetmemError(err, 'ENODEV')).toBe(true);
    expect(n.sk.state).toBe('closed');
    expect(n.sk.queueLength).toBe(0);
    expect(n.sk.pendingBytes).toBe(0);
    expect(n.ns.skbs.live).toBe(0);
    n.sk.close(); // a second close does nothing
  });

  it('D13: createNetdevsim refuses absurd sizes before building anything, and a failure to open leaves nothing behind', () => {
    const n = net();
    const devices = n.ns.allDevices().length;
    const pools = allPools(n.domain).length;
    const free = n.domain.freePages;
    for (const o of [
      { rxQueues: 1e8 },
      { maxRxQueues: 2 ** 31 },
      { ringSize: 2 ** 53 },
      { rxQueues: 1.5 },
      { name: 'a b' },
      { name: 'x'.repeat(16) },
      { headerSplit: 'yes' },
      { dmaTracking: 'tree' },
    ]) {
      expect(errnoOf(() => n.ns.createNetdevsim(o as never))).toBe('EINVAL');
    }
    expect(n.ns.allDevices().length).toBe(devices);
    // A provider whose third pool refuses to start: the second of three queues cannot open.
    let inits = 0;
    const flaky = {
      ...onePageProvider(),
      init(): void {
        if (++inits === 3) throw new NetmemError('ENOMEM', 'no memory for queue 1');
      },
    };
    const ns2 = new NetNamespace(n.domain, { pageProvider: flaky });
    expect(errnoOf(() => ns2.createNetdevsim({ name: 'eth9', rxQueues: 3, ringSize: 8, headerSplit: true }))).toBe('ENOMEM');
    expect(ns2.allDevices().length).toBe(1); // loopback only: nothing announced
    expect(allPools(n.domain).length).toBe(pools); // the queue already started was stopped again
    expect(n.domain.freePages).toBe(free);
    const ok = ns2.createNetdevsim({ name: 'eth9', rxQueues: 1, ringSize: 8 });
    expect(ok.ifindex).toBe(2); // the failed attempt took no ifindex
    expect(checkDomainInvariants(n.domain)).toEqual([]);
  });

  it('VirtualClock.advance refuses Infinity and NaN (no hang, no NaN time)', () => {
    const c = new VirtualClock();
    c.setTimeout(() => {}, 10);
    for (const bad of [Infinity, NaN, -1, '10']) expect(errnoOf(() => c.advance(bad as number))).toBe('EINVAL');
    expect(c.now()).toBe(0);
    expect(errnoOf(() => c.setTimeout(() => {}, NaN))).toBe('EINVAL');
    c.advance(10);
    expect(c.now()).toBe(10);
  });

  it('D17: DmaDevice refuses NaN/fractional ranges, unknown directions, unmaps inside a mapping, and over-long writes', () => {
    const { dev } = quietWorld();
    const region = makeRegion('r', new SharedArrayBuffer(8 * 4096));
    const counters = dev.counters();
    for (const [off, len] of [
      [NaN, 4096],
      [0.5, 4096],
      [0, NaN],
      [0, 1.5],
      [-1, 4096],
    ])
      expect(errnoOf(() => dev.map(region, off, len, DMA_FROM_DEVICE))).toBe('EINVAL');
    expect(errnoOf(() => dev.map(region, 0, 4096, 200))).toBe('EINVAL');
    expect(dev.counters()).toEqual(counters);
    const iova = dev.map(region, 0, 8 * 4096, DMA_FROM_DEVICE);
    dev.unmap(iova + 4096, DMA_FROM_DEVICE); // not a mapping's start: a fault, the mapping stays
    expect(dev.isMapped(iova)).toBe(true);
    expect(dev.counters().faults['double-unmap']).toBe(1);
    const src = new Uint8Array(100);
    expect(errnoOf(() => dev.write(iova, src, 0, 200))).toBe('EINVAL');
    expect(errnoOf(() => dev.write(iova, src, 50, 51))).toBe('EINVAL');
    expect(errnoOf(() => dev.syncForCpu(iova, NaN, 10, DMA_FROM_DEVICE))).toBe('EINVAL');
    expect(errnoOf(() => dev.unmap(iova, DMA_TO_DEVICE + 10))).toBe('EINVAL');
    dev.unmap(iova, DMA_FROM_DEVICE);
    expect(dev.liveMappings).toBe(0);
  });

  it('D15: in checked mode a handle of another domain is refused (its generation reads as stale)', () => {
    const a = quietWorld({ checked: true });
    const b = quietWorld({ checked: true });
    const pa = createPagePool({ domain: a.domain, dev: a.dev, provider: onePageProvider(), flags: MAP_SYNC, maxLen: 4096 });
    const pb = createPagePool({ domain: b.domain, dev: b.dev, provider: onePageProvider(), flags: MAP_SYNC, maxLen: 4096 });
    const ha = pa.allocNetmems();
    const hb = pb.allocNetmems();
    expect(ha).not.toBe(hb); // same descriptor, different generations
    expect(errnoOf(() => pb.recycleDirect(ha))).toBe('ESTALE');
    expect(errnoOf(() => b.domain.bytes(ha))).toBe('ESTALE');
    pa.recycleDirect(ha);
    pb.recycleDirect(hb);
  });

  it('page frame 0 has a non-zero address (allocVa never answers 0 for a page it took); cached views still check the handle; a free page cannot be read', () => {
    const w = quietWorld({ pages: 8 });
    const nm = w.domain.allocPages(0);
    expect(w.domain.pfnOf(nm)).toBe(0);
    expect(w.domain.pageVa(nm)).toBe(4096);
    w.domain.putPage(nm);
    const pool = createPagePool({ domain: w.domain, provider: onePageProvider(), flags: 0 });
    const va = pool.allocVa(4096);
    expect(va).not.toBe(0);
    expect(pool.inflight).toBe(1);
    pool.freeVa(va);
    const p = w.domain.allocPages(0);
    w.domain.bytes(p); // a cached view now exists
    for (const bad of [p + 0.5, String(p), -p, p ^ 1]) expect(errnoOf(() => w.domain.bytes(bad as never))).toBe('EINVAL');
    w.domain.putPage(p);
    expect(errnoOf(() => w.domain.readNetmem(p, 0, new Uint8Array(8), 0, 8))).toBe('EFAULT');
    pool.destroy();
    expect(checkDomainInvariants(w.domain)).toEqual([]);
  });
});
