/**
 * Zero-copy writes of pool buffers: `write(nm, length)` hands the bytes of
 * a held buffer to a socket without copying them and keeps the pp
 * reference until Node calls the write's callback, then puts it. Until that
 * callback the kernel may still read the memory (libuv queues what the
 * socket did not take at once, by reference, and so does the stream's own
 * buffer while a write is in progress), so the buffer is never recycled
 * before it.
 *
 * Memory strategy: a slot per write in flight, each with a callback made
 * once and reused (no closure per write); slots grow by doubling. The
 * write path itself is Node's, which makes a Buffer and a write request
 * per write; a write shorter than the buffer adds one subarray.
 */
import net, { type Socket } from 'node:net';
import type { PagePool } from '@netmem/core';
import { E } from './errors.js';

/** Options of a {@link ZeroCopyWriter}. */
export interface ZeroCopyWriterOptions {
  /** Recycle into the pool's alloc cache when a write completes (the pool's own thread). Default true. */
  directRecycle?: boolean;
  /** Called when putting a completed write's buffer throws (an ownership bug); without it the error is rethrown. */
  onPutError?(error: unknown, nm: number): void;
}

/** Figures of a {@link ZeroCopyWriter}. */
export interface ZeroCopyWriterStats {
  /** Writes started. */
  writes: number;
  /** Bytes handed to the socket. */
  bytes: number;
  /** Writes whose callback has not fired yet (their buffers are held). */
  pending: number;
  /** Writes that completed with an error (their buffers were put all the same). */
  errors: number;
}

/**
 * Writes held pool buffers to one socket without copying them.
 *
 * @example
 * ```ts
 * const out = new ZeroCopyWriter(pool, peer);
 * const reader = PooledReader.connect(pool, { host: '127.0.0.1', port }, {
 *   onRead(nm, bytes, length) {
 *     if (!out.write(nm, length)) { reader.pause(); peer.once('drain', () => reader.resume()); }
 *   },
 * });
 * ```
 */
export class ZeroCopyWriter {
  /** The socket written to. */
  readonly socket: Socket;
  /** The pool the buffers belong to. */
  readonly pool: PagePool;
  private readonly direct: boolean;
  private readonly onPutError: ((error: unknown, nm: number) => void) | undefined;
  private nms = new Int32Array(16);
  private free = new Int32Array(16);
  private freeCount = 0;
  private readonly done: ((err?: Error | null) => void)[] = [];
  private pendingCount = 0;
  private writes = 0;
  private bytes = 0;
  private errors = 0;

  constructor(pool: PagePool, socket: Socket, opts: ZeroCopyWriterOptions = {}) {
    if (typeof pool !== 'object' || pool === null || typeof pool.putNetmem !== 'function') E.expected('a ZeroCopyWriter needs a page pool', pool);
    if (!(socket instanceof net.Socket)) E.expected('a ZeroCopyWriter needs a net.Socket', socket);
    E.options(opts, 'ZeroCopyWriter', ['directRecycle', 'onPutError']);
    if (opts.onPutError !== undefined && typeof opts.onPutError !== 'function') E.expected('onPutError must be a function', opts.onPutError);
    this.pool = pool;
    this.socket = socket;
    this.direct = opts.directRecycle === undefined ? true : E.bool(opts.directRecycle, 'directRecycle');
    this.onPutError = opts.onPutError;
    this.grow(0);
  }

  /**
   * Writes `length` bytes of buffer `nm` from `offset` and takes over the
   * caller's pp reference of it (take another with `pool.refNetmem(nm)`
   * first to keep using the buffer). Returns what `socket.write` returns:
   * false asks the caller to wait for 'drain'. EINVAL for a buffer this
   * pool does not own or a range outside it.
   */
  write(nm: number, length: number, offset = 0): boolean {
    const pool = this.pool;
    if (!pool.owns(nm)) E.expected(`write needs a buffer of pool ${pool.id}`, nm);
    const view = pool.bytes(nm);
    if ((length | 0) !== length || (offset | 0) !== offset || length < 1 || offset < 0 || offset + length > view.length) {
      E.expected(`write needs 1 ≤ length and offset + length ≤ ${view.length}`, `${offset}+${length}`);
    }
    if (this.freeCount === 0) this.grow(this.nms.length);
    const slot = this.free[--this.freeCount];
    this.nms[slot] = nm;
    this.pendingCount++;
    this.writes++;
    this.bytes += length;
    const chunk = offset === 0 && length === view.length ? view : view.subarray(offset, offset + length);
    return this.socket.write(chunk, this.done[slot]);
  }

  /** Writes whose callback has not fired (their buffers are still held). */
  get pending(): number {
    return this.pendingCount;
  }

  /** True when a write of `nm` is waiting for its callback (scans the slots). */
  isPending(nm: number): boolean {
    if (nm === 0) return false;
    for (let i = 0; i < this.nms.length; i++) if (this.nms[i] === nm) return true;
    return false;
  }

  /** The buffers whose writes are in flight, oldest slot first (allocates: for checks and tests). */
  pendingBuffers(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.nms.length; i++) if (this.nms[i] !== 0) out.push(this.nms[i]);
    return out;
  }

  /** The writer's figures. */
  stats(): ZeroCopyWriterStats {
    return { writes: this.writes, bytes: this.bytes, pending: this.pendingCount, errors: this.errors };
  }

  /** Adds slots from `from` to double the table (or to 16 at first). */
  private grow(from: number): void {
    const size = from === 0 ? this.nms.length : from * 2;
    if (from !== 0) {
      const nms = new Int32Array(size);
      nms.set(this.nms);
      this.nms = nms;
      this.free = new Int32Array(size);
    }
    for (let i = size - 1; i >= from; i--) {
      this.free[this.freeCount++] = i;
      this.done[i] = (err?: Error | null) => this.complete(i, err);
    }
  }

  /** A write finished (or failed): the kernel no longer reads the buffer, so its reference goes back. */
  private complete(slot: number, err: Error | null | undefined): void {
    const nm = this.nms[slot];
    this.nms[slot] = 0;
    this.free[this.freeCount++] = slot;
    this.pendingCount--;
    if (err) this.errors++;
    try {
      this.pool.putNetmem(nm, -1, this.direct);
    } catch (e) {
      if (this.onPutError === undefined) throw e;
      this.onPutError(e, nm);
    }
  }
}
