/**
 * The memory provider of a replay, written against `@netmem/core/provider`
 * like any provider: each slow allocation hands the pool one netmem that
 * stands for the traced page being held — a page from the domain's page
 * allocator, or a net_iov from the replay's area for a traced net_iov
 * (is_net_iov=1). One allocation per traced state_hold, so the model's hold
 * count follows the trace's. Released pages go back to the page allocator;
 * released net_iovs back to the area's freelist.
 *
 * Memory strategy: the net_iov freelist is an Int32Array stack of area
 * indexes; the area is registered over the domain's own page memory (the
 * replay never touches bytes), so it costs descriptors, not storage.
 */
import type { NetIovArea } from '@netmem/core';
import { isNetIov, mpClearPool, mpCountSlowAlloc, mpSetPool, type MemoryProviderOps } from '@netmem/core/provider';

/**
 * What the replay tells its provider before each allocation, and the net_iovs it may hand out.
 * @category Replay
 */
export class ReplaySource {
  /** The next allocation is for a traced net_iov. */
  netIov = false;
  private free: Int32Array;
  private top = 0;

  constructor(
    /** The net_iov area (null: none registered). */
    readonly area: NetIovArea | null,
  ) {
    const n = area?.count ?? 0;
    this.free = new Int32Array(n);
    for (let i = n - 1; i >= 0; i--) this.free[this.top++] = i;
  }

  /** A free net_iov, or 0 when none is left. */
  takeNiov(): number {
    if (this.area === null || this.top === 0) return 0;
    return this.area.niov(this.free[--this.top]);
  }

  /** A net_iov is back. */
  giveNiov(nm: number): void {
    const i = this.area === null ? -1 : this.area.indexOf(nm);
    if (i >= 0) this.free[this.top++] = i;
  }
}

/**
 * The replay's provider over `src`.
 * @category Replay
 */
export function replayProvider(src: ReplaySource): MemoryProviderOps {
  return {
    name: 'trace-replay',
    // The traced pools (veth's, a driver's) are page-path pools; net_iov ones need no DMA here either.
    pagePath: true,
    init() {},
    destroy() {},
    alloc(pool) {
      const nm = src.netIov ? src.takeNiov() : pool.domain.allocPages(0, pool.nid);
      if (nm === 0) return 0;
      mpSetPool(pool, nm);
      mpCountSlowAlloc(pool, false);
      return nm;
    },
    release(pool, nm) {
      if (!isNetIov(nm)) return true;
      mpClearPool(pool, nm);
      src.giveNiov(nm);
      return false;
    },
  };
}
