/**
 * The worker thread's side of a `PoolWorker`: take the buffers the
 * pool's owner handed out (from the shared hand-out ring), read them in
 * place in the domain's shared page storage, and give each pp reference
 * back through core's return ring (`ReturnRingProducer`), in batches.
 *
 * Memory strategy: whole-storage views made once, one cached view per
 * buffer (made the first time the buffer is seen), the current entry's
 * fields as plain properties; Atomics once per batch each way.
 */
import { workerData as threadData } from 'node:worker_threads';
import { ReturnRingProducer } from '@netmem/core';
import { E } from './errors.js';
import { H_CAP, H_ENTRY, H_HEAD, H_HEADER, H_IDLE, H_PUT, H_READY, H_RET_SEQ, H_STOP, H_TAIL, H_TAKEN, H_WAITERS, type IoWorkerData } from './handout.js';

/** The key under which a PoolWorker puts its data in `workerData`. */
export const IO_WORKER_KEY = 'netmemIo';

/** Returns queued before one Atomics publish (the owner sees them sooner when the hand-out ring runs empty). */
const RETURN_BATCH = 32;

/** Options of {@link openPoolWorkerPort}. */
export interface PoolWorkerPortOptions {
  /** The data PoolWorker sent; default `workerData`. */
  data?: unknown;
  /**
   * Checks of the hand-out ring before {@link PoolWorkerPort.take} sleeps
   * (each an Atomics load, a few ns): a worker that keeps up with a steady
   * owner then never sleeps, and the owner never pays for a wake-up.
   * 0 sleeps at once (the right choice when buffers come far apart, as
   * socket reads do). An integer 0..1e7; default 0.
   */
  spin?: number;
}

/**
 * A worker's port to its pool: {@link take} the next handed-out buffer,
 * read it through {@link bytes} (or {@link storage} at {@link offset}),
 * {@link put} it back. Open it with {@link openPoolWorkerPort}.
 *
 * @example
 * ```ts
 * const port = openPoolWorkerPort();
 * while (port.take() !== 0) {
 *   consume(port.bytes(), port.length);
 *   port.put(port.nm);
 * }
 * port.close();
 * ```
 */
export class PoolWorkerPort {
  /** The domain's whole page storage (a buffer is {@link length} bytes at {@link offset}). */
  readonly storage: Uint8Array;
  /** Bytes of one pool buffer. */
  readonly bufferBytes: number;
  /** What the owner passed as `workerData` to `PoolWorker.start`. */
  readonly userData: unknown;
  /** The current buffer's handle (after {@link take}). */
  nm = 0;
  /** The current buffer's byte offset in {@link storage}. */
  offset = 0;
  /** Valid bytes in the current buffer. */
  length = 0;
  private readonly i32: Int32Array;
  private readonly mask: number;
  private readonly returns: ReturnRingProducer;
  private readonly views: (Uint8Array | undefined)[] = [];
  private next = 0;
  private end = 0;
  private headPublished = 0;
  private taken = 0;
  private putCount = 0;
  private unflushed = 0;
  private readonly spin: number;

  /** @internal Use {@link openPoolWorkerPort}. */
  constructor(data: IoWorkerData, userData: unknown, spin: number) {
    const ok =
      typeof data === 'object' &&
      data !== null &&
      data.storage instanceof SharedArrayBuffer &&
      data.returns instanceof SharedArrayBuffer &&
      data.handOut instanceof SharedArrayBuffer &&
      Number.isInteger(data.bufferBytes) &&
      data.bufferBytes > 0;
    if (!ok) E.expected('a pool worker port needs the data PoolWorker sends (storage, return ring, hand-out ring, buffer size)', data);
    this.storage = new Uint8Array(data.storage);
    this.bufferBytes = data.bufferBytes;
    this.userData = userData;
    this.spin = spin;
    this.i32 = new Int32Array(data.handOut);
    this.mask = this.i32[H_CAP] - 1;
    this.returns = new ReturnRingProducer(data.returns);
    this.next = this.end = this.headPublished = Atomics.load(this.i32, H_HEAD);
    Atomics.store(this.i32, H_READY, 1);
    Atomics.notify(this.i32, H_READY);
  }

  /** True once the owner asked the worker to finish (take returns 0 when nothing is left). */
  get stopping(): boolean {
    return Atomics.load(this.i32, H_STOP) !== 0;
  }

  /**
   * The next handed-out buffer's handle, with {@link offset} and
   * {@link length} set; sleeps up to `waitMs` for one (default: until one
   * comes or the owner stops the worker). 0 when the owner stopped the
   * worker and nothing is left, or on timeout. Before sleeping it publishes
   * what it consumed and returned.
   */
  take(waitMs = Infinity): number {
    if (this.next === this.end && !this.refill(waitMs)) {
      this.nm = 0;
      return 0;
    }
    const b = H_HEADER + (this.next & this.mask) * H_ENTRY;
    const i32 = this.i32;
    this.nm = i32[b];
    this.offset = i32[b + 1] >>> 0;
    this.length = i32[b + 2];
    this.next = (this.next + 1) | 0;
    this.taken++;
    return this.nm;
  }

  /** A view of the current buffer (the whole buffer; {@link length} bytes are valid), cached per buffer. */
  bytes(): Uint8Array {
    const off = this.offset;
    const i = off >>> 12;
    let v = this.views[i];
    if (v === undefined) {
      if (off + this.bufferBytes > this.storage.length) E.expected(`a buffer inside the storage (${this.storage.length} bytes)`, off);
      v = new Uint8Array(this.storage.buffer, off, this.bufferBytes);
      this.views[i] = v;
    }
    return v;
  }

  /**
   * Gives one pp reference of `nm` back (queued; published every 32 and
   * whenever {@link take} runs out). A full return ring is waited out; once
   * the owner reclaimed this worker's buffers, returns are dropped.
   */
  put(nm: number): void {
    const r = this.returns;
    if (!r.put(nm)) {
      this.flush();
      while (!r.put(nm)) {
        if (r.closed) return;
        r.waitForRoom(50);
      }
    }
    this.putCount++;
    if (++this.unflushed >= RETURN_BATCH) this.flush();
  }

  /**
   * Publishes queued returns (one Atomics store) and wakes an owner waiting
   * for them. The entries taken so far are published first: the owner
   * never sees a buffer back before it sees its hand-out slot free.
   */
  flush(): void {
    if (this.unflushed === 0) return;
    this.unflushed = 0;
    this.publishHead();
    this.returns.flush();
    const i32 = this.i32;
    Atomics.store(i32, H_PUT, this.putCount);
    Atomics.add(i32, H_RET_SEQ, 1);
    if (Atomics.load(i32, H_WAITERS) > 0) Atomics.notify(i32, H_RET_SEQ);
  }

  /** Publishes everything (consumed entries and returns). Call it before the worker ends. */
  close(): void {
    this.publishHead();
    this.flush();
  }

  private publishHead(): void {
    if (this.headPublished === this.next) return;
    this.headPublished = this.next;
    Atomics.store(this.i32, H_HEAD, this.next);
    Atomics.store(this.i32, H_TAKEN, this.taken);
  }

  /** Everything taken is consumed: publish, then load new entries or sleep for them. */
  private refill(waitMs: number): boolean {
    this.publishHead();
    this.flush();
    const i32 = this.i32;
    let tail = Atomics.load(i32, H_TAIL);
    for (let i = this.spin; i > 0 && tail === this.next; i--) tail = Atomics.load(i32, H_TAIL);
    if (tail === this.next) {
      const deadline = waitMs === Infinity ? Infinity : Date.now() + waitMs;
      Atomics.store(i32, H_IDLE, 1);
      for (;;) {
        tail = Atomics.load(i32, H_TAIL);
        if (tail !== this.next) break;
        const left = deadline - Date.now();
        if (Atomics.load(i32, H_STOP) !== 0 || left <= 0) {
          Atomics.store(i32, H_IDLE, 0);
          return false;
        }
        Atomics.wait(i32, H_TAIL, tail, Math.min(left, 1000));
      }
      Atomics.store(i32, H_IDLE, 0);
    }
    this.end = tail;
    return true;
  }
}

/**
 * Opens the port a `PoolWorker` set up for this worker thread (from
 * `workerData`, or `options.data`) and tells the owner it runs. EINVAL
 * outside such a worker or for bad options.
 */
export function openPoolWorkerPort(options: PoolWorkerPortOptions = {}): PoolWorkerPort {
  E.options(options, 'openPoolWorkerPort', ['data', 'spin']);
  const spin = options.spin === undefined ? 0 : E.int(options.spin, 'spin', 0, 1e7);
  const data = 'data' in options ? options.data : threadData;
  const d = data as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || !(IO_WORKER_KEY in d)) E.expected(`workerData from PoolWorker.start (with ${IO_WORKER_KEY})`, data);
  return new PoolWorkerPort(d[IO_WORKER_KEY] as IoWorkerData, d.user, spin);
}
