/**
 * The byte storage behind a domain's pages: one WebAssembly.Memory, shared
 * by default (its buffer is then a SharedArrayBuffer that worker threads can
 * map, as SPEC §1 asks).
 *
 * Why WebAssembly: V8 copies to and from a SharedArrayBuffer with relaxed
 * atomic moves, word by word when both sides agree in alignment (~105 ns per
 * 1446 bytes here) and byte by byte when they do not (~600 ns). A wasm
 * `memory.copy` inside the memory is a plain memmove whatever the alignment
 * (~30 ns for the same bytes), takes offsets instead of views (no subarray
 * object per copy) and costs one call.
 *
 * Copies between the storage and an outside array go through a bounce area
 * at the end of the memory: the memmove part moves the bytes to an offset
 * with the outside array's alignment, so the one copy V8 does across the
 * boundary is always word by word, and it reads from a cached view instead
 * of a fresh subarray.
 */
import { NetmemError } from '../errors.js';
import { RangeViews } from './range-views.js';

/** Bytes in one wasm page. */
const WASM_PAGE = 65536;
/** Largest wasm32 memory, in wasm pages (4 GiB). */
const WASM_MAX_PAGES = 65536;
/** Bounce area: one 4 KiB page plus 8 bytes of alignment slack, per direction. */
const BOUNCE_CHUNK = 4096;
const BOUNCE_BYTES = 2 * (BOUNCE_CHUNK + 8);
/** Copies up to this size go byte by byte (a call and a view cost more). */
const SMALL_COPY = 64;

type MemMove = (dst: number, src: number, n: number) => void;

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => { buffer: SharedArrayBuffer | ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** LEB128 of an unsigned integer. */
function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/**
 * A module importing memory `m.m` and exporting `copy(dst, src, n)` =
 * memory.copy. Hand-assembled: a build step for 50 bytes is not worth it.
 */
function memmoveModule(api: WasmApi, shared: boolean): object {
  const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
  // Limits: shared memories need a maximum (flags 3); the import accepts any size up to 4 GiB.
  const limits = shared ? [3, 0, ...leb(WASM_MAX_PAGES)] : [0, 0];
  const code = [0x00, 0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0a, 0, 0, 0x0b];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]),
    ...section(2, [1, 1, 0x6d, 1, 0x6d, 2, ...limits]),
    ...section(3, [1, 0]),
    ...section(7, [1, 4, 0x63, 0x6f, 0x70, 0x79, 0, 0]),
    ...section(10, [1, ...leb(code.length), ...code]),
  ];
  return new api.Module(new Uint8Array(bytes));
}

const modules: { shared?: object; private?: object } = {};

/** Byte storage with memmove-speed copies inside it and word-aligned copies across its edge. */
export class ByteStorage {
  /** The memory's buffer (a SharedArrayBuffer when shared). */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** A view of the usable bytes (the bounce area excluded). */
  readonly u8: Uint8Array;
  /** Whether the buffer is shared. */
  readonly shared: boolean;
  /** Whether copies inside the storage use wasm memory.copy (false only above 4 GiB or without WebAssembly). */
  readonly fast: boolean;

  private readonly memmove: MemMove;
  private readonly all: Uint8Array;
  /** Bounce area for copies out of the storage. */
  private readonly outAt: number;
  /** Bounce area for copies into the storage. */
  private readonly inAt: number;
  // One-entry caches: steady traffic repeats the same shapes.
  private outView: Uint8Array;
  private inView: Uint8Array;
  // Last outside array seen per direction (`.buffer` is a slow call; traffic reuses its arrays).
  // Each keeps the array's byteOffset in the storage, or -1 for an outside array.
  private lastDst: Uint8Array | null = null;
  private lastDstBase = -1;
  private lastSrc: Uint8Array | null = null;
  private lastSrcBase = -1;

  /**
   * @param bytes usable bytes
   * @param shared a SharedArrayBuffer (true) or a plain ArrayBuffer
   * @param useWasm false forces the fallback used above 4 GiB (copyWithin instead of memory.copy), for tests and comparisons
   */
  constructor(bytes: number, shared: boolean, useWasm = true) {
    if (!Number.isInteger(bytes) || bytes < 0) throw new NetmemError('EINVAL', `storage of ${bytes} bytes`);
    this.shared = shared;
    const total = bytes + BOUNCE_BYTES;
    const wasmPages = Math.ceil(total / WASM_PAGE);
    let buffer: SharedArrayBuffer | ArrayBuffer;
    let memmove: MemMove | null = null;
    if (useWasm && wasm !== undefined && wasmPages <= WASM_MAX_PAGES) {
      const memory = new wasm.Memory(shared ? { initial: wasmPages, maximum: wasmPages, shared: true } : { initial: wasmPages, maximum: wasmPages });
      const key = shared ? 'shared' : 'private';
      const mod = (modules[key] ??= memmoveModule(wasm, shared));
      memmove = new wasm.Instance(mod, { m: { m: memory } }).exports.copy as MemMove;
      buffer = memory.buffer;
    } else {
      buffer = shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total);
    }
    this.buffer = buffer;
    this.fast = memmove !== null;
    this.all = new Uint8Array(buffer);
    this.u8 = new Uint8Array(buffer, 0, bytes);
    this.memmove = memmove ?? ((d, s, n) => this.all.copyWithin(d, s, s + n));
    this.outAt = bytes;
    this.inAt = bytes + BOUNCE_CHUNK + 8;
    this.outView = this.all.subarray(this.outAt, this.outAt);
    this.inView = this.all.subarray(this.inAt, this.inAt);
  }

  /** Views of caller sub-ranges (set() copies whole arrays). */
  private readonly ranges = new RangeViews();

  /** Whether `a` is a view of this storage. */
  holds(a: Uint8Array): boolean {
    return a.buffer === this.buffer;
  }

  /** Copies `n` bytes at storage offset `from` to storage offset `to` (memmove: ranges may overlap). */
  move(to: number, from: number, n: number): void {
    if (n > 0) this.memmove(to, from, n);
  }

  /** Copies `n` bytes at storage offset `from` into `dst` at `at`. */
  copyOut(from: number, dst: Uint8Array, at: number, n: number): void {
    if (n <= SMALL_COPY) {
      const all = this.all;
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
      if (v.byteOffset !== b || v.length !== k) this.outView = v = this.all.subarray(b, b + k);
      dst.set(v, at);
      from += k;
      at += k;
      n -= k;
    }
  }

  /** Copies `n` bytes of `src` at `from` into storage offset `to`. */
  copyIn(to: number, src: Uint8Array, from: number, n: number): void {
    if (n <= SMALL_COPY) {
      const all = this.all;
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
      this.all.set(src, to);
      return;
    }
    while (n > 0) {
      const k = n < BOUNCE_CHUNK ? n : BOUNCE_CHUNK;
      const b = this.inAt + ((src.byteOffset + from) & 7);
      let v = this.inView;
      if (v.byteOffset !== b || v.length !== k) this.inView = v = this.all.subarray(b, b + k);
      v.set(from === 0 && k === src.length ? src : this.ranges.get(src, from, k));
      this.memmove(to, b, k);
      from += k;
      to += k;
      n -= k;
    }
  }
}
