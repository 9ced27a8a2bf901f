import { describe, expect, it } from 'vitest';
import { Dmabuf, allPools, createPagePool, whereIs } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import {
  CQE_ERR,
  IORING_CQE_F_MORE,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_CQE_F_32,
  IORING_ZCRX_AREA_DMABUF,
  CqConsumer,
  IoUring,
  ZCRX_USER_BASE,
} from '../src/index.js';
import { HDR, assertZcrx, cqeBytes, giveBack, makeNet, makeWorld, packet, reap, type World } from './helpers.js';

/** Queues on `w.sk` an skb with a page head of `headBytes` bytes and one page frag of `fragBytes` (a non-zcrx sender). */
function pageSkb(w: World, headBytes: number, fragBytes: number): void {
  const pool = createPagePool({ domain: w.domain, provider: pagesProvider(), flags: 0 });
  const head = pool.allocNetmem();
  const frag = pool.allocNetmem();
  const hb = w.domain.bytes(head);
  for (let i = 0; i < headBytes; i++) hb[i] = 48 + (i % 10);
  const fb = w.domain.bytes(frag);
  for (let i = 0; i < fragBytes; i++) fb[100 + i] = 65 + (i % 26);
  const skb = w.ns.skbs.build(head, 0, 4096, headBytes, true);
  w.ns.skbs.addFrag(skb, frag, 100, fragBytes);
  w.sk.enqueue(skb);
  pool.destroy(); // detached until the skb is freed
}

describe('RECV_ZC', () => {
  it('zero-copy frags: CQE {len, MORE, areaId<<48 | index<<12 | off}, one pp ref and one user ref each', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk, { userData: 42 });
    w.drv.receive(1, packet(6000), HDR, w.sk);
    expect(req.issue()).toBe('retry');
    const c = reap(w);
    expect(c.map((x) => [x.res, x.flags, x.userData, x.off % 4096])).toEqual([
      [4096, IORING_CQE_F_MORE, 42, 0],
      [1904, IORING_CQE_F_MORE, 42, 0],
    ]);
    for (const x of c) {
      const i = x.off / 4096;
      const nm = w.ifq.area.niov(i);
      expect(w.ifq.area.userRefs[i]).toBe(1);
      expect(whereIs(w.domain, nm)).toEqual({ poolId: w.drv.pool(1)!.id, place: 'user', ppRef: 1 });
    }
    const all = new Uint8Array(6000);
    all.set(cqeBytes(w, c[0]), 0);
    all.set(cqeBytes(w, c[1]), 4096);
    expect(all).toEqual(packet(6000).subarray(HDR));
    expect(w.ifq.stats.zcFrags).toBe(2);
    expect(w.ifq.stats.copyBufs).toBe(0);
    expect(w.sk.queueLength).toBe(0);
    assertZcrx(w.ifq);
    w.ring.exit();
  });

  it('CQE_MIXED rings mark zcrx CQEs with IORING_CQE_F_32', () => {
    const w = makeWorld({ ring: { flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE_MIXED } });
    const req = w.ring.recvZc(w.sk);
    w.drv.receive(1, packet(10), HDR, w.sk);
    req.issue();
    expect(reap(w).map((x) => x.flags)).toEqual([IORING_CQE_F_MORE | IORING_CQE_F_32]);
    w.ring.exit();
  });

  it('copy fallback: header bytes and page frags land in free area buffers; returned to the freelist', () => {
    const w = makeWorld({ areaPages: 128 });
    const free = w.ifq.area.freeCount;
    expect(free).toBe(64);
    pageSkb(w, 100, 3000);
    const req = w.ring.recvZc(w.sk);
    expect(req.issue()).toBe('retry');
    const c = reap(w);
    expect(c.map((x) => [x.res, x.flags, x.off % 4096])).toEqual([
      [100, IORING_CQE_F_MORE, 0],
      [3000, IORING_CQE_F_MORE, 0],
    ]);
    const h = cqeBytes(w, c[0]);
    expect(Array.from(h.subarray(0, 12))).toEqual([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 48, 49]);
    expect(cqeBytes(w, c[1])[27]).toBe(65 + 1);
    expect(w.ifq.stats.copyBufs).toBe(2);
    expect(w.ifq.area.freeCount).toBe(free - 2);
    for (const x of c) {
      const desc = inspectNetmem(w.domain, w.ifq.area.niov(x.off / 4096));
      expect(desc.poolId).toBe(0); // copy buffers belong to no pool
      expect(desc.ppRef).toBe(1);
      expect(w.ifq.area.userRefs[x.off / 4096]).toBe(1);
    }
    assertZcrx(w.ifq);
    w.clock.advance(1000);
    expect(allPools(w.domain).some((p) => p.isDetached)).toBe(false); // the sender's pages went back, its pool is gone
    giveBack(w, c);
    const pool = w.drv.pool(1)!;
    const held: number[] = [];
    while (pool.cacheSize > 0) held.push(pool.allocNetmems());
    held.push(pool.allocNetmems());
    expect(w.ifq.stats.rqReturned).toBe(2);
    for (const nm of held) pool.recycleDirect(nm);
    assertZcrx(w.ifq);
    w.ring.exit();
  });

  it('copy fallback with the freelist empty → the request ends with ENOMEM', () => {
    const w = makeWorld();
    expect(w.ifq.area.freeCount).toBe(0);
    pageSkb(w, 100, 0);
    const req = w.ring.recvZc(w.sk, { userData: 5 });
    expect(req.issue()).toBe('complete');
    expect(reap(w)).toEqual([{ userData: 5, res: CQE_ERR.ENOMEM, flags: 0, off: 0 }]);
    expect(w.sk.queueLength).toBe(1);
    w.ring.exit();
  });

  it('copy fallback into a dmabuf area → EFAULT', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns);
    ring.registerZcrxIfq({
      ifIdx: n.nd.ifindex,
      ifRxq: 1,
      rqEntries: 16,
      region: { size: 64 + 16 * 16 },
      area: { addr: 0, len: 128 * 4096, flags: IORING_ZCRX_AREA_DMABUF, dmabuf: Dmabuf.import(new SharedArrayBuffer(128 * 4096)) },
    });
    const sk = n.ns.socket({ coalesce: false });
    // Zero-copy works on device memory: the NIC wrote it, the CPU never reads it.
    const zc = ring.recvZc(sk, { userData: 2 });
    expect(n.drv.receive(1, packet(5000), HDR, sk)).toBe(true);
    expect(sk.peek()!.unreadable).toBe(true);
    expect(zc.issue()).toBe('retry');
    const cq = new CqConsumer(ring.cq.buffer);
    expect(cq.begin()).toBe(2);
    expect([cq.res(0), cq.res(1), cq.flags(0)]).toEqual([4096, 904, IORING_CQE_F_MORE]);
    cq.end();
    zc.finish(0);
    const pool = createPagePool({ domain: n.domain, provider: pagesProvider(), flags: 0 });
    const head = pool.allocNetmem();
    sk.enqueue(n.ns.skbs.build(head, 0, 4096, 10, true));
    const req = ring.recvZc(sk);
    expect(req.issue()).toBe('complete');
    expect(req.result).toBe(CQE_ERR.EFAULT);
    sk.close();
    pool.destroy();
    ring.exit();
  });

  it('a frag of another ifq (or of no zcrx pool) → EFAULT', () => {
    const w = makeWorld();
    const ring2 = new IoUring(w.ns);
    const mem = new SharedArrayBuffer(64 * 4096);
    ring2.registerZcrxIfq({
      ifIdx: w.nd.ifindex,
      ifRxq: 0,
      rqEntries: 16,
      region: { size: 64 + 256 },
      area: { addr: ZCRX_USER_BASE, len: mem.byteLength, memory: mem },
    });
    w.drv.receive(0, packet(100), HDR, w.sk); // lands in ring2's area
    const req = w.ring.recvZc(w.sk);
    expect(req.issue()).toBe('complete');
    expect(req.result).toBe(CQE_ERR.EFAULT);
    w.sk.close();
    ring2.exit();
    w.ring.exit();
  });

  it('CQ full: data CQEs fail with ENOSPC (nothing taken for them); the final CQE waits on the overflow list', () => {
    const w = makeWorld({ ring: { entries: 2 } });
    expect(w.ring.cq.entries).toBe(4);
    const req = w.ring.recvZc(w.sk, { userData: 9 });
    for (let i = 0; i < 6; i++) w.drv.receive(1, packet(100, i), HDR, w.sk);
    expect(req.issue()).toBe('retry'); // 4 posted, the 5th hit ENOSPC after data: the pass returns what it got
    expect(w.ring.cq.ready).toBe(4);
    expect(w.sk.queueLength).toBe(2);
    const nextSkb = w.sk.peek()!;
    const nm = nextSkb.shinfo.fragNm[0];
    expect(whereIs(w.domain, nm).ppRef).toBe(1);
    expect(req.issue()).toBe('complete'); // nothing fits: ENOSPC ends the request
    expect(req.result).toBe(CQE_ERR.ENOSPC);
    expect(w.ring.cq.overflowed).toBe(1);
    expect(reap(w).length).toBe(4);
    w.ring.cq.commit();
    expect(reap(w)).toEqual([{ userData: 9, res: CQE_ERR.ENOSPC, flags: 0, off: 0 }]);
    assertZcrx(w.ifq);
    w.sk.close();
    w.ring.exit();
  });

  it('a byte limit ends the request with a final {res 0} CQE, leaving the rest queued', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk, { len: 5000, userData: 1 });
    w.drv.receive(1, packet(4096, 0), HDR, w.sk);
    w.drv.receive(1, packet(4096, 4096), HDR, w.sk);
    expect(req.issue()).toBe('complete');
    const c = reap(w);
    expect(c.map((x) => [x.res, x.flags])).toEqual([
      [4096, IORING_CQE_F_MORE],
      [904, IORING_CQE_F_MORE],
      [0, 0],
    ]);
    expect(w.sk.pendingBytes).toBe(4096 - 904);
    expect(w.sk.headOffset).toBe(904);
    const second = w.ifq.area.niov(c[1].off / 4096);
    expect(whereIs(w.domain, second).ppRef).toBe(2); // the skb's and the user's
    expect(w.ring.pendingRequests).toBe(0);
    // A new request picks up the rest of that buffer at its offset.
    const r2 = w.ring.recvZc(w.sk);
    r2.issue();
    const rest = reap(w);
    expect(rest.map((x) => [x.res, x.off])).toEqual([[4096 - 904, c[1].off + 904]]);
    expect(w.ifq.area.userRefs[c[1].off / 4096]).toBe(2);
    expect(whereIs(w.domain, second).ppRef).toBe(2);
    assertZcrx(w.ifq);
    w.ring.exit();
  });

  it('IO_SKBS_PER_CALL_LIMIT: one pass visits at most 21 skbs (the kernel checks nr_skbs++ > 20), then requeues', () => {
    const w = makeWorld({ areaPages: 128, ringSize: 64 });
    const req = w.ring.recvZc(w.sk);
    for (let i = 0; i < 30; i++) expect(w.drv.receive(1, packet(100, i), HDR, w.sk)).toBe(true);
    expect(req.issue()).toBe('requeue');
    expect(reap(w).length).toBe(21);
    expect(req.issue()).toBe('retry');
    expect(reap(w).length).toBe(9);
    expect(req.issue()).toBe('retry');
    expect(reap(w).length).toBe(0);
    w.ring.exit();
  });

  it('socket states: empty → armed (no CQE); closed → ENOTCONN; not TCP → EPROTONOSUPPORT; bad SQE → EINVAL', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk);
    expect(req.issue()).toBe('retry');
    expect(w.ring.cq.ready).toBe(0);
    w.sk.close();
    expect(req.issue()).toBe('complete');
    expect(req.result).toBe(CQE_ERR.ENOTCONN);
    const udp = w.ns.socket({ type: 'udp' });
    const r2 = w.ring.recvZc(udp);
    expect(r2.issue()).toBe('complete');
    expect(r2.result).toBe(CQE_ERR.EPROTONOSUPPORT);
    expect(() => w.ring.recvZc(w.sk, { flags: 0 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => w.ring.recvZc(w.sk, { flags: 1 << 5 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => w.ring.recvZc(w.sk, { ifq: 3 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    w.ring.exit();
  });

  it('a coalesced stream: each frag of the queue tail becomes one CQE', () => {
    const w = makeWorld({ coalesce: true, areaPages: 128, ringSize: 32 });
    for (let i = 0; i < 5; i++) w.drv.receive(1, packet(4096, i * 4096), HDR, w.sk);
    expect(w.sk.queueLength).toBe(1);
    const req = w.ring.recvZc(w.sk);
    req.issue();
    const c = reap(w);
    expect(c.length).toBe(5);
    const got = new Uint8Array(5 * 4096);
    c.forEach((x, i) => {
      got.set(cqeBytes(w, x), i * 4096);
    });
    for (let i = 0; i < got.length; i++) if (got[i] !== 97 + (i % 26)) throw new Error(`byte ${i}`);
    assertZcrx(w.ifq);
    w.ring.exit();
  });
});
