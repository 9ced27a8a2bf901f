/**
 * xthread_floor: the cross-thread round trip with nothing of netmem in it,
 * the floor under xthread_return on this machine. The main thread takes a
 * handle from a bare local ring (baseline_ring's shape), hands it to a
 * worker through a SharedArrayBuffer ring (published every 64), and the
 * worker gives it back through a second one (published every 32); the main
 * thread drains that into its local ring when the ring runs empty. No pool,
 * no ownership checks, no bookkeeping of who holds what: what is left is
 * the two threads passing cache lines back and forth, which no library
 * code can make cheaper.
 */
import { Worker } from 'node:worker_threads';
import type { BenchCase, BenchInstance } from '../types.js';

const H = 48;
const TAIL = 16;
const STOP = 33;
/** Handles in circulation; the worker holds at most CAPACITY of them (as xthread_return's). */
const HANDLES = 1024;
const CAPACITY = 512;
const BATCH = 64;

export const xthreadFloor: BenchCase = {
  name: 'xthread_floor',
  title: 'bare handles round trip to a worker and back through two shared rings (no pool, no checks)',
  setup(): BenchInstance {
    const hand = new Int32Array(new SharedArrayBuffer((H + CAPACITY) * 4));
    const ret = new Int32Array(new SharedArrayBuffer((H + CAPACITY) * 4));
    const worker = new Worker(new URL('./xthread-floor-worker.mjs', import.meta.url), {
      workerData: { hand: hand.buffer, ret: ret.buffer, capacity: CAPACITY },
    });
    worker.unref();
    const local = new Int32Array(HANDLES);
    let head = 0;
    let count = HANDLES;
    for (let i = 0; i < HANDLES; i++) local[i] = (i + 1) << 1;
    let tail = 0; // hand-out tail (ours)
    let back = 0; // return ring head (ours)
    let out = 0;
    let waits = 0;
    const drain = (): void => {
      const t = Atomics.load(ret, TAIL);
      for (; back !== t; back = (back + 1) | 0) {
        local[(head + count) & (HANDLES - 1)] = ret[H + (back & (CAPACITY - 1))];
        count++;
        out--;
      }
    };
    const settle = (): void => {
      Atomics.store(hand, TAIL, tail);
      while (out > 0) {
        waits++;
        drain();
      }
    };
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          if (count === 0) {
            Atomics.store(hand, TAIL, tail);
            do {
              waits++;
              drain();
            } while (count === 0);
          }
          const nm = local[head];
          head = (head + 1) & (HANDLES - 1);
          count--;
          acc = (acc + nm) | 0;
          // At most CAPACITY out: neither ring can then overflow (the worker's returns need no room check).
          if (out === CAPACITY) {
            Atomics.store(hand, TAIL, tail);
            do {
              waits++;
              drain();
            } while (out === CAPACITY);
          }
          hand[H + (tail & (CAPACITY - 1))] = nm;
          tail = (tail + 1) | 0;
          out++;
          if ((tail & (BATCH - 1)) === 0) Atomics.store(hand, TAIL, tail);
        }
        Atomics.store(hand, TAIL, tail);
        return acc;
      },
      verify(total) {
        settle();
        // Every handle is home again, each once.
        const seen = new Uint8Array(HANDLES + 1);
        for (let i = 0; i < count; i++) seen[local[(head + i) & (HANDLES - 1)] >>> 1]++;
        const bad = seen.findIndex((n, i) => i > 0 && n !== 1);
        if (count !== HANDLES || bad !== -1 || tail !== (total | 0))
          throw new Error(`${count} handles home, handle ${bad} seen ${seen[bad]} times, ${tail} handed out of ${total}`);
        return `${total} round trips, ${waits} polls for returns`;
      },
      teardown() {
        Atomics.store(hand, STOP, 1);
        Atomics.notify(hand, TAIL);
      },
    };
  },
};
