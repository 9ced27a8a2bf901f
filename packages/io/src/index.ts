/**
 * @netmem/io: real I/O over @netmem/core page pools. Node sockets that read
 * straight into pool buffers ({@link PooledReader}, Node's `onread`),
 * zero-copy writes of held buffers ({@link ZeroCopyWriter}), and worker
 * threads that read buffers in the shared page storage and return them
 * through the pool's return ring ({@link PoolWorker}; the worker's side is
 * `@netmem/io/worker`). A separate package because it needs node:net and
 * node:worker_threads, which core, a pure model, does not.
 *
 * @packageDocumentation
 */
export { PooledReader } from './reader.js';
export type { PooledReaderOptions, PooledReaderStats, PooledOnRead } from './reader-types.js';
export { ZeroCopyWriter, type ZeroCopyWriterOptions, type ZeroCopyWriterStats } from './writer.js';
export { PoolWorker, type PoolWorkerOptions, type PoolWorkerExit, type PoolWorkerStats } from './pool-worker.js';
export { PatternTape, PatternChecker, PATTERN_PERIOD, writePattern } from './pattern.js';
