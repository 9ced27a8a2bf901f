/**
 * The public types of `PooledReader`: what the application supplies, the
 * reader's figures, and the `onread` option it hands Node.
 */
/** What the application supplies to a `PooledReader`. */
export interface PooledReaderOptions {
  /**
   * One read: `length` bytes at the start of `bytes` (the pool's cached view
   * of buffer `nm`). The application now holds one pp reference of `nm` and
   * must return it (`reader.put(nm)` or `pool.putNetmem(nm)`), or hand it on.
   * If it throws, the reader destroys the socket with that error; the buffer
   * stays the application's.
   */
  onRead(nm: number, bytes: Uint8Array, length: number): void;
  /** The peer ended the stream (EOF); every byte has been delivered. */
  onEnd?(): void;
  /** The socket closed (`error` is why, or null); the reader's own buffers are back in the pool. */
  onClose?(error: Error | null): void;
  /** The pool ran dry: reading stopped until buffers come back. */
  onPause?(): void;
  /** Reading resumed after {@link onPause}. */
  onResume?(): void;
  /**
   * While the pool is dry: called to learn when to try again. The reader
   * tries (`kick`) when the promise settles and calls it again while the
   * pool stays dry. Without it the reader polls every `pollMs`.
   */
  waitForBuffers?(): Promise<unknown>;
  /** Poll period in ms while dry and no `waitForBuffers` is given: an integer ≥ 1. Default 1. */
  pollMs?: number;
  /**
   * Whether `reader.put` and the reader's own returns recycle directly into
   * the pool's alloc cache. Node runs every socket callback on the one
   * thread that owns the pool, so this is the pool's own context. Default true.
   */
  directRecycle?: boolean;
}

/** Figures of a `PooledReader`. */
export interface PooledReaderStats {
  /** Reads delivered. */
  reads: number;
  /** Bytes delivered. */
  bytes: number;
  /** Times reading stopped because the pool was dry. */
  pauses: number;
  /** Buffers the reader itself holds (posted + spare: 2 while reading). */
  held: number;
}

/** The `onread` option to give `net.connect` / `new net.Socket` (see `PooledReader.onread`). */
export interface PooledOnRead {
  /** Returns the buffer Node reads into next. */
  buffer: () => Uint8Array;
  /** Node's read callback; false stops reading. */
  callback: (nread: number, buf: Uint8Array) => boolean;
}
