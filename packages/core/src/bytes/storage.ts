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
 * Copies between the storage and an outside array go through bounce areas
 * at the end of the memory (see copy.ts, which owns every copy path).
 */
import { E } from '../base/validate.js';
import { BOUNCE_CHUNK, StorageCopier } from './copy.js';

/** Bytes in one wasm page. */
const WASM_PAGE = 65536;
/** Largest wasm32 memory, in wasm pages (4 GiB). */
const WASM_MAX_PAGES = 65536;
/** Bounce areas: one chunk plus 8 bytes of alignment slack, per direction (the copies are in copy.ts). */
const BOUNCE_BYTES = 2 * (BOUNCE_CHUNK + 8);

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

/** The memory and its memmove, made before the storage object (its copier base needs them). */
function makeMemory(bytes: number, shared: boolean, useWasm: boolean): { buffer: SharedArrayBuffer | ArrayBuffer; memmove: MemMove | null } {
  const total = bytes + BOUNCE_BYTES;
  const wasmPages = Math.ceil(total / WASM_PAGE);
  if (useWasm && wasm !== undefined && wasmPages <= WASM_MAX_PAGES) {
    const memory = new wasm.Memory(shared ? { initial: wasmPages, maximum: wasmPages, shared: true } : { initial: wasmPages, maximum: wasmPages });
    const key = shared ? 'shared' : 'private';
    const mod = (modules[key] ??= memmoveModule(wasm, shared));
    return { buffer: memory.buffer, memmove: new wasm.Instance(mod, { m: { m: memory } }).exports.copy as MemMove };
  }
  return { buffer: shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total), memmove: null };
}

/**
 * Byte storage with memmove-speed copies inside it and word-aligned ones
 * across its edge (its copy paths are StorageCopier's, in copy.ts).
 * @category Memory
 */
export class ByteStorage extends StorageCopier {
  /** The memory's buffer (a SharedArrayBuffer when shared). */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** A view of the usable bytes (the bounce areas excluded). */
  readonly u8: Uint8Array;
  /** Whether the buffer is shared. */
  readonly shared: boolean;
  /** Whether copies inside the storage use wasm memory.copy (false only above 4 GiB or without WebAssembly). */
  readonly fast: boolean;

  /**
   * @param bytes usable bytes
   * @param shared a SharedArrayBuffer (true) or a plain ArrayBuffer
   * @param useWasm false forces the fallback used above 4 GiB (copyWithin instead of memory.copy), for tests and comparisons
   */
  constructor(bytes: number, shared: boolean, useWasm = true) {
    E.int(bytes, 'storage size', 0, Number.MAX_SAFE_INTEGER);
    const { buffer, memmove } = makeMemory(bytes, shared, useWasm);
    const all = new Uint8Array(buffer);
    // The bounce areas sit past the usable bytes.
    super(all, memmove ?? ((d, s, n) => all.copyWithin(d, s, s + n)), bytes, bytes + BOUNCE_CHUNK + 8);
    this.buffer = buffer;
    this.shared = shared;
    this.fast = memmove !== null;
    this.u8 = new Uint8Array(buffer, 0, bytes);
  }

  /** Copies `n` bytes at storage offset `from` to storage offset `to` (memmove: ranges may overlap). */
  move(to: number, from: number, n: number): void {
    if (n > 0) this.memmove(to, from, n);
  }
}
