/**
 * Sub-range views of caller arrays, cached. `TypedArray.prototype.set`
 * copies whole arrays, so copying part of a caller's array needs a view of
 * that part; making one per copy is garbage on every packet (a NIC writing
 * 16 frags of one packet makes 16). Traffic reuses its buffers and offsets,
 * so a small direct-mapped table of views, keyed by array, offset and
 * length, turns steady state into hits.
 */

/** Table slots: a power of two, enough for the frags of a few packets. */
const SLOTS = 64;

/** Direct-mapped cache of `src.subarray(from, from + n)` views. */
export class RangeViews {
  private readonly of: (Uint8Array | null)[] = new Array<Uint8Array | null>(SLOTS).fill(null);
  private readonly from = new Int32Array(SLOTS);
  private readonly views: Uint8Array[] = new Array<Uint8Array>(SLOTS).fill(new Uint8Array(0));

  /** A view of `src[from, from + n)`, the same object as last time for the same array and range. */
  get(src: Uint8Array, from: number, n: number): Uint8Array {
    // Frags sit a page apart, headers at small offsets: mix both into the slot.
    const i = ((from >>> 12) ^ from ^ n) & (SLOTS - 1);
    const v = this.views[i];
    if (this.of[i] === src && this.from[i] === from && v.length === n) return v;
    const made = src.subarray(from, from + n);
    this.of[i] = src;
    this.from[i] = from;
    this.views[i] = made;
    return made;
  }
}
