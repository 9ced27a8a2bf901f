/**
 * Hostile input on the binding side of provider-devmem: createBinding, binding methods, the chunk allocator, bind-rx requests and control-socket close.
 *
 * Hostile and careless input: every public entry point of provider-devmem
 * refuses bad arguments with a NetmemError carrying the kernel's errno, before
 * it changes anything; multi-step operations complete or leave state as it
 * was. Each test asserts the exact code and that nothing changed.
 */
import { describe, expect, it } from 'vitest';
import { MemoryDomain } from '@netmem/core';
import { ChunkAllocator, NetdevNlSocket, checkDevmemInvariants, createBinding, dmabufProvider, listedBindings, lookupBinding } from '../src/index.js';
import { codeOf, world } from './helpers.js';
import { clean, holding, state, type Any } from './hostile-helpers.js';

describe('createBinding', () => {
  it('wrong types, a device of another domain, a removed device, a bad netdev: refused before anything is mapped', () => {
    const w = world();
    const dev = w.nd.dev!;
    const dmabuf = w.dmabuf(16, 8);
    const before = state(w, null);
    const other = new MemoryDomain({ pages: 16, netIovs: 16, onWarn: false });
    const foreign = other.createDevice('nic9');
    const gone = w.domain.createDevice('gone', { strict: true });
    gone.remove();
    const lo = w.ns.loopback;
    const nd2 = w.ns.createNetdevsim({ headerSplit: true });
    expect(codeOf(() => createBinding({} as Any, dev, dmabuf))).toBe('EINVAL');
    expect(codeOf(() => createBinding(null as Any, dev, dmabuf))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, {} as Any, dmabuf))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, null as Any, dmabuf))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, foreign, dmabuf))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, gone, dmabuf))).toBe('ENODEV');
    expect(codeOf(() => createBinding(w.domain, dev, {} as Any))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, dev, { size: 4096, segments: [], region: {} } as Any))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, dev, dmabuf, null as Any))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, dev, dmabuf, { netdev: {} as Any }))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, dev, dmabuf, { netdev: lo }))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, dev, dmabuf, { netdev: nd2 }))).toBe('EINVAL');
    expect(codeOf(() => createBinding(w.domain, dev, dmabuf, { netDev: w.nd } as Any))).toBe('EINVAL');
    expect(state(w, null)).toEqual(before);
    expect(gone.faultCount).toBe(0);
    expect(foreign.counters().maps).toBe(0);
    // Descriptors untouched: a good binding gets the first ones.
    const b = createBinding(w.domain, dev, dmabuf, { netdev: w.nd });
    expect(b.areas[0].baseDesc).toBe(w.domain.pages + 1);
    b.unbind();
    expect(b.isFreed).toBe(true);
    expect(state(w, null)).toEqual(before);
    clean(w, null);
  });

  it('the device removed in the middle of the mappings: ENODEV, no DMA-API call on the removed device, nothing listed', () => {
    for (const strict of [true, false]) {
      const w = world({ strictIommu: strict });
      const dev = w.nd.dev!;
      const map = dev.map.bind(dev);
      let n = 0;
      dev.map = (...a: Parameters<typeof dev.map>) => {
        const iova = map(...a);
        if (++n === 2) dev.remove();
        return iova;
      };
      expect(codeOf(() => createBinding(w.domain, dev, w.dmabuf(32, 8)))).toBe('ENODEV');
      expect(dev.faultCount).toBe(0);
      expect(listedBindings(w.domain)).toEqual([]);
      // The descriptor space is untouched: a binding on another device gets the first net_iovs.
      const d2 = w.domain.createDevice('nic2', { strict: true });
      const b = createBinding(w.domain, d2, w.dmabuf(32, 8));
      expect(b.areas[0].baseDesc).toBe(w.domain.pages + 1);
      b.unbind();
      expect(d2.liveMappings).toBe(0);
      clean(w, null);
    }
  });

  it('a mapping failure or the descriptor space running out on a later segment: ENOMEM, mappings undone, descriptors given back', () => {
    const w = world({ netIovs: 20 });
    const dev = w.nd.dev!;
    const before = state(w, null);
    dev.failMapEvery = 3;
    expect(codeOf(() => createBinding(w.domain, dev, w.dmabuf(32, 8)))).toBe('ENOMEM');
    dev.failMapEvery = 0;
    expect(state(w, null)).toEqual(before);
    // 3 segments of 8 need 24 net_iovs: the third area does not fit.
    expect(codeOf(() => createBinding(w.domain, dev, w.dmabuf(24, 8)))).toBe('ENOMEM');
    expect(state(w, null)).toEqual(before);
    const b = createBinding(w.domain, dev, w.dmabuf(20, 10));
    expect(b.areas[0].baseDesc).toBe(w.domain.pages + 1);
    b.unbind();
    expect(state(w, null)).toEqual(before);
    expect(dev.faultCount).toBe(0);
    clean(w, null);
  });

  it('lookupBinding and listedBindings need a domain; an id that cannot name a binding finds none', () => {
    const w = world();
    const b = w.bind(16, 16);
    expect(codeOf(() => lookupBinding({} as Any, 1))).toBe('EINVAL');
    expect(codeOf(() => listedBindings(undefined as Any))).toBe('EINVAL');
    for (const bad of [1.5, NaN, -1, '1', 2 ** 32 + 1] as Any[]) expect(lookupBinding(w.domain, bad)).toBeUndefined();
    expect(lookupBinding(w.domain, b.id)).toBe(b);
  });
});

describe('DmabufBinding methods', () => {
  it('bad indexes and handles are EINVAL (or -1 / not ours for lookups); nothing changes', () => {
    const { w, b, sk } = holding(1, 0);
    const before = state(w, b, [sk]);
    expect(codeOf(() => b.uninstall(null as Any))).toBe('EINVAL');
    for (const bad of [-1, 1.5, NaN, b.size, '0', null] as Any[]) expect(codeOf(() => b.netIov(bad))).toBe('EINVAL');
    for (const bad of [0, 1.5, NaN, -1, '1', null, 3] as Any[]) {
      expect(b.indexOf(bad)).toBe(-1);
      expect(codeOf(() => b.virtualAddr(bad))).toBe('EINVAL');
      expect(codeOf(() => b.freeNetIov(bad))).toBe('EINVAL');
    }
    expect(codeOf(() => b.onFreed(undefined as Any))).toBe('EINVAL');
    expect(codeOf(() => b.bindQueue({} as Any, 1))).toBe('EINVAL');
    expect(codeOf(() => b.bindQueue(w.nd, 1.5))).toBe('ERANGE');
    const nd2 = w.ns.createNetdevsim({ headerSplit: true });
    expect(codeOf(() => b.bindQueue(nd2, 0))).toBe('EINVAL');
    expect(state(w, b, [sk])).toEqual(before);
    clean(w, b, [sk]);
    sk.close();
  });

  it('a bare binding may not be installed on a netdev whose DMA device is not the one it was mapped for', () => {
    const w = world();
    const d2 = w.domain.createDevice('other', { strict: true });
    const b = createBinding(w.domain, d2, w.dmabuf(16, 16));
    const before = state(w, b);
    expect(codeOf(() => b.bindQueue(w.nd, 1))).toBe('EINVAL');
    expect(state(w, b)).toEqual(before);
    b.unbind();
    expect(codeOf(() => b.bindQueue(w.nd, 1))).toBe('EINVAL');
    expect(codeOf(() => b.unbind())).toBe('EINVAL');
    clean(w, null);
  });

  it('a throwing onFreed hook does not stop the binding from being freed, nor the other bindings from being unbound', () => {
    const w = world();
    const b1 = w.bind(16, 16, [0]);
    const b2 = w.bind(16, 16, [1]);
    const seen: number[] = [];
    b1.onFreed(() => {
      throw new Error('hook failed');
    });
    b1.onFreed(() => seen.push(1));
    b2.onFreed(() => seen.push(2));
    w.nl.close();
    expect(b1.isFreed && b2.isFreed).toBe(true);
    expect(seen).toEqual([1, 2]);
    expect(w.nd.rxQueues.slice(0, 2).map((q) => q.mp)).toEqual([null, null]);
    expect(w.warns.map((x) => x.kind)).toEqual(['devmem-hook']);
    expect(w.nd.dev!.faultCount).toBe(0);
    clean(w, null);
  });
});

describe('ChunkAllocator', () => {
  it('bad chunk lists, chunk and index numbers are EINVAL; an index of another chunk is refused; a double free stays EALREADY', () => {
    for (const bad of [null, 5, [0], [1.5], [-1], ['4'], [NaN], [2 ** 31]] as Any[]) expect(codeOf(() => new ChunkAllocator(bad))).toBe('EINVAL');
    const c = new ChunkAllocator([2, 3]);
    const a = c.alloc();
    expect(a).toBe(0);
    for (const bad of [-1, 2, 1.5, NaN, '0'] as Any[]) expect(codeOf(() => c.chunkStart(bad))).toBe('EINVAL');
    for (const bad of [-1, 5, 1.5, NaN, '0'] as Any[]) expect(codeOf(() => c.isFree(bad))).toBe('EINVAL');
    expect(codeOf(() => c.release(1, a))).toBe('EINVAL');
    expect(codeOf(() => c.release(0, 2))).toBe('EINVAL');
    expect(codeOf(() => c.release(0.5, a))).toBe('EINVAL');
    expect(codeOf(() => c.release(0, 0.5))).toBe('EINVAL');
    expect(codeOf(() => c.release(0, 1))).toBe('EALREADY');
    expect(c.check()).toEqual([]);
    expect(c.free).toBe(4);
    c.release(0, a);
    expect(c.free).toBe(5);
    expect(c.check()).toEqual([]);
  });
});

describe('dmabufProvider and checkDevmemInvariants', () => {
  it('refuse what is not a binding / not sockets with EINVAL', () => {
    const { w, b, sk } = holding(1, 0);
    expect(codeOf(() => dmabufProvider(null as Any))).toBe('EINVAL');
    expect(codeOf(() => dmabufProvider({ id: 1 } as Any))).toBe('EINVAL');
    expect(codeOf(() => checkDevmemInvariants({} as Any, []))).toBe('EINVAL');
    expect(codeOf(() => checkDevmemInvariants(b, null as Any))).toBe('EINVAL');
    expect(codeOf(() => checkDevmemInvariants(b, [{}] as Any))).toBe('EINVAL');
    expect(codeOf(() => checkDevmemInvariants(b, [sk], 'yes' as Any))).toBe('EINVAL');
    clean(w, b, [sk]);
    sk.close();
  });
});

describe('bind-rx request fields', () => {
  it('ifindex not an integer, queues not an array, entries not objects or with unknown keys, a non-dmabuf: EINVAL; duplicates are fine', () => {
    const w = world();
    const dmabuf = w.dmabuf(16, 16);
    const before = state(w, null);
    const q0 = [{ id: 0, type: 'rx' as const }];
    expect(codeOf(() => new NetdevNlSocket({} as Any))).toBe('EINVAL');
    const bads: Any[] = [
      null,
      5,
      { ifindex: 1.5, dmabuf, queues: q0 },
      { ifindex: NaN, dmabuf, queues: q0 },
      { ifindex: String(w.nd.ifindex), dmabuf, queues: q0 },
      { ifindex: -1, dmabuf, queues: q0 },
      { ifindex: 2 ** 32 + w.nd.ifindex, dmabuf, queues: q0 },
      { ifindex: w.nd.ifindex, dmabuf, queues: 'rx' },
      { ifindex: w.nd.ifindex, dmabuf, queues: 3 },
      { ifindex: w.nd.ifindex, dmabuf, queues: { 0: q0[0], length: 1 } },
      { ifindex: w.nd.ifindex, dmabuf, queues: [null] },
      { ifindex: w.nd.ifindex, dmabuf, queues: [{ id: 0, type: 'rx', extra: true }] },
      { ifindex: w.nd.ifindex, dmabuf, queues: [{ id: 0, type: 'RX' }] },
      { ifindex: w.nd.ifindex, dmabuf, queues: [{ id: '0', type: 'rx' }] },
      { ifindex: w.nd.ifindex, dmabuf, queues: [{ id: 0.5, type: 'rx' }] },
      { ifindex: w.nd.ifindex, dmabuf: {}, queues: q0 },
      { ifindex: w.nd.ifindex, dmabuf: null, queues: q0 },
    ];
    for (const r of bads) expect(codeOf(() => w.nl.bindRx(r))).toBe('EINVAL');
    expect(state(w, null)).toEqual(before);
    expect(w.nl.bindings).toEqual([]);
    const id = w.nl.bindRx({
      ifindex: w.nd.ifindex,
      dmabuf,
      queues: [
        { id: 1, type: 'rx' },
        { id: 1, type: 'rx' },
      ],
    });
    expect(w.nl.binding(id)!.boundQueues.map((q) => q.index)).toEqual([1]);
    w.nl.close();
    expect(state(w, null)).toEqual(before);
    clean(w, null);
  });

  it('a queue that fails to start at each step of a multi-queue bind: everything unbound, state as before', () => {
    for (const failAt of [1, 2, 3]) {
      const w = world({ rxQueues: 3, checked: true });
      const before = state(w, null);
      const drv = w.drv;
      const start = drv.queueStart.bind(drv);
      let n = 0;
      drv.queueStart = (idx: number, mem: unknown) => {
        if (++n === failAt) drv.failNextQueueStart = true;
        return start(idx, mem);
      };
      expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(64, 16), queues: [0, 1, 2].map((id) => ({ id, type: 'rx' as const })) }))).toBe(
        'EIO',
      );
      drv.queueStart = start;
      expect(state(w, null)).toEqual(before);
      expect(w.nl.bindings).toEqual([]);
      for (let q = 0; q < 3; q++) expect(w.drv.pool(q)!.provider.name).toBe('pages');
      w.clock.advance(1000);
      expect(w.warns).toEqual([]);
      clean(w, null);
    }
  });
});

describe('control socket close with several bindings', () => {
  it('a queue that fails to restart while the first binding is unbound: every binding is still unbound; the stuck one is freed by the next restart', () => {
    const w = world({ checked: true });
    const b1 = w.bind(16, 16, [0]);
    const b2 = w.bind(16, 16, [1]);
    w.drv.failNextQueueStart = true;
    w.nl.close();
    expect(w.nl.bindings).toEqual([]);
    expect(b1.isUnbound && b2.isUnbound).toBe(true);
    expect(listedBindings(w.domain)).toEqual([]);
    expect(b2.isFreed).toBe(true);
    // Queue 0 kept running on its dmabuf pool (the kernel's "RX queue may be unhealthy"): that pool still holds b1.
    expect(b1.isFreed).toBe(false);
    expect(w.warns.map((x) => x.kind)).toEqual(['devmem-unbind']);
    expect(w.nd.rxQueues[0].mp).toBeNull();
    w.nd.close();
    w.nd.open();
    w.clock.advance(1000);
    expect(b1.isFreed).toBe(true);
    expect(b1.leaked).toBe(0);
    expect(w.drv.pool(0)!.provider.name).toBe('pages');
    expect(w.nd.dev!.faultCount).toBe(0);
    clean(w, null);
  });
});

describe('a binding unbound directly, then its control socket closed', () => {
  it("close skips it (no EINVAL from a second unbind) and it drops out of the socket's bindings", () => {
    const w = world();
    const b1 = w.bind(16, 16, [0]);
    const b2 = w.bind(16, 16, [1]);
    b1.unbind();
    expect(b1.isFreed).toBe(true);
    expect(w.nl.bindings).toEqual([b2]);
    expect(w.nl.binding(b1.id)).toBeUndefined();
    w.nl.close();
    expect(b2.isFreed).toBe(true);
    expect(w.nl.bindings).toEqual([]);
    expect(w.warns).toEqual([]);
    clean(w, null);
  });
});
