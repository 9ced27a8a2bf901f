/**
 * DMA-mapping tracking: how a pool finds, at destroy, the mappings of pages
 * still in flight so it can unmap them while the device is alive. The three
 * strategies of the upstream debate, side by side:
 *
 * - `xarray` (upstream fix, default): an id table; the id lives in the page's
 *   pp_magic bits; the unmapper compare-and-swaps the table slot to NULL, so
 *   exactly one of "return" and "scrub" unmaps.
 * - `item-block`: the alternative series: one 16-byte item per mapped page,
 *   carved from page-sized blocks owned by the pool (256 items a block); the
 *   page stores its item's index, the item names the page.
 * - `none`: pre-fix behaviour: nothing is tracked, scrub cannot unmap pages in
 *   flight, and their late return unmaps on a device that may be gone.
 *
 * Memory strategy: Int32Array tables grown by doubling; free ids/items on an
 * Int32Array stack; no object per mapping.
 */
import { PAGE_SIZE } from '../base/units.js';
import { PP_DMA_INDEX_LIMIT, PP_DMA_INDEX_SHIFT } from '../netmem/netmem-table.js';

/**
 * DMA-tracking strategy names.
 * @category DMA
 */
export type DmaTracking = 'xarray' | 'item-block' | 'none';

/**
 * What a pool needs from a tracking strategy.
 * @category DMA
 */
export interface DmaTracker {
  /** Strategy name. */
  readonly kind: DmaTracking;
  /** Records descriptor `d`'s new mapping (index into magic); false when no id is left. */
  track(d: number): boolean;
  /** Claims `d`'s mapping for unmapping: true exactly once per tracked mapping. */
  claim(d: number): boolean;
  /** Claims every mapping still tracked, calling `unmap(d)` for each; returns the count. */
  claimAll(unmap: (d: number) => void): number;
  /** Mappings tracked now. */
  readonly tracked: number;
  /** Bytes of bookkeeping this strategy holds now (for design comparisons). */
  memoryBytes(): number;
}

const INDEX_MASK = 0xff;

/** Where a tracker finds the magic table: the domain's table (its `magic` is replaced when it grows), or a bare array. */
type MagicSource = { readonly magic: Int32Array };

function grow(a: Int32Array, min: number): Int32Array {
  let n = a.length;
  while (n <= min) n *= 2;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/** The upstream xarray: id -> descriptor, ids from 1, reused lowest-first (LIFO here). */
class XarrayTracker implements DmaTracker {
  readonly kind = 'xarray' as const;
  tracked = 0;
  private slots: Int32Array = new Int32Array(256);
  private free: Int32Array = new Int32Array(256);
  private nFree = 0;
  private next = 1;

  constructor(private readonly tab: MagicSource) {}

  track(d: number): boolean {
    const magic = this.tab.magic;
    let id: number;
    if (this.nFree > 0) id = this.free[--this.nFree];
    else {
      if (this.next > PP_DMA_INDEX_LIMIT) return false;
      id = this.next++;
      if (id >= this.slots.length) this.slots = grow(this.slots, id);
    }
    this.slots[id] = d;
    magic[d] = (magic[d] & INDEX_MASK) | (id << PP_DMA_INDEX_SHIFT);
    this.tracked++;
    return true;
  }

  claim(d: number): boolean {
    const magic = this.tab.magic;
    const id = magic[d] >>> PP_DMA_INDEX_SHIFT;
    if (id === 0) return false;
    // The compare-and-swap: only the holder of the slot's current value unmaps.
    if (this.slots[id] !== d) return false;
    this.slots[id] = 0;
    magic[d] &= INDEX_MASK;
    if (this.nFree === this.free.length) this.free = grow(this.free, this.nFree);
    this.free[this.nFree++] = id;
    this.tracked--;
    return true;
  }

  claimAll(unmap: (d: number) => void): number {
    let n = 0;
    for (let id = 1; id < this.next; id++) {
      const d = this.slots[id];
      if (d !== 0 && this.claim(d)) {
        unmap(d);
        n++;
      }
    }
    return n;
  }

  memoryBytes(): number {
    // One pointer per id slot in use plus the tree's node overhead (~1/64).
    return Math.ceil((this.next - 1) * 8 * (1 + 1 / 64));
  }
}

/** Bytes of one item (a page pointer and a pool pointer). */
const ITEM_BYTES = 16;
/** Items per page-sized block. */
const ITEMS_PER_BLOCK = PAGE_SIZE / ITEM_BYTES;

/** The alternative series: per-page items in page-sized blocks owned by the pool. */
class ItemBlockTracker implements DmaTracker {
  readonly kind = 'item-block' as const;
  tracked = 0;
  /** items[i] = descriptor mapped through item i (0: item free). Item 0 is never used. */
  private items: Int32Array = new Int32Array(ITEMS_PER_BLOCK);
  private free: Int32Array = new Int32Array(ITEMS_PER_BLOCK);
  private nFree = 0;
  private blocks = 0;

  constructor(private readonly tab: MagicSource) {}

  track(d: number): boolean {
    if (this.nFree === 0 && !this.addBlock()) return false;
    const magic = this.tab.magic;
    const item = this.free[--this.nFree];
    this.items[item] = d;
    magic[d] = (magic[d] & INDEX_MASK) | (item << PP_DMA_INDEX_SHIFT);
    this.tracked++;
    return true;
  }

  claim(d: number): boolean {
    const magic = this.tab.magic;
    const item = magic[d] >>> PP_DMA_INDEX_SHIFT;
    if (item === 0) return false;
    if (this.items[item] !== d) return false;
    this.items[item] = 0;
    magic[d] &= INDEX_MASK;
    this.free[this.nFree++] = item;
    this.tracked--;
    return true;
  }

  claimAll(unmap: (d: number) => void): number {
    let n = 0;
    const end = this.blocks * ITEMS_PER_BLOCK;
    for (let item = 1; item < end; item++) {
      const d = this.items[item];
      if (d !== 0 && this.claim(d)) {
        unmap(d);
        n++;
      }
    }
    return n;
  }

  memoryBytes(): number {
    return this.blocks * PAGE_SIZE;
  }

  private addBlock(): boolean {
    const first = this.blocks * ITEMS_PER_BLOCK;
    const end = first + ITEMS_PER_BLOCK;
    if (end - 1 > PP_DMA_INDEX_LIMIT) return false;
    if (end > this.items.length) {
      this.items = grow(this.items, end - 1);
      this.free = grow(this.free, end - 1);
    }
    // Push in reverse so items are handed out in ascending order.
    for (let i = end - 1; i >= first; i--) if (i !== 0) this.free[this.nFree++] = i;
    this.blocks++;
    return true;
  }
}

/** Pre-fix: no tracking; every return unmaps, scrub unmaps nothing in flight. */
class NoTracker implements DmaTracker {
  readonly kind = 'none' as const;
  tracked = 0;
  track(): boolean {
    return true;
  }
  claim(): boolean {
    return true;
  }
  claimAll(): number {
    return 0;
  }
  memoryBytes(): number {
    return 0;
  }
}

/** Makes a tracker of the given kind over a domain's magic table (pass the table itself, so growth is followed). */
export function createDmaTracker(kind: DmaTracking, magic: Int32Array | MagicSource): DmaTracker {
  const tab = magic instanceof Int32Array ? { magic } : magic;
  switch (kind) {
    case 'xarray':
      return new XarrayTracker(tab);
    case 'item-block':
      return new ItemBlockTracker(tab);
    case 'none':
      return new NoTracker();
  }
}

/**
 * The strategy names, for validation and benchmarks.
 * @category DMA
 */
export const DMA_TRACKING_KINDS: readonly DmaTracking[] = ['xarray', 'item-block', 'none'];
