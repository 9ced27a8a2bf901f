/**
 * Per-netmem metadata, the kernel's `struct netmem_desc`, as a struct of typed
 * arrays indexed by descriptor (see handle.ts). Nothing here allocates after
 * construction: the hot path reads and writes plain typed-array slots.
 */

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

/** Per-netmem metadata tables (struct netmem_desc as a struct of arrays). */
export class NetmemTable {
  /** Owning pool id (0: none); pool ids are 32-bit unsigned. */
  readonly pp: Uint32Array;
  /** pp reference count. */
  readonly ppRef: Int32Array;
  /** Page reference count (pages; a net_iov's reads as 1). */
  readonly pageRef: Int32Array;
  /** PP_SIGNATURE in the low byte, DMA-tracking index above it. */
  readonly magic: Int32Array;
  /** DMA address (IOVA) of the buffer, 0 when unmapped. */
  readonly dma: Float64Array;
  /** Page order (pages), 0 for net_iovs. */
  readonly order: Uint8Array;
  /** NUMA node of the page. */
  readonly nid: Uint8Array;
  /** NM_* bits. */
  readonly flags: Uint8Array;
  /** Ledger place (see places.ts). */
  readonly place: Uint8Array;
  /** Generation, bumped each time the descriptor is reused. */
  readonly gen: Uint16Array;
  /** Net_iov: owning area id. Page: 0. */
  readonly area: Int32Array;
  /** Tail pages of a compound page: descriptor of the head; else 0. */
  readonly head: Int32Array;

  constructor(
    /** Number of descriptors. */
    readonly size: number,
  ) {
    this.pp = new Uint32Array(size);
    this.ppRef = new Int32Array(size);
    this.pageRef = new Int32Array(size);
    this.magic = new Int32Array(size);
    this.dma = new Float64Array(size);
    this.order = new Uint8Array(size);
    this.nid = new Uint8Array(size);
    this.flags = new Uint8Array(size);
    this.place = new Uint8Array(size);
    this.gen = new Uint16Array(size);
    this.area = new Int32Array(size);
    this.head = new Int32Array(size);
  }
}
