/**
 * Cross-thread returns into a core pool. One operation is one buffer: the
 * main thread allocates it and hands it to a worker thread, the worker gives
 * the pp reference back through the pool's return ring (core's
 * ReturnRingProducer, batched Atomics), and the pool drains the ring into
 * its ptr_ring on its allocation slow path. All three cases use the same
 * order-0 pool (ring size 1024, prefilled as the page-pool cases are).
 *
 * - xthread_ptr_ring: the same-process baseline, ptr_ring on one thread:
 *   alloc + putNetmem without direct recycling.
 * - xthread_return: hand-out through @netmem/io's shared hand-out ring
 *   (published every 64 buffers), returns through the return ring.
 * - xthread_floor: the same round trip of bare handles, no pool (see
 *   xthread-floor.ts): what the two threads' cache traffic alone costs.
 * - xthread_return_postmessage: the same with one postMessage per buffer
 *   instead of the shared hand-out ring (the alternative it replaces).
 */
import { MemoryDomain, VirtualClock, createPagePool, type PagePool, type PagePoolStats } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { PoolWorker } from '@netmem/io';
import type { BenchCase, BenchInstance } from '../types.js';
import { xthreadFloor } from './xthread-floor.js';

/**
 * Buffers the worker may hold at once (hand-out and return ring entries):
 * half the pool's ptr_ring, so a drain always finds room there and no
 * buffer leaves the pool.
 */
const CAPACITY = 512;
/** Hand-outs per publish. */
const BATCH = 64;

function makePool(): PagePool {
  const domain = new MemoryDomain({ pages: 4096, netIovs: 0, clock: new VirtualClock(), onWarn: false });
  const pool = createPagePool({ domain, provider: pagesProvider(), order: 0, poolSize: 1024 });
  // As the page-pool cases: one bulk slow allocation, then 64 puts into the ring.
  const held: number[] = [];
  for (let i = 0; i < 64; i++) held.push(pool.allocNetmems());
  for (const nm of held) pool.putNetmem(nm, -1, false);
  return pool;
}

function check(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

/** Every return went through the ptr_ring, never the alloc cache; no buffer left the pool. */
function checkRingOnly(before: PagePoolStats, after: PagePoolStats, total: number): void {
  check(after.recycle.cached === before.recycle.cached, `${after.recycle.cached - before.recycle.cached} returns went to the alloc cache`);
  check(after.recycle.releasedRefcnt === before.recycle.releasedRefcnt && after.recycle.ringFull === before.recycle.ringFull, 'buffers left the pool');
  check(
    after.recycle.ring - before.recycle.ring >= total - CAPACITY,
    `ring recycles +${after.recycle.ring - before.recycle.ring}, expected ≥ ${total - CAPACITY}`,
  );
}

/** xthread_ptr_ring. */
export const xthreadPtrRing: BenchCase = {
  name: 'xthread_ptr_ring',
  title: 'allocNetmems + putNetmem (ptr_ring, one thread): the baseline for cross-thread returns',
  setup(): BenchInstance {
    const pool = makePool();
    const before = pool.stats();
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const nm = pool.allocNetmems();
          acc = (acc + nm) | 0;
          pool.putNetmem(nm, -1, false);
        }
        return acc;
      },
      verify(total) {
        checkRingOnly(before, pool.stats(), total);
        return `ring ${pool.stats().recycle.ring - before.recycle.ring}`;
      },
      teardown: () => pool.destroy(),
    };
  },
};

/** The main thread's loop of both worker cases; `give` hands one buffer over (false: the worker is full). */
function workerCase(name: string, title: string, script: string, give: (pw: PoolWorker, nm: number) => boolean, flush: (pw: PoolWorker) => void): BenchCase {
  return {
    name,
    title,
    setup(): BenchInstance {
      const pool = makePool();
      const before = pool.stats();
      const starting = PoolWorker.start(pool, new URL(script, import.meta.url), { capacity: CAPACITY });
      let pw: PoolWorker | null = null;
      let waits = 0;
      let given = 0;
      const loop = (w: PoolWorker, ops: number): number => {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          let nm = pool.allocNetmems(); // the slow path drains the worker's returns into the ptr_ring
          while (nm === 0) {
            flush(w);
            waits++;
            w.waitReturns(5, 20_000);
            nm = pool.allocNetmems();
          }
          acc = (acc + nm) | 0;
          while (!give(w, nm)) {
            flush(w);
            waits++;
            w.waitReturns(5, 20_000);
            w.drain();
          }
          if ((++given & (BATCH - 1)) === 0) flush(w);
        }
        flush(w);
        return acc;
      };
      return {
        run(ops) {
          if (pw !== null) return loop(pw, ops);
          return starting.then((w) => loop((pw = w), ops));
        },
        verify(total) {
          const w = pw!;
          for (let i = 0; i < 2000 && w.stats().held > 0; i++) {
            w.waitReturns(5, 20_000);
            w.drain();
          }
          const s = w.stats();
          check(
            s.held === 0 && s.returned === total && s.skipped === 0,
            `worker returned ${s.returned} of ${total} (held ${s.held}, skipped ${s.skipped}) ${JSON.stringify(s)}`,
          );
          checkRingOnly(before, pool.stats(), total);
          return `${s.returned} returned via the return ring, 0 via the cache, ${waits} waits`;
        },
        teardown() {
          void pw?.terminate().then(() => pool.destroy());
        },
      };
    },
  };
}

/** xthread_return. */
export const xthreadReturn = workerCase(
  'xthread_return',
  'buffer allocated here, handed to a worker (shared hand-out ring), returned via the return ring',
  './xthread-worker.ts',
  (pw, nm) => pw.handOut(nm, 4096),
  (pw) => pw.publish(),
);

/** Hands out with one postMessage per buffer, bounded by the return ring's capacity like PoolWorker.handOut. */
function postMessageGive(): (pw: PoolWorker, nm: number) => boolean {
  let out = 0;
  let back = 0;
  return (pw, nm) => {
    if (out - back >= CAPACITY) {
      back = out - pw.ring.stats().held; // only when it may be full
      if (out - back >= CAPACITY) return false;
    }
    pw.ring.handOut(nm);
    pw.worker.postMessage(nm);
    out++;
    return true;
  };
}

/** xthread_return_postmessage. */
export const xthreadReturnPostMessage = workerCase(
  'xthread_return_postmessage',
  'the same, handed out with one postMessage per buffer',
  './xthread-pm-worker.ts',
  postMessageGive(),
  () => {},
);

/** The cross-thread return cases, in report order. */
export const xthreadCases: readonly BenchCase[] = [xthreadPtrRing, xthreadFloor, xthreadReturn, xthreadReturnPostMessage];
