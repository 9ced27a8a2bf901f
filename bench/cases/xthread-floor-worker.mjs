// Worker of xthread_floor: takes every handle from the hand-out ring and
// returns it through the return ring, published every 32; no pool, no
// checks, no room check (the owner never has more out than the ring holds). Spins while the owner is busy, sleeps in 1 ms naps once it has
// been idle a while, and ends when the owner sets the stop word.
import { workerData } from 'node:worker_threads';

const H = 48; // header slots before the entries (as the return ring lays them out)
const TAIL = 16;
const STOP = 33;
const BATCH = 32;
const hand = new Int32Array(workerData.hand);
const ret = new Int32Array(workerData.ret);
const mask = workerData.capacity - 1;
let next = 0;
let rtail = 0;
let unpublished = 0;
let idle = 0;
for (;;) {
  const tail = Atomics.load(hand, TAIL);
  if (tail === next) {
    if (unpublished !== 0) {
      Atomics.store(ret, TAIL, rtail);
      unpublished = 0;
    }
    if (Atomics.load(hand, STOP) !== 0) break;
    if (++idle > 1_000_000) Atomics.wait(hand, TAIL, tail, 1);
    continue;
  }
  idle = 0;
  for (; next !== tail; next = (next + 1) | 0) {
    // The return ring has room: the owner never has more than `capacity` handles out.
    ret[H + (rtail & mask)] = hand[H + (next & mask)];
    rtail = (rtail + 1) | 0;
    if (++unpublished === BATCH) {
      Atomics.store(ret, TAIL, rtail);
      unpublished = 0;
    }
  }
}
