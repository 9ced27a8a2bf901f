/**
 * The binding's chunk allocator: the kernel's gen_pool over the dmabuf's
 * scatter segments, one chunk per segment, page-sized allocations.
 *
 * Memory strategy: one Int32Array of net_iov indexes split into a stack per
 * chunk (chunk c owns slots [start[c], start[c] + size[c])), a free count per
 * chunk, and a byte per net_iov saying whether it is on a freelist, so a
 * double free is caught instead of corrupting a stack. Allocation takes from
 * the first chunk with room, as gen_pool walks its chunk list in order.
 */
import { E } from './errors.js';

/** Most net_iovs one allocator holds (Int32Array indexes). */
const MAX_TOTAL = 0x7fffffff;

/**
 * gen_pool equivalent: a freelist per chunk of page-sized net_iovs.
 * @category Provider
 */
export class ChunkAllocator {
  /** Net_iovs in all chunks. */
  readonly total: number;
  /** Free net_iovs, all chunks. */
  free: number;
  private readonly start: Int32Array;
  private readonly size: Int32Array;
  private readonly count: Int32Array;
  private readonly stack: Int32Array;
  private readonly onFree: Uint8Array;
  /** Lowest chunk that may have room. */
  private first = 0;

  /** One chunk per entry of `chunkSizes` (net_iovs per chunk: integers ≥ 1, at most 2^31 − 1 in all; EINVAL otherwise). */
  constructor(chunkSizes: readonly number[]) {
    if (!Array.isArray(chunkSizes)) E.expected('ChunkAllocator needs an array of chunk sizes', chunkSizes);
    let sum = 0;
    for (let c = 0; c < chunkSizes.length; c++) {
      sum += E.int(chunkSizes[c], `chunk ${c} size`, 1, MAX_TOTAL);
      if (sum > MAX_TOTAL) E.expected(`chunk sizes must add up to at most ${MAX_TOTAL}`, sum);
    }
    const n = chunkSizes.length;
    this.start = new Int32Array(n);
    this.size = new Int32Array(n);
    this.count = new Int32Array(n);
    let total = 0;
    for (let c = 0; c < n; c++) {
      this.start[c] = total;
      this.size[c] = chunkSizes[c];
      total += chunkSizes[c];
    }
    this.total = total;
    try {
      this.stack = new Int32Array(total);
      this.onFree = new Uint8Array(total).fill(1);
    } catch {
      E.fail('ENOMEM', `a chunk allocator of ${total} net_iovs: expected its freelists to fit in memory, got an allocation failure`);
    }
    // Each chunk's stack is filled so the lowest index pops first.
    for (let c = 0; c < n; c++) {
      const s = this.start[c];
      const len = this.size[c];
      for (let i = 0; i < len; i++) this.stack[s + i] = s + len - 1 - i;
      this.count[c] = len;
    }
    this.free = total;
  }

  /** Number of chunks. */
  get chunks(): number {
    return this.size.length;
  }

  /** First net_iov index (global, over all chunks) of chunk `c`. */
  chunkStart(c: number): number {
    if (typeof c !== 'number' || c >>> 0 !== c || c >= this.start.length) E.expected(`a chunk number must be an integer 0..${this.start.length - 1}`, c);
    return this.start[c];
  }

  /** One free net_iov index, or -1 when every chunk is exhausted. */
  alloc(): number {
    const n = this.size.length;
    let c = this.first;
    while (c < n && this.count[c] === 0) c++;
    this.first = c;
    if (c === n) return -1;
    const idx = this.stack[this.start[c] + --this.count[c]];
    this.onFree[idx] = 0;
    this.free--;
    return idx;
  }

  /**
   * Gives net_iov `idx` (of chunk `c`) back. EINVAL when `c` is not a chunk
   * or `idx` not one of its net_iovs; a double free throws EALREADY.
   */
  release(c: number, idx: number): void {
    const n = this.size.length;
    if (typeof c !== 'number' || c >>> 0 !== c || c >= n) E.expected(`release needs a chunk number 0..${n - 1}`, c);
    if (typeof idx !== 'number' || idx >>> 0 !== idx || idx < this.start[c] || idx >= this.start[c] + this.size[c]) {
      E.expected(`release needs a net_iov index of chunk ${c} (${this.start[c]}..${this.start[c] + this.size[c] - 1})`, idx);
    }
    if (this.onFree[idx] !== 0) E.fail('EALREADY', `net_iov ${idx} freed twice: expected one in use, got one already on the freelist`);
    this.onFree[idx] = 1;
    this.stack[this.start[c] + this.count[c]++] = idx;
    this.free++;
    if (c < this.first) this.first = c;
  }

  /** True when net_iov `idx` is on a freelist. */
  isFree(idx: number): boolean {
    if (typeof idx !== 'number' || idx >>> 0 !== idx || idx >= this.total) E.expected(`a net_iov index must be an integer 0..${this.total - 1}`, idx);
    return this.onFree[idx] !== 0;
  }

  /** Checks: no index twice on the freelists, counts agree (invariant 7). Allocates; for tests. */
  check(): string[] {
    const out: string[] = [];
    const seen = new Uint8Array(this.total);
    let sum = 0;
    for (let c = 0; c < this.size.length; c++) {
      sum += this.count[c];
      for (let i = 0; i < this.count[c]; i++) {
        const idx = this.stack[this.start[c] + i];
        if (idx < this.start[c] || idx >= this.start[c] + this.size[c]) out.push(`net_iov ${idx} on chunk ${c}'s freelist belongs to another chunk`);
        if (seen[idx]) out.push(`net_iov ${idx} is twice on the freelists`);
        seen[idx] = 1;
        if (!this.onFree[idx]) out.push(`net_iov ${idx} is on a freelist but marked in use`);
      }
    }
    if (sum !== this.free) out.push(`free count ${this.free} but the freelists hold ${sum}`);
    for (let i = 0; i < this.total; i++) if (this.onFree[i] && !seen[i]) out.push(`net_iov ${i} marked free but on no freelist`);
    return out;
  }
}
