/**
 * Starting the zcrx consumer worker, and the kernel side's half of the
 * control protocol (wait for it, wake it, wait for refills, stop it).
 */
import { Worker } from 'node:worker_threads';
import { CQ_TAIL } from './constants.js';
import { E } from './errors.js';
import type { IoUring } from './ring.js';
import type { ZcrxIfq } from './ifq.js';
import {
  ZW_CONTROL_BYTES,
  ZW_DONE,
  ZW_MAIN_WAITING,
  ZW_READY,
  ZW_STOP,
  ZW_WORKER_IDLE,
  type ZcrxWorkerData,
} from './worker-loop.js';

/** Options of {@link spawnZcrxWorker}. */
export interface SpawnZcrxWorkerOptions {
  /** Buffers the worker keeps before giving the oldest back. Default 0. */
  holdBack?: number;
  /** Check every byte against the 'a' + pos % 26 stream pattern. Default false. */
  checkPattern?: boolean;
  /** How long to wait for the worker to start, ms. Default 30000. */
  startTimeoutMs?: number;
}

/** A running consumer worker and its control block. */
export class ZcrxWorker {
  /** Int32 view of the control block (ZW_* indices). */
  readonly control: Int32Array;
  private readonly cq: Int32Array;
  private readonly rq: Int32Array;
  private readonly rqTail: number;

  constructor(
    /** The thread. */
    readonly worker: Worker,
    data: ZcrxWorkerData,
  ) {
    this.control = new Int32Array(data.control);
    this.cq = new Int32Array(data.cq);
    this.rq = new Int32Array(data.rq);
    this.rqTail = data.offsets.tail >>> 2;
  }

  /** Wakes the worker if it sleeps on the CQ (call after posting CQEs). */
  kick(): void {
    if (Atomics.load(this.control, ZW_WORKER_IDLE) !== 0) Atomics.notify(this.cq, CQ_TAIL);
  }

  /** Blocks up to `ms` for the worker to publish refill entries. */
  waitRefill(ms: number): void {
    const tail = Atomics.load(this.rq, this.rqTail);
    Atomics.store(this.control, ZW_MAIN_WAITING, 1);
    this.kick();
    Atomics.wait(this.rq, this.rqTail, tail, ms);
    Atomics.store(this.control, ZW_MAIN_WAITING, 0);
  }

  /** Buffers the worker consumed so far. */
  get consumed(): number {
    return Atomics.load(this.control, 1);
  }

  /** Stops the loop and waits (blocking, up to `ms`) until it ended; then terminates the thread. */
  stop(ms = 10000): boolean {
    Atomics.store(this.control, ZW_STOP, 1);
    Atomics.notify(this.cq, CQ_TAIL);
    const deadline = Date.now() + ms;
    while (Atomics.load(this.control, ZW_DONE) === 0 && Date.now() < deadline) Atomics.wait(this.control, ZW_DONE, 0, 50);
    const done = Atomics.load(this.control, ZW_DONE) === 1;
    void this.worker.terminate();
    return done;
  }
}

/**
 * Starts a worker_thread running the consumer loop over `ring`'s CQ and
 * `ifq`'s refill ring and area, and blocks until it runs. From TypeScript
 * sources the worker boots through worker-boot.mjs (registers tsx itself).
 */
export function spawnZcrxWorker(ring: IoUring, ifq: ZcrxIfq, opts: SpawnZcrxWorkerOptions = {}): ZcrxWorker {
  if (ifq.area.isDmabuf) E.fail('EFAULT', `the consumer worker reads the area: it needs user memory, got a dmabuf area (ifq ${ifq.id})`);
  const data: ZcrxWorkerData = {
    cq: ring.cq.buffer,
    rq: ifq.rqBuffer,
    offsets: { ...ifq.offsets },
    rqEntries: ifq.rqEntries,
    area: ifq.area.region.buffer as SharedArrayBuffer,
    areaOffset: ifq.area.nia.regionOffset,
    control: new SharedArrayBuffer(ZW_CONTROL_BYTES),
    holdBack: opts.holdBack ?? 0,
    checkPattern: opts.checkPattern ?? false,
  };
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './worker-boot.mjs' : './worker.js', import.meta.url);
  const worker = new Worker(url, { workerData: data });
  worker.unref();
  const w = new ZcrxWorker(worker, data);
  const ctl = w.control;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30000);
  while (Atomics.load(ctl, ZW_READY) === 0 && Date.now() < deadline) Atomics.wait(ctl, ZW_READY, 0, 50);
  if (Atomics.load(ctl, ZW_READY) === 0) {
    void worker.terminate();
    E.fail('EIO', `the consumer worker must start within ${opts.startTimeoutMs ?? 30000} ms, got no sign of it`);
  }
  return w;
}
