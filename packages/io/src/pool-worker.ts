/**
 * A worker thread that reads pool buffers and returns them through core's
 * return ring. The owner (the thread that owns the pool) hands buffers out
 * through a shared hand-out ring (no postMessage per buffer); the worker
 * reads them in the domain's shared page storage and returns each pp
 * reference with a `ReturnRingProducer`; the pool drains those returns into
 * its ptr_ring on its allocation slow path (never its alloc cache). When
 * the worker exits or crashes, every buffer it still held (handed out,
 * taken or not) is reclaimed.
 *
 * The worker script opens its side with `openPoolWorkerPort()` from
 * `@netmem/io/worker`. A `.ts` script is started through worker-boot.mjs,
 * which registers tsx (Node 20 does not apply `--import tsx` inside worker
 * threads), with the `@netmem/source` export condition so workspace packages load
 * from their sources.
 */
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { attachReturnRing, detachReturnRing, isNetIov, PAGE_SIZE, type PagePool, type ReturnRing } from '@netmem/core';
import { E } from './errors.js';
import { HandOutProducer, handOutBytes, H_PUT, H_READY, H_RET_SEQ, H_STOP, H_TAIL, H_TAKEN, H_WAITERS, type IoWorkerData } from './handout.js';
import { IO_WORKER_KEY } from './worker-port.js';

/** Options of {@link PoolWorker.start}. */
export interface PoolWorkerOptions {
  /** Hand-out and return ring entries: a power of two, 1..2^20; the most buffers the worker holds at once. Default 1024. */
  capacity?: number;
  /** Passed to the worker script (structured clone): `port.userData`. */
  workerData?: unknown;
  /** How long to wait for the worker to open its port, ms. Default 30000. */
  startTimeoutMs?: number;
  /** Keep the event loop alive while the worker runs. Default false (the worker is unref'd). */
  ref?: boolean;
}

/** How a pool worker ended. */
export interface PoolWorkerExit {
  /** The thread's exit code. */
  code: number;
  /** The error it died of (its 'error' event), or null. */
  error: Error | null;
  /** Buffers it still held, given back to the pool by `ring.reclaim()`. */
  reclaimed: number;
}

/** Figures of a {@link PoolWorker}. */
export interface PoolWorkerStats {
  /** Buffers handed out. */
  handedOut: number;
  /** Buffers the worker took from the hand-out ring. */
  taken: number;
  /** Returns the worker put in the return ring. */
  put: number;
  /** Returns the pool drained. */
  returned: number;
  /** Return entries the pool skipped (not held by this worker). */
  skipped: number;
  /** Buffers reclaimed when the worker ended. */
  reclaimed: number;
  /** Buffers the worker holds now (handed out, not yet drained back). */
  held: number;
}

/** Atomics.waitAsync (V8 has it in Node 20; TypeScript's ES2022 library does not declare it). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/** Entries of the hand-out offset cache (log2). */
const OFFSET_BITS = 12;
const OFFSET_CACHE = 1 << OFFSET_BITS;

/**
 * The options a TypeScript worker starts with: only the `@netmem/source` export
 * condition (workspace packages load from their sources; tsx is registered
 * by worker-boot.mjs, as Node 20 ignores `--import` in workers). Other
 * flags of this process are not passed: per-process ones would make the
 * Worker constructor throw.
 */
const SOURCE_EXEC_ARGV = ['--conditions=@netmem/source'];

/**
 * The owner's side of a pool worker. Start one with {@link PoolWorker.start}.
 *
 * @example
 * ```ts
 * const worker = await PoolWorker.start(pool, new URL('./verify.js', import.meta.url));
 * const reader = PooledReader.connect(pool, { host: '127.0.0.1', port }, {
 *   onRead(nm, _bytes, length) { worker.send(nm, length); },   // the worker returns it
 *   waitForBuffers: () => worker.whenReturned(100),
 * });
 * ```
 */
export class PoolWorker {
  /** The thread. */
  readonly worker: Worker;
  /** Core's return ring for this worker (attached to the pool). */
  readonly ring: ReturnRing;
  /** The pool. */
  readonly pool: PagePool;
  /** Resolves when the thread has ended and its buffers are reclaimed. */
  readonly exited: Promise<PoolWorkerExit>;
  private readonly i32: Int32Array;
  private readonly out: HandOutProducer;
  private readonly capacity: number;
  private readonly bufferBytes: number;
  /** A direct-mapped cache of handle → storage offset (a page's offset never changes; `byteOffset` costs ~10 ns). */
  private readonly offKeys = new Int32Array(OFFSET_CACHE);
  private readonly offVals = new Int32Array(OFFSET_CACHE);
  private handedOut = 0;
  private knownBack = 0;
  private error: Error | null = null;
  private finished = false;

  private constructor(pool: PagePool, worker: Worker, ring: ReturnRing, handOut: SharedArrayBuffer, out: HandOutProducer, capacity: number) {
    this.pool = pool;
    this.worker = worker;
    this.ring = ring;
    this.capacity = capacity;
    this.bufferBytes = PAGE_SIZE << pool.order;
    this.i32 = new Int32Array(handOut);
    this.out = out;
    // First of all: an 'error' without a listener would be thrown at the process.
    worker.on('error', (e: Error) => {
      this.error ??= e;
    });
    this.exited = new Promise<PoolWorkerExit>((resolve) => {
      worker.once('exit', (code: number) => resolve(this.finish(code)));
    });
  }

  /**
   * Starts `script` (a module URL or path; `.ts` runs through tsx) as a
   * worker thread for `pool` and resolves once it opened its port. The
   * pool's pages must be in shared storage (the default). EINVAL for bad
   * arguments or a pool being destroyed; EIO when the worker ends or stays
   * silent before it is ready (it is terminated, its buffers reclaimed).
   */
  static async start(pool: PagePool, script: URL | string, opts: PoolWorkerOptions = {}): Promise<PoolWorker> {
    if (typeof pool !== 'object' || pool === null || typeof pool.allocNetmems !== 'function') E.expected('PoolWorker.start needs a page pool', pool);
    if (!(script instanceof URL) && typeof script !== 'string') E.expected('PoolWorker.start needs the worker script as a URL or path', script);
    E.options(opts, 'PoolWorker.start', ['capacity', 'workerData', 'startTimeoutMs', 'ref']);
    const capacity = E.int(opts.capacity ?? 1024, 'capacity', 1, 1 << 20);
    if ((capacity & (capacity - 1)) !== 0) E.expected('capacity must be a power of two', capacity);
    const timeout = E.int(opts.startTimeoutMs ?? 30000, 'startTimeoutMs', 1, 600_000);
    const storage = pool.domain.storage.buffer;
    if (!(storage instanceof SharedArrayBuffer))
      E.fail('EINVAL', `pool ${pool.id}'s domain keeps its pages in private memory (sharedMemory: false): a worker cannot read them`);
    const url = script instanceof URL ? script : script.startsWith('file:') ? new URL(script) : pathToFileURL(resolvePath(script));
    const ring = attachReturnRing(pool, capacity); // EINVAL when the pool is being destroyed
    const handOut = new SharedArrayBuffer(handOutBytes(capacity));
    const out = new HandOutProducer(handOut, capacity); // writes the capacity the worker reads at start
    const io: IoWorkerData = { storage, returns: ring.buffer, handOut, bufferBytes: PAGE_SIZE << pool.order };
    const fromSource = url.pathname.endsWith('.ts');
    const boot = new URL(import.meta.url.endsWith('.ts') ? './worker-boot.mjs' : '../src/worker-boot.mjs', import.meta.url);
    let worker: Worker;
    try {
      worker = fromSource
        ? new Worker(boot, { workerData: { [IO_WORKER_KEY]: io, user: opts.workerData, entry: url.href }, execArgv: SOURCE_EXEC_ARGV })
        : new Worker(url, { workerData: { [IO_WORKER_KEY]: io, user: opts.workerData } });
    } catch (e) {
      detachReturnRing(pool, ring);
      throw e;
    }
    const pw = new PoolWorker(pool, worker, ring, handOut, out, capacity);
    // Atomics.waitAsync does not keep the event loop alive: the referenced thread does, until it is ready.
    const ready = await pw.waitReady(timeout);
    if (opts.ref !== true) worker.unref();
    if (!ready) {
      await worker.terminate();
      const x = await pw.exited;
      E.fail(
        'EIO',
        `the pool worker ${url.href} must open its port within ${timeout} ms${x.error ? `; it failed: ${x.error.message}` : `; it exited with code ${x.code}`}`,
      );
    }
    return pw;
  }

  /**
   * Hands buffer `nm` (held by the caller, `length` valid bytes) to the
   * worker: the caller's pp reference becomes the worker's. Queued; call
   * {@link publish}, or use {@link send}. False when the worker already
   * holds `capacity` buffers (it must return some first). EINVAL for a
   * buffer the pool has not handed out, or that is not in page storage.
   */
  handOut(nm: number, length: number): boolean {
    if (this.finished) E.fail('EINVAL', 'the pool worker has ended: no hand-out');
    if (this.handedOut - this.knownBack >= this.capacity) {
      const s = this.ring.stats();
      this.knownBack = this.handedOut - s.held;
      if (s.held >= this.capacity) return false;
    }
    if (isNetIov(nm)) E.expected('a page buffer (net_iovs live in their area, not the page storage the worker reads)', nm);
    if ((length | 0) !== length || length < 0 || length > this.bufferBytes) E.expected(`a length 0..${this.bufferBytes}`, length);
    const offset = this.offsetOf(nm);
    // The worker publishes the slots it took before the returns of those buffers, so with fewer than
    // `capacity` held there is a slot; checked all the same, before the worker becomes the holder.
    if (!this.out.hasRoom()) return false;
    this.ring.handOut(nm); // checks the handle; records the worker as holder
    this.out.push(nm, offset, length);
    this.handedOut++;
    return true;
  }

  /** The storage offset of page buffer `nm` (its cached view's byteOffset, remembered). */
  private offsetOf(nm: number): number {
    const i = Math.imul(nm, 0x9e3779b1) >>> (32 - OFFSET_BITS);
    if (this.offKeys[i] === nm) return this.offVals[i];
    const off = this.pool.bytes(nm).byteOffset; // the pool's cached view (checks the handle)
    this.offKeys[i] = nm;
    this.offVals[i] = off;
    return off;
  }

  /** Makes queued hand-outs visible to the worker (one Atomics store) and wakes it if it sleeps. */
  publish(): void {
    this.out.publish();
  }

  /** {@link handOut} and {@link publish}. */
  send(nm: number, length: number): boolean {
    if (!this.handOut(nm, length)) return false;
    this.out.publish();
    return true;
  }

  /** True once the thread has ended (its buffers are reclaimed; hand-outs throw EINVAL). */
  get ended(): boolean {
    return this.finished;
  }

  /** Drains the worker's returns into the pool now (the pool also drains on its allocation slow path). */
  drain(): number {
    return this.finished ? 0 : this.ring.drain();
  }

  /**
   * Resolves when the worker publishes returns (or after `timeoutMs`);
   * at once when returns are already waiting (they are drained into the
   * pool first). For an owner that is out of buffers: the main thread
   * must not block, so this uses Atomics.waitAsync.
   */
  whenReturned(timeoutMs = 1000): Promise<void> {
    const i32 = this.i32;
    Atomics.add(i32, H_WAITERS, 1);
    const seq = Atomics.load(i32, H_RET_SEQ);
    if (this.drain() > 0 || this.finished) {
      Atomics.sub(i32, H_WAITERS, 1);
      return Promise.resolve();
    }
    const w = waitAsync(i32, H_RET_SEQ, seq, timeoutMs);
    const done = (): void => {
      Atomics.sub(i32, H_WAITERS, 1);
    };
    if (!w.async) {
      done();
      return Promise.resolve();
    }
    return w.value.then(done);
  }

  /**
   * Blocks the calling thread up to `ms` until the worker publishes returns
   * (synchronous loops only: a server's main thread should use
   * {@link whenReturned}). It first checks `spin` times (an Atomics load
   * each) before it sleeps: a worker that is busy returning then never has
   * to wake it (each wake-up is a system call on the worker's side). True
   * when returns came.
   */
  waitReturns(ms: number, spin = 0): boolean {
    const i32 = this.i32;
    const seq = Atomics.load(i32, H_RET_SEQ);
    if (this.drain() > 0) return true;
    for (let i = spin; i > 0; i--) if (Atomics.load(i32, H_RET_SEQ) !== seq) return true;
    Atomics.add(i32, H_WAITERS, 1);
    const r = Atomics.wait(i32, H_RET_SEQ, seq, ms); // 'not-equal' at once if returns came meanwhile
    Atomics.sub(i32, H_WAITERS, 1);
    return r !== 'timed-out';
  }

  /** Asks the worker to finish (its `take` returns 0 once the queue is empty) and resolves when it has ended. */
  stop(): Promise<PoolWorkerExit> {
    this.worker.ref(); // an unref'd thread would not keep the process alive until it ends
    Atomics.store(this.i32, H_STOP, 1);
    Atomics.notify(this.i32, H_TAIL);
    return this.exited;
  }

  /** Ends the thread at once; its buffers are reclaimed. */
  terminate(): Promise<PoolWorkerExit> {
    this.worker.ref();
    void this.worker.terminate();
    return this.exited;
  }

  /** The worker's figures. */
  stats(): PoolWorkerStats {
    const s = this.ring.stats();
    return {
      handedOut: this.handedOut,
      taken: Atomics.load(this.i32, H_TAKEN),
      put: Atomics.load(this.i32, H_PUT),
      returned: s.returned,
      skipped: s.skipped,
      reclaimed: s.reclaimed,
      held: s.held,
    };
  }

  private async waitReady(ms: number): Promise<boolean> {
    const i32 = this.i32;
    const deadline = Date.now() + ms;
    while (Atomics.load(i32, H_READY) === 0) {
      const left = deadline - Date.now();
      if (this.finished || left <= 0) return false;
      const w = waitAsync(i32, H_READY, 0, Math.min(left, 50));
      if (w.async) await w.value;
    }
    return true;
  }

  /** The thread ended: every buffer it held comes back, and the ring leaves the pool. */
  private finish(code: number): PoolWorkerExit {
    this.finished = true;
    let reclaimed = 0;
    try {
      reclaimed = this.ring.reclaim();
    } finally {
      detachReturnRing(this.pool, this.ring);
    }
    return { code, error: this.error, reclaimed };
  }
}
