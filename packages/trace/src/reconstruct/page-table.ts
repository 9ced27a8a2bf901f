/**
 * Pages in flight across every pool of the trace: which pool holds each
 * page (pfn, or netmem for a net_iov), since when, taken by which task on
 * which CPU. A page is in the table from its state_hold to its
 * state_release, so the table is bounded by the pages in flight.
 *
 * Memory strategy: one slot per page in flight in parallel typed arrays
 * (struct of arrays, ~60 bytes a slot), a free list of slots, and a
 * {@link NumberMap} from page key to slot. Nothing is allocated per event;
 * the arrays double when full.
 */
import { MISSING, NumberMap } from './number-map.js';

/**
 * Page key of a traced netmem: the pfn for a page; the netmem pointer (negated, 53 low bits) for a net_iov, whose pfn is 0.
 * @category Reconstruction
 */
export function pageKey(netIov: boolean, pfn: number, netmemHi: number, netmemLo: number): number {
  return netIov ? -((netmemHi & 0x1fffff) * 4294967296 + netmemLo) - 1 : pfn;
}

/**
 * The in-flight pages of a trace.
 * @category Reconstruction
 */
export class PageTable {
  private readonly index = new NumberMap(4096);
  private cap = 0;
  private free: Int32Array = new Int32Array(0);
  private freeTop = 0;
  /** Page key per slot. */
  key: Float64Array = new Float64Array(0);
  /** Holding pool's index per slot (0: free slot). */
  pool: Int32Array = new Int32Array(0);
  /** pfn per slot. */
  pfn: Float64Array = new Float64Array(0);
  /** netmem pointer, high and low halves, and its printed digit count. */
  netHi: Uint32Array = new Uint32Array(0);
  /** See {@link netHi}. */
  netLo: Uint32Array = new Uint32Array(0);
  /** See {@link netHi}. */
  netDigits: Uint8Array = new Uint8Array(0);
  /** 1 for a net_iov. */
  netIov: Uint8Array = new Uint8Array(0);
  /** The pool's hold counter for the page. */
  hold: Float64Array = new Float64Array(0);
  /** When it was taken (µs). */
  us: Float64Array = new Float64Array(0);
  /** Its state_hold line. */
  line: Float64Array = new Float64Array(0);
  /** Task name id, pid and CPU that took it. */
  comm: Int32Array = new Int32Array(0);
  /** See {@link comm}. */
  pid: Int32Array = new Int32Array(0);
  /** See {@link comm}. */
  cpu: Int32Array = new Int32Array(0);

  constructor() {
    this.grow(1024);
  }

  /** Pages in flight. */
  get size(): number {
    return this.index.size;
  }

  /** The slot of a page, or -1. */
  find(key: number): number {
    const s = this.index.get(key);
    return s === MISSING ? -1 : s;
  }

  /** Adds a page (the caller removed any previous slot for the key); returns its slot for the caller to fill. */
  add(key: number, pool: number): number {
    if (this.freeTop === 0) this.grow(this.cap * 2);
    const s = this.free[--this.freeTop];
    this.index.set(key, s);
    this.key[s] = key;
    this.pool[s] = pool;
    return s;
  }

  /** Removes the page in `slot`. */
  remove(slot: number): void {
    this.index.delete(this.key[slot]);
    this.pool[slot] = 0;
    this.free[this.freeTop++] = slot;
  }

  /** Calls `fn` for every occupied slot. */
  forEachSlot(fn: (slot: number) => void): void {
    for (let s = 0; s < this.cap; s++) if (this.pool[s] !== 0) fn(s);
  }

  private grow(n: number): void {
    const old = this.cap;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.key = f64(this.key);
    this.pool = i32(this.pool);
    this.pfn = f64(this.pfn);
    const u32 = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.netHi = u32(this.netHi);
    this.netLo = u32(this.netLo);
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.netDigits = u8(this.netDigits);
    this.netIov = u8(this.netIov);
    this.hold = f64(this.hold);
    this.us = f64(this.us);
    this.line = f64(this.line);
    this.comm = i32(this.comm);
    this.pid = i32(this.pid);
    this.cpu = i32(this.cpu);
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeTop));
    // New slots, lowest on top.
    for (let s = n - 1; s >= old; s--) free[this.freeTop++] = s;
    this.free = free;
    this.cap = n;
  }
}
