/**
 * A buddy allocator for one NUMA node's page frames, orders 0..MAX_PAGE_ORDER.
 *
 * Memory strategy: free blocks sit on per-order doubly linked lists threaded
 * through two Int32Arrays indexed by frame (next/prev), and `freeOrder` marks
 * the head frame of every free block with its order (-1 otherwise). Splitting
 * and merging are O(order); nothing allocates after construction.
 */

/** Largest page order (the kernel's MAX_PAGE_ORDER). */
export const MAX_PAGE_ORDER = 10;

/** Buddy allocator for one NUMA node's frames. */
export class PageAllocator {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly freeOrder: Int8Array;
  private readonly heads = new Int32Array(MAX_PAGE_ORDER + 1).fill(-1);
  private free = 0;

  /**
   * @param base first frame number (pfn) this allocator owns
   * @param count number of frames
   */
  constructor(
    readonly base: number,
    readonly count: number,
  ) {
    this.next = new Int32Array(count);
    this.prev = new Int32Array(count);
    this.freeOrder = new Int8Array(count).fill(-1);
    // Seed with the largest aligned blocks that fit.
    let i = 0;
    while (i < count) {
      let order = MAX_PAGE_ORDER;
      while (order > 0 && ((i & ((1 << order) - 1)) !== 0 || i + (1 << order) > count)) order--;
      this.push(i, order);
      this.free += 1 << order;
      i += 1 << order;
    }
  }

  /** Frames currently free. */
  get freePages(): number {
    return this.free;
  }

  /** Allocates 2^order frames; returns the first pfn, or -1 when none is free. */
  alloc(order: number): number {
    let o = order;
    while (o <= MAX_PAGE_ORDER && this.heads[o] === -1) o++;
    if (o > MAX_PAGE_ORDER) return -1;
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
      if (buddy + (1 << o) > this.count || this.freeOrder[buddy] !== o) break;
      this.unlink(buddy, o);
      i = Math.min(i, buddy);
      o++;
    }
    this.push(i, o);
  }

  /** True when `pfn` is the head of a free block (used by checks). */
  isFree(pfn: number): boolean {
    return this.freeOrder[pfn - this.base] >= 0;
  }

  private push(i: number, order: number): void {
    const h = this.heads[order];
    this.next[i] = h;
    this.prev[i] = -1;
    if (h !== -1) this.prev[h] = i;
    this.heads[order] = i;
    this.freeOrder[i] = order;
  }

  private unlink(i: number, order: number): void {
    const n = this.next[i];
    const p = this.prev[i];
    if (p === -1) this.heads[order] = n;
    else this.next[p] = n;
    if (n !== -1) this.prev[n] = p;
    this.freeOrder[i] = -1;
  }
}
