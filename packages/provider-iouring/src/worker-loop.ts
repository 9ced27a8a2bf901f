/**
 * The user-space consumer loop a worker_thread runs: reap CQEs from the
 * shared CQ, optionally check each buffer's bytes against a stream pattern,
 * and give buffers back through the shared refill ring, holding the most
 * recent `holdBack` of them (as an application still reading would). It
 * touches only SharedArrayBuffers, so it needs nothing from @netmem/core.
 *
 * Control block (Int32Array over `control`): see the ZW_* indices. The
 * kernel side sets ZW_STOP; the worker reports counters and ZW_DONE.
 * Atomics.wait/notify only when a side is idle (flags ZW_WORKER_IDLE /
 * ZW_MAIN_WAITING), so the busy path does one atomic store per batch.
 */
import { CQ_TAIL, IORING_CQE_F_MORE, USER_PAGE_SIZE } from './constants.js';
import { CqConsumer, RefillProducer, zcrxIndexOf, type ZcrxRqOffsets } from './user.js';

/** Control word: set to 1 to stop the worker. */
export const ZW_STOP = 0;
/** Control word: buffers the worker consumed (updated per batch). */
export const ZW_BUFS = 1;
/** Control word: the worker is about to sleep on the CQ tail. */
export const ZW_WORKER_IDLE = 2;
/** Control word: the kernel side sleeps on the refill tail (worker notifies after commits). */
export const ZW_MAIN_WAITING = 3;
/** Control word: 1 once the worker loop ended. */
export const ZW_DONE = 4;
/** Control word: buffers the worker still held when it stopped. */
export const ZW_HELD = 5;
/** Control word: buffers whose bytes did not match the pattern. */
export const ZW_BAD = 6;
/** Control word: final (no MORE flag) CQEs seen. */
export const ZW_FINALS = 7;
/** Control word: 1 once the worker runs. */
export const ZW_READY = 8;
/** Control word: bytes received, in KiB (wraps past 2^31 KiB). */
export const ZW_KIB = 9;
/** Most CQEs handled before the refill ring is committed. */
export const ZW_BATCH = 32;
/** Bytes of the control block. */
export const ZW_CONTROL_BYTES = 64;

/** What the worker is given (all SharedArrayBuffers plus numbers: structured-clone safe). */
export interface ZcrxWorkerData {
  /** The CQ buffer. */
  cq: SharedArrayBuffer;
  /** The refill-ring region. */
  rq: SharedArrayBuffer;
  /** Refill offsets. */
  offsets: ZcrxRqOffsets;
  /** Refill entries. */
  rqEntries: number;
  /** The area memory. */
  area: SharedArrayBuffer;
  /** Byte offset of buffer 0 in `area`. */
  areaOffset: number;
  /** The control block (ZW_CONTROL_BYTES). */
  control: SharedArrayBuffer;
  /** Buffers to keep (return later); the rest go back at once. */
  holdBack: number;
  /** Check every byte against 'a' + pos % 26 of the stream. */
  checkPattern: boolean;
}

/** Runs the loop until ZW_STOP (blocking the calling thread). */
export function zcrxWorkerLoop(d: ZcrxWorkerData): void {
  const ctl = new Int32Array(d.control);
  const cqI32 = new Int32Array(d.cq);
  const rqI32 = new Int32Array(d.rq);
  const tailIdx = d.offsets.tail >>> 2;
  const cq = new CqConsumer(d.cq);
  const rq = new RefillProducer(d.rq, d.offsets, d.rqEntries);
  const area = new Uint8Array(d.area);
  const cap = d.holdBack + 1;
  const heldLo = new Uint32Array(cap);
  const heldHi = new Uint32Array(cap);
  let hHead = 0;
  let hLen = 0;
  // Buffer views over the same memory: compare() is a native memcmp and allocates nothing.
  const areaBuf = Buffer.from(d.area);
  const pattern = Buffer.alloc(USER_PAGE_SIZE + 26);
  for (let i = 0; i < pattern.length; i++) pattern[i] = 97 + (i % 26);
  let pos = 0;
  let bufs = 0;
  let bad = 0;
  let finals = 0;
  let bytes = 0;
  let spins = 0;
  Atomics.store(ctl, ZW_READY, 1);
  Atomics.notify(ctl, ZW_READY);
  for (;;) {
    // Small batches: the kernel side may be waiting for the refill entries of this one.
    let n = cq.begin();
    if (n > ZW_BATCH) n = ZW_BATCH;
    if (n === 0) {
      if (Atomics.load(ctl, ZW_STOP) !== 0) break;
      if (++spins > 200) {
        Atomics.store(ctl, ZW_WORKER_IDLE, 1);
        Atomics.wait(cqI32, CQ_TAIL, cq.tailSeen, 2);
        Atomics.store(ctl, ZW_WORKER_IDLE, 0);
        spins = 0;
      }
      continue;
    }
    spins = 0;
    for (let i = 0; i < n; i++) {
      const res = cq.res(i);
      if ((cq.flags(i) & IORING_CQE_F_MORE) === 0) {
        finals++;
        continue;
      }
      const lo = cq.offLo(i);
      const hi = cq.offHi(i);
      if (d.checkPattern) {
        const at = d.areaOffset + zcrxIndexOf(lo, hi) * USER_PAGE_SIZE + (lo & 0xfff);
        const p0 = pos % 26;
        if (areaBuf.compare(pattern, p0, p0 + res, at, at + res) !== 0) bad++;
      } else if (area[d.areaOffset + zcrxIndexOf(lo, hi) * USER_PAGE_SIZE + (lo & 0xfff)] === 0) {
        // Touch the data as a reader would; nothing to check.
      }
      pos += res;
      bytes += res;
      bufs++;
      // Hold it; give back the oldest once more than holdBack are held.
      const slot = (hHead + hLen) % cap;
      heldLo[slot] = lo - (lo & 0xfff);
      heldHi[slot] = hi;
      hLen++;
      if (hLen > d.holdBack) {
        while (!rq.push(heldLo[hHead], heldHi[hHead])) rq.commit();
        hHead = (hHead + 1) % cap;
        hLen--;
      }
    }
    cq.end(n);
    rq.commit();
    Atomics.store(ctl, ZW_BUFS, bufs);
    if (Atomics.load(ctl, ZW_MAIN_WAITING) !== 0) Atomics.notify(rqI32, tailIdx);
  }
  ctl[ZW_BAD] = bad;
  ctl[ZW_FINALS] = finals;
  ctl[ZW_HELD] = hLen;
  ctl[ZW_KIB] = Math.floor(bytes / 1024) | 0;
  Atomics.store(ctl, ZW_BUFS, bufs);
  Atomics.store(ctl, ZW_DONE, 1);
  Atomics.notify(ctl, ZW_DONE);
}
