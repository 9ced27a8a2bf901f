/**
 * A memory domain: one simulated machine's memory. It owns the page
 * allocators (one per NUMA node), the byte storage behind every page (one
 * WebAssembly memory, shared by default), the net_iov areas providers
 * register, the metadata tables and the ownership ledger over them, the DMA
 * devices it made, the machine's clock, and the warning/leak reporting the
 * kernel does with pr_warn/WARN. It knows nothing of page pools: their
 * registry lives in the pool layer, keyed by domain.
 */
import { EventEmitter } from 'eventemitter3';
import type { Clock } from '../base/clock.js';
import { NetmemError, show } from '../base/errors.js';
import { PAGE_SIZE } from '../base/units.js';
import { E } from '../base/validate.js';
import { ByteStorage } from '../bytes/storage.js';
import { DmaDevice } from '../dma/device.js';
import type { DmaDeviceOptions } from '../dma/device-types.js';
import { storageRegion, type MemRegion } from '../dma/region.js';
import type { NetIovArea, NetIovOwner, NetIovType } from './area.js';
import { NetIovAreas } from './areas.js';
import { checkDeviceArgs, checkFaultInjection, domainSettings } from './domain-options.js';
import type { DomainMetadataUsage, FaultInjection, MemoryDomainEvents, MemoryDomainOptions, NetmemWarning, WarningFacts } from './domain-types.js';
import { descOf, genOf, GEN_MASK, isNetIov, makeHandle } from './handle.js';
import { Ledger, Place } from './ledger.js';
import { DESC_BYTES, NetmemTable, NM_UNREADABLE, PP_SIGNATURE } from './netmem-table.js';
import { MAX_PAGE_ORDER } from './page-allocator.js';
import { markNodes, PageFrames } from './page-frames.js';
import { NetmemViews } from './views.js';

/** Domains made so far: a checked domain's generations start at its own seed (handles of another domain read as stale). */
let domainsMade = 0;

/**
 * One simulated machine's memory: pages, net_iov areas, metadata, devices.
 * Every method checks its arguments before it changes anything; a handle
 * must be of the right kind and in this domain's descriptor range (and, in
 * checked mode, of the current generation).
 *
 * @example
 * ```ts
 * import { MemoryDomain } from '@netmem/core';
 *
 * const domain = new MemoryDomain({ pages: 1024, checked: true });
 * const page = domain.allocPages(0);   // a page handle, 0 when out of memory
 * domain.bytes(page)[0] = 42;
 * domain.putPage(page);
 * ```
 * @category Memory
 */
export class MemoryDomain extends EventEmitter<MemoryDomainEvents> {
  /** @internal Per-netmem metadata (struct netmem_desc as typed arrays); layers above read it through their own APIs. */
  readonly table: NetmemTable;
  /** The ownership ledger: where each pool netmem is (the finer places in checked mode). */
  readonly ledger: Ledger;
  /** The region holding every page's bytes. */
  readonly pageRegion: MemRegion;
  /** The page bytes' storage (WebAssembly memory: memmove-speed copies inside it, word-aligned ones across its edge). */
  readonly storage: ByteStorage;
  /** Total page frames. */
  readonly pages: number;
  /** Checked mode (see options). */
  readonly checked: boolean;
  /** Time source for deferred work. */
  readonly clock: Clock;
  /** NUMA node the current context runs on (what `nid: -1` means). */
  currentNode = 0;
  /** Pool pages freed while still marked (the "page_pool leak" reports). */
  leaks = 0;

  private readonly frames: PageFrames;
  private readonly views: NetmemViews;
  private readonly areas: NetIovAreas;
  private readonly onWarn: ((w: NetmemWarning) => void) | false;
  private readonly warnedOnce = new Set<string>();
  private readonly devices = new WeakSet<DmaDevice>();
  /** Fault injection shared with the domain's devices (they read `dmaMapEvery` on each map). */
  private readonly injection = { dmaMapEvery: 0 };

  constructor(opts: MemoryDomainOptions = {}) {
    super();
    const { pages, netIovs, nodes, shared, checked, clock, onWarn } = domainSettings(opts);
    this.pages = pages;
    this.checked = checked;
    this.clock = clock;
    this.onWarn = onWarn;
    const seed = (domainsMade++ * 97 + 1) & GEN_MASK;
    // Descriptors come into the table as it grows: a page gets its node; in checked mode each domain's
    // generations start elsewhere, so a handle of another domain reads as stale.
    this.table = new NetmemTable(1 + pages + netIovs, (t, from, to) => {
      if (this.checked) t.gen.fill(seed, Math.max(from, 1), to);
      markNodes(t, from, to, pages, nodes);
    });
    this.ledger = new Ledger(this.table, this.checked);
    this.storage = new ByteStorage(pages * PAGE_SIZE, shared);
    this.pageRegion = storageRegion('pages', this.storage);
    this.areas = new NetIovAreas(this.table, 1 + pages, netIovs, (d) => this.retireDesc(d));
    this.views = new NetmemViews(
      this.table,
      this.storage,
      this.areas,
      pages,
      (nm, what) => this.checkHandle(nm, what),
      this.checked ? (nm) => this.checkStale(nm) : null,
    );
    this.frames = new PageFrames(this.table, pages, nodes);
  }

  // ---- handles -------------------------------------------------------------

  /**
   * Throws EINVAL unless `nm` is a handle of this domain: an integer, not
   * NULL, its kind bit agreeing with its descriptor (pages 1..pages, net_iovs
   * above). In checked mode a handle of an older generation is ESTALE.
   */
  checkHandle(nm: number, what: string): void {
    const d = (nm >>> 1) & 0xfffff;
    if (typeof nm !== 'number' || (nm | 0) !== nm || nm <= 0 || nm >= 0x40000000 || d >= this.table.limit || ((nm & 1) === 1) !== d > this.pages) {
      throw new NetmemError('EINVAL', `${what}: expected a netmem handle of this domain, got ${show(nm)}`);
    }
    this.table.ensure(d); // a descriptor never used reads as such from here on
    if (this.checked) this.checkStale(nm);
  }

  /** Checked mode: throws ESTALE when the handle's generation is not current. */
  checkStale(nm: number): void {
    if (genOf(nm) !== this.table.gen[descOf(nm)]) {
      throw new NetmemError('ESTALE', `stale netmem handle ${nm}: its buffer was freed and reused (or it is another domain's)`);
    }
  }

  /** A live (head) page: the handle checks, then allocated and not the tail of a compound page. */
  private checkPage(nm: number, op: string): void {
    this.checkHandle(nm, op);
    if (isNetIov(nm)) throw new NetmemError('EINVAL', `${op}: expected a page, got net_iov ${nm}`);
    const d = descOf(nm);
    if (this.table.pageRef[d] <= 0) throw new NetmemError('EINVAL', `${op}: page ${nm} is free`);
    if (this.table.tail[d] !== 0) throw new NetmemError('EINVAL', `${op}: page ${nm} is a tail page of compound page ${this.frames.headOf(d) << 1}`);
  }

  // ---- pages -------------------------------------------------------------

  /** Number of NUMA nodes. */
  get numaNodes(): number {
    return this.frames.nodeCount;
  }

  /** Free page frames, all nodes. */
  get freePages(): number {
    return this.frames.freeFrames;
  }

  /** What the domain's metadata costs now: it grows with the pages and net_iovs used, not with the domain's size. */
  metadataUsage(): DomainMetadataUsage {
    const t = this.table;
    return {
      descriptors: t.capacity,
      limit: t.limit,
      bytesPerDescriptor: DESC_BYTES,
      tableBytes: t.bytes,
      allocatorBytes: this.frames.bytes,
      viewSlots: this.views.slots,
    };
  }

  /**
   * Allocates a (compound) page of 2^order frames with refcount 1, preferring
   * node `nid` (-1: the current node) and falling back to the others.
   * Returns its handle, or 0 when memory is exhausted or a fault is injected.
   */
  allocPages(order: number, nid = -1): number {
    if ((order | 0) !== order || order < 0 || order > MAX_PAGE_ORDER) E.expected(`page order must be an integer 0..${MAX_PAGE_ORDER}`, order);
    if ((nid | 0) !== nid || nid < -1 || nid >= this.frames.nodeCount) E.expected(`nid must be -1 or a node 0..${this.frames.nodeCount - 1}`, nid);
    return this.allocFrames(order, nid);
  }

  private allocFrames(order: number, nid: number): number {
    const d = this.frames.alloc(order, nid < 0 ? this.currentNode : nid);
    return d === 0 ? 0 : makeHandle(d, false, this.table.gen[d]);
  }

  /**
   * Bulk order-0 allocation (alloc_pages_bulk_node): fills `out` from index
   * `at` with up to `count` page handles; returns how many it got.
   */
  allocPagesBulk(nid: number, count: number, out: Int32Array, at = 0): number {
    if ((nid | 0) !== nid || nid < -1 || nid >= this.frames.nodeCount) E.expected(`nid must be -1 or a node 0..${this.frames.nodeCount - 1}`, nid);
    if (!(out instanceof Int32Array)) E.expected('allocPagesBulk fills an Int32Array', out);
    E.int(at, 'at', 0, out.length);
    E.int(count, 'count', 0, out.length - at);
    let got = 0;
    while (got < count) {
      const nm = this.allocFrames(0, nid);
      if (nm === 0) break;
      out[at + got++] = nm;
    }
    return got;
  }

  /** get_page: takes a page reference. */
  getPage(nm: number): void {
    this.checkPage(nm, 'get_page');
    const t = this.table;
    const d = descOf(nm);
    if (t.pageRef[d] >= 0x7fffffff) E.fail('EINVAL', `get_page: page ${nm} refcount would overflow`);
    t.pageRef[d]++;
  }

  /** put_page: drops a page reference; the last one frees the page. */
  putPage(nm: number): void {
    this.checkPage(nm, 'put_page');
    const t = this.table;
    const d = descOf(nm);
    if (--t.pageRef[d] === 0) this.freePage(d);
  }

  /** get_netmem: a page reference, or for a net_iov whatever its owner takes. */
  getNetmem(nm: number): void {
    if (!isNetIov(nm)) return this.getPage(nm);
    this.checkHandle(nm, 'get_netmem');
    (this.areas.of(nm)?.owner as NetIovOwner | null | undefined)?.netIovGet?.(nm);
  }

  /** put_netmem: drops what {@link getNetmem} took. */
  putNetmem(nm: number): void {
    if (!isNetIov(nm)) return this.putPage(nm);
    this.checkHandle(nm, 'put_netmem');
    (this.areas.of(nm)?.owner as NetIovOwner | null | undefined)?.netIovPut?.(nm);
  }

  /** True when the netmem is marked as a pool netmem (netmem_is_pp). Readers answer for any number; garbage in, false out. */
  isPp(nm: number): boolean {
    return (this.table.magic[descOf(nm)] & 0xff) === PP_SIGNATURE;
  }

  /** The id of the pool a pool netmem names (netmem_desc.pp; 0 when none). The pool layer resolves it. */
  ppIdOf(nm: number): number {
    return this.table.pp[descOf(nm)] ?? 0; // past the table: never used
  }

  /** The id of the area a net_iov belongs to (0 for a page or a net_iov of no area). */
  areaIdOf(nm: number): number {
    return isNetIov(nm) ? (this.table.area[descOf(nm)] ?? 0) : 0;
  }

  /** The page frame number of a page (what the page_pool tracepoints print as pfn); 0 for a net_iov. */
  pfnOf(nm: number): number {
    return isNetIov(nm) ? 0 : descOf(nm) - 1;
  }

  /** Whether the CPU may read `nm` (false for a dmabuf net_iov: device memory). */
  isReadable(nm: number): boolean {
    return (this.table.flags[descOf(nm)] & NM_UNREADABLE) === 0;
  }

  /** Page refcount (1 for a net_iov). */
  pageRefCount(nm: number): number {
    return isNetIov(nm) ? 1 : (this.table.pageRef[descOf(nm)] ?? 0);
  }

  /** NUMA node of a netmem (net_iovs report the current node: they always match). */
  nidOf(nm: number): number {
    if (isNetIov(nm)) return this.currentNode;
    const pfn = descOf(nm) - 1;
    return this.table.nid[pfn + 1] ?? this.frames.nodeOf(pfn); // past the table: never used
  }

  /** Marks or clears a page as allocated under memory pressure (pfmemalloc). */
  setPfmemalloc(nm: number, on: boolean): void {
    this.checkPage(nm, 'setPfmemalloc');
    E.bool(on, 'pfmemalloc');
    const t = this.table;
    const d = descOf(nm);
    t.flags[d] = on ? t.flags[d] | 1 : t.flags[d] & ~1;
  }

  /**
   * Virtual address of a page's first byte (page_address): (pfn + 1) ×
   * PAGE_SIZE, so no page sits at address 0 and 0 stays the failure value
   * of {@link PagePool.allocVa}, as NULL is in the kernel. The page's bytes
   * are at `va - PAGE_SIZE` in {@link pageRegion}.
   */
  pageVa(nm: number): number {
    this.checkPage(nm, 'page_address');
    return descOf(nm) * PAGE_SIZE;
  }

  /** virt_to_head_page: the handle of the (compound) page containing `va`. */
  vaToNetmem(va: number): number {
    const pfn = Math.floor(va / PAGE_SIZE) - 1;
    if (typeof va !== 'number' || !Number.isInteger(va) || !(pfn >= 0 && pfn < this.pages))
      E.expected(`an address of page memory (0x1000..0x${((this.pages + 1) * PAGE_SIZE - 1).toString(16)})`, va, 'EFAULT');
    const t = this.table;
    let d = pfn + 1;
    t.ensure(d);
    if (t.tail[d] !== 0) d = this.frames.headOf(d);
    return makeHandle(d, false, t.gen[d]);
  }

  private freePage(d: number): void {
    const t = this.table;
    if ((t.magic[d] & 0xff) === PP_SIGNATURE) {
      const poolId = t.pp[d];
      this.leaks++;
      const nm = makeHandle(d, false, t.gen[d]);
      this.emit('leak', { netmem: nm, poolId });
      this.warn('page-pool-leak', `page_pool leak: page ${nm} freed while still owned by pool ${poolId}`, poolId);
      t.magic[d] = 0;
      t.pp[d] = 0;
      t.ppRef[d] = 0;
    }
    this.retireDesc(d);
    this.frames.release(d);
  }

  /** A descriptor's buffer is gone: clear its state and bump its generation so old handles read as stale. */
  private retireDesc(d: number): void {
    const t = this.table;
    t.flags[d] = 0;
    if (t.dma[d] !== 0) t.setDma(d, 0); // the pool cleared it already when it unmapped
    t.place[d] = Place.NONE;
    t.gen[d] = (t.gen[d] + 1) & GEN_MASK;
    this.views.forget(d);
  }

  // ---- bytes -------------------------------------------------------------

  /**
   * A Uint8Array over the buffer's bytes, cached per netmem (no allocation
   * after the first call). A dmabuf net_iov is unreadable: EFAULT.
   */
  bytes(nm: number): Uint8Array {
    return this.views.bytes(nm);
  }

  /**
   * Copies `n` bytes at offset `off` of `nm` into `dst` at `at`: a page
   * through the storage (a memmove when `dst` is domain memory too), a
   * net_iov through its area. EFAULT for unreadable (dmabuf) memory.
   */
  readNetmem(nm: number, off: number, dst: Uint8Array, at: number, n: number): void {
    this.checkHandle(nm, 'readNetmem');
    if (!isNetIov(nm) && this.table.pageRef[descOf(nm)] <= 0) E.fail('EFAULT', `readNetmem: page ${nm} is free`);
    if (!(dst instanceof Uint8Array)) E.expected('readNetmem copies into a Uint8Array', dst);
    const size = isNetIov(nm) ? PAGE_SIZE : PAGE_SIZE << this.table.order[descOf(nm)];
    E.int(off, 'offset', 0, size);
    E.int(n, 'length', 0, size - off);
    E.int(at, 'destination offset', 0, dst.length - n);
    this.views.read(nm, off, dst, at, n);
  }

  /** @internal readNetmem for callers inside core that pass checked values (the skb copy path). */
  copyOut(nm: number, off: number, dst: Uint8Array, at: number, n: number): void {
    this.views.read(nm, off, dst, at, n);
  }

  // ---- net_iov areas ------------------------------------------------------

  /**
   * Registers `count` net_iovs over `region` starting at `offset` (a
   * provider's area). Their descriptors get page refcount 1 and no pool.
   */
  createArea(type: NetIovType, count: number, region: MemRegion, offset: number, readable: boolean, owner: unknown = null): NetIovArea {
    return this.areas.create(type, count, region, offset, readable, owner);
  }

  /** Removes an area; none of its net_iovs may still belong to a pool (EBUSY). Removing it twice does nothing. */
  destroyArea(area: NetIovArea): void {
    this.areas.destroy(area);
  }

  /** The area a net_iov belongs to. */
  areaOf(nm: number): NetIovArea | undefined {
    return this.areas.of(nm);
  }

  // ---- devices -----------------------------------------------------------

  /** Creates a DMA device behind this domain's IOMMU model. */
  createDevice(name: string, opts: DmaDeviceOptions = {}): DmaDevice {
    checkDeviceArgs(name, opts);
    const dev = new DmaDevice(name, opts, this.injection);
    this.devices.add(dev);
    return dev;
  }

  /** True when `dev` was made by this domain's {@link createDevice} (its IOMMU sees this domain's memory). */
  ownsDevice(dev: DmaDevice): boolean {
    return this.devices.has(dev);
  }

  /** Sets fault injection for page allocations and DMA maps (0 turns one off). */
  injectFaults(f: FaultInjection): void {
    checkFaultInjection(f);
    if (f.pageAllocEvery !== undefined) this.frames.failAllocEvery(f.pageAllocEvery);
    if (f.dmaMapEvery !== undefined) this.injection.dmaMapEvery = f.dmaMapEvery;
  }

  // ---- warnings ----------------------------------------------------------

  /** Reports a warning (pr_warn) with its facts (a number is taken as the pool id). */
  warn(kind: string, message: string, facts?: number | WarningFacts): void {
    const w: NetmemWarning = typeof facts === 'number' ? { kind, message, poolId: facts } : { kind, message, ...facts };
    this.emit('warn', w);
    if (this.onWarn) this.onWarn(w);
  }

  /** Reports a warning only the first time `key` is seen (WARN_ONCE); keys are domain-wide, so keep them few (a pool's own go with the pool). */
  warnOnce(key: string, kind: string, message: string, facts?: number | WarningFacts): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    this.warn(kind, message, facts);
  }
}

export { MAX_PAGE_ORDER, PAGE_SIZE };
export type { DomainMetadataUsage, FaultInjection, LeakReport, MemoryDomainEvents, MemoryDomainOptions, NetmemWarning, WarningFacts } from './domain-types.js';
