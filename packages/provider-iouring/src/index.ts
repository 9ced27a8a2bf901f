/**
 * @netmem/provider-iouring: the io_uring zero-copy receive (zcrx) memory
 * provider: an io_uring instance with a shared completion queue, zcrx ifq
 * registration, the area and its refill ring, RECV_ZC, and ring exit.
 *
 * @packageDocumentation
 */
export * from './constants.js';
export { CompletionQueue } from './cq.js';
export { ZcrxArea } from './area.js';
export { ZcrxIfq, ZCRX_PROVIDER_NAME } from './ifq.js';
export type { ZcrxIfqParams, ZcrxIfqStats, ZcrxAreaMemory, ZcrxRefillResult } from './ifq-types.js';
export { registerZcrxIfq, ZCRX_USER_BASE, ZCRX_MAX_REGION, type ZcrxIfqReg, type ZcrxAreaReg, type ZcrxRegionDesc, type ZcrxRingContext } from './register.js';
export { RecvZcRequest, type RecvZcStatus } from './recv.js';
export { IoUring, type IoUringOptions, type RecvZcOptions } from './ring.js';
export { CqConsumer, RefillProducer, zcrxIndexOf, zcrxAreaOf, type ZcrxRqOffsets } from './user.js';
export { checkZcrxInvariants } from './invariants.js';
export {
  zcrxWorkerLoop,
  zcrxMaxHoldBack,
  ZW_STOP,
  ZW_BUFS,
  ZW_WORKER_IDLE,
  ZW_MAIN_WAITING,
  ZW_DONE,
  ZW_HELD,
  ZW_BAD,
  ZW_FINALS,
  ZW_READY,
  ZW_KIB,
  ZW_ERROR,
  ZW_CONTROL_BYTES,
  type ZcrxWorkerData,
} from './worker-loop.js';
export { spawnZcrxWorker, ZcrxWorker, type SpawnZcrxWorkerOptions } from './spawn.js';
