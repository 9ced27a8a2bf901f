/**
 * Per-netmem metadata, the kernel's `struct netmem_desc`, as a struct of typed
 * arrays indexed by descriptor (see handle.ts). The hot path reads and writes
 * plain typed-array slots.
 *
 * Memory strategy: the arrays cover descriptors 0..capacity-1 only, carved
 * from one ArrayBuffer, and grow by doubling (up to `limit`) when a
 * descriptor past them is first handed out: a page allocator frame above
 * the high-water mark, a new net_iov area, a handle checked for the first
 * time. Growth replaces every array, so whoever keeps one (a pool, the pool
 * registry) registers with {@link NetmemTable.onGrow} and reloads it there.
 * Growth happens on those slow paths only, never inside a pool's alloc or
 * put. A descriptor past `capacity` was never used: its slots read as
 * `undefined`, which readers outside the hot path turn into the zero state.
 */
import { PAGE_SHIFT } from '../base/units.js';

/** The low byte of `magic` that marks a pool page (the kernel's PP_SIGNATURE). */
export const PP_SIGNATURE = 0x40;
/** The DMA-tracking index lives above the signature byte. */
export const PP_DMA_INDEX_SHIFT = 8;
/** Largest DMA-tracking index that fits (23 bits). */
export const PP_DMA_INDEX_LIMIT = (1 << 23) - 1;

/** Bit in {@link NetmemTable.flags}: page allocated under memory pressure. */
export const NM_PFMEMALLOC = 1;
/** Bit in {@link NetmemTable.flags}: CPU may not read (dmabuf net_iov). */
export const NM_UNREADABLE = 2;

/** {@link NetmemTable.dma} value meaning "the address is not page-aligned or too large: see dmaOf". */
export const DMA_SPILL = 0xffffffff;

/** Descriptors a new table covers before its first growth (NULL plus a few pages: ~8 KiB). */
const INITIAL_CAPACITY = 256;

/** Bytes per descriptor of each array, in carving order (widest first, so every array is aligned). */
const LAYOUT = [
  ['pp', Uint32Array],
  ['ppRef', Int32Array],
  ['pageRef', Int32Array],
  ['magic', Int32Array],
  ['dma', Uint32Array],
  ['area', Int32Array],
  ['gen', Uint16Array],
  ['order', Uint8Array],
  ['nid', Uint8Array],
  ['flags', Uint8Array],
  ['place', Uint8Array],
  ['tail', Uint8Array],
] as const;

/** Metadata bytes per descriptor (page or net_iov), from the layout above. */
export const DESC_BYTES = LAYOUT.reduce((n, [, A]) => n + A.BYTES_PER_ELEMENT, 0);

/** Per-netmem metadata tables (struct netmem_desc as a struct of arrays). */
export class NetmemTable {
  /** Owning pool id (0: none); pool ids are 32-bit unsigned. */
  declare pp: Uint32Array;
  /** pp reference count. */
  declare ppRef: Int32Array;
  /** Page reference count (pages; a net_iov's reads as 1). */
  declare pageRef: Int32Array;
  /** PP_SIGNATURE in the low byte, DMA-tracking index above it. */
  declare magic: Int32Array;
  /**
   * DMA address (IOVA) >> PAGE_SHIFT, 0 when unmapped, as the kernel stores
   * it on 32-bit machines with 64-bit DMA. {@link DMA_SPILL}: the exact
   * address is kept aside (not page-aligned, or ≥ 2^44). Use
   * {@link setDma} / {@link dmaOf}; the pool's fast path decodes inline.
   */
  declare dma: Uint32Array;
  /** Net_iov: owning area id. Page: 0. */
  declare area: Int32Array;
  /** Generation, bumped each time the descriptor is reused. */
  declare gen: Uint16Array;
  /** Page order (pages), 0 for net_iovs. */
  declare order: Uint8Array;
  /** NUMA node of the page. */
  declare nid: Uint8Array;
  /** NM_* bits. */
  declare flags: Uint8Array;
  /** Ledger place (see places.ts). */
  declare place: Uint8Array;
  /** Tail page of a compound page: the compound page's order (its head is the aligned frame below); else 0. */
  declare tail: Uint8Array;
  /** Descriptors the arrays cover now. */
  capacity = 0;
  /** Exact addresses of descriptors whose {@link dma} slot is DMA_SPILL. */
  private readonly spilled = new Map<number, number>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    /** Number of descriptors the table may grow to (the domain's descriptor range). */
    readonly limit: number,
    /** Sets the non-zero initial state of descriptors `from..to-1` as they come into the table (node, checked-mode generation). */
    private readonly init: (t: NetmemTable, from: number, to: number) => void,
  ) {
    this.resize(Math.min(limit, INITIAL_CAPACITY));
  }

  /** Makes descriptor `d` (< limit) addressable: grows the table when `d` is past it. */
  ensure(d: number): void {
    if (d >= this.capacity) this.grow(d + 1);
  }

  /** Calls `fn` after every growth (the arrays are new then). */
  onGrow(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Sets descriptor `d`'s DMA address (an integer ≥ 0; 0 = unmapped). */
  setDma(d: number, iova: number): void {
    const dma = this.dma;
    if (dma[d] === DMA_SPILL) this.spilled.delete(d);
    const p = iova / (1 << PAGE_SHIFT);
    if (p === p >>> 0 && p !== DMA_SPILL)
      dma[d] = p; // a page-aligned address below 2^44
    else {
      this.dma[d] = DMA_SPILL;
      this.spilled.set(d, iova);
    }
  }

  /** Descriptor `d`'s DMA address (0: unmapped or never used). */
  dmaOf(d: number): number {
    if (!(d < this.capacity)) return 0;
    const p = this.dma[d];
    return p !== DMA_SPILL ? p * (1 << PAGE_SHIFT) : this.spilled.get(d)!;
  }

  /** Bytes the arrays hold now. */
  get bytes(): number {
    return this.capacity * DESC_BYTES;
  }

  private grow(min: number): void {
    if (min > this.limit) throw new RangeError(`netmem table: descriptor ${min - 1} is past the domain's ${this.limit}`);
    this.resize(Math.min(this.limit, Math.max(min, this.capacity * 2)));
    for (const fn of this.listeners) fn();
  }

  /** Carves new arrays of `cap` descriptors from one buffer, copying the old ones. */
  private resize(cap: number): void {
    const from = this.capacity;
    const buf = new ArrayBuffer(cap * DESC_BYTES);
    const self = this as unknown as Record<string, ArrayLike<number> & { set(a: ArrayLike<number>): void }>;
    let at = 0;
    for (const [name, A] of LAYOUT) {
      const a = new A(buf, at, cap);
      if (from > 0) a.set(self[name]);
      self[name] = a;
      at += cap * A.BYTES_PER_ELEMENT;
    }
    this.capacity = cap;
    this.init(this, from, cap);
  }
}
