/**
 * devmem through core's control plane and ledger: page-pool notifications
 * and dumps carry the binding id, queue-get reports it, a pool detached by
 * unbind with tokens out is explained by the ledger ('user'), and is deleted
 * once the tokens come back.
 */
import { describe, expect, it } from 'vitest';
import { Dmabuf, NetNamespace, controlPlane, ledgerSummary, type PagePoolInfo } from '@netmem/core';
import { quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { NetdevNlSocket, devmemRecvmsgObjects, dontneed } from '@netmem/provider-devmem';

describe('devmem and the control plane', () => {
  it('pool add / change / del carry the dmabuf id; the ledger explains a detached pool', () => {
    const { clock, domain } = quietWorld({ pages: 1024, netIovs: 1024, checked: true });
    const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
    const cp = controlPlane(ns);
    const nd = ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 16, strictIommu: true });
    const drv = ns.driver(nd);
    const events: [string, PagePoolInfo][] = [];
    for (const kind of ['page-pool-add', 'page-pool-change', 'page-pool-del'] as const) cp.on(kind, (i) => events.push([kind, i]));
    const nl = new NetdevNlSocket(ns);
    const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 64, segmentPages: 16 }), queues: [{ id: 0, type: 'rx' }] });
    const pool = drv.pool(0)!;
    const added = events.filter(([k, i]) => k === 'page-pool-add' && i.id === pool.id);
    expect(added.length).toBe(1);
    expect(added[0][1].dmabuf).toBe(id);
    expect(
      cp
        .pagePoolDump()
        .filter((i) => i.dmabuf === id)
        .map((i) => i.id),
    ).toEqual([pool.id]);
    expect(cp.queueGet({ ifindex: nd.ifindex, id: 0, type: 'rx' }).dmabuf).toBe(id);

    const sk = ns.socket();
    drv.receive(0, new Uint8Array(64 + 3 * 4096), 64, sk);
    expect(devmemRecvmsgObjects(sk, new Uint8Array(1 << 16)).cmsgs.length).toBe(3);
    events.length = 0;
    nl.close();
    // Unbind restarted the queue on pages; the devmem pool waits for the user's three buffers.
    const changed = events.filter(([k, i]) => k === 'page-pool-change' && i.id === pool.id);
    expect(changed.length).toBe(1);
    expect(changed[0][1]).toMatchObject({ id: pool.id, dmabuf: id, inflight: 3, detachTime: 0 });
    expect(ledgerSummary(domain).get(pool.id)).toEqual({ user: 3 });
    expect(cp.queueGet({ ifindex: nd.ifindex, id: 0, type: 'rx' }).dmabuf).toBeUndefined();
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 3 }])).toBe(3);
    clock.advance(1000);
    const deleted = events.filter(([k, i]) => k === 'page-pool-del' && i.id === pool.id);
    expect(deleted.length).toBe(1);
    expect(deleted[0][1]).toMatchObject({ dmabuf: id, inflight: 0 });
    expect(pool.isFreed).toBe(true);
    expect(nd.dev!.faultCount).toBe(0);
    sk.close();
  });
});
