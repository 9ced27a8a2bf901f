/**
 * A buddy allocator for one NUMA node's page frames, orders 0..MAX_PAGE_ORDER.
 *
 * Memory strategy: free blocks sit on per-order doubly linked lists threaded
 * through two Int32Arrays indexed by frame (next/prev), and `freeTag` marks
 * the head frame of every free block with its order + 1 (0 otherwise).
 * Splitting and merging are O(order). The node starts as the largest
 * aligned blocks that fit, but they are put on the lists lazily, lowest
 * first, when the lists cannot serve a request (`frontier`): a node costs
 * nothing until used, frames are handed out from the bottom up (so the
 * domain's metadata tables grow only as far as memory is used), and the
 * arrays grow by doubling as the frontier moves up.
 */

/**
 * Largest page order (the kernel's MAX_PAGE_ORDER).
 * @category Memory
 */
export const MAX_PAGE_ORDER = 10;

/** Buddy allocator for one NUMA node's frames. */
export class PageAllocator {
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private freeTag = new Uint8Array(0);
  private readonly heads = new Int32Array(MAX_PAGE_ORDER + 1).fill(-1);
  private free: number;
  /** Frames from here up are free seed blocks not yet on the lists. */
  private frontier = 0;

  /**
   * @param base first frame number (pfn) this allocator owns
   * @param count number of frames
   */
  constructor(
    readonly base: number,
    readonly count: number,
  ) {
    this.free = count;
  }

  /** Bytes of the per-frame arrays now (they cover the frames below the frontier). */
  get bytes(): number {
    return this.next.byteLength + this.prev.byteLength + this.freeTag.byteLength;
  }

  /** Frames currently free. */
  get freePages(): number {
    return this.free;
  }

  /** Allocates 2^order frames; returns the first pfn, or -1 when none is free. */
  alloc(order: number): number {
    let o = order;
    while (o <= MAX_PAGE_ORDER && this.heads[o] === -1) o++;
    while (o > MAX_PAGE_ORDER) {
      const k = this.carve();
      if (k < 0) return -1;
      if (k >= order) o = k;
    }
    const i = this.heads[o];
    this.unlink(i, o);
    // Split down, giving back the upper halves.
    while (o > order) {
      o--;
      this.push(i + (1 << o), o);
    }
    this.free -= 1 << order;
    return this.base + i;
  }

  /** Frees a block previously returned by {@link alloc} with the same order. */
  release(pfn: number, order: number): void {
    let i = pfn - this.base;
    let o = order;
    this.free += 1 << order;
    while (o < MAX_PAGE_ORDER) {
      const buddy = i ^ (1 << o);
      if (buddy + (1 << o) > this.count || this.freeTag[buddy] !== o + 1) break; // merges stay inside one seed block, so never reach past the frontier
      this.unlink(buddy, o);
      i = Math.min(i, buddy);
      o++;
    }
    this.push(i, o);
  }

  /** True when `pfn` is the head of a free block (used by checks). */
  isFree(pfn: number): boolean {
    const i = pfn - this.base;
    if (!(i >= 0 && i < this.count)) return false;
    if (i < this.frontier) return this.freeTag[i] !== 0;
    let j = this.frontier;
    while (j < i) j += 1 << this.seedOrder(j);
    return j === i;
  }

  /** Order of the seed block at frame `i`: the largest aligned block that fits. */
  private seedOrder(i: number): number {
    let order = MAX_PAGE_ORDER;
    while (order > 0 && ((i & ((1 << order) - 1)) !== 0 || i + (1 << order) > this.count)) order--;
    return order;
  }

  /** Puts the next seed block on its list; returns its order, or -1 when none is left. */
  private carve(): number {
    const i = this.frontier;
    if (i >= this.count) return -1;
    const order = this.seedOrder(i);
    const end = i + (1 << order);
    if (end > this.next.length) {
      const cap = Math.min(this.count, Math.max(end, this.next.length * 2));
      const next = new Int32Array(cap);
      const prev = new Int32Array(cap);
      const tag = new Uint8Array(cap);
      next.set(this.next);
      prev.set(this.prev);
      tag.set(this.freeTag);
      this.next = next;
      this.prev = prev;
      this.freeTag = tag;
    }
    this.frontier = end;
    this.push(i, order);
    return order;
  }

  private push(i: number, order: number): void {
    const h = this.heads[order];
    this.next[i] = h;
    this.prev[i] = -1;
    if (h !== -1) this.prev[h] = i;
    this.heads[order] = i;
    this.freeTag[i] = order + 1;
  }

  private unlink(i: number, order: number): void {
    const n = this.next[i];
    const p = this.prev[i];
    if (p === -1) this.heads[order] = n;
    else this.next[p] = n;
    if (n !== -1) this.prev[n] = p;
    this.freeTag[i] = 0;
  }
}
