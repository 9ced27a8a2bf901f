/**
 * The memory of one netdevsim rx queue incarnation (what
 * ndo_queue_mem_alloc builds: the queue's pools and descriptor rings) and
 * the per-queue state the driver keeps across incarnations (its NAPI and
 * counters).
 */
import type { Napi } from '../pool/napi.js';
import type { PagePool } from '../pool/types.js';
import { DescRing } from './desc-ring.js';

/**
 * The memory of one queue incarnation (what ndo_queue_mem_alloc builds).
 * @category Stack model
 */
export class QueueMem {
  /** @internal Payload descriptors: buffers of the queue's pool. */
  readonly ring: DescRing;
  /** @internal Header descriptors (header split): frags of the header pool; empty without split. */
  readonly hdr: DescRing;
  constructor(
    /** Queue index. */
    readonly idx: number,
    /** The queue's pool (payload buffers; the provider's memory). */
    readonly pool: PagePool,
    /** Header pool (normal pages), with header split. */
    readonly hdrPool: PagePool | null,
    ringSize: number,
  ) {
    this.ring = new DescRing(ringSize);
    this.hdr = new DescRing(hdrPool ? ringSize : 0);
  }
}

// Indexes of a queue's counters.
/** Packets handed to the stack. */
export const C_PACKETS = 0;
/** Bytes handed to the stack. */
export const C_BYTES = 1;
/** Packets dropped. */
export const C_DROPPED = 2;
/** Failed buffer allocations during refill. */
export const C_ALLOC_FAIL = 3;

/** One rx queue's state across its incarnations. */
export interface QueueState {
  /** The queue's NAPI context. */
  napi: Napi;
  /** The running incarnation, null while stopped. */
  mem: QueueMem | null;
  /** packets, bytes, dropped, allocFail (C_* indexes): doubles from the start, so byte counts past 2^31 do not deoptimise the poll. */
  counters: Float64Array;
}
