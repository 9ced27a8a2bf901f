/**
 * Fragments (page_pool_alloc_frag_netmem and the helpers.h wrappers): small
 * buffers carved from one pool page. A fresh frag page gets a large pp
 * reference bias; each frag handed out counts one user; when the next frag
 * does not fit, the page is drained: the bias minus the users is dropped,
 * and if nothing else holds it the page is reused at once.
 *
 * Memory strategy: three numbers per pool (page, offset, users); nothing is
 * allocated per frag.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import { PAGE_SIZE } from '../base/units.js';
import { setPlace } from '../netmem/ledger.js';
import { BIAS_MAX, GFP_ATOMIC } from './constants.js';
import { poolWarnOnce } from './misuse.js';
import type { PoolInternals } from './state.js';

/** A pool's current frag page and how much of it is handed out. */
export class FragCache {
  /** The current frag page (0: none). */
  page = 0;
  /** Next free byte in it. */
  offset = 0;
  /** Frags handed out from it. */
  users = 0;

  constructor(
    private readonly pool: PoolInternals,
    /** Fragment size alignment (dma_get_cache_alignment). */
    readonly align: number,
  ) {}

  /** page_pool_alloc_frag_netmem; see PagePool.allocFrag. Stats indexes are literals, checked at load by page-pool.ts. */
  alloc(size: number, gfp = GFP_ATOMIC): number {
    const pool = this.pool;
    const max = PAGE_SIZE << pool.order;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) E.expected('a frag size must be an integer ≥ 0 (bytes)', size);
    if (!(size <= max)) {
      poolWarnOnce(pool, 'frag-size', 'frag-size', `pool ${pool.id}: frag of ${size} bytes exceeds ${max}`, { value: size });
      return 0;
    }
    size = Math.ceil(size / this.align) * this.align;
    let nm = this.page;
    const offset = this.offset;
    if (nm !== 0 && offset + size > max) {
      nm = this.drain(nm);
      if (nm !== 0) {
        pool.st[6 /* S_CACHED */]++;
        pool.st[0 /* S_FAST */]++;
        return this.start(nm, size);
      }
    }
    if (nm === 0) {
      nm = pool.allocNetmems(gfp);
      if (nm === 0) {
        this.page = 0;
        return 0;
      }
      this.page = nm;
      return this.start(nm, size);
    }
    this.users++;
    this.offset = offset + size;
    pool.lastOffset = offset;
    return nm;
  }

  /** page_pool_alloc_netmem; see PagePool.allocNetmem. */
  allocNetmem(size: number | undefined, gfp = GFP_ATOMIC): number {
    const pool = this.pool;
    const max = PAGE_SIZE << pool.order;
    if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 0))
      E.expected('a buffer size must be an integer ≥ 0 (bytes; or none for a whole page)', size);
    if (size === undefined || size * 2 > max) {
      const nm = pool.allocNetmems(gfp); // first: a refused alloc leaves the out values alone
      pool.lastOffset = 0;
      pool.lastSize = max;
      return nm;
    }
    const nm = this.alloc(size, gfp);
    if (nm === 0) return 0;
    pool.lastSize = size;
    if (this.offset + size > max) {
      pool.lastSize = max - pool.lastOffset;
      this.offset = max;
    }
    return nm;
  }

  /** page_pool_alloc_va; see PagePool.allocVa. */
  allocVa(size: number, gfp = GFP_ATOMIC): number {
    const pool = this.pool;
    if (typeof size !== 'number') E.expected('allocVa needs a size: an integer ≥ 0 (bytes)', size);
    const nm = this.allocNetmem(size, gfp);
    if (nm === 0) return 0;
    if ((nm & 1) === 1) {
      pool.putNetmem(nm, -1, false);
      throw new NetmemError('EINVAL', `allocVa on pool ${pool.id}: its provider hands out net_iovs, which have no address`);
    }
    return pool.domain.pageVa(nm) + pool.lastOffset;
  }

  /** page_pool_free_frag: destroy lets go of the current frag page. */
  free(): void {
    const pool = this.pool;
    const nm = this.page;
    this.page = 0;
    if (nm === 0) return;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (pool.unref(nm, d, BIAS_MAX - this.users) !== 0) {
      setPlace(pool.placeTab, d, 3 /* Place.HANDED_OUT */);
      return;
    }
    pool.returnNetmem(nm);
  }

  private start(nm: number, size: number): number {
    const pool = this.pool;
    this.users = 1;
    this.offset = size;
    pool.lastOffset = 0;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    pool.ppRefTab[d] = BIAS_MAX;
    setPlace(pool.placeTab, d, 8 /* Place.FRAG_PAGE */);
    return nm;
  }

  /** Lets go of the current frag page: its bias minus the frags handed out; returns it when it can be reused at once. */
  private drain(nm: number): number {
    const pool = this.pool;
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (pool.unref(nm, d, BIAS_MAX - this.users) !== 0) {
      setPlace(pool.placeTab, d, 3 /* Place.HANDED_OUT */);
      return 0;
    }
    if (pool.canRecycle(nm, d)) {
      if (pool.syncDev) pool.syncForDevice(d, -1);
      return nm;
    }
    pool.returnNetmem(nm);
    return 0;
  }
}
