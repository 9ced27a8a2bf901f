/** bind-rx through the control socket: errors in the kernel's order, rollback, success, introspection. */
import { describe, expect, it } from 'vitest';
import { Dmabuf, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, controlPlane, createPagePool } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { NetdevNlSocket, listedBindings, lookupBinding } from '../src/index.js';
import { codeOf, world } from './helpers.js';

describe('bind-rx errors, in order', () => {
  it('missing attributes and an empty queue list are EINVAL', () => {
    const w = world();
    const dmabuf = w.dmabuf();
    const maps = w.nd.dev!.counters().maps;
    const q = [{ id: 0, type: 'rx' as const }];
    expect(codeOf(() => w.nl.bindRx({ dmabuf, queues: q }))).toBe('EINVAL');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, queues: q }))).toBe('EINVAL');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf }))).toBe('EINVAL');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf, queues: [] }))).toBe('EINVAL');
    // Attribute checks come before the netdev lookup.
    expect(codeOf(() => w.nl.bindRx({ ifindex: 99, dmabuf, queues: [] }))).toBe('EINVAL');
    expect(w.nd.dev!.counters().maps).toBe(maps);
    expect(listedBindings(w.domain)).toEqual([]);
  });

  it('unknown or unregistered netdev is ENODEV', () => {
    const w = world();
    expect(codeOf(() => w.nl.bindRx({ ifindex: 99, dmabuf: w.dmabuf(), queues: [{ id: 0, type: 'rx' }] }))).toBe('ENODEV');
    const other = w.ns.createNetdevsim({ headerSplit: true });
    other.unregister();
    expect(codeOf(() => w.nl.bindRx({ ifindex: other.ifindex, dmabuf: w.dmabuf(), queues: [{ id: 0, type: 'rx' }] }))).toBe('ENODEV');
  });

  it('a queue entry without id/type, of type tx, or past the real queue count is EINVAL; nothing is mapped', () => {
    const w = world();
    const dev = w.nd.dev!;
    const maps = dev.counters().maps;
    const dmabuf = w.dmabuf();
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf, queues: [{ type: 'rx' }] }))).toBe('EINVAL');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf, queues: [{ id: 0 }] }))).toBe('EINVAL');
    expect(
      codeOf(() =>
        w.nl.bindRx({
          ifindex: w.nd.ifindex,
          dmabuf,
          queues: [
            { id: 0, type: 'rx' },
            { id: 1, type: 'tx' },
          ],
        }),
      ),
    ).toBe('EINVAL');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf, queues: [{ id: 2, type: 'rx' }] }))).toBe('EINVAL');
    expect(dev.counters().maps).toBe(maps);
    expect(listedBindings(w.domain)).toEqual([]);
  });

  it('each queue goes through mpOpenRxq: header split, threshold, XDP, bound, AF_XDP, ENODATA, restart failure', () => {
    const w = world();
    const q0 = [{ id: 0, type: 'rx' as const }];
    const noSplit = w.ns.createNetdevsim({ headerSplit: false });
    expect(codeOf(() => w.nl.bindRx({ ifindex: noSplit.ifindex, dmabuf: w.dmabuf(), queues: q0 }))).toBe('EINVAL');
    const thresh = w.ns.createNetdevsim({ headerSplit: true });
    thresh.setHeaderSplit(true, 256);
    expect(codeOf(() => w.nl.bindRx({ ifindex: thresh.ifindex, dmabuf: w.dmabuf(), queues: q0 }))).toBe('EINVAL');
    // XDP with header split off: the header-split check comes first (kernel order).
    noSplit.setXdp(true);
    expect(codeOf(() => w.nl.bindRx({ ifindex: noSplit.ifindex, dmabuf: w.dmabuf(), queues: q0 }))).toBe('EINVAL');
    w.nd.setXdp(true);
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(), queues: q0 }))).toBe('EEXIST');
    w.nd.setXdp(false);
    w.bind();
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(), queues: q0 }))).toBe('EEXIST');
    w.nd.rxQueues[1].xsk = true;
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(), queues: [{ id: 1, type: 'rx' }] }))).toBe('EBUSY');
    w.nd.rxQueues[1].xsk = false;
    const legacy = w.ns.createNetdevsim({ headerSplit: true, supportsUnreadable: false });
    expect(codeOf(() => w.nl.bindRx({ ifindex: legacy.ifindex, dmabuf: w.dmabuf(), queues: q0 }))).toBe('ENODATA');
    w.drv.failNextQueueStart = true;
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(), queues: [{ id: 1, type: 'rx' }] }))).toBe('EIO');
    // Only the one good binding survives; every failed one was freed with its mappings.
    expect(listedBindings(w.domain).map((b) => b.id)).toEqual([w.nl.bindings[0].id]);
    expect(w.nl.bindings.length).toBe(1);
  });

  it('a failure on the second queue unbinds the first: queue back on pages, binding freed, mappings undone', () => {
    const w = world();
    const dev = w.nd.dev!;
    const live = dev.liveMappings;
    w.nd.rxQueues[1].xsk = true;
    const dmabuf = w.dmabuf(256, 64);
    expect(
      codeOf(() =>
        w.nl.bindRx({
          ifindex: w.nd.ifindex,
          dmabuf,
          queues: [
            { id: 1, type: 'rx' },
            { id: 0, type: 'rx' },
          ],
        }),
      ),
    ).toBe('EBUSY');
    expect(w.nd.rxQueues[0].mp).toBeNull();
    expect(w.drv.pool(0)!.provider.name).toBe('pages');
    expect(w.nl.bindings).toEqual([]);
    expect(listedBindings(w.domain)).toEqual([]);
    // Queue 0 was restarted twice (bind, unbind): its page pool's mappings replace the old ones; the dmabuf's 4 are gone.
    expect(dev.liveMappings).toBe(live);
    expect(dev.faultCount).toBe(0);
  });

  it('precedence: attributes, then the netdev, then the queue list, then each queue', () => {
    const w = world();
    w.nd.setXdp(true);
    const dmabuf = w.dmabuf();
    const tx = [{ id: 0, type: 'tx' as const }];
    // An unknown netdev wins over a bad queue entry; a bad queue entry wins over XDP.
    expect(codeOf(() => w.nl.bindRx({ ifindex: 99, dmabuf, queues: tx }))).toBe('ENODEV');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf, queues: tx }))).toBe('EINVAL');
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf, queues: [{ id: 0, type: 'rx' }] }))).toBe('EEXIST');
    expect(listedBindings(w.domain)).toEqual([]);
  });

  it('a closed control socket refuses with EBADF', () => {
    const w = world();
    w.nl.close();
    expect(codeOf(() => w.nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(), queues: [{ id: 0, type: 'rx' }] }))).toBe('EBADF');
  });
});

describe('bind-rx success', () => {
  it('returns ids from 1, restarts the queues with the dmabuf provider and reports the binding id', () => {
    const w = world();
    const b = w.bind(256, 64, [1, 0, 1]);
    expect(b.id).toBe(1);
    expect(lookupBinding(w.domain, 1)).toBe(b);
    expect(b.boundQueues.map((q) => q.index)).toEqual([0, 1]);
    for (const q of [0, 1]) {
      const pool = w.drv.pool(q)!;
      expect(pool.provider).toBe(b.provider);
      expect(pool.dmaSync).toBe(false);
      expect(pool.info().dmabuf).toBe(1);
      expect(controlPlane(w.ns).queueGet({ ifindex: w.nd.ifindex, id: q, type: 'rx' }).dmabuf).toBe(1);
      expect(w.drv.hdrPool(q)!.provider.name).toBe('pages');
      expect(w.drv.posted(q).payload).toBe(64);
    }
    // Control socket + two pools.
    expect(b.refs).toBe(3);
    expect(b.chunks.free).toBe(256 - 128);
    expect(b.mappings).toBe(4);
    const b2 = new NetdevNlSocket(w.ns);
    const nd2 = w.ns.createNetdevsim({ headerSplit: true });
    expect(b2.bindRx({ ifindex: nd2.ifindex, dmabuf: new Dmabuf({ pages: 8 }), queues: [{ id: 0, type: 'rx' }] })).toBe(2);
  });

  it('the chunks map per scatter segment and the DMA addresses are preset per net_iov', () => {
    const w = world();
    const b = w.bind(100, 30);
    expect(b.chunks.chunks).toBe(4);
    expect(b.areas.map((a) => a.count)).toEqual([30, 30, 30, 10]);
    const dev = w.nd.dev!;
    for (let idx = 0; idx < b.size; idx++) {
      const nm = b.netIov(idx);
      expect(dev.isMapped(inspectNetmem(w.domain, nm).dma)).toBe(true);
      expect(b.virtualAddr(nm)).toBe(idx * 4096);
      expect(b.indexOf(nm)).toBe(idx);
    }
    expect(codeOf(() => w.domain.bytes(b.netIov(0)))).toBe('EFAULT');
  });

  it('provider init: order > 0 is E2BIG, DMA sync off, one binding reference per pool', () => {
    const w = world();
    const b = w.bind();
    const refs = b.refs;
    const mk = (order: number) =>
      createPagePool({ domain: w.domain, dev: w.nd.dev, provider: b.provider, order, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 });
    expect(codeOf(() => mk(1))).toBe('E2BIG');
    expect(b.refs).toBe(refs);
    const pool = mk(0);
    expect(pool.dmaSync).toBe(false);
    expect(b.refs).toBe(refs + 1);
    pool.destroy();
    expect(b.refs).toBe(refs);
  });

  it('closing the control socket unbinds: queues back on pages, ids stop resolving, binding freed', () => {
    const w = world();
    const b = w.bind(256, 64, [0, 1]);
    const dev = w.nd.dev!;
    w.nl.close();
    expect(b.isUnbound).toBe(true);
    expect(b.isFreed).toBe(true);
    expect(b.refs).toBe(0);
    expect(b.mappings).toBe(0);
    expect(lookupBinding(w.domain, b.id)).toBeUndefined();
    expect(w.drv.pool(0)!.provider.name).toBe('pages');
    expect(w.drv.pool(1)!.provider.name).toBe('pages');
    expect(w.nd.rxQueues[0].mp).toBeNull();
    expect(dev.faultCount).toBe(0);
    expect(b.leaked).toBe(0);
    expect(w.warns).toEqual([]);
    w.nl.close();
  });
});
