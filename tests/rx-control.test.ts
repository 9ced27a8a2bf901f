/**
 * Control plane (page-pool get / dump / stats-get, queue get, add / change /
 * del notifications, orphaning on unregister) and the ownership ledger
 * (whereIs, per-place summary, the stall warning's places).
 */
import { describe, expect, it } from 'vitest';
import { Place, controlPlane, createPagePool, whereIs, ledgerSummary, type NetmemWarning, type PagePoolInfo, type StalledPoolEvent } from '@netmem/core';
import { mpOpenRxq } from '@netmem/core/provider';
import { pagesProvider } from '@netmem/provider-pages';
import { iovProvider, packet, rig } from './rx-fixture.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('control plane', () => {
  it('page-pool get / dump / stats-get with the SPEC §3.7 errors', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2 });
    const nl = controlPlane(r.ns);
    const [p1, p2] = [r.ns.driver(nd).pool(0)!, r.ns.driver(nd).pool(1)!];
    const hidden = createPagePool({ domain: r.domain, provider: pagesProvider() });
    expect(nl.pagePoolDump().map((i) => i.id)).toEqual([p1.id, p2.id]);
    expect(nl.pagePoolGet({ id: p1.id })).toMatchObject({
      id: p1.id,
      ifindex: nd.ifindex,
      napiId: r.ns.driver(nd).napi(0).id,
      inflight: 256,
      inflightMem: 256 * 4096,
    });
    expect(() => nl.pagePoolGet({})).toThrow(code('EINVAL'));
    expect(() => nl.pagePoolGet({ id: 999 })).toThrow(code('ENOENT'));
    expect(() => nl.pagePoolGet({ id: hidden.id })).toThrow(code('ENOENT')); // no netdev: invisible
    expect(() => nl.pagePoolStatsGet({})).toThrow(code('EINVAL'));
    expect(() => nl.pagePoolStatsGet({ id: hidden.id })).toThrow(code('ENOENT'));
    const st = nl.pagePoolStatsGet({ id: p2.id });
    expect(st.info).toEqual({ id: p2.id, ifindex: nd.ifindex });
    // 256 posted buffers: four bulk allocations of 64, one returned and 63 cached each.
    expect(st.alloc).toMatchObject({ slow: 4, fast: 252, empty: 4 });
    expect(nl.pagePoolStatsDump().map((s) => s.info.id)).toEqual([p1.id, p2.id]);
    hidden.destroy();
  });

  it('add / change / del notifications; unregister orphans pools (no ifindex, change); get of a freed pool is ENOENT', () => {
    const r = rig();
    const events: string[] = [];
    const last = new Map<number, PagePoolInfo>();
    const nl = controlPlane(r.ns);
    for (const kind of ['page-pool-add', 'page-pool-change', 'page-pool-del'] as const) {
      nl.on(kind, (i) => {
        events.push(`${kind.slice(10)} ${i.id}${i.ifindex === undefined ? '' : ` if${i.ifindex}`}`);
        last.set(i.id, i);
      });
    }
    const nd = r.ns.createNetdevsim({ rxQueues: 1, ringSize: 8 });
    const sk = r.ns.socket();
    r.ns.driver(nd).receive(0, packet(0, 500), 54, sk);
    const pool = r.ns.driver(nd).pool(0)!;
    expect(events).toEqual(['add 1 if2']);
    nd.unregister();
    // Destroy found one buffer out: detached ("change" with ifindex), then orphaned ("change" without).
    expect(events).toEqual(['add 1 if2', 'change 1 if2', 'change 1']);
    expect(last.get(1)).toMatchObject({ id: 1, inflight: 1, detachTime: 0 });
    expect(nl.pagePoolGet({ id: 1 }).ifindex).toBe(undefined);
    expect(nl.pagePoolGet({ id: 1 })).toMatchObject({ inflight: 1, inflightMem: 4096 });
    expect(nl.pagePoolDump().map((i) => i.id)).toEqual([1]);
    expect(nl.pagePoolStatsGet({ id: 1 }).info).toEqual({ id: 1 });
    sk.close();
    r.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(events).toEqual(['add 1 if2', 'change 1 if2', 'change 1', 'del 1']);
    expect(() => nl.pagePoolGet({ id: 1 })).toThrow(code('ENOENT'));
    expect(nl.pagePoolDump()).toEqual([]);
  });

  it('queue get: napi id and the provider fields; ENODEV / ENETDOWN / EINVAL', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true });
    const mp = iovProvider(300);
    mpOpenRxq(nd, 1, mp);
    const nl = controlPlane(r.ns);
    expect(nl.queueGet({ ifindex: nd.ifindex, id: 0, type: 'rx' })).toEqual({ id: 0, type: 'rx', ifindex: nd.ifindex, napiId: r.ns.driver(nd).napi(0).id });
    expect(nl.queueGet({ ifindex: nd.ifindex, id: 1 })).toEqual({
      id: 1,
      type: 'rx',
      ifindex: nd.ifindex,
      napiId: r.ns.driver(nd).napi(1).id,
      testMp: 'test-dmabuf',
    });
    expect(nl.queueDump().length).toBe(2);
    expect(() => nl.queueGet({ ifindex: nd.ifindex })).toThrow(code('EINVAL'));
    expect(() => nl.queueGet({ ifindex: nd.ifindex, id: 2 })).toThrow(code('EINVAL'));
    expect(() => nl.queueGet({ ifindex: 77, id: 0 })).toThrow(code('ENODEV'));
    // The pool's own reply carries the provider's pool fields.
    expect(nl.pagePoolGet({ id: r.ns.driver(nd).pool(1)!.id })).toMatchObject({ testMpPool: 'test-dmabuf' });
    nd.close();
    expect(() => nl.queueGet({ ifindex: nd.ifindex, id: 0 })).toThrow(code('ENETDOWN'));
    expect(nl.queueDump()).toEqual([]);
  });
});

describe('ownership ledger', () => {
  it('whereIs follows a buffer pool → driver ring → socket → pool; info() sums places (checked mode)', () => {
    const r = rig({ checked: true });
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const pool = drv.pool(0)!;
    const sk = r.ns.socket({ coalesce: false });
    expect(pool.info().places).toEqual({ cache: 56, 'driver-ring': 8 });
    drv.receive(0, packet(0, 3000), 54, sk);
    const nm = sk.peek()!.shinfo.fragNm[0];
    expect(whereIs(r.domain, nm)).toEqual({ poolId: pool.id, place: 'socket', ppRef: 1 });
    expect(pool.info().places).toEqual({ cache: 55, 'driver-ring': 8, socket: 1 });
    const hp = drv.hdrPool(0)!;
    // Header frags share one page (16 of 256 bytes): it stays the pool's frag page while frags are carved from it.
    expect(hp.info().places).toEqual({ cache: 63, 'frag-page': 1 });
    const clone = r.ns.skbs.clone(sk.peek()!);
    r.ns.skbs.setPlaces(clone, Place.SKB);
    expect(whereIs(r.domain, nm).place).toBe('skb');
    sk.close();
    expect(whereIs(r.domain, nm).place).toBe('skb'); // the clone still holds it
    r.ns.skbs.free(clone);
    expect(whereIs(r.domain, nm)).toEqual({ poolId: pool.id, place: 'ring', ppRef: 1 });
    expect(ledgerSummary(r.domain).get(pool.id)).toEqual({ cache: 55, 'driver-ring': 8, ring: 1 });
    // After the pool is gone the buffer is nowhere.
    nd.unregister();
    expect(whereIs(r.domain, nm)).toEqual({ poolId: 0, place: 'none', ppRef: 0 });
  });

  it('the stalled-pool warning of a pool without netdev names the places that still hold pages', () => {
    const r = rig({ checked: true });
    const warns: NetmemWarning[] = [];
    r.domain.on('warn', (w) => warns.push(w));
    const pool = createPagePool({ domain: r.domain, provider: pagesProvider() });
    const stalled: StalledPoolEvent[] = [];
    pool.on('stalled', (e) => stalled.push(e));
    const a = pool.allocNetmems();
    const b = pool.allocNetmems();
    const c = pool.allocNetmems();
    r.domain.ledger.record(b, Place.SOCKET);
    r.domain.ledger.record(c, Place.USER);
    pool.destroy();
    r.clock.advance(59_000);
    expect(stalled).toEqual([]);
    r.clock.advance(1000);
    expect(stalled).toEqual([{ id: pool.id, inflight: 3, seconds: 60, places: { 'handed-out': 1, socket: 1, user: 1 } }]);
    const w = warns.filter((x) => x.kind === 'stalled-pool');
    expect(w.length).toBe(1);
    expect(w[0].message).toContain('handed-out 1');
    expect(w[0].message).toContain('socket 1');
    expect(w[0].message).toContain('user 1');
    for (const nm of [a, b, c]) pool.putNetmem(nm, -1, false);
    r.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
  });
});
