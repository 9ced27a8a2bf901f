/**
 * PoolWorker under a real worker thread: a socket read into pool buffers,
 * every buffer verified in the worker and returned through core's return
 * ring (never the alloc cache); a worker that crashes or exits holding
 * buffers has them reclaimed; hand-out limits and refusals.
 */
import { describe, expect, it } from 'vitest';
import { MemoryDomain, createPagePool } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { PoolWorker, PooledReader } from '../src/index.js';
import { TAPE, allBack, patternServer, places, within, world, type World } from './helpers.js';

const VERIFY = new URL('./fixtures/verify-worker.ts', import.meta.url);

/** Streams `total` bytes through a reader whose every buffer goes to `pw`. */
function streamToWorker(w: World, pw: PoolWorker, port: number): Promise<{ reader: PooledReader; error: Error | null }> {
  return new Promise((resolve) => {
    const reader: PooledReader = PooledReader.connect(
      w.pool,
      { host: '127.0.0.1', port },
      {
        onRead(nm, _bytes, length) {
          if (pw.ended) {
            // The worker is gone (crashed): keep the buffer ours, and stop.
            reader.put(nm);
            reader.close(new Error('the pool worker ended'));
            return;
          }
          if (!pw.send(nm, length)) throw new Error('hand-out refused');
        },
        waitForBuffers: () => pw.whenReturned(50),
        onClose: (error) => resolve({ reader, error }),
      },
    );
  });
}

describe('PoolWorker', () => {
  it('a 16 MiB stream verified byte by byte in a worker, every buffer returned through the return ring', async () => {
    const w = world({ buffers: 16, checked: true });
    const stats = new SharedArrayBuffer(12);
    const pw = await PoolWorker.start(w.pool, VERIFY, { workerData: { seed: TAPE.seed, stats }, capacity: 64 });
    const total = 16 << 20;
    const srv = await patternServer(total);
    const r = await within(streamToWorker(w, pw, srv.port), 30_000, 'stream');
    await srv.close();
    expect(r.error).toBeNull();
    const x = await within(pw.stop(), 10_000, 'stop');
    const out = new Int32Array(stats);
    expect(x).toEqual({ code: 0, error: null, reclaimed: 0 });
    expect(out[1]).toBe(0); // no buffer failed the pattern check
    expect(out[0]).toBe(total);
    const s = pw.stats();
    expect(s.handedOut).toBe(r.reader.stats().reads);
    expect(s).toMatchObject({ taken: s.handedOut, put: s.handedOut, returned: s.handedOut, skipped: 0, reclaimed: 0, held: 0 });
    // Returns went to the ptr_ring: the pool's own cache only ever got the reader's and direct recycles.
    expect(w.pool.stats().recycle.ring).toBeGreaterThanOrEqual(s.returned - 64);
    expect(allBack(w.pool)).toBe(true);
    expect(checkDomainInvariants(w.domain)).toEqual([]);
    w.pool.destroy();
    expect(w.pool.isFreed).toBe(true);
  }, 60_000);

  for (const how of ['crashes', 'exits'] as const) {
    it(`a worker that ${how} holding buffers: ring.reclaim() gives every one back`, async () => {
      const w = world({ buffers: 64, checked: true });
      const stats = new SharedArrayBuffer(12);
      const holdBack = 10;
      const data = how === 'crashes' ? { seed: TAPE.seed, stats, holdBack, crashAfter: 30 } : { seed: TAPE.seed, stats, holdBack };
      const pw = await PoolWorker.start(w.pool, VERIFY, { workerData: data, capacity: 64 });
      const srv = await patternServer(how === 'crashes' ? 64 << 20 : 1 << 20);
      const r = await within(streamToWorker(w, pw, srv.port), 30_000, 'stream');
      if (how === 'exits') expect(r.error).toBeNull();
      r.reader.close();
      await srv.close();
      const x = await within(how === 'exits' ? pw.stop() : pw.exited, 10_000, 'exit');
      if (how === 'crashes') {
        expect(x.error?.message).toMatch(/crash after 30 buffers, holding 11/);
        expect(x.reclaimed).toBeGreaterThanOrEqual(11); // what it held, plus any handed out it never took
      } else {
        expect(x).toEqual({ code: 0, error: null, reclaimed: holdBack });
      }
      expect(pw.stats().held).toBe(0);
      expect(places(w.pool)).toEqual(Object.fromEntries(Object.entries({ cache: w.pool.cacheSize, ring: w.pool.ringLength }).filter(([, v]) => v > 0)));
      expect(checkDomainInvariants(w.domain)).toEqual([]);
      const nm = w.pool.allocNetmems();
      expect(() => pw.send(nm, 1)).toThrow(expect.objectContaining({ code: 'EINVAL' })); // the worker has ended
      w.pool.putNetmem(nm);
      w.pool.destroy();
      expect(w.pool.isFreed).toBe(true);
    }, 60_000);
  }

  for (const spin of [0, 5000]) {
    it(`a small ring under load (capacity 8, spin ${spin}): 100,000 buffers out and back, none lost, none to the alloc cache`, async () => {
      const w = world({ buffers: 64, order: 0, checked: false });
      const pw = await PoolWorker.start(w.pool, new URL('./fixtures/return-worker.ts', import.meta.url), { capacity: 8, workerData: { spin } });
      const before = w.pool.stats().recycle.cached;
      let waits = 0;
      for (let i = 0; i < 100_000; i++) {
        let nm = w.pool.allocNetmems(); // the slow path drains the worker's returns
        while (nm === 0) {
          waits++;
          pw.waitReturns(5);
          nm = w.pool.allocNetmems();
        }
        while (!pw.handOut(nm, 100)) {
          pw.publish();
          waits++;
          pw.waitReturns(5);
          pw.drain();
        }
        if ((i & 3) === 3) pw.publish();
      }
      pw.publish();
      for (let i = 0; i < 2000 && pw.stats().held > 0; i++) pw.waitReturns(5);
      const s = pw.stats();
      expect(s).toMatchObject({ handedOut: 100_000, taken: 100_000, put: 100_000, returned: 100_000, skipped: 0, held: 0 });
      expect(w.pool.stats().recycle.cached).toBe(before); // returns go to the ptr_ring, never the cache
      expect(waits).toBeGreaterThan(0);
      await within(pw.stop(), 10_000, 'stop');
      expect(allBack(w.pool)).toBe(true);
      expect(checkDomainInvariants(w.domain)).toEqual([]);
      w.pool.destroy();
      expect(w.pool.isFreed).toBe(true);
    }, 60_000);
  }

  it('hand-out is bounded by capacity, checks its buffer, and needs shared page storage', async () => {
    const w = world({ buffers: 16, order: 0 });
    const stats = new SharedArrayBuffer(12);
    const pw = await PoolWorker.start(w.pool, VERIFY, { workerData: { seed: TAPE.seed, stats, holdBack: 1000 }, capacity: 4 });
    const nms: number[] = [];
    for (let i = 0; i < 5; i++) nms.push(w.pool.allocNetmems());
    for (let i = 0; i < 3; i++) expect(pw.handOut(nms[i], 100)).toBe(true);
    expect(() => pw.handOut(nms[3], 4097)).toThrow(expect.objectContaining({ code: 'EINVAL' })); // longer than the buffer
    w.pool.putNetmem(nms[4]);
    expect(() => pw.handOut(nms[4], 1)).toThrow(expect.objectContaining({ code: 'EINVAL' })); // back in the pool: not handed out
    expect(pw.send(nms[3], 4096)).toBe(true);
    const extra = w.pool.allocNetmems();
    expect(pw.handOut(extra, 1)).toBe(false); // the worker holds 4 = capacity
    w.pool.putNetmem(extra);
    const x = await within(pw.stop(), 10_000, 'stop');
    expect(x.reclaimed).toBe(4);
    expect(allBack(w.pool)).toBe(true);

    const priv = new MemoryDomain({ pages: 64, sharedMemory: false, onWarn: false });
    const pool = createPagePool({ domain: priv, provider: pagesProvider() });
    await expect(PoolWorker.start(pool, VERIFY)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(PoolWorker.start(w.pool, VERIFY, { capacity: 3 })).rejects.toMatchObject({ code: 'EINVAL' });
    pool.destroy();
    w.pool.destroy();
    expect(w.pool.isFreed).toBe(true);
  }, 60_000);

  it('a script that fails before opening its port: start rejects with EIO, the ring is detached', async () => {
    const w = world({ buffers: 4, order: 0 });
    const bad = new URL('./fixtures/no-port-worker.ts', import.meta.url);
    await expect(PoolWorker.start(w.pool, bad, { startTimeoutMs: 20_000 })).rejects.toMatchObject({ code: 'EIO' });
    const nm = w.pool.allocNetmems();
    w.pool.putNetmem(nm);
    w.pool.destroy();
    expect(w.pool.isFreed).toBe(true);
  }, 60_000);
});
