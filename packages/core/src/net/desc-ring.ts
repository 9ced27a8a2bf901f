/**
 * A driver's rx descriptor ring: posted buffers in FIFO order, each with the
 * byte offset the device writes at (header frags share pages). The NIC
 * takes from the head; the driver's refill posts at the tail.
 *
 * Memory strategy: two Int32Arrays and two counters; nothing is allocated
 * per descriptor. (The page pool keeps its own ptr_ring inlined in the pool
 * object instead: its fast path must touch one object only.)
 */
export class DescRing {
  /** Posted netmems. */
  private readonly nms: Int32Array;
  /** Their offsets. */
  private readonly offs: Int32Array;
  /** Index of the oldest posted entry. */
  private head = 0;
  /** Posted entries. */
  count = 0;
  /** Offset of the entry the last {@link take} returned. */
  takenOff = 0;

  constructor(
    /** Descriptors. */
    readonly size: number,
  ) {
    this.nms = new Int32Array(size);
    this.offs = new Int32Array(size);
  }

  /** True when no descriptor is free. */
  get full(): boolean {
    return this.count === this.size;
  }

  /** Posts `nm` at `off`; the caller checked {@link full}. */
  post(nm: number, off: number): void {
    const at = this.head + this.count;
    const slot = at >= this.size ? at - this.size : at;
    this.nms[slot] = nm;
    this.offs[slot] = off;
    this.count++;
  }

  /** Takes the oldest posted netmem (its offset lands in {@link takenOff}); 0 when empty. */
  take(): number {
    if (this.count === 0) return 0;
    const h = this.head;
    this.takenOff = this.offs[h];
    this.head = h + 1 === this.size ? 0 : h + 1;
    this.count--;
    return this.nms[h];
  }

  /** The `i`th posted netmem from the oldest (no bounds check beyond count). */
  at(i: number): number {
    const at = this.head + i;
    return this.nms[at >= this.size ? at - this.size : at];
  }
}
