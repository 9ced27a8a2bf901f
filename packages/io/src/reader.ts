/**
 * A pooled socket reader: Node's `onread` hook (a net.Socket that reads
 * straight into a buffer the program supplies) over a page pool. Every read
 * lands in a pool buffer; the application receives `(nm, bytes, length)`
 * with one pp reference and gives it back with `reader.put(nm)` or
 * `pool.putNetmem(nm)` whenever it likes.
 *
 * Ownership: the reader keeps two buffers of its own, the one posted to the
 * socket (libuv reads into it) and a spare. After a read the spare becomes
 * the posted buffer before the application runs, so the buffer Node reads
 * into next is never one the application holds. When the pool cannot refill
 * the spare, the read callback answers false (Node stops reading: no read
 * is lost, none is copied) and the reader waits for buffers: a poll timer,
 * or the promise `waitForBuffers` returns, or `reader.put` / `reader.kick`.
 * Its own two buffers go back to the pool when the socket has closed (libuv
 * reads into them no more).
 *
 * Memory strategy: nothing is allocated per read. The callbacks are bound
 * once, the view handed out is the pool's cached view of the buffer
 * (`pool.bytes(nm)`, the whole buffer; `length` says how much was read),
 * and counters are plain fields.
 */
import net, { type Socket, type TcpNetConnectOpts } from 'node:net';
import type { PagePool } from '@netmem/core';
import { Place, mpSetPlace } from '@netmem/core/provider';
import { E } from './errors.js';
import type { PooledOnRead, PooledReaderOptions, PooledReaderStats } from './reader-types.js';

const KNOWN = ['onRead', 'onEnd', 'onClose', 'onPause', 'onResume', 'waitForBuffers', 'pollMs', 'directRecycle'];

/**
 * Reads a net.Socket into pool buffers. Make it, pass {@link onread} to
 * `net.connect` (or `new net.Socket`), then {@link attach} the socket, or
 * use {@link PooledReader.connect} / {@link PooledReader.fromFd}, which do
 * both. One socket per reader.
 *
 * Do not call `socket.pause()`/`resume()` or add 'data' listeners: use
 * {@link pause} and {@link resume}, which keep the reader's books.
 *
 * @example
 * ```ts
 * const reader = PooledReader.connect(pool, { host: '127.0.0.1', port }, {
 *   onRead(nm, bytes, length) { consume(bytes, length); reader.put(nm); },
 * });
 * ```
 */
export class PooledReader {
  /** Pass this as the socket's `onread` option. */
  readonly onread: PooledOnRead;
  /** The pool every read lands in. */
  readonly pool: PagePool;
  private sock: Socket | null = null;
  private readonly opts: PooledReaderOptions;
  private readonly checked: boolean;
  private readonly direct: boolean;
  private readonly pollMs: number;
  private posted = 0;
  private postedView: Uint8Array | undefined = undefined;
  private spare = 0;
  private dry = false;
  private userPaused = false;
  private inCallback = false;
  private closed = false;
  private error: Error | null = null;
  private waiting = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reads = 0;
  private bytes = 0;
  private pauses = 0;
  private readonly onPoolDetached = (): void => this.fail(E.error('ECANCELED', `pool ${this.pool.id} was destroyed under a pooled reader`));
  private readonly onPoll = (): void => {
    this.timer = null;
    this.waiting = false;
    if (!this.kick()) this.waitForBuffers();
  };
  private readonly onWaited = (): void => {
    this.waiting = false;
    if (!this.kick()) this.waitForBuffers();
  };

  /**
   * Takes the two buffers the reader keeps (posted and spare) from `pool`
   * at once: ENOMEM when the pool cannot supply them, EINVAL when the pool
   * is being destroyed or the options are wrong.
   */
  constructor(pool: PagePool, opts: PooledReaderOptions) {
    if (typeof pool !== 'object' || pool === null || typeof pool.allocNetmems !== 'function') E.expected('a PooledReader needs a page pool', pool);
    E.options(opts, 'PooledReader', KNOWN, false);
    if (typeof opts.onRead !== 'function') E.expected('PooledReader needs an onRead(nm, bytes, length) function', opts.onRead);
    for (const k of ['onEnd', 'onClose', 'onPause', 'onResume', 'waitForBuffers'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'function') E.expected(`PooledReader option ${k} must be a function`, opts[k]);
    }
    this.pollMs = opts.pollMs === undefined ? 1 : E.int(opts.pollMs, 'pollMs', 1, 60_000);
    this.direct = opts.directRecycle === undefined ? true : E.bool(opts.directRecycle, 'directRecycle');
    if (pool.destroyStarted) E.fail('EINVAL', `pool ${pool.id} is being destroyed: no reader`);
    this.pool = pool;
    this.opts = opts;
    this.checked = pool.domain.checked;
    const a = this.allocOne();
    const b = a === 0 ? 0 : this.allocOne();
    if (b === 0) {
      if (a !== 0) pool.putNetmem(a, -1, this.direct);
      E.fail('ENOMEM', `pool ${pool.id} has no two buffers for a reader (it keeps one posted and one spare)`);
    }
    this.post(a);
    this.spare = b;
    // A destroy with the reader's buffers out ends the socket; its close returns them.
    pool.on('detached', this.onPoolDetached);
    this.onread = { buffer: () => this.postedView as Uint8Array, callback: (nread, buf) => this.onData(nread, buf) };
  }

  /**
   * Opens a client connection whose reads land in `pool`
   * (`net.connect({ ...options, onread })`) and attaches it.
   */
  static connect(pool: PagePool, options: TcpNetConnectOpts, opts: PooledReaderOptions): PooledReader {
    if (typeof options !== 'object' || options === null) E.expected('PooledReader.connect needs net.connect options', options);
    const r = new PooledReader(pool, opts);
    return r.attach(r.made(() => net.connect({ ...options, onread: r.onread })));
  }

  /**
   * Reads an already connected socket file descriptor (one this process
   * inherited, e.g. an accepted connection passed as a child's stdio fd):
   * `new net.Socket({ fd, readable: true, writable: true, onread })`, attached.
   */
  static fromFd(pool: PagePool, fd: number, opts: PooledReaderOptions): PooledReader {
    E.int(fd, 'fd', 0, 0x7fffffff);
    const r = new PooledReader(pool, opts);
    // Node 20 takes onread in the constructor too; @types/node 20 declares it for connect only.
    const options = { fd, readable: true, writable: true, onread: r.onread } as net.SocketConstructorOpts;
    return r.attach(r.made(() => new net.Socket(options)));
  }

  /**
   * Attaches the socket made with {@link onread} (call it right after
   * making the socket, before the event loop runs). Returns the reader.
   */
  attach(socket: Socket): this {
    if (!(socket instanceof net.Socket)) E.expected('attach needs the net.Socket made with reader.onread', socket);
    if (this.sock !== null || this.closed) E.fail('EBUSY', 'a PooledReader reads one socket; attach was called twice or after close');
    this.sock = socket;
    socket.on('error', (e: Error) => {
      this.error ??= e;
    });
    socket.on('end', () => this.opts.onEnd?.());
    socket.on('close', () => this.finish());
    return this;
  }

  /** Makes the socket; when that throws (bad options, an fd that is no socket), the reader's buffers go back first. */
  private made(make: () => Socket): Socket {
    try {
      return make();
    } catch (e) {
      this.finish();
      throw e;
    }
  }

  /** The socket (null before {@link attach}). */
  get socket(): Socket | null {
    return this.sock;
  }

  /** True while reading is stopped because the pool is dry. */
  get starved(): boolean {
    return this.dry;
  }

  /** True once the socket closed and the reader returned its buffers. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Returns one pp reference of `nm` to the pool (recycling it directly
   * unless `directRecycle` is off), then resumes reading if the pool was
   * dry. Errors are the pool's (EALREADY for a double put, ESTALE for a
   * stale handle in checked mode, EINVAL for a buffer of another pool).
   */
  put(nm: number): void {
    this.pool.putNetmem(nm, -1, this.direct);
    if (this.dry) this.kick();
  }

  /**
   * Tries to resume now (the pool may have buffers again: a worker's
   * returns, a put elsewhere). True when reading resumed or was not
   * stopped for want of buffers.
   */
  kick(): boolean {
    if (!this.dry) return true;
    if (this.closed || this.inCallback) return false; // the read callback retries after the application returns
    const nm = this.allocOne();
    if (nm === 0) return false;
    this.spare = nm;
    this.refilled();
    if (!this.userPaused) this.startReading();
    return true;
  }

  /** Stops reading (the application's own flow control, e.g. a slow writer); buffers stay posted. */
  pause(): void {
    this.userPaused = true;
    const s = this.sock;
    if (s !== null && !s.destroyed) s.pause();
  }

  /** Undoes {@link pause}; reading starts again unless the pool is dry. */
  resume(): void {
    this.userPaused = false;
    if (!this.dry) this.startReading();
  }

  /** Destroys the socket (with `error`, if given); the reader's buffers return when it has closed. */
  close(error?: Error): void {
    const s = this.sock;
    if (s !== null && !s.destroyed) s.destroy(error);
    else if (s === null) this.finish();
  }

  /** The reader's figures. */
  stats(): PooledReaderStats {
    return { reads: this.reads, bytes: this.bytes, pauses: this.pauses, held: (this.posted !== 0 ? 1 : 0) + (this.spare !== 0 ? 1 : 0) };
  }

  // ---- the read path ------------------------------------------------------

  private onData(nread: number, buf: Uint8Array): boolean {
    const nm = this.posted;
    if (buf !== this.postedView || nm === 0) {
      this.fail(E.error('EIO', 'a read landed in a buffer the reader did not post (was the socket reused?)'));
      return false;
    }
    // Post the next buffer before the application sees this one.
    let next = this.spare;
    this.spare = 0;
    if (next === 0) next = this.allocOne(); // the socket was resumed behind the reader's back
    this.post(next);
    this.reads++;
    this.bytes += nread;
    if (this.checked) mpSetPlace(this.pool.domain, nm, Place.USER);
    this.inCallback = true;
    try {
      this.opts.onRead(nm, buf, nread);
    } catch (e) {
      this.inCallback = false;
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return false;
    }
    this.inCallback = false;
    if (this.closed || this.sock?.destroyed) return false;
    if (next === 0) {
      this.fail(E.error('ENOMEM', 'a read landed while the reader had no spare buffer: resume the reader, not its socket'));
      return false;
    }
    this.spare = this.allocOne();
    if (this.spare !== 0) {
      if (this.dry) this.refilled(); // reading had been resumed from outside while dry
      return true;
    }
    if (!this.dry) {
      this.dry = true;
      this.pauses++;
      this.opts.onPause?.();
    }
    this.waitForBuffers();
    return false; // Node stops reading; the posted buffer waits for the next read
  }

  /** The spare is back: no longer dry. */
  private refilled(): void {
    this.dry = false;
    this.stopWaiting();
    this.opts.onResume?.();
  }

  /**
   * One buffer from the pool for the reader's own ring (posted or spare:
   * the ledger's "driver-ring" in checked mode); 0 when the pool has none
   * or is being destroyed.
   */
  private allocOne(): number {
    const pool = this.pool;
    if (pool.destroyStarted) return 0;
    const nm = pool.allocNetmems();
    if (nm !== 0 && this.checked) mpSetPlace(pool.domain, nm, Place.DRIVER_RING);
    return nm;
  }

  private post(nm: number): void {
    this.posted = nm;
    this.postedView = nm === 0 ? undefined : this.pool.bytes(nm);
  }

  private startReading(): void {
    const s = this.sock;
    if (s !== null && !s.destroyed && !this.closed) s.resume();
  }

  private waitForBuffers(): void {
    if (!this.dry || this.closed || this.waiting) return;
    this.waiting = true;
    const wait = this.opts.waitForBuffers;
    if (wait === undefined) {
      this.timer = setTimeout(this.onPoll, this.pollMs);
      return;
    }
    let p: Promise<unknown>;
    try {
      p = wait();
    } catch (e) {
      this.waiting = false;
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    Promise.resolve(p).then(this.onWaited, (e: unknown) => {
      this.waiting = false;
      this.fail(e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Cancels a pending poll (a pending waitForBuffers promise just finds the reader refilled). */
  private stopWaiting(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.waiting = false;
  }

  /** Ends the socket with `error` (before attach: closes at once). */
  private fail(error: Error): void {
    this.error ??= error;
    const s = this.sock;
    if (s !== null && !s.destroyed) s.destroy(error);
    else if (s === null) this.finish();
  }

  /** The socket has closed: libuv reads into the posted buffer no more, so both go back. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.dry = false;
    this.stopWaiting();
    this.pool.off('detached', this.onPoolDetached);
    const pool = this.pool;
    const direct = this.direct && !pool.destroyStarted;
    for (const nm of [this.posted, this.spare]) if (nm !== 0) pool.putNetmem(nm, -1, direct);
    this.posted = 0;
    this.postedView = undefined;
    this.spare = 0;
    this.opts.onClose?.(this.error);
  }
}
