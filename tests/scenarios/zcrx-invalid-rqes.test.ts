/**
 * liburing test/zcrx.c `test_invalid_rqes` and `test_invalid_rq_pointers`,
 * step by step through public calls: user space writes refill entries and
 * the kernel side's ring consumption (io_zcrx_ring_refill) runs alone
 * (`ifq.refillRing`), so each step shows exactly what it did: entries
 * consumed, skipped as malformed or unheld, buffers recycled, where head
 * went, and the cap of 64 − cached entries per call. liburing's test only
 * asks that the kernel survives; here every count is exact and the
 * invariants (domain and zcrx) hold after every step.
 */
import { describe, expect, it } from 'vitest';
import { NetNamespace } from '@netmem/core';
import { quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { CqConsumer, IoUring, RefillProducer, ZCRX_USER_BASE, ZCRX_AREA_UNIT, checkZcrxInvariants, type ZcrxIfqReg } from '@netmem/provider-iouring';
import { packet } from '../rx-fixture.js';
import { stepper } from './steps.js';

const AREA_PAGES = 64;
const RQ_ENTRIES = 64;
const HDR = 66;

function server(areaPages = AREA_PAGES) {
  const { domain } = quietWorld({ pages: 2048, netIovs: 8192, checked: true });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true, ringSize: 16 });
  const drv = ns.driver(nd);
  const ring = new IoUring(ns, { entries: 64 });
  const reg: ZcrxIfqReg = {
    ifIdx: nd.ifindex,
    ifRxq: 1,
    rqEntries: RQ_ENTRIES,
    area: { addr: ZCRX_USER_BASE, len: areaPages * 4096, memory: new SharedArrayBuffer(areaPages * 4096) },
    region: { size: 64 + 16 * RQ_ENTRIES },
  };
  const ifq = ring.registerZcrxIfq(reg);
  const sk = ns.socket({ coalesce: false });
  const rq = new RefillProducer(ifq.rqBuffer, reg.offsets!, reg.rqEntries);
  const cq = new CqConsumer(ring.cq.buffer);
  const pool = drv.pool(1)!;
  const step = stepper(domain, () => checkZcrxInvariants(ifq));
  const token = reg.area.rqAreaToken!;
  /** Receives one 4096-byte packet and reaps its CQE: the user now holds that buffer; returns its offset (token | index << 12). */
  const holdOne = (seq: number): number => {
    expect(drv.receive(1, packet(seq, HDR + 4096), HDR, sk)).toBe(true);
    const req = ring.recvZc(sk);
    expect(req.issue()).toBe('retry');
    expect(cq.begin()).toBe(1);
    const off = cq.off(0);
    cq.end(1);
    req.finish(0);
    return off;
  };
  const headTail = () => {
    const i32 = new Int32Array(ifq.rqBuffer);
    return { head: Atomics.load(i32, reg.offsets!.head >>> 2) >>> 0, tail: Atomics.load(i32, reg.offsets!.tail >>> 2) >>> 0, i32 };
  };
  return { domain, ring, ifq, reg, rq, pool, step, token, holdOne, headTail };
}

describe('liburing test/zcrx.c: invalid RQEs', () => {
  it('16 entries for one buffer: one return, fifteen skipped (no user ref), never a double free; unheld, all sixteen skipped', () => {
    const s = server();
    // liburing's case: the buffer was never handed to the user; every entry is skipped.
    s.step('16 entries for an unheld buffer', () => {
      for (let i = 0; i < 16; i++) s.rq.pushOff(s.token, 1);
      s.rq.commit();
    });
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toEqual({
      consumed: 16,
      recycled: 0,
      returned: 0,
      bad: 0,
      noUserRef: 16,
      stillReferenced: 0,
      head: 16,
    });
    // The same with the buffer in user hands: the first entry returns it.
    const off = s.holdOne(1);
    const idx = Math.floor((off % ZCRX_AREA_UNIT) / 4096);
    expect(s.ifq.area.userRefs[idx]).toBe(1);
    const cached = s.pool.cacheSize;
    s.step('16 entries for a held buffer', () => {
      for (let i = 0; i < 16; i++) s.rq.pushOff(off, 1);
      s.rq.commit();
    });
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toEqual({
      consumed: 16,
      recycled: 1,
      returned: 0,
      bad: 0,
      noUserRef: 15,
      stillReferenced: 0,
      head: 32,
    });
    expect(s.ifq.area.userRefs[idx]).toBe(0);
    expect(s.pool.cacheSize).toBe(cached + 1);
    expect(s.headTail().head).toBe(32);
    s.step('exit', () => s.ring.exit());
  });

  it('index past the area, area 0 with the largest index, area 1, pad ≠ 0: all four consumed and skipped, the held buffer untouched', () => {
    const s = server();
    const off = s.holdOne(2);
    const idx = Math.floor((off % ZCRX_AREA_UNIT) / 4096);
    s.step('four invalid entries', () => {
      s.rq.pushOff(s.token + AREA_PAGES * 4096, 1); // one past the last index
      s.rq.pushOff(ZCRX_AREA_UNIT - 1, 1); // area 0, index (2^36 − 1) kept in 32 bits: still out of range
      s.rq.pushOff(s.token + ZCRX_AREA_UNIT, 1); // area 1
      s.rq.pushOff(off, 1, 1); // pad = 1, otherwise the held buffer
      s.rq.commit();
    });
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toEqual({
      consumed: 4,
      recycled: 0,
      returned: 0,
      bad: 4,
      noUserRef: 0,
      stillReferenced: 0,
      head: 4,
    });
    expect(s.ifq.area.userRefs[idx]).toBe(1);
    // A correct entry still works after them.
    s.step('the valid entry', () => {
      s.rq.pushOff(off, 1);
      s.rq.commit();
    });
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toMatchObject({ consumed: 1, recycled: 1, head: 5 });
    s.step('exit', () => s.ring.exit());
  });

  it('corrupted head/tail: tail 0 with head 1 consumes nothing; tail at twice the entries reads at most 64 − cached stale entries, all skipped', () => {
    const s = server();
    const { i32 } = s.headTail();
    s.step('tail 0, head 1', () => {
      Atomics.store(i32, s.reg.offsets!.tail >>> 2, 0);
      Atomics.store(i32, s.reg.offsets!.head >>> 2, 1);
    });
    // The kernel keeps its own head (cached_rq_head): tail − head = 0, nothing to do, the shared head is left as written.
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toEqual({
      consumed: 0,
      recycled: 0,
      returned: 0,
      bad: 0,
      noUserRef: 0,
      stillReferenced: 0,
      head: 0,
    });
    const cached = s.pool.cacheSize;
    const room = 64 - cached;
    expect(room).toBeGreaterThan(0);
    expect(room).toBeLessThan(RQ_ENTRIES);
    s.step('tail at 2 × entries', () => Atomics.store(i32, s.reg.offsets!.tail >>> 2, 2 * RQ_ENTRIES));
    // min(tail − head, entries, 64 − cached): never-written entries are zero (area 0, index 0), held by nobody.
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toEqual({
      consumed: room,
      recycled: 0,
      returned: 0,
      bad: 0,
      noUserRef: room,
      stillReferenced: 0,
      head: room,
    });
    expect(s.headTail().head).toBe(room);
    expect(s.pool.cacheSize).toBe(cached);
    expect(s.step('refill again', () => s.ifq.refillRing(s.pool))).toMatchObject({ consumed: room, head: 2 * room });
    s.step('exit', () => s.ring.exit());
  });

  it('a pool cache already at 64 or more: the ring is left alone (head stays), however many entries wait', () => {
    const s = server(256);
    const out: number[] = [];
    s.step('take 100 buffers', () => {
      for (let i = 0; i < 100; i++) out.push(s.pool.allocNetmems());
    });
    s.step('recycle them into the cache', () => {
      for (const nm of out) s.pool.recycleDirect(nm);
    });
    expect(s.pool.cacheSize).toBeGreaterThanOrEqual(64);
    s.step('8 entries', () => {
      for (let i = 0; i < 8; i++) s.rq.pushOff(s.token, 1);
      s.rq.commit();
    });
    expect(s.step('refill', () => s.ifq.refillRing(s.pool))).toEqual({
      consumed: 0,
      recycled: 0,
      returned: 0,
      bad: 0,
      noUserRef: 0,
      stillReferenced: 0,
      head: 0,
    });
    expect(s.ifq.refillPending).toBe(8);
    s.step('exit', () => s.ring.exit());
  });

  it('refillRing refuses a pool of another provider or a destroyed one (EINVAL), consuming nothing', () => {
    const s = server();
    s.rq.pushOff(s.token, 1);
    s.rq.commit();
    const before = { ...s.ifq.stats };
    for (const bad of [null, {}, 1, s.ring]) expect(() => s.ifq.refillRing(bad as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    s.ring.exit();
    expect(() => s.ifq.refillRing(s.pool)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(s.ifq.stats.rqConsumed).toBe(before.rqConsumed);
  });
});
