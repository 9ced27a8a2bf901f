/**
 * Cross-thread returns into a pool: a worker gives pp references back
 * through a return ring; the owner drains them into the ptr_ring (never the
 * cache), skips what the worker never held, and reclaims what a vanished
 * worker kept.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { attachReturnRing, createPagePool, detachReturnRing, Napi, ReturnRingProducer } from '../src/index.js';
import { checkDomainInvariants, errnoOf, inspectNetmem } from '../src/testing.js';
import { onePageProvider, testDomain } from './helpers/test-provider.js';

function setup() {
  const domain = testDomain(256, { checked: true });
  const napi = new Napi('owner');
  const pool = createPagePool({ domain, provider: onePageProvider(), napi, poolSize: 64 });
  return { domain, napi, pool };
}

describe('return rings', () => {
  it('returns drain into the ptr_ring, never the cache, even inside the pool NAPI; the ledger shows them with the user meanwhile', () => {
    const { domain, napi, pool } = setup();
    const ring = attachReturnRing(pool, 16);
    const producer = new ReturnRingProducer(ring.buffer);
    const nms = [pool.allocNetmems(), pool.allocNetmems(), pool.allocNetmems()];
    for (const nm of nms) ring.handOut(nm);
    expect(inspectNetmem(domain, nms[0]).placeName).toBe('user');
    for (const nm of nms) expect(producer.put(nm)).toBe(true);
    expect(ring.drain()).toBe(0); // not published yet
    producer.flush();
    napi.poll(() => expect(ring.drain()).toBe(3));
    expect(pool.cacheSize).toBe(0);
    expect(pool.ringLength).toBe(3);
    expect(ring.stats()).toEqual({ held: 0, returned: 3, skipped: 0, reclaimed: 0 });
    expect(checkDomainInvariants(domain)).toEqual([]);
  });

  it('a return the worker was never handed, or a second return, is skipped and counted, never a double free', () => {
    const { domain, pool } = setup();
    const ring = attachReturnRing(pool, 16);
    const producer = new ReturnRingProducer(ring.buffer);
    const a = pool.allocNetmems();
    const b = pool.allocNetmems();
    ring.handOut(a);
    for (const nm of [a, a, b, 12345, -1, 0]) producer.put(nm);
    producer.flush();
    expect(ring.drain()).toBe(1);
    expect(ring.stats()).toMatchObject({ returned: 1, skipped: 5 });
    expect(pool.ringLength).toBe(1);
    pool.putNetmem(b);
    expect(checkDomainInvariants(domain)).toEqual([]);
  });

  it('the slow path drains by itself; a full ring tells the producer, who waits for room', () => {
    const { domain, pool } = setup();
    const ring = attachReturnRing(pool, 4);
    const producer = new ReturnRingProducer(ring.buffer);
    const nms = Array.from({ length: 5 }, () => pool.allocNetmems());
    for (const nm of nms) ring.handOut(nm);
    for (let i = 0; i < 4; i++) expect(producer.put(nms[i])).toBe(true);
    expect(producer.put(nms[4])).toBe(false);
    producer.flush();
    while (pool.cacheSize > 0) pool.allocNetmems(); // empty the cache: the next alloc takes the slow path
    const before = pool.stats().recycle.ring;
    pool.allocNetmems(); // drains the ring first, then refills the cache from the ptr_ring
    expect(pool.stats().recycle.ring - before).toBe(4);
    expect(producer.put(nms[4])).toBe(true);
    expect(errnoOf(() => ring.handOut(nms[0]))).toBe('EINVAL'); // back in the pool: not the owner's to hand out
    expect(domain.freePages).toBeLessThan(256);
  });

  it('a producer that waits for room on a full ring is woken by the drain (it said it waits); a drain with no waiter wakes nobody', async () => {
    const { pool } = setup();
    const ring = attachReturnRing(pool, 4);
    const nms = Array.from({ length: 4 }, () => pool.allocNetmems());
    for (const nm of nms) ring.handOut(nm);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const i32 = new Int32Array(workerData.ring);
      // Layout (return-ring.ts): head 0, tail 16, capacity 32, waiting 34, entries from 48.
      let tail = Atomics.load(i32, 16);
      for (const nm of workerData.nms) { i32[48 + (tail & 3)] = nm; tail = (tail + 1) | 0; }
      Atomics.store(i32, 16, tail);
      Atomics.store(i32, 34, 1);
      const head = Atomics.load(i32, 0);
      parentPort.postMessage('waiting');
      parentPort.postMessage(Atomics.wait(i32, 0, head, 10000));
    `;
    const w = new Worker(code, { eval: true, workerData: { ring: ring.buffer, nms } });
    const msgs: string[] = [];
    const woke = new Promise<string>((resolve, reject) => {
      w.on('message', (m: string) => {
        msgs.push(m);
        if (m === 'waiting') {
          // Give the worker time to reach Atomics.wait, then drain.
          setTimeout(() => expect(ring.drain()).toBe(4), 50);
        } else resolve(m);
      });
      w.on('error', reject);
    });
    const t0 = performance.now();
    // 'ok': woken by the drain's notify; 'not-equal': the drain came first (a loaded machine). Never the 10 s timeout.
    expect(['ok', 'not-equal']).toContain(await woke);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(new Int32Array(ring.buffer)[34]).toBe(0); // the drain cleared the flag
    await w.terminate();
    expect(ring.stats()).toMatchObject({ held: 0, returned: 4 });
  });

  it('a worker returns buffers through the ring from its own thread; one that exits holding some loses none (reclaim)', async () => {
    const { domain, pool } = setup();
    const ring = attachReturnRing(pool, 64);
    const nms = Array.from({ length: 40 }, () => pool.allocNetmems());
    for (const nm of nms) ring.handOut(nm);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const i32 = new Int32Array(workerData.ring);
      // The ring's layout (return-ring.ts): head at slot 0, tail at 16, capacity at 32, entries from 48.
      const mask = i32[32] - 1;
      let tail = Atomics.load(i32, 16);
      // Return the first 25 of what we were given, then exit holding the rest.
      for (const nm of workerData.nms.slice(0, 25)) { i32[48 + (tail & mask)] = nm; tail = (tail + 1) | 0; }
      Atomics.store(i32, 16, tail);
      parentPort.postMessage('done');
    `;
    const w = new Worker(code, { eval: true, workerData: { ring: ring.buffer, nms } });
    await new Promise<void>((resolve, reject) => {
      w.on('message', () => resolve());
      w.on('error', reject);
    });
    await w.terminate();
    expect(ring.drain()).toBe(25);
    expect(ring.reclaim()).toBe(15);
    expect(ring.stats()).toEqual({ held: 0, returned: 25, skipped: 0, reclaimed: 15 });
    expect(pool.inflight).toBe(pool.cacheSize + pool.ringLength);
    detachReturnRing(pool, ring);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(checkDomainInvariants(domain)).toEqual([]);
  });
});
