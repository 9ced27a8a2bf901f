/**
 * The tcp-pooled example's worker thread: takes every buffer the main
 * thread hands out, checks each byte against the pattern in place (in the
 * domain's shared page storage, no copy), and returns the buffer through
 * the pool's return ring. Buffers arrive in stream order, so the stream
 * offset is a running sum. Counters for the main thread: [0] bytes checked
 * (mod 2^32), [1] buffers with a wrong byte, [2] buffers checked, [3] the
 * stream offset of the first wrong byte (-1: none).
 */
import { PatternTape, openPoolWorkerPort } from '@netmem/io/worker';

const port = openPoolWorkerPort();
const { seed, counters } = port.userData as { seed: number; counters: SharedArrayBuffer };
const out = new Int32Array(counters);
const check = new PatternTape(seed).checker(port.storage.buffer); // views made once: nothing allocated per buffer
Atomics.store(out, 3, -1);
let offset = 0;
while (port.take() !== 0) {
  const bad = check.check(port.offset, port.length, offset);
  if (bad >= 0) {
    if (Atomics.add(out, 1, 1) === 0) Atomics.store(out, 3, offset + bad);
  }
  offset += port.length;
  port.put(port.nm); // back to the pool through the return ring (batched)
  Atomics.store(out, 0, offset | 0);
  Atomics.add(out, 2, 1);
}
port.close();
