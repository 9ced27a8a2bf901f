import { describe, expect, it } from 'vitest';
import { whereIs } from '@netmem/core';
import { checkDomainInvariants, inspectNetmem } from '@netmem/core/testing';
import { CQE_ERR, type RecvZcRequest } from '../src/index.js';
import { HDR, assertZcrx, makeWorld, packet, reap, type Cqe, type World } from './helpers.js';

function hold(w: World, req: RecvZcRequest, k: number): Cqe[] {
  for (let i = 0; i < k; i++) expect(w.drv.receive(1, packet(4096, i), HDR, w.sk)).toBe(true);
  while (req.issue() === 'requeue');
  return reap(w);
}

const idx = (c: Cqe): number => c.off / 4096;

/** Counts unmaps of the ifq area's IOVA from now on. */
function countAreaUnmaps(w: World): () => number {
  const dev = w.nd.dev!;
  const iova = inspectNetmem(w.domain, w.ifq.area.niov(0)).dma;
  expect(iova).not.toBe(0);
  let n = 0;
  const orig = dev.unmap.bind(dev);
  dev.unmap = (a: number, dir: number) => {
    if (a === iova) n++;
    orig(a, dir);
  };
  return () => n;
}

describe('ring exit, scrub and unregister', () => {
  it('exit scrubs user refs at once, cancels armed requests, closes the queue and frees the ifq', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk, { userData: 3 });
    const c = hold(w, req, 5);
    w.drv.receive(1, packet(4096, 9), HDR, w.sk); // one more stays in the socket queue
    const areaUnmaps = countAreaUnmaps(w);
    const pool = w.drv.pool(1)!;
    w.ring.exit();
    expect(w.ifq.stats.scrubbed).toBe(5);
    for (const x of c) expect(w.ifq.area.userRefs[idx(x)]).toBe(0);
    expect(reap(w)).toEqual([{ userData: 3, res: CQE_ERR.ECANCELED, flags: 0, off: 0 }]);
    expect(w.nd.rxQueues[1].mp).toBeNull();
    expect(w.drv.pool(1)!.provider.name).toBe('pages');
    // The socket still holds one buffer: the old pool waits, and so does the ifq.
    expect(pool.isDetached).toBe(true);
    expect(pool.inflight).toBe(1);
    expect(w.ifq.freed).toBe(false);
    assertZcrx(w.ifq);
    w.sk.close();
    w.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(w.ifq.freed).toBe(true);
    expect(areaUnmaps()).toBe(1); // the area, once, when the ifq was freed
    expect(w.nd.dev!.faultCount).toBe(0);
    expect(checkDomainInvariants(w.domain)).toEqual([]);
    expect(() => w.ring.recvZc(w.sk)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('refill then scrub on one buffer: the refill wins, scrub skips it', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk);
    const [a] = hold(w, req, 1);
    const pool = w.drv.pool(1)!;
    const held: number[] = [];
    while (pool.cacheSize > 0) held.push(pool.allocNetmems());
    w.rq.pushOff(a.off);
    w.rq.commit();
    const nm = pool.allocNetmems();
    expect(nm).toBe(w.ifq.area.niov(idx(a)));
    w.ifq.scrub();
    expect(w.ifq.stats.scrubbed).toBe(0);
    expect(w.ifq.stats.rqRecycled).toBe(1);
    expect(whereIs(w.domain, nm)).toMatchObject({ poolId: pool.id, ppRef: 1 });
    held.push(nm);
    for (const x of held) pool.recycleDirect(x);
    assertZcrx(w.ifq);
    expect(pool.snapshot().cache.filter((x) => x === nm).length).toBe(1);
    w.ring.exit();
    expect(w.ifq.freed).toBe(true);
  });

  it('scrub then refill on one buffer: the scrub wins, the refill entry is skipped', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk);
    const [a] = hold(w, req, 1);
    const pool = w.drv.pool(1)!;
    const nm = w.ifq.area.niov(idx(a));
    w.rq.pushOff(a.off);
    w.rq.commit();
    w.ifq.scrub();
    expect(w.ifq.stats.scrubbed).toBe(1);
    expect(whereIs(w.domain, nm)).toMatchObject({ poolId: pool.id, place: 'ring', ppRef: 1 });
    const held: number[] = [];
    while (pool.cacheSize > 0 || pool.ringLength > 0) held.push(pool.allocNetmems());
    expect(held.filter((x) => x === nm).length).toBe(1); // from the pool's ring, once
    expect(pool.allocNetmems()).toBe(0); // the refill found A without a user ref; the freelist is empty
    expect(w.ifq.stats.rqNoUserRef).toBe(1);
    expect(w.ifq.stats.rqRecycled).toBe(0);
    for (const x of held) pool.recycleDirect(x);
    assertZcrx(w.ifq);
    w.ring.exit();
    expect(w.ifq.freed).toBe(true);
  });

  it('unregister with buffers out: the area is unmapped once at uninstall; exit later returns everything', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk);
    const c = hold(w, req, 5);
    const dev = w.nd.dev!;
    const areaUnmaps = countAreaUnmaps(w);
    const pool = w.drv.pool(1)!;
    w.nd.unregister();
    expect(areaUnmaps()).toBe(1);
    expect(w.ifq.area.isMapped).toBe(false);
    expect(w.ifq.area.mappings).toBe(0);
    expect(w.ifq.netdev).toBeNull();
    expect(pool.isDetached).toBe(true);
    expect(pool.inflight).toBe(5);
    // The user returns two; with no live pool of the ifq nobody reads the refill ring.
    w.rq.pushOff(c[0].off);
    w.rq.pushOff(c[1].off);
    w.rq.commit();
    w.clock.advance(3000);
    expect(pool.inflight).toBe(5);
    assertZcrx(w.ifq);
    w.ring.exit();
    expect(w.ifq.stats.scrubbed).toBe(5);
    w.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(w.ifq.freed).toBe(true);
    // Nothing unmapped twice, no DMA-API call on the area after uninstall.
    const f = dev.counters().faults;
    expect(f['double-unmap']).toBe(0);
    expect(dev.faultCount).toBe(0);
    expect(areaUnmaps()).toBe(1); // uninstall's, and no second one at free
    expect(checkDomainInvariants(w.domain)).toEqual([]);
  });

  it('nothing from a closed ifq is handed out again: the queue serves pages after exit', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk);
    hold(w, req, 3);
    w.ring.exit();
    const base = w.ifq.area.nia.baseDesc;
    for (let i = 0; i < 50; i++) w.drv.receive(1, packet(4096, i), HDR, w.sk);
    for (let s = w.sk.peek(); s; s = s.next) {
      for (let i = 0; i < s.shinfo.nrFrags; i++) {
        const d = inspectNetmem(w.domain, s.shinfo.fragNm[i]).desc;
        expect(d >= base && d < base + 64).toBe(false);
      }
    }
    w.sk.close();
    w.clock.advance(1000);
    expect(w.ifq.freed).toBe(true);
  });

  it('queue restart with buffers out: refills send old-pool buffers back to their detached pool', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk);
    const c = hold(w, req, 3);
    const old = w.drv.pool(1)!;
    w.nd.close();
    w.nd.open();
    const fresh = w.drv.pool(1)!;
    expect(fresh).not.toBe(old);
    expect(fresh.provider).toBe(w.ifq.ops);
    expect(old.isDetached).toBe(true);
    expect(old.inflight).toBe(3);
    expect(w.ifq.pools).toBe(2);
    for (const x of c) w.rq.pushOff(x.off);
    w.rq.commit();
    const held: number[] = [];
    while (fresh.cacheSize > 0) held.push(fresh.allocNetmems());
    held.push(fresh.allocNetmems()); // the refill: all three belong to the old pool
    expect(w.ifq.stats.rqReturned).toBe(3);
    expect(w.ifq.stats.rqRecycled).toBe(0);
    expect(old.ringLength).toBe(3);
    assertZcrx(w.ifq);
    w.clock.advance(1000);
    expect(old.isFreed).toBe(true);
    expect(w.ifq.pools).toBe(1);
    for (const nm of held) if (nm !== 0) fresh.recycleDirect(nm);
    assertZcrx(w.ifq);
    w.ring.exit();
    w.clock.advance(1000);
    expect(w.ifq.freed).toBe(true);
    expect(checkDomainInvariants(w.domain)).toEqual([]);
  });
});
