/**
 * Byte access to netmems: cached Uint8Array views (one per descriptor,
 * made on first use, dropped when the buffer is retired) and copies out of
 * a netmem (a page through the storage, a net_iov through its view).
 *
 * Memory strategy: one array slot per descriptor up to the highest one ever
 * viewed (the array grows by doubling when a view is made past its end);
 * nothing is allocated per call once a buffer's view exists.
 */
import { NetmemError } from '../base/errors.js';
import { NET_IOV_SIZE, PAGE_SIZE } from '../base/units.js';
import { ByteCopier } from '../bytes/copy.js';
import type { ByteStorage } from '../bytes/storage.js';
import type { NetIovAreas } from './areas.js';
import { NM_UNREADABLE, type NetmemTable } from './netmem-table.js';

/** The views and copies of one domain. */
export class NetmemViews {
  private views: (Uint8Array | undefined)[] = new Array(64);
  /** Copies out of net_iov memory (page bytes go through the storage). */
  private readonly copier = new ByteCopier();

  constructor(
    private readonly table: NetmemTable,
    private readonly storage: ByteStorage,
    private readonly areas: NetIovAreas,
    /** Last page descriptor: descriptors above it are net_iovs. */
    private readonly lastPage: number,
    /** Checks a handle the way the domain does (kind, range, stale in checked mode). */
    private readonly check: (nm: number, what: string) => void,
    /** Checked mode: the stale-handle check on every access. */
    private readonly stale: ((nm: number) => void) | null,
  ) {}

  /** Slots of the view cache now (one per descriptor up to the highest one viewed). */
  get slots(): number {
    return this.views.length;
  }

  /** See MemoryDomain.bytes. */
  bytes(nm: number): Uint8Array {
    const d = (nm >>> 1) & 0xfffff;
    const v = this.views[d];
    // A cached view still needs a real handle: an int32 > 0 whose kind bit agrees with the descriptor range (`niov ^ 1` is no page).
    if (v !== undefined && (nm | 0) === nm && nm > 0 && (nm & 1) === (d > this.lastPage ? 1 : 0) && nm < 0x40000000) {
      if (this.stale !== null) this.stale(nm);
      return v;
    }
    return this.make(nm, d);
  }

  private make(nm: number, d: number): Uint8Array {
    this.check(nm, 'bytes');
    const t = this.table;
    let v: Uint8Array;
    if ((nm & 1) === 1) {
      const area = this.areas.get(t.area[d]);
      if (area === undefined) throw new NetmemError('EINVAL', `bytes(): net_iov ${nm} belongs to no area`);
      if ((t.flags[d] & NM_UNREADABLE) !== 0) throw new NetmemError('EFAULT', `bytes(): net_iov ${nm} is unreadable device memory (dmabuf)`);
      v = new Uint8Array(area.region.buffer, area.region.u8.byteOffset + area.byteOffset(d - area.baseDesc), NET_IOV_SIZE);
    } else {
      if (t.pageRef[d] <= 0) throw new NetmemError('EFAULT', `bytes(): page ${nm} is free`);
      v = new Uint8Array(this.storage.buffer, (d - 1) * PAGE_SIZE, PAGE_SIZE << t.order[d]);
    }
    if (d >= this.views.length) this.growViews(d);
    this.views[d] = v;
    return v;
  }

  /** A fresh holey array (a write far past the end would turn the old one into a dictionary). */
  private growViews(d: number): void {
    const old = this.views;
    const next: (Uint8Array | undefined)[] = new Array(Math.min(this.table.limit, Math.max(d + 1, old.length * 2)));
    for (let i = 0; i < old.length; i++) if (old[i] !== undefined) next[i] = old[i];
    this.views = next;
  }

  /**
   * Copies `n` bytes at offset `off` of `nm` into `dst` at `at` (callers
   * inside core pass checked values; MemoryDomain.readNetmem checks first).
   */
  read(nm: number, off: number, dst: Uint8Array, at: number, n: number): void {
    if ((nm & 1) === 0) {
      if (this.stale !== null) this.stale(nm);
      this.storage.copyOut((((nm >>> 1) & 0xfffff) - 1) * PAGE_SIZE + off, dst, at, n); // a page's VA is its storage offset
      return;
    }
    this.copier.between(dst, at, this.bytes(nm), off, n);
  }

  /** The buffer of descriptor `d` is gone: forget its view. */
  forget(d: number): void {
    if (d < this.views.length) this.views[d] = undefined;
  }
}
