/**
 * Long-run leak tests: lifecycles that a long-running program repeats
 * without end must not leave memory behind. Each scenario runs its cycle
 * many times and checks the heap and external memory grew by at most
 * HEAP_BOUND / EXTERNAL_BOUND bytes per cycle (see measure.ts for what a
 * leak of one object per cycle looks like), and that the model's own
 * accounting is back where it started (pools, pages, mappings).
 *
 * Counts: "10,000 cycles" is a 2,000-cycle warm-up, then two measured
 * rounds of 5,000 (the smaller round's growth is the figure: measure.ts);
 * "100,000 sockets" is 5,000 + 2 × 50,000. All of it takes ~10–25 s
 * (the namespace scenario takes longer while its leak is there: every pool
 * event then reaches every dead namespace's control plane).
 *
 * Runs in the `leaks` vitest project (`--expose-gc`).
 */
import { describe, expect, it } from 'vitest';
import { Dmabuf, MSG_SOCK_DEVMEM, MemoryDomain, NetNamespace, VirtualClock, allPools, controlPlane } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { DevmemCmsgBuffer, NetdevNlSocket, devmemRecvmsg, devmemTokens } from '@netmem/provider-devmem';
import { EXTERNAL_BOUND, HEAP_BOUND, describeGrowth, measure, type Growth } from './measure.js';

/** Cycle counts; LEAK_SCALE (e.g. 0.1) shortens a local run. */
const SCALE = Number(process.env.LEAK_SCALE ?? 1);
const n = (x: number): number => Math.max(1000, Math.round(x * SCALE));

function expectBounded(what: string, g: Growth): void {
  console.log(describeGrowth(what, g));
  expect(g.heapPerCycle, `${what}: heap bytes per cycle`).toBeLessThanOrEqual(HEAP_BOUND);
  expect(g.externalPerCycle, `${what}: external bytes per cycle`).toBeLessThanOrEqual(EXTERNAL_BOUND);
}

/**
 * A domain on a virtual clock whose warnings go nowhere (quietWorld would
 * keep every warning in an array: the test's own leak, not the library's).
 */
function world(pages: number, netIovs = 0): { domain: MemoryDomain; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { domain: new MemoryDomain({ pages, netIovs, clock, onWarn: false }), clock };
}

function expectClean(domain: MemoryDomain, freeAtStart: number): void {
  expect(allPools(domain).filter((p) => p.isDetached)).toEqual([]);
  expect(checkDomainInvariants(domain)).toEqual([]);
  expect(domain.leaks).toBe(0);
  expect(domain.freePages).toBe(freeAtStart);
}

describe('long-run leaks', () => {
  it('calibration: one small object kept per cycle exceeds the bounds, a clean cycle does not', () => {
    const kept: { id: number }[] = [];
    const leaky = measure(n(5_000), 2000, (i) => {
      kept.push({ id: i });
    });
    console.log(describeGrowth('calibration, one { id } kept per cycle', leaky));
    expect(leaky.heapPerCycle).toBeGreaterThan(HEAP_BOUND);
    const map = new Map<number, number>();
    const leakyMap = measure(n(5_000), 2000, (i) => {
      map.set(i, i);
    });
    console.log(describeGrowth('calibration, one Map entry kept per cycle', leakyMap));
    expect(leakyMap.heapPerCycle).toBeGreaterThan(HEAP_BOUND);
    const clean = measure(n(5_000), 2000, (i) => {
      const t = { id: i };
      kept.length > 1e9 && kept.push(t);
    });
    console.log(describeGrowth('calibration, nothing kept', clean));
    expect(clean.heapPerCycle).toBeLessThanOrEqual(HEAP_BOUND);
    expect(kept.length + map.size).toBeGreaterThan(0);
  });

  it('10,000 dmabuf bind/unbind cycles (a netlink socket binds a 1-page dmabuf to a queue, then closes)', () => {
    const { domain, clock } = world(4096, 1024);
    const ns = new NetNamespace(domain, { pageProvider: pagesProvider({ bulk: 8 }) });
    const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true, ringSize: 8 });
    const dev = nd.dev!;
    const pools0 = allPools(domain).length;
    const cycle = (): void => {
      const nl = new NetdevNlSocket(ns);
      nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 1 }), queues: [{ id: 0, type: 'rx' }] });
      nl.close();
    };
    const g = measure(n(5_000), 2000, cycle);
    clock.advance(1000);
    expectBounded('dmabuf bind/unbind', g);
    expect(allPools(domain).length).toBe(pools0);
    nd.unregister();
    clock.advance(1000);
    expect(dev.liveMappings).toBe(0);
    expect(dev.faultCount).toBe(0);
    expect(allPools(domain)).toEqual([]);
  });

  it('10,000 netdev register/unregister cycles (createNetdevsim, a look through the control plane, a warn-once, unregister)', () => {
    const { domain, clock } = world(4096);
    const free0 = domain.freePages;
    const ns = new NetNamespace(domain, { pageProvider: pagesProvider({ bulk: 8 }) });
    const cp = controlPlane(ns);
    const cycle = (i: number): void => {
      const nd = ns.createNetdevsim({ name: `veth${i}`, rxQueues: 2, headerSplit: (i & 1) === 1, ringSize: 4 });
      cp.queueGet({ ifindex: nd.ifindex, id: 1 });
      // A frag larger than a page: NULL and a warning once per pool (WARN_ONCE), which must not be remembered forever.
      if (
        ns
          .driver(nd)
          .pool(0)!
          .allocFrag(1 << 20) !== 0
      )
        throw new Error('an oversized frag was handed out');
      nd.unregister();
    };
    const g = measure(n(5_000), 2000, cycle);
    clock.advance(1000);
    expectBounded('netdev register/unregister', g);
    expect(ns.allDevices().map((d) => d.name)).toEqual(['lo']);
    expectClean(domain, free0);
  });

  it('10,000 namespaces (a namespace with a running device and its control plane; the device unregistered, the namespace dropped)', () => {
    const { domain, clock } = world(4096);
    const free0 = domain.freePages;
    const provider = pagesProvider({ bulk: 8 });
    const cycle = (): void => {
      const ns = new NetNamespace(domain, { pageProvider: provider });
      const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 1, ringSize: 4 });
      controlPlane(ns).pagePoolDump();
      ns.socket().close();
      nd.unregister();
    };
    const g = measure(n(5_000), 2000, cycle);
    clock.advance(1000);
    expectBounded('namespaces', g);
    expectClean(domain, free0);
  });

  it('100,000 sockets closed with devmem tokens out', () => {
    const { domain, clock } = world(4096, 1024);
    const free0 = domain.freePages;
    const ns = new NetNamespace(domain, { pageProvider: pagesProvider({ bulk: 8 }) });
    const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 1, headerSplit: true, ringSize: 16 });
    const drv = ns.driver(nd);
    const nl = new NetdevNlSocket(ns);
    const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 64 }), queues: [{ id: 0, type: 'rx' }] });
    const binding = nl.binding(id)!;
    const packet = new Uint8Array(64 + 2 * 4096).fill(7);
    const buf = new Uint8Array(3 * 4096);
    const cmsgs = new DevmemCmsgBuffer(16);
    let tokens = 0;
    const cycle = (): void => {
      const sk = ns.socket();
      if (!drv.receive(0, packet, 64, sk)) throw new Error('the packet was dropped');
      devmemRecvmsg(sk, buf, { cmsgs, flags: MSG_SOCK_DEVMEM });
      tokens += devmemTokens(sk)!.held;
      sk.close();
    };
    const cycles = n(50_000);
    const g = measure(cycles, 5000, cycle);
    // Every cycle left its payload frags with the user as tokens; close gave each back.
    expect(tokens).toBe((2 * cycles + 5000) * 2);
    expectBounded('sockets closed with devmem tokens out', g);
    nl.close();
    nd.unregister();
    clock.advance(1000);
    expect(binding.isFreed).toBe(true);
    expect(binding.leaked).toBe(0);
    expectClean(domain, free0);
  });
});
