/**
 * The domain's net_iov descriptor space: which descriptor ranges are free
 * for new areas. First fit; freed ranges merge with their neighbours so a
 * large area fits again after small ones come and go.
 *
 * Memory strategy: a sorted array of [start, length] pairs. Areas are few
 * and long-lived, so this is never on a data path.
 */
export class IovSpace {
  /** Free ranges, sorted by start. */
  private free: [number, number][];

  constructor(first: number, count: number) {
    this.free = count > 0 ? [[first, count]] : [];
  }

  /** Takes `count` consecutive descriptors; the first one, or -1 when no range is large enough. */
  take(count: number): number {
    const idx = this.free.findIndex(([, len]) => len >= count);
    if (idx < 0) return -1;
    const [start, len] = this.free[idx];
    if (len === count) this.free.splice(idx, 1);
    else this.free[idx] = [start + count, len - count];
    return start;
  }

  /** Gives back `count` descriptors from `start`. */
  give(start: number, count: number): void {
    this.free.push([start, count]);
    this.free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of this.free) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === r[0]) last[1] += r[1];
      else merged.push([r[0], r[1]]);
    }
    this.free = merged;
  }

  /** Free descriptors in all. */
  get available(): number {
    let n = 0;
    for (const [, len] of this.free) n += len;
    return n;
  }
}
