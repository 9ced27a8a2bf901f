/** The plain data of an ifq: what builds one, what it counts, what a refill reports. */
import type { DmaDevice, Dmabuf, MemoryDomain } from '@netmem/core';

/**
 * The memory an ifq's area is built on.
 * @category Zero-copy receive
 */
export type ZcrxAreaMemory =
  | {
      /** User memory. */
      buffer: SharedArrayBuffer;
      /** Byte offset of the area in `buffer`. */
      offset: number;
      /** Bytes (a page multiple). */
      len: number;
    }
  | {
      /** Device memory. */
      dmabuf: Dmabuf;
      /** Bytes (the dmabuf's size). */
      len: number;
    };

/**
 * What {@link ZcrxIfq.create} needs (registration builds it; tests may use it directly).
 * @category Zero-copy receive
 */
export interface ZcrxIfqParams {
  /** The memory domain. */
  domain: MemoryDomain;
  /** The DMA device of the netdev (the area is mapped for it). */
  dev: DmaDevice;
  /** Area memory. */
  area: ZcrxAreaMemory;
  /** Refill-ring entries (a power of two). */
  rqEntries: number;
  /** The refill-ring region; made when absent. Must hold 64 + 16 × rqEntries bytes. */
  rqBuffer?: SharedArrayBuffer;
  /** Id within its ring. Default 0. */
  id?: number;
}

/**
 * Counters of an ifq's provider and receive path.
 * @category Zero-copy receive
 */
export interface ZcrxIfqStats {
  /** Refill entries consumed (head advanced over them). */
  rqConsumed: number;
  /** Entries skipped: pad ≠ 0, wrong area or index out of range. */
  rqBad: number;
  /** Entries skipped: the user held no reference on that buffer. */
  rqNoUserRef: number;
  /** Entries whose buffer kept pp references after the drop (an skb holds it too). */
  rqStillReferenced: number;
  /** Buffers a refill put straight into the pool's cache. */
  rqRecycled: number;
  /** Buffers a refill returned elsewhere (an older pool, or the freelist for copy buffers). */
  rqReturned: number;
  /** Net_iovs taken from the freelist into a pool. */
  freelistAllocs: number;
  /** Zero-copy frags posted. */
  zcFrags: number;
  /** Copy-fallback buffers posted. */
  copyBufs: number;
  /** Buffers whose user references scrub took back. */
  scrubbed: number;
}

/**
 * What one {@link ZcrxIfq.refillRing} did (each a count of refill entries, except `head`).
 * @category Zero-copy receive
 */
export interface ZcrxRefillResult {
  /** Entries consumed: head moved over each. */
  consumed: number;
  /** Buffers put into the pool's cache. */
  recycled: number;
  /** Buffers returned elsewhere (an older pool, or the freelist for copy buffers). */
  returned: number;
  /** Entries skipped as malformed: pad ≠ 0, wrong area, index out of range. */
  bad: number;
  /** Entries skipped: the user held no reference on that buffer. */
  noUserRef: number;
  /** Entries whose buffer still has pp references after the drop (in an skb too): consumed, nothing recycled. */
  stillReferenced: number;
  /** The kernel's head after the call (what it stored in the shared ring). */
  head: number;
}
