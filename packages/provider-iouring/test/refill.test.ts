import { describe, expect, it } from 'vitest';
import { whereIs, type PagePool } from '@netmem/core';
import { ZCRX_RQ_HEAD_OFF, ZCRX_RQ_TAIL_OFF, type RecvZcRequest } from '../src/index.js';
import { HDR, assertZcrx, makeWorld, packet, reap, type Cqe, type World } from './helpers.js';

/** Receives `k` one-buffer packets and returns their CQEs (the user now holds k buffers). */
const requests = new WeakMap<World, RecvZcRequest>();

function hold(w: World, k: number): Cqe[] {
  let req = requests.get(w);
  if (!req) requests.set(w, (req = w.ring.recvZc(w.sk)));
  for (let i = 0; i < k; i++) expect(w.drv.receive(1, packet(4096, i), HDR, w.sk)).toBe(true);
  while (req.issue() === 'requeue');
  const c = reap(w);
  expect(c.length).toBe(k);
  return c;
}

/** Empties the pool's cache and ring into `held` so the next alloc asks the provider. */
function drain(pool: PagePool, held: number[]): void {
  while (pool.cacheSize > 0 || pool.ringLength > 0) held.push(pool.allocNetmems());
}

function head(w: World): number {
  return Atomics.load(new Int32Array(w.ifq.rqBuffer), ZCRX_RQ_HEAD_OFF >>> 2);
}

function idxOf(c: Cqe): number {
  return Math.floor((c.off % 2 ** 48) / 4096);
}

function setup(rqEntries = 64, areaPages = 64) {
  const w = makeWorld({ rqEntries, areaPages });
  const pool = w.drv.pool(1)!;
  const held: number[] = [];
  return { w, pool, held };
}

function finish(w: World, pool: PagePool, held: number[]): void {
  for (const nm of held) pool.recycleDirect(nm);
  assertZcrx(w.ifq);
  w.sk.close();
  w.ring.exit();
  w.clock.advance(1000);
  expect(w.ifq.freed).toBe(true);
  expect(w.nd.dev!.faultCount).toBe(0);
}

describe('refill ring', () => {
  it('valid entries: user ref and pp ref dropped, buffers back in the cache, head advanced over each', () => {
    const { w, pool, held } = setup();
    const c = hold(w, 8);
    drain(pool, held);
    for (const x of c) expect(w.ifq.area.userRefs[idxOf(x)]).toBe(1);
    for (const x of c) w.rq.pushOff(x.off);
    w.rq.commit();
    const nm = pool.allocNetmems();
    expect(nm).not.toBe(0);
    expect(pool.cacheSize).toBe(7);
    expect(head(w)).toBe(8);
    expect(w.ifq.stats.rqConsumed).toBe(8);
    expect(w.ifq.stats.rqRecycled).toBe(8);
    const got = new Set([nm, ...pool.snapshot().cache]);
    expect(got).toEqual(new Set(c.map((x) => w.ifq.area.niov(idxOf(x)))));
    for (const x of c) expect(w.ifq.area.userRefs[idxOf(x)]).toBe(0);
    for (const n of pool.snapshot().cache) expect(whereIs(w.domain, n)).toEqual({ poolId: pool.id, place: 'cache', ppRef: 1 });
    expect(w.ifq.stats.freelistAllocs).toBe(64); // nothing more came from the freelist
    held.push(nm);
    finish(w, pool, held);
  });

  it('pad ≠ 0, wrong area and index out of range are skipped but consumed', () => {
    const { w, pool, held } = setup();
    const c = hold(w, 4);
    drain(pool, held);
    const [a, b, d, e] = c;
    w.rq.pushOff(a.off, 4096, 1); // pad
    w.rq.push(a.off >>> 0, 1 << 16); // area 1
    w.rq.pushOff(64 * 4096); // index 64 of 64
    w.rq.pushOff(b.off); // valid
    w.rq.commit();
    const nm = pool.allocNetmems();
    expect(nm).toBe(w.ifq.area.niov(idxOf(b)));
    expect(head(w)).toBe(4);
    expect(w.ifq.stats.rqBad).toBe(3);
    expect(w.ifq.stats.rqRecycled).toBe(1);
    expect(w.ifq.area.userRefs[idxOf(a)]).toBe(1);
    // The kernel keeps (off & ~AREA_MASK) >> 12 in 32 bits: index bits past 2^32 are dropped.
    w.rq.push((idxOf(d) * 4096) >>> 0, 0x1000);
    w.rq.commit();
    held.push(nm);
    drain(pool, held);
    expect(pool.allocNetmems()).toBe(w.ifq.area.niov(idxOf(d)));
    expect(w.ifq.stats.rqRecycled).toBe(2);
    held.push(w.ifq.area.niov(idxOf(d)));
    // Give back a and e properly.
    w.rq.pushOff(a.off);
    w.rq.pushOff(e.off);
    w.rq.commit();
    drain(pool, held);
    held.push(pool.allocNetmems());
    drain(pool, held);
    expect(w.ifq.stats.rqRecycled).toBe(4);
    finish(w, pool, held);
  });

  it('sixteen entries for one buffer: one return, fifteen skipped, never a double free', () => {
    const { w, pool, held } = setup();
    const [a] = hold(w, 1);
    drain(pool, held);
    for (let i = 0; i < 16; i++) w.rq.pushOff(a.off);
    w.rq.commit();
    const nm = pool.allocNetmems();
    expect(nm).toBe(w.ifq.area.niov(idxOf(a)));
    expect(pool.cacheSize).toBe(0);
    expect(head(w)).toBe(16);
    expect(w.ifq.stats.rqRecycled).toBe(1);
    expect(w.ifq.stats.rqNoUserRef).toBe(15);
    expect(w.ifq.area.userRefs[idxOf(a)]).toBe(0);
    assertZcrx(w.ifq);
    held.push(nm);
    finish(w, pool, held);
  });

  it('the shared head is the kernel’s: a corrupted head changes nothing and is overwritten', () => {
    const { w, pool, held } = setup();
    const c = hold(w, 3);
    drain(pool, held);
    for (const x of c) w.rq.pushOff(x.off);
    w.rq.commit();
    Atomics.store(new Int32Array(w.ifq.rqBuffer), ZCRX_RQ_HEAD_OFF >>> 2, 1000); // head > tail
    held.push(pool.allocNetmems());
    expect(head(w)).toBe(3);
    expect(w.ifq.stats.rqConsumed).toBe(3);
    expect(w.ifq.stats.rqRecycled).toBe(3);
    finish(w, pool, held);
  });

  it('a tail moved behind head reads at most `entries` stale entries, all skipped', () => {
    const { w, pool, held } = setup(16);
    const c = hold(w, 4);
    drain(pool, held);
    for (const x of c) w.rq.pushOff(x.off);
    w.rq.commit();
    held.push(pool.allocNetmems());
    drain(pool, held);
    Atomics.store(new Int32Array(w.ifq.rqBuffer), ZCRX_RQ_TAIL_OFF >>> 2, 2); // tail − head wraps to 2^32 − 2
    // Stale entries (and never-written zero entries) name buffers the user no longer holds.
    expect(pool.allocNetmems()).toBe(0);
    expect(w.ifq.stats.rqConsumed).toBe(4 + 16);
    expect(w.ifq.stats.rqNoUserRef).toBe(16);
    expect(head(w)).toBe(4 + 16);
    finish(w, pool, held);
  });

  it('a tail far ahead: at most min(entries, 64 − cached) per alloc', () => {
    const { w, pool, held } = setup(128);
    const c = hold(w, 40);
    expect(idxOf(c[0])).toBe(0); // the first buffer handed out is net_iov 0
    drain(pool, held);
    Atomics.store(new Int32Array(w.ifq.rqBuffer), ZCRX_RQ_TAIL_OFF >>> 2, 1_000_000);
    // 64 never-written entries, all {off 0}: the first returns net_iov 0, the rest find no user ref.
    expect(pool.allocNetmems()).toBe(w.ifq.area.niov(0));
    held.push(w.ifq.area.niov(0));
    expect(w.ifq.stats.rqConsumed).toBe(64);
    expect(w.ifq.stats.rqRecycled).toBe(1);
    expect(w.ifq.stats.rqNoUserRef).toBe(63);
    expect(head(w)).toBe(64);
    assertZcrx(w.ifq);
    finish(w, pool, held);
  });

  it('100 valid entries: one alloc consumes 64, the next the remaining 36', () => {
    const { w, pool, held } = setup(128, 256);
    const c: Cqe[] = [];
    for (let r = 0; r < 10; r++) c.push(...hold(w, 10));
    drain(pool, held);
    for (const x of c) w.rq.pushOff(x.off);
    w.rq.commit();
    held.push(pool.allocNetmems());
    expect(w.ifq.stats.rqConsumed).toBe(64);
    expect(w.ifq.stats.rqRecycled).toBe(64);
    expect(pool.cacheSize).toBe(63);
    expect(head(w)).toBe(64);
    drain(pool, held);
    held.push(pool.allocNetmems());
    expect(w.ifq.stats.rqConsumed).toBe(100);
    expect(w.ifq.stats.rqRecycled).toBe(100);
    expect(pool.cacheSize).toBe(35);
    expect(head(w)).toBe(100);
    finish(w, pool, held);
  });
});
