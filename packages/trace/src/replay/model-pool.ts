/**
 * One traced pool as a model pool: the map from traced page (pfn, or netmem
 * for a net_iov) to the model's netmem, and the two page moves a replay
 * makes. A traced hold is a slow allocation (the replay provider hands the
 * pool a fresh netmem). A traced release makes the model release exactly
 * that netmem: a page gets an extra page reference and is put, so the pool
 * sees a page it may not recycle and releases it (page_pool's
 * releasedRefcnt path), then the extra reference is dropped and the page is
 * free; a net_iov is recycled into the cache and the cache flushed by an
 * update_nid to the same node, or after destroy put into the ring, which the
 * model empties at its next release attempt, as the kernel does.
 *
 * Memory strategy: the map holds pages in flight only (int32 values in a
 * NumberMap).
 */
import type { PagePool } from '@netmem/core';
import { MISSING, NumberMap } from '../reconstruct/number-map.js';
import type { ReplaySource } from './replay-provider.js';

/** A traced pool's model side. */
export class ModelPool {
  /** Traced page key → model netmem. */
  readonly map = new NumberMap(256);
  /** Trace counter minus model counter, for holds (non-zero when the pool began before the trace). */
  holdOffset = 0;
  /** See {@link holdOffset}, for releases (pre-trace pages released, lost events resynchronised). */
  releaseOffset = 0;
  /** The hold offset was fixed (first hold or first attempt seen). */
  holdOffsetKnown: boolean;
  /** The release offset was fixed. */
  releaseOffsetKnown: boolean;
  /** Model attempts (its page_pool_release tracepoint), and the last one's figures. */
  attempts = 0;
  /** See {@link attempts}. */
  last: { inflight: number; hold: number; release: number; cnt: number } | null = null;
  /** Net_iovs put into the ring after destroy, released at the model's next attempt. */
  ringPending = 0;
  /** Replay stopped for this pool (the model ran out of memory). */
  disabled = false;
  /** The model's stall warnings, with the attempt each came at. */
  readonly stallWarnings: { message: string; cnt: number }[] = [];

  constructor(
    /** Traced pool index. */
    readonly index: number,
    /** The model pool. */
    readonly pool: PagePool,
    beganBeforeTrace: boolean,
  ) {
    this.holdOffsetKnown = !beganBeforeTrace;
    this.releaseOffsetKnown = !beganBeforeTrace;
  }

  /** The model netmem standing for traced page `key`, or 0. */
  netmemOf(key: number): number {
    const nm = this.map.get(key);
    return nm === MISSING ? 0 : nm;
  }

  /** A traced hold: one slow allocation for `netIov`-kind memory; the new netmem (0: out of memory). Throws what the model throws. */
  hold(key: number, netIov: boolean, src: ReplaySource): number {
    src.netIov = netIov;
    const nm = this.pool.allocNetmems();
    if (nm !== 0) this.map.set(key, nm);
    return nm;
  }

  /** A traced release of `key` (held by this pool in the model). Throws what the model throws. */
  release(key: number): void {
    const nm = this.map.delete(key);
    const pool = this.pool;
    const domain = pool.domain;
    if ((nm & 1) === 0) {
      // A page with another reference is not recyclable: the pool releases it.
      domain.getPage(nm);
      try {
        pool.putNetmem(nm, -1, false);
      } finally {
        domain.putPage(nm);
      }
      return;
    }
    if (pool.destroyStarted) {
      pool.putNetmem(nm, -1, false);
      if (pool.owns(nm)) this.ringPending++;
      return;
    }
    pool.recycleDirect(nm);
    pool.updateNid(pool.nid);
  }

  /** Drops the mapping of `key` without touching the model (the page left the trace's view). */
  forget(key: number): void {
    this.map.delete(key);
  }
}
