/**
 * D10: spawnZcrxWorker validates every option before a thread is started,
 * and a worker can never raise an unhandled 'error' event (which would end
 * the process): a start failure terminates it and throws cleanly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errnoOf } from '@netmem/core/testing';
import { IoUring, spawnZcrxWorker, ZW_BAD, ZW_HELD } from '../src/index.js';
import { HDR, makeWorld, packet } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const uncaught: unknown[] = [];
const onUncaught = (e: unknown): void => void uncaught.push(e);
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
});

/** Lets the event loop deliver anything a dead worker would emit. */
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('D10: spawnZcrxWorker options', () => {
  it('holdBack 1e10 inside try/catch: EINVAL at once, no thread, nothing unhandled afterwards', async () => {
    const w = makeWorld({ areaPages: 16, rqEntries: 16, checked: false });
    const t0 = Date.now();
    let err: unknown;
    try {
      spawnZcrxWorker(w.ring, w.ifq, { holdBack: 1e10, startTimeoutMs: 3000 });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string })?.code).toBe('EINVAL');
    expect(Date.now() - t0).toBeLessThan(1000);
    await settle();
    expect(uncaught).toEqual([]);
  });

  it('holdBack must be an integer 0..area buffers; timeouts positive and finite; known keys only; checkPattern a boolean', async () => {
    const w = makeWorld({ areaPages: 16, rqEntries: 16, checked: false });
    const bads: Any[] = [
      { holdBack: -1 },
      { holdBack: 1.5 },
      { holdBack: NaN },
      { holdBack: '2' },
      { holdBack: 17 },
      { startTimeoutMs: 0 },
      { startTimeoutMs: -5 },
      { startTimeoutMs: NaN },
      { startTimeoutMs: Infinity },
      { startTimeoutMs: '100' },
      { checkPattern: 1 },
      { holdback: 2 },
      null,
      7,
    ];
    for (const o of bads)
      expect(
        errnoOf(() => spawnZcrxWorker(w.ring, w.ifq, o)),
        JSON.stringify(o),
      ).toBe('EINVAL');
    const other = new IoUring(w.ns);
    expect(errnoOf(() => spawnZcrxWorker(other, w.ifq))).toBe('EINVAL');
    expect(errnoOf(() => spawnZcrxWorker({} as Any, w.ifq))).toBe('EINVAL');
    expect(errnoOf(() => spawnZcrxWorker(w.ring, {} as Any))).toBe('EINVAL');
    await settle(50);
    expect(uncaught).toEqual([]);
  });

  it('a worker that dies before it runs: EIO well before the timeout, the thread is gone and its error is handled', async () => {
    const w = makeWorld({ areaPages: 16, rqEntries: 16, checked: false });
    // The worker's own checks refuse this refill ring (3 entries is no power of two): its loop throws at start.
    Object.defineProperty(w.ifq, 'rqEntries', { value: 3 });
    const t0 = Date.now();
    expect(errnoOf(() => spawnZcrxWorker(w.ring, w.ifq, { startTimeoutMs: 5000 }))).toBe('EIO');
    expect(Date.now() - t0).toBeLessThan(4000);
    await settle(500);
    expect(uncaught).toEqual([]);
  });

  it('holdBack = every buffer of the area is accepted; the worker holds them and exit scrubs them', async () => {
    const w = makeWorld({ areaPages: 16, rqEntries: 16, checked: false });
    const req = w.ring.recvZc(w.sk, { userData: 1 });
    const worker = spawnZcrxWorker(w.ring, w.ifq, { holdBack: 8, startTimeoutMs: 20000 });
    for (let n = 0; n < 4; n++) {
      expect(w.drv.receive(1, packet(4096, n * 4096), HDR, w.sk)).toBe(true);
      while (req.issue() === 'requeue');
      worker.kick();
    }
    while (worker.consumed < w.ifq.stats.zcFrags) worker.waitRefill(5);
    for (const bad of [NaN, -1, Infinity, '5'] as Any[]) {
      expect(errnoOf(() => worker.waitRefill(bad))).toBe('EINVAL');
      expect(errnoOf(() => worker.stop(bad))).toBe('EINVAL');
    }
    w.ring.exit();
    expect(worker.stop()).toBe(true);
    expect(worker.stop()).toBe(true);
    expect(worker.control[ZW_BAD]).toBe(0);
    expect(worker.control[ZW_HELD]).toBe(4);
    expect(worker.error).toBeNull();
    await settle(50);
    expect(uncaught).toEqual([]);
  });
});
