/**
 * A hash map from integer-valued numbers (up to 2^53 in magnitude, negative
 * allowed) to int32 values: the page tables of the reconstruction (pfn →
 * slot, pfn → hold count, pfn → last pool).
 *
 * Memory strategy: open addressing with linear probing over a Float64Array
 * of keys and an Int32Array of values, 16 bytes a slot, kept at most half
 * full; deletion shifts the following entries back, so there are no
 * tombstones and lookups stay short. Nothing is allocated per operation;
 * the arrays double when the map fills.
 */

const EMPTY = Number.NaN;

/**
 * Integer keys → int32 values; `get` answers {@link MISSING} for an absent key.
 * @category Reconstruction
 */
export class NumberMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Float64Array(n).fill(EMPTY);
    this.vals = new Int32Array(n);
    this.mask = n - 1;
  }

  /** Entries. */
  get size(): number {
    return this.count;
  }

  /** The value of `key`, or {@link MISSING}. */
  get(key: number): number {
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const k = keys[i];
      if (k === key) return this.vals[i];
      if (Number.isNaN(k)) return MISSING; // NaN: empty slot
      i = (i + 1) & this.mask;
    }
  }

  /** Sets `key` to `value`. */
  set(key: number, value: number): void {
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const k = keys[i];
      if (k === key) {
        this.vals[i] = value;
        return;
      }
      if (Number.isNaN(k)) break;
      i = (i + 1) & this.mask;
    }
    keys[i] = key;
    this.vals[i] = value;
    if (++this.count * 2 > keys.length) this.grow();
  }

  /** Removes `key`; returns its value, or {@link MISSING}. */
  delete(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = hash(key) & mask;
    for (;;) {
      const k = keys[i];
      if (k === key) break;
      if (Number.isNaN(k)) return MISSING;
      i = (i + 1) & mask;
    }
    const out = vals[i];
    // Backward-shift deletion: move later entries of the probe run into the hole.
    let hole = i;
    let j = (i + 1) & mask;
    for (;;) {
      const k = keys[j];
      if (Number.isNaN(k)) break;
      const home = hash(k) & mask;
      // Move k when its home is not in (hole, j] (cyclically).
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = k;
        vals[hole] = vals[j];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    keys[hole] = EMPTY;
    this.count--;
    return out;
  }

  /** Calls `fn` for every entry (order unspecified). */
  forEach(fn: (key: number, value: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (!Number.isNaN(k)) fn(k, this.vals[i]);
    }
  }

  /** Removes every entry (keeps the capacity). */
  clear(): void {
    this.keys.fill(EMPTY);
    this.count = 0;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const n = oldK.length * 2;
    this.keys = new Float64Array(n).fill(EMPTY);
    this.vals = new Int32Array(n);
    this.mask = n - 1;
    this.count = 0;
    for (let i = 0; i < oldK.length; i++) {
      const k = oldK[i];
      if (!Number.isNaN(k)) this.set(k, oldV[i]);
    }
  }
}

/**
 * What {@link NumberMap.get} answers for an absent key.
 * @category Reconstruction
 */
export const MISSING = -0x80000000;

/** Mixes an integer-valued number's low and high 32 bits. */
function hash(key: number): number {
  const lo = key | 0;
  const hi = (key / 4294967296) | 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 15;
  return h;
}
