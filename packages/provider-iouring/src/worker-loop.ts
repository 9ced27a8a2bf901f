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
import { userExpected } from './user-errors.js';

/**
 * Control word: set to 1 to stop the worker.
 * @category Worker
 */
export const ZW_STOP = 0;
/**
 * Control word: buffers the worker consumed (updated per batch).
 * @category Worker
 */
export const ZW_BUFS = 1;
/**
 * Control word: the worker is about to sleep on the CQ tail.
 * @category Worker
 */
export const ZW_WORKER_IDLE = 2;
/**
 * Control word: the kernel side sleeps on the refill tail (worker notifies after commits).
 * @category Worker
 */
export const ZW_MAIN_WAITING = 3;
/**
 * Control word: 1 once the worker loop ended.
 * @category Worker
 */
export const ZW_DONE = 4;
/**
 * Control word: buffers the worker still held when it stopped.
 * @category Worker
 */
export const ZW_HELD = 5;
/**
 * Control word: buffers whose bytes did not match the pattern.
 * @category Worker
 */
export const ZW_BAD = 6;
/**
 * Control word: final (no MORE flag) CQEs seen.
 * @category Worker
 */
export const ZW_FINALS = 7;
/**
 * Control word: 1 once the worker runs.
 * @category Worker
 */
export const ZW_READY = 8;
/**
 * Control word: bytes received, in KiB (wraps past 2^31 KiB).
 * @category Worker
 */
export const ZW_KIB = 9;
/**
 * Control word: 1 when the worker failed (its loop or its start threw); the thread then ends with that error.
 * @category Worker
 */
export const ZW_ERROR = 10;
/** Most CQEs handled before the refill ring is committed. */
export const ZW_BATCH = 32;
/**
 * Bytes of the control block.
 * @category Worker
 */
export const ZW_CONTROL_BYTES = 64;

/**
 * What the worker is given (all SharedArrayBuffers plus numbers: structured-clone safe).
 * @category Worker
 */
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

const DATA_KEYS: readonly string[] = ['cq', 'rq', 'offsets', 'rqEntries', 'area', 'areaOffset', 'control', 'holdBack', 'checkPattern'];

/**
 * The most buffers the loop can be told to hold: every buffer of the area
 * (beyond that it could never give one back). Also what spawnZcrxWorker
 * allows.
 * @category Worker
 */
export function zcrxMaxHoldBack(areaBytes: number, areaOffset: number): number {
  return Math.max(0, Math.floor((areaBytes - areaOffset) / USER_PAGE_SIZE));
}

/**
 * Checks worker data before anything runs or is written (EINVAL): only the
 * known keys; SharedArrayBuffers for cq, rq, area and a control block of at
 * least ZW_CONTROL_BYTES; areaOffset an integer inside the area; holdBack
 * an integer 0..(buffers in the area); checkPattern a boolean; the CQ and
 * refill layouts as CqConsumer and RefillProducer check them.
 */
function checkWorkerData(d: ZcrxWorkerData): void {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) userExpected('the worker needs its data object', d);
  for (const k of Object.keys(d)) if (!DATA_KEYS.includes(k)) userExpected(`worker data takes ${DATA_KEYS.join(', ')}; unknown key`, k);
  if (!(d.control instanceof SharedArrayBuffer) || d.control.byteLength < ZW_CONTROL_BYTES) userExpected(`the worker control block must be a SharedArrayBuffer of at least ${ZW_CONTROL_BYTES} bytes`, d.control);
  if (!(d.area instanceof SharedArrayBuffer)) userExpected('the worker area must be the area memory (a SharedArrayBuffer)', d.area);
  if (!Number.isSafeInteger(d.areaOffset) || d.areaOffset < 0 || d.areaOffset > d.area.byteLength) userExpected(`the area offset must be an integer 0..${d.area.byteLength}`, d.areaOffset);
  const max = zcrxMaxHoldBack(d.area.byteLength, d.areaOffset);
  if (!Number.isInteger(d.holdBack) || d.holdBack < 0 || d.holdBack > max) userExpected(`holdBack must be an integer 0..${max} (the area's buffers)`, d.holdBack);
  if (typeof d.checkPattern !== 'boolean') userExpected('checkPattern must be true or false', d.checkPattern);
}

/**
 * Runs the loop until ZW_STOP (blocking the calling thread). Bad data is refused (EINVAL) before anything is written.
 * @category Worker
 */
export function zcrxWorkerLoop(d: ZcrxWorkerData): void {
  checkWorkerData(d);
  const cq = new CqConsumer(d.cq);
  const rq = new RefillProducer(d.rq, d.offsets, d.rqEntries);
  const ctl = new Int32Array(d.control);
  const cqI32 = new Int32Array(d.cq);
  const rqI32 = new Int32Array(d.rq);
  const tailIdx = d.offsets.tail >>> 2;
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
