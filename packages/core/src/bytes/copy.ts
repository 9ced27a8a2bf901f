/**
 * Every byte copy netmem makes goes through this module: into and out of a
 * domain's page storage (NIC writes, recvmsg into user buffers), and between
 * plain arrays (NIC writes into a dmabuf or an io_uring area, copies out of
 * net_iov memory). One threshold decides when a copy is short enough to go
 * byte by byte: below it a loop beats a call plus a view.
 *
 * Why bounce at all: V8 copies to and from a SharedArrayBuffer with relaxed
 * atomic moves, word by word when both sides agree in alignment and byte by
 * byte (about 4× slower) when they do not. A misaligned copy touching shared
 * memory therefore moves through a bounce area placed at the other side's
 * alignment: for the page storage that area sits inside the WebAssembly
 * memory (a memmove aligns the bytes), for plain arrays it is a private
 * buffer here.
 *
 * Memory strategy: one bounce buffer and one table of cached sub-range views
 * per copier; steady traffic reuses both, so copies allocate nothing. A
 * page storage is itself a StorageCopier, so a copy into or out of it is
 * one method call deep.
 */
import { RangeViews } from './range-views.js';

/** Copies of at most this many bytes go byte by byte (a call and a view cost more). */
export const SMALL_COPY = 64;
/** Bytes a bounce moves at a time. */
export const BOUNCE_CHUNK = 4096;

/** Copies between plain arrays (neither is a page storage), with one threshold and cached views. */
export class ByteCopier {
  /** @internal Cached sub-range views for set(). */
  protected readonly views = new RangeViews();
  private readonly bounce = new Uint8Array(BOUNCE_CHUNK + 8);
  /** Full-chunk views of the bounce buffer at each of the 8 alignments: kept apart from `views`, where they evicted the source's view on every copy. */
  private readonly bounceChunks: readonly Uint8Array[] = Array.from({ length: 8 }, (_, a) => this.bounce.subarray(a, a + BOUNCE_CHUNK));
  // Whether the last source / destination of between() was shared memory (`.buffer` is a slow call).
  private sharedA: Uint8Array | null = null;
  private sharedAIs = false;
  private sharedB: Uint8Array | null = null;
  private sharedBIs = false;

  /**
   * Copies `n` bytes of `src` at `from` into `dst` at `at`. A misaligned
   * copy where either side is shared memory bounces through a private
   * buffer, so the shared side is always moved word by word.
   */
  between(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
    if (n <= SMALL_COPY) {
      for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
      return;
    }
    if (((src.byteOffset + from - dst.byteOffset - at) & 7) === 0 || (!this.isShared(src) && !this.isShared(dst))) {
      dst.set(from === 0 && n === src.length ? src : this.views.get(src, from, n), at);
      return;
    }
    const b = this.bounce;
    const views = this.views;
    while (n > 0) {
      const k = n < BOUNCE_CHUNK ? n : BOUNCE_CHUNK;
      // Into the private buffer at the shared side's alignment, then across.
      const a = this.isShared(src) ? (src.byteOffset + from) & 7 : (dst.byteOffset + at) & 7;
      b.set(views.get(src, from, k), a);
      dst.set(k === BOUNCE_CHUNK ? this.bounceChunks[a] : views.get(b, a, k), at);
      from += k;
      at += k;
      n -= k;
    }
  }

  /** Whether `a` is shared memory; two cached answers (a source and a destination) save the slow `.buffer`. */
  private isShared(a: Uint8Array): boolean {
    if (a === this.sharedA) return this.sharedAIs;
    if (a === this.sharedB) return this.sharedBIs;
    const is = typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
    this.sharedB = this.sharedA;
    this.sharedBIs = this.sharedAIs;
    this.sharedA = a;
    this.sharedAIs = is;
    return is;
  }
}

/**
 * Copies into and out of a page storage: a memmove when the other side is
 * storage memory too, otherwise through the storage's bounce areas (a
 * memmove aligns the bytes, then one word-by-word copy crosses the edge).
 * ByteStorage is one; the copy paths stay here, in one place.
 */
export class StorageCopier extends ByteCopier {
  // One-entry caches: steady traffic repeats the same shapes and arrays.
  private outView: Uint8Array;
  private inView: Uint8Array;
  private lastDst: Uint8Array | null = null;
  private lastDstBase = -1;
  private lastSrc: Uint8Array | null = null;
  private lastSrcBase = -1;

  constructor(
    /** The whole memory, bounce areas included. */
    private readonly all: Uint8Array,
    /** @internal memmove inside the memory. */
    protected readonly memmove: (dst: number, src: number, n: number) => void,
    /** Bounce area for copies out of the storage. */
    private readonly outAt: number,
    /** Bounce area for copies into the storage. */
    private readonly inAt: number,
  ) {
    super();
    this.outView = all.subarray(outAt, outAt);
    this.inView = all.subarray(inAt, inAt);
  }

  /** Whether `a` is a view of this storage's memory. */
  holds(a: Uint8Array): boolean {
    return a.buffer === this.all.buffer;
  }

  /** Copies `n` bytes at storage offset `from` into `dst` at `at`. */
  copyOut(from: number, dst: Uint8Array, at: number, n: number): void {
    const all = this.all;
    if (n <= SMALL_COPY) {
      for (let i = 0; i < n; i++) dst[at + i] = all[from + i];
      return;
    }
    if (dst !== this.lastDst) {
      this.lastDst = dst;
      this.lastDstBase = this.holds(dst) ? dst.byteOffset : -1;
    }
    if (this.lastDstBase >= 0) {
      this.memmove(this.lastDstBase + at, from, n);
      return;
    }
    while (n > 0) {
      const k = n < BOUNCE_CHUNK ? n : BOUNCE_CHUNK;
      // Land the bytes at dst's alignment, then one word-by-word copy across.
      const b = this.outAt + ((dst.byteOffset + at) & 7);
      this.memmove(b, from, k);
      let v = this.outView;
      if (v.byteOffset !== b || v.length !== k) this.outView = v = all.subarray(b, b + k);
      dst.set(v, at);
      from += k;
      at += k;
      n -= k;
    }
  }

  /** Copies `n` bytes of `src` at `from` into storage offset `to`. */
  copyIn(to: number, src: Uint8Array, from: number, n: number): void {
    const all = this.all;
    if (n <= SMALL_COPY) {
      for (let i = 0; i < n; i++) all[to + i] = src[from + i];
      return;
    }
    if (src !== this.lastSrc) {
      this.lastSrc = src;
      this.lastSrcBase = this.holds(src) ? src.byteOffset : -1;
    }
    if (this.lastSrcBase >= 0) {
      this.memmove(to, this.lastSrcBase + from, n);
      return;
    }
    if (from === 0 && n === src.length && ((src.byteOffset - to) & 7) === 0) {
      // A whole, aligned array: one word-by-word copy, nothing to bounce.
      all.set(src, to);
      return;
    }
    while (n > 0) {
      const k = n < BOUNCE_CHUNK ? n : BOUNCE_CHUNK;
      const b = this.inAt + ((src.byteOffset + from) & 7);
      let v = this.inView;
      if (v.byteOffset !== b || v.length !== k) this.inView = v = all.subarray(b, b + k);
      v.set(from === 0 && k === src.length ? src : this.views.get(src, from, k));
      this.memmove(to, b, k);
      from += k;
      to += k;
      n -= k;
    }
  }
}
