/**
 * Worker of the tcp_pooled_worker case: checks every byte of every buffer
 * it is handed against the pattern (buffers arrive in stream order) and
 * returns it through the pool's return ring. Shared counters ([0] bytes
 * checked mod 2^32, [1] buffers with a wrong byte, [2] buffers checked)
 * let the case verify the path.
 */
import { PatternTape, openPoolWorkerPort } from '@netmem/io/worker';

const port = openPoolWorkerPort();
const { seed, stats } = port.userData as { seed: number; stats: SharedArrayBuffer };
const out = new Int32Array(stats);
const check = new PatternTape(seed).checker(port.storage.buffer);
let offset = 0;
while (port.take() !== 0) {
  if (check.check(port.offset, port.length, offset) >= 0) Atomics.add(out, 1, 1);
  offset += port.length;
  port.put(port.nm);
  Atomics.store(out, 0, offset | 0);
  Atomics.add(out, 2, 1);
}
port.close();
