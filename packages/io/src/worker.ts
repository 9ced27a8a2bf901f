/**
 * @netmem/io/worker: the worker thread's side of a `PoolWorker`. Open the
 * port with {@link openPoolWorkerPort}, `take` the buffers the pool's owner
 * handed out, read them in place in the shared page storage, and `put`
 * each one back (core's return ring, batched).
 *
 * @packageDocumentation
 */
export { openPoolWorkerPort, PoolWorkerPort, IO_WORKER_KEY, type PoolWorkerPortOptions } from './worker-port.js';
export { PatternTape, PatternChecker, PATTERN_PERIOD } from './pattern.js';
