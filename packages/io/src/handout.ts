/**
 * The hand-out ring: buffers the pool's owner gives a worker thread, in a
 * SharedArrayBuffer (the way back is core's return ring). One producer (the
 * owner), one consumer (the worker). Each entry is the buffer's handle, its
 * byte offset in the domain's page storage and the length of valid bytes.
 * The same memory carries the little control block both sides need:
 * ready/stop flags, the worker's "asleep" flag, and a counter the worker
 * bumps each time it publishes returns (the owner can wait on it).
 *
 * Memory strategy: an Int32Array over one SharedArrayBuffer; head and tail
 * sit on separate cache lines; the producer publishes its tail once per
 * batch and the consumer its head once per batch, so Atomics run per
 * batch, not per buffer. Neither side allocates per buffer.
 */

// Layout: one cache line per writer. The worker's line holds what it writes
// on every batch (head, returns sequence, counters) and the owner's waiter
// count it reads then; the owner's line holds its tail and the worker's
// "asleep" flag the owner reads on every publish; set-up flags sit apart.

/** Int32 index of the consumer's head (written by the worker). */
export const H_HEAD = 0;
/** Bumped by the worker after each published batch of returns. */
export const H_RET_SEQ = 1;
/** Buffers the worker took so far. */
export const H_TAKEN = 2;
/** Returns the worker put so far. */
export const H_PUT = 3;
/** How many owner-side waiters want {@link H_RET_SEQ} notified. */
export const H_WAITERS = 4;
/** Int32 index of the producer's tail (written by the owner). */
export const H_TAIL = 16;
/** 1 while the worker sleeps waiting for the tail to move. */
export const H_IDLE = 17;
/** Entries in the ring (a power of two). */
export const H_CAP = 32;
/** Set by the owner: finish (take what is queued, then take returns 0). */
export const H_STOP = 33;
/** Set by the worker once its port is open. */
export const H_READY = 34;
/** Int32 slots before the entries. */
export const H_HEADER = 48;
/** Int32 slots per entry: handle, storage offset, length, spare. */
export const H_ENTRY = 4;

/** Bytes of a hand-out ring of `capacity` entries. */
export function handOutBytes(capacity: number): number {
  return (H_HEADER + capacity * H_ENTRY) * 4;
}

/** What the owner sends the worker (under `workerData.netmemIo`). */
export interface IoWorkerData {
  /** The domain's page storage. */
  storage: SharedArrayBuffer;
  /** Core's return ring (a ReturnRingProducer goes over it). */
  returns: SharedArrayBuffer;
  /** The hand-out ring and control block. */
  handOut: SharedArrayBuffer;
  /** Bytes of one pool buffer (PAGE_SIZE << order). */
  bufferBytes: number;
}

/** The owner's side: queue entries, publish them, wake the worker when it sleeps. */
export class HandOutProducer {
  private readonly i32: Int32Array;
  private readonly mask: number;
  private tail = 0;
  private head = 0;
  private published = 0;

  constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.i32 = new Int32Array(buffer);
    this.i32[H_CAP] = capacity;
    this.mask = capacity - 1;
  }

  /** True when one more entry fits (reloads the consumer's head only when the ring looks full). */
  hasRoom(): boolean {
    if (((this.tail - this.head) | 0) <= this.mask) return true;
    this.head = Atomics.load(this.i32, H_HEAD);
    return ((this.tail - this.head) | 0) <= this.mask;
  }

  /** Queues one entry; false when the ring is full. */
  push(nm: number, offset: number, length: number): boolean {
    if (!this.hasRoom()) return false;
    const b = H_HEADER + (this.tail & this.mask) * H_ENTRY;
    const i32 = this.i32;
    i32[b] = nm;
    i32[b + 1] = offset;
    i32[b + 2] = length;
    this.tail = (this.tail + 1) | 0;
    return true;
  }

  /** Entries queued and not yet taken by the worker (as far as the owner last saw). */
  get queued(): number {
    return (this.tail - Atomics.load(this.i32, H_HEAD)) | 0;
  }

  /** Publishes the queued entries (one Atomics store) and wakes the worker if it sleeps. */
  publish(): void {
    const i32 = this.i32;
    if (this.published === this.tail) return;
    this.published = this.tail;
    Atomics.store(i32, H_TAIL, this.tail);
    if (Atomics.load(i32, H_IDLE) !== 0) Atomics.notify(i32, H_TAIL);
  }
}
