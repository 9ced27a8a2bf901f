/**
 * Starting the zcrx consumer worker, and the kernel side's half of the
 * control protocol (wait for it, wake it, wait for refills, stop it).
 */
import { Worker } from 'node:worker_threads';
import { CQ_HEAD, CQ_TAIL } from './constants.js';
import { E } from './errors.js';
import { ZcrxIfq } from './ifq.js';
import { IoUring } from './ring.js';
import { ZW_BUFS, ZW_CONTROL_BYTES, ZW_DONE, ZW_ERROR, ZW_MAIN_WAITING, ZW_READY, ZW_STOP, ZW_WORKER_IDLE, type ZcrxWorkerData } from './worker-loop.js';

/**
 * Options of {@link spawnZcrxWorker}.
 * @category Worker
 */
export interface SpawnZcrxWorkerOptions {
  /** Buffers the worker keeps before giving the oldest back: an integer 0..(buffers in the area). Default 0. */
  holdBack?: number;
  /** Check every byte against the 'a' + pos % 26 stream pattern. Default false. */
  checkPattern?: boolean;
  /** How long to wait for the worker to start, ms: positive and finite. Default 30000. */
  startTimeoutMs?: number;
}

/** Polls of the refill tail before waitRefill sleeps (~1 µs: longer is waste when the worker shares this CPU). */
const WAIT_POLLS = 32;

/** A wait in ms: a finite number ≥ 0 (EINVAL otherwise). */
function waitMs(ms: unknown, name: string): number {
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) E.expected(`${name} must be a finite number of ms ≥ 0`, ms);
  return ms;
}

/**
 * A running consumer worker and its control block. From the moment it is
 * made it listens for the thread's 'error' event (for the thread's whole
 * life), so a worker that fails never raises an unhandled 'error', which
 * would end the process: the error is kept in {@link error}.
 * @category Worker
 */
export class ZcrxWorker {
  /** Int32 view of the control block (ZW_* indices). */
  readonly control: Int32Array;
  /** The error the thread ended with, once its 'error' event was delivered; null while there is none. */
  error: Error | null = null;
  private readonly cq: Int32Array;
  private readonly rq: Int32Array;
  private readonly rqTail: number;
  /** The refill tail as of the last waitRefill. */
  private seenTail: number;
  private terminated = false;

  constructor(
    /** The thread. */
    readonly worker: Worker,
    data: ZcrxWorkerData,
  ) {
    if (!(worker instanceof Worker)) E.expected('a ZcrxWorker needs its Worker', worker);
    // First of all: an 'error' event without a listener would be thrown at the process.
    worker.on('error', (e: Error) => {
      this.error = e;
    });
    const ok =
      typeof data === 'object' &&
      data !== null &&
      data.control instanceof SharedArrayBuffer &&
      data.control.byteLength >= ZW_CONTROL_BYTES &&
      data.cq instanceof SharedArrayBuffer &&
      data.rq instanceof SharedArrayBuffer &&
      typeof data.offsets === 'object' &&
      data.offsets !== null &&
      Number.isInteger(data.offsets.tail) &&
      data.offsets.tail >= 0 &&
      data.offsets.tail % 4 === 0 &&
      data.offsets.tail + 4 <= data.rq.byteLength;
    if (!ok) {
      this.terminate();
      E.expected(`a ZcrxWorker needs the worker's data (control block of ${ZW_CONTROL_BYTES}+ bytes, CQ and refill SharedArrayBuffers, refill offsets)`, data);
    }
    this.control = new Int32Array(data.control);
    this.cq = new Int32Array(data.cq);
    this.rq = new Int32Array(data.rq);
    this.rqTail = data.offsets.tail >>> 2;
    this.seenTail = Atomics.load(this.rq, this.rqTail);
  }

  /** True when the worker failed: its loop reported an error, or the thread's 'error' event came. */
  get failed(): boolean {
    return this.error !== null || Atomics.load(this.control, ZW_ERROR) !== 0;
  }

  /**
   * Call after posting CQEs: wakes the worker if it sleeps and as many CQEs
   * are ready as it asked for (ZW_WORKER_IDLE). The word is taken back
   * before the notify, so one sleep costs one futex wake however many posts
   * come before the worker runs again. While the worker runs this is one
   * load of a line nobody writes meanwhile; while it naps, three (the CQ
   * header's line stays with this thread: the napping worker writes no head).
   */
  kick(): void {
    const want = Atomics.load(this.control, ZW_WORKER_IDLE);
    if (want === 0) return;
    if (want > 1 && (Atomics.load(this.cq, CQ_TAIL) - Atomics.load(this.cq, CQ_HEAD)) >>> 0 < want) return;
    this.wake();
  }

  /**
   * Blocks up to `ms` (finite, ≥ 0; EINVAL otherwise) until the worker
   * publishes refill entries beyond the tail this object last saw (so a
   * publish that came between the caller finding the ring empty and this
   * call returns at once, instead of sleeping until the next one). It wakes
   * the worker first (whatever it asked for: the caller is out of
   * buffers), polls the tail briefly (the worker usually publishes within
   * microseconds, and a futex sleep and wake cost more), then says it
   * sleeps (ZW_MAIN_WAITING) and waits.
   */
  waitRefill(ms: number): void {
    waitMs(ms, 'waitRefill');
    const rq = this.rq;
    const at = this.rqTail;
    const seen = this.seenTail;
    let tail = Atomics.load(rq, at);
    if (tail === seen) {
      this.wake();
      for (let i = 0; i < WAIT_POLLS && tail === seen; i++) tail = Atomics.load(rq, at);
    }
    if (tail === seen) {
      Atomics.store(this.control, ZW_MAIN_WAITING, 1);
      Atomics.wait(rq, at, seen, ms);
      Atomics.store(this.control, ZW_MAIN_WAITING, 0);
      tail = Atomics.load(rq, at);
    }
    this.seenTail = tail;
  }

  /** Wakes the worker if it sleeps, whatever it asked for (a futex call when it does). */
  private wake(): void {
    if (Atomics.exchange(this.control, ZW_WORKER_IDLE, 0) !== 0) Atomics.notify(this.control, ZW_WORKER_IDLE, 1);
  }

  /** Buffers the worker consumed so far. */
  get consumed(): number {
    return Atomics.load(this.control, ZW_BUFS);
  }

  /**
   * Stops the loop and waits (blocking, up to `ms`: finite, ≥ 0) until it
   * ended; then terminates the thread. True when the loop ended cleanly.
   * Safe to call twice.
   */
  stop(ms = 10000): boolean {
    waitMs(ms, 'stop');
    Atomics.store(this.control, ZW_STOP, 1);
    this.wake();
    const deadline = Date.now() + ms;
    while (Atomics.load(this.control, ZW_DONE) === 0 && Date.now() < deadline) Atomics.wait(this.control, ZW_DONE, 0, 50);
    const done = Atomics.load(this.control, ZW_DONE) === 1 && Atomics.load(this.control, ZW_ERROR) === 0;
    this.terminate();
    return done;
  }

  /** Ends the thread (once). */
  private terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.worker.terminate().catch(() => {});
  }

  /** @internal Used by spawnZcrxWorker when the worker does not start. */
  abandon(): void {
    this.terminate();
  }
}

/**
 * Starts a worker_thread running the consumer loop over `ring`'s CQ and
 * `ifq`'s refill ring and area, and blocks until it runs. From TypeScript
 * sources the worker boots through worker-boot.mjs (registers tsx itself).
 * Every argument is checked before a thread is started: `ring` a live
 * IoUring (EBADF once exited), `ifq` one of its ifqs (EINVAL), an area of
 * user memory (EFAULT for a dmabuf: the worker reads it), options known
 * and valid (EINVAL: holdBack an integer 0..the area's buffers,
 * checkPattern a boolean, startTimeoutMs positive and finite). A worker
 * that does not start (its loop failed, or the timeout passed) is
 * terminated and EIO thrown; its 'error' event is handled either way.
 * @category Worker
 */
export function spawnZcrxWorker(ring: IoUring, ifq: ZcrxIfq, opts: SpawnZcrxWorkerOptions = {}): ZcrxWorker {
  if (!(ring instanceof IoUring)) E.expected('spawnZcrxWorker needs an IoUring', ring);
  if (ring.isExited) E.fail('EBADF', 'spawnZcrxWorker needs a live io_uring, got one that has exited');
  if (!(ifq instanceof ZcrxIfq)) E.expected('spawnZcrxWorker needs a ZcrxIfq', ifq);
  if (ring.ifqs.get(ifq.id) !== ifq || ifq.freed) E.fail('EINVAL', `spawnZcrxWorker needs an ifq registered on this ring, got ifq ${ifq.id}, which is not`);
  if (ifq.area.isDmabuf) E.fail('EFAULT', `the consumer worker reads the area: it needs user memory, got a dmabuf area (ifq ${ifq.id})`);
  E.options(opts, 'spawnZcrxWorker', ['holdBack', 'checkPattern', 'startTimeoutMs']);
  const holdBack = opts.holdBack === undefined ? 0 : E.int(opts.holdBack, `holdBack (buffers of ifq ${ifq.id}'s area)`, 0, ifq.area.count);
  const checkPattern = opts.checkPattern === undefined ? false : E.bool(opts.checkPattern, 'checkPattern');
  const timeout = opts.startTimeoutMs === undefined ? 30000 : opts.startTimeoutMs;
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) E.expected('startTimeoutMs must be a positive finite number of ms', timeout);
  const data: ZcrxWorkerData = {
    cq: ring.cq.buffer,
    rq: ifq.rqBuffer,
    offsets: { ...ifq.offsets },
    rqEntries: ifq.rqEntries,
    area: ifq.area.region.buffer as SharedArrayBuffer,
    areaOffset: ifq.area.nia.regionOffset,
    control: new SharedArrayBuffer(ZW_CONTROL_BYTES),
    holdBack,
    checkPattern,
  };
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './worker-boot.mjs' : './worker.js', import.meta.url);
  const worker = new Worker(url, { workerData: data });
  // The ZcrxWorker listens for 'error' from here on, whatever happens next.
  const w = new ZcrxWorker(worker, data);
  worker.unref();
  const ctl = w.control;
  const deadline = Date.now() + timeout;
  while (Atomics.load(ctl, ZW_READY) === 0 && Date.now() < deadline) Atomics.wait(ctl, ZW_READY, 0, 50);
  if (Atomics.load(ctl, ZW_ERROR) !== 0) {
    w.abandon();
    E.fail('EIO', "the consumer worker must start, got one whose loop failed before it ran (its error goes to the worker's error handler)");
  }
  if (Atomics.load(ctl, ZW_READY) === 0) {
    w.abandon();
    E.fail('EIO', `the consumer worker must start within ${timeout} ms, got no sign of it`);
  }
  return w;
}
