/**
 * The user-space consumer loop a worker_thread runs: reap CQEs from the
 * shared CQ, optionally check each buffer's bytes against a stream pattern,
 * and give buffers back through the shared refill ring, holding the most
 * recent `holdBack` of them (as an application still reading would). It
 * touches only SharedArrayBuffers, so it needs nothing from @netmem/core.
 *
 * Control block (Int32Array over `control`): see the ZW_* indices. The
 * kernel side sets ZW_STOP; the worker reports counters and ZW_DONE.
 *
 * Cost model (the two threads run on two cores): a store to a word the
 * other side reads moves its cache line between the cores (hundreds of ns
 * on a VM), and an Atomics.notify is a futex call. So the worker
 * - handles CQEs in batches: per batch one load of the CQ tail, one store
 *   of the CQ head, one store of the refill tail, one of ZW_BUFS (alone on
 *   its own line, so the kernel side's per-post read of ZW_WORKER_IDLE
 *   stays a cache hit);
 * - reads one word of every CQE line of a batch first (CqConsumer.warm), so
 *   the misses on lines the producer just wrote overlap;
 * - when the CQ is empty, does not poll it (a poll takes the CQ tail's line
 *   from the producer, whose next seq-cst tail store then waits for it to
 *   come back) but sleeps as io_uring_enter(min_complete) does: it stores in
 *   ZW_WORKER_IDLE how many ready CQEs it wants, and waits on that word
 *   with a timeout. First it naps: it wants a quarter of the area's buffers
 *   (so the kernel side, which posts into those buffers, still has the rest
 *   while the worker wakes up) or ~0.3 ms. A batch of hundreds builds up
 *   meanwhile, the producer pays one futex wake per nap at most, and a
 *   worker sharing a CPU with the producer gives the CPU back for long
 *   stretches. After ZW_NAPS empty naps it wants one CQE (and wakes at
 *   least every IDLE_SLEEP_MS to see ZW_STOP).
 * The kernel side's kick() reads the word after each post, and when enough
 * CQEs are ready takes it back (Atomics.exchange) and notifies: one futex
 * wake per sleep however many posts come first. Short of buffers it wakes
 * the worker whatever it asked for (ZcrxWorker.waitRefill) and sleeps with
 * ZW_MAIN_WAITING raised; the worker takes that flag back and notifies once
 * it has returned ZW_WAKE_REFILLS buffers since, or emptied the CQ.
 */
import { IORING_CQE_F_MORE, USER_PAGE_SIZE } from './constants.js';
import { CqConsumer, RefillProducer, zcrxIndexOf, type ZcrxRqOffsets } from './user.js';
import { userExpected } from './user-errors.js';

/**
 * Control word: set to 1 to stop the worker.
 * @category Worker
 */
export const ZW_STOP = 0;
/**
 * Control word: buffers the worker consumed (updated per batch). Alone on
 * its own 64-byte line (word 32, byte 128), away from the words the kernel
 * side reads on every post.
 * @category Worker
 */
export const ZW_BUFS = 32;
/**
 * Control word: 0 while the worker runs; while it sleeps (on this word),
 * how many ready CQEs it wants before it is woken (the kernel side takes
 * it back to 0 when it wakes the worker).
 * @category Worker
 */
export const ZW_WORKER_IDLE = 2;
/**
 * Control word: the kernel side sleeps on the refill tail (the worker takes
 * it back to 0 and notifies once it has returned a few hundred buffers
 * since, or emptied the CQ).
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
/** Most CQEs handled before the refill ring is committed (the kernel side may be waiting for them). */
export const ZW_BATCH = 64;
/** Buffers returned since the kernel side started waiting before it is woken (unless the CQ ran empty first). */
const ZW_WAKE_REFILLS = 256;
/** Longest nap, ms (the OS's timer slack adds ~0.05-0.1 ms): the latency of CQEs that trickle in slower than a batch. */
const NAP_MS = 0.2;
/** Empty naps in a row before the worker sleeps until one CQE is ready. */
const ZW_NAPS = 4;
/** Longest sleep, ms: the loop checks ZW_STOP at least this often while idle. */
const IDLE_SLEEP_MS = 2;
/**
 * Bytes of the control block: three 64-byte lines (words 0..10 on the
 * first, ZW_BUFS on the third whatever the buffer's alignment).
 * @category Worker
 */
export const ZW_CONTROL_BYTES = 192;

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
  if (!(d.control instanceof SharedArrayBuffer) || d.control.byteLength < ZW_CONTROL_BYTES)
    userExpected(`the worker control block must be a SharedArrayBuffer of at least ${ZW_CONTROL_BYTES} bytes`, d.control);
  if (!(d.area instanceof SharedArrayBuffer)) userExpected('the worker area must be the area memory (a SharedArrayBuffer)', d.area);
  if (!Number.isSafeInteger(d.areaOffset) || d.areaOffset < 0 || d.areaOffset > d.area.byteLength)
    userExpected(`the area offset must be an integer 0..${d.area.byteLength}`, d.areaOffset);
  const max = zcrxMaxHoldBack(d.area.byteLength, d.areaOffset);
  if (!Number.isInteger(d.holdBack) || d.holdBack < 0 || d.holdBack > max)
    userExpected(`holdBack must be an integer 0..${max} (the area's buffers)`, d.holdBack);
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
  const rqI32 = new Int32Array(d.rq);
  const tailIdx = d.offsets.tail >>> 2;
  const area = new Uint8Array(d.area);
  // Locals: the hot loop reads no property of the (structured-cloned) data object.
  const holdBack = d.holdBack;
  const checkPattern = d.checkPattern;
  const areaOffset = d.areaOffset;
  const cap = holdBack + 1;
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
  let idle = 0;
  // A nap wants a quarter of the buffers the kernel side can post into (the rest carry it while this
  // thread wakes up, however late), and no more than half the CQ holds.
  const napWant = Math.max(1, Math.min((zcrxMaxHoldBack(d.area.byteLength, areaOffset) - holdBack) >>> 2, cq.entries >>> 1));
  // bufs when the kernel side was first seen waiting (-1: it is not).
  let waitFrom = -1;
  // Where warm()'s value goes (a store is never optimised away).
  const sink = new Int32Array(1);
  Atomics.store(ctl, ZW_READY, 1);
  Atomics.notify(ctl, ZW_READY);
  for (;;) {
    let n = cq.begin();
    if (n === 0) {
      if (Atomics.load(ctl, ZW_STOP) !== 0) break;
      const nap = idle < ZW_NAPS;
      if (nap) idle++;
      const want = nap ? napWant : 1;
      // Say how many CQEs to wake for, then look once more: a post that came before the store was not kicked.
      Atomics.store(ctl, ZW_WORKER_IDLE, want);
      if (cq.begin() === 0) Atomics.wait(ctl, ZW_WORKER_IDLE, want, nap ? NAP_MS : IDLE_SLEEP_MS);
      Atomics.store(ctl, ZW_WORKER_IDLE, 0);
      continue;
    }
    idle = 0;
    const drained = n <= ZW_BATCH;
    if (n > ZW_BATCH) n = ZW_BATCH;
    sink[0] = cq.warm(n);
    for (let i = 0; i < n; i++) {
      const res = cq.res(i);
      if ((cq.flags(i) & IORING_CQE_F_MORE) === 0) {
        finals++;
        continue;
      }
      const lo = cq.offLo(i);
      const hi = cq.offHi(i);
      const at = areaOffset + zcrxIndexOf(lo, hi) * USER_PAGE_SIZE + (lo & 0xfff);
      if (checkPattern) {
        const p0 = pos % 26;
        if (areaBuf.compare(pattern, p0, p0 + res, at, at + res) !== 0) bad++;
      } else if (area[at] === 0) {
        // Touch the data as a reader would; nothing to check.
      }
      pos += res;
      bytes += res;
      bufs++;
      const page = lo - (lo & 0xfff);
      if (holdBack === 0) {
        while (!rq.push(page, hi)) rq.commit();
        continue;
      }
      // Hold it; give back the oldest once more than holdBack are held.
      let slot = hHead + hLen;
      if (slot >= cap) slot -= cap;
      heldLo[slot] = page;
      heldHi[slot] = hi;
      if (++hLen > holdBack) {
        while (!rq.push(heldLo[hHead], heldHi[hHead])) rq.commit();
        if (++hHead === cap) hHead = 0;
        hLen--;
      }
    }
    // Once per batch: CQ head, refill tail, the counter (its own line).
    cq.end(n);
    rq.commit();
    Atomics.store(ctl, ZW_BUFS, bufs);
    if (Atomics.load(ctl, ZW_MAIN_WAITING) === 0) waitFrom = -1;
    else {
      // Wake it with a good number of buffers (or all there are), not one batch: a
      // kernel side sharing this CPU would run dry and switch back at once.
      if (waitFrom < 0) waitFrom = bufs - n;
      if ((drained || bufs - waitFrom >= ZW_WAKE_REFILLS) && Atomics.exchange(ctl, ZW_MAIN_WAITING, 0) !== 0) {
        Atomics.notify(rqI32, tailIdx);
        waitFrom = -1;
      }
    }
  }
  ctl[ZW_BAD] = bad;
  ctl[ZW_FINALS] = finals;
  ctl[ZW_HELD] = hLen;
  ctl[ZW_KIB] = Math.floor(bytes / 1024) | 0;
  Atomics.store(ctl, ZW_BUFS, bufs);
  Atomics.store(ctl, ZW_DONE, 1);
  Atomics.notify(ctl, ZW_DONE);
}
