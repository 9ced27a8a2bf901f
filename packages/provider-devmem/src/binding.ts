/**
 * A dmabuf binding (struct net_devmem_dmabuf_binding): a dmabuf mapped for
 * one DMA device, one net_iov area per scatter segment (the gen_pool chunks,
 * DMA address of every net_iov preset), a chunk allocator, the rx queues it
 * is installed on, and a reference count.
 *
 * Who holds a reference: the control socket that bound it (until unbind),
 * every page pool using it (init → destroy), and every page-style reference
 * to one of its net_iovs (get_netmem on an skb frag). The last put frees it:
 * a net_iov still out then is a reported leak; the mappings are undone while
 * the device is still there. When the netdev unregisters, each bound queue is
 * uninstalled; once none is left the binding forgets the device, unmapping
 * at that moment so no DMA-API call can reach it later.
 */
import { DMA_FROM_DEVICE, NetDevice, type DmaDevice, type Dmabuf, type MemoryDomain } from '@netmem/core';
import {
  NET_IOV_SIZE,
  mpCloseRxq,
  mpOpenRxq,
  mpSetDmaAddr,
  type MemoryProviderOps,
  type NetIovArea,
  type NetIovOwner,
  type ProviderRxQueue,
} from '@netmem/core/provider';
import { checkBindingArgs, domainArg, fnArg, isHandle, type BindingOptions } from './args.js';
import { ChunkAllocator } from './chunk-allocator.js';
import { E, errnoFacts } from './errors.js';
import { dmabufProvider, type DmabufProviderBinding } from './provider.js';
import { DomainIdTable } from './registry.js';

/** The live bindings of every domain (net_devmem_dmabuf_bindings). */
const bindings = new DomainIdTable<DmabufBinding>();

/**
 * A dmabuf bound for rx on one device: chunks, allocator, queues, references.
 * @category Binding
 */
export class DmabufBinding implements NetIovOwner, DmabufProviderBinding {
  /** Binding id (≥ 1): the `dmabuf` field of pool and queue info, and of every dmabuf cmsg. */
  readonly id: number;
  /** The provider ops installed on bound queues (one object per binding). */
  readonly provider: MemoryProviderOps;
  /** The chunk allocator (gen_pool). */
  readonly chunks: ChunkAllocator;
  /** One area per scatter segment. */
  readonly areas: readonly NetIovArea[];
  /** References held (control socket, pools, net_iov references). */
  refs = 1;
  /** Net_iovs still out when the binding was freed (a leak report each time). */
  leaked = 0;
  /** Net_iovs handed to pools so far. */
  allocs = 0;
  /** The DMA device; null once the binding forgot it (netdev unregistered). */
  dev: DmaDevice | null;
  /** The netdev; null for a bare binding or once forgotten. */
  netdev: NetDevice | null;

  private readonly iovas: number[];
  private readonly firstAreaId: number;
  /** Byte offset in the dmabuf of each chunk's first net_iov. */
  private readonly chunkOffset: Float64Array;
  private readonly handles: Int32Array;
  private readonly bound: ProviderRxQueue[] = [];
  private unbound = false;
  private freed = false;
  private readonly freedHooks: (() => void)[] = [];

  /** @internal Use {@link createBinding}. */
  constructor(
    /** The domain whose descriptors the net_iovs use. */
    readonly domain: MemoryDomain,
    dev: DmaDevice,
    /** The dmabuf. */
    readonly dmabuf: Dmabuf,
    opts: BindingOptions,
  ) {
    checkBindingArgs(domain, dev, dmabuf, opts);
    this.dev = dev;
    this.netdev = opts.netdev ?? null;
    const segs = dmabuf.segments;
    const pages = segs.map((s) => s.length / NET_IOV_SIZE);
    // dma_buf_map_attachment: one mapping per scatter segment. A failure at
    // any step (a map error, the device going away, no descriptor space)
    // undoes the steps before it; a removed device gets no DMA-API call.
    const iovas: number[] = [];
    const undoMaps = (): void => {
      if (!dev.removed) for (const v of iovas) dev.unmap(v, DMA_FROM_DEVICE);
    };
    for (let c = 0; c < segs.length; c++) {
      if (dev.removed) {
        undoMaps();
        E.fail('ENODEV', `mapping ${dmabuf.name} segment ${c} for ${dev.name}: expected a present device, got one that was removed`);
      }
      let iova: number;
      try {
        iova = dev.map(dmabuf.region, segs[c].offset, segs[c].length, DMA_FROM_DEVICE);
      } catch (e) {
        undoMaps();
        throw e;
      }
      if (iova === 0) {
        undoMaps();
        if (dev.removed) E.fail('ENODEV', `mapping ${dmabuf.name} segment ${c} for ${dev.name}: expected a present device, got one that was removed`);
        E.fail('ENOMEM', `mapping ${dmabuf.name} segment ${c} (${segs[c].length} bytes at ${segs[c].offset}) for ${dev.name}: expected an IOVA, got none`);
      }
      iovas.push(iova);
    }
    const areas: NetIovArea[] = [];
    try {
      for (let c = 0; c < segs.length; c++) areas.push(domain.createArea('dmabuf', pages[c], dmabuf.region, segs[c].offset, false, this));
    } catch (e) {
      for (const a of areas) domain.destroyArea(a);
      undoMaps();
      throw e;
    }
    this.iovas = iovas;
    this.areas = areas;
    this.firstAreaId = areas[0].id;
    this.chunkOffset = new Float64Array(segs.map((s) => s.offset));
    this.chunks = new ChunkAllocator(pages);
    this.handles = new Int32Array(this.chunks.total);
    for (let c = 0; c < areas.length; c++) {
      const a = areas[c];
      const s = this.chunks.chunkStart(c);
      for (let i = 0; i < a.count; i++) {
        const nm = a.niov(i);
        this.handles[s + i] = nm;
        mpSetDmaAddr(domain, nm, iovas[c] + i * NET_IOV_SIZE);
      }
    }
    this.provider = dmabufProvider(this);
    this.id = bindings.list(domain, this);
  }

  // ---- net_iovs ----------------------------------------------------------

  /** Total net_iovs. */
  get size(): number {
    return this.chunks.total;
  }

  /** The chunk (scatter segment) `nm` belongs to; -1 when it is not one of this binding's net_iovs. */
  private chunkOf(nm: number): number {
    const areaId = this.domain.areaIdOf(nm);
    const c = areaId - this.firstAreaId;
    return c >= 0 && c < this.areas.length && this.areas[c].id === areaId ? c : -1;
  }

  /** Index (over all chunks) of one of this binding's net_iovs; -1 if it is not one (or not a handle at all). */
  indexOf(nm: number): number {
    if (!isHandle(nm)) return -1;
    const c = this.chunkOf(nm);
    if (c < 0) return -1;
    const i = this.areas[c].indexOf(nm);
    return i < 0 ? -1 : this.chunks.chunkStart(c) + i;
  }

  /** Handle of net_iov `idx` (an integer 0..size-1, EINVAL otherwise). */
  netIov(idx: number): number {
    if (typeof idx !== 'number' || idx >>> 0 !== idx || idx >= this.handles.length)
      E.expected(`a net_iov index of binding ${this.id} must be an integer 0..${this.handles.length - 1}`, idx);
    return this.handles[idx];
  }

  /** Byte offset in the dmabuf of net_iov `nm` (net_iov_virtual_addr); EINVAL when `nm` is not one of this binding's. */
  virtualAddr(nm: number): number {
    const c = this.domain.areaIdOf(nm) - this.firstAreaId;
    const i = c >= 0 && c < this.areas.length ? this.areas[c].indexOf(nm) : -1;
    if (i < 0) this.notOurs('virtualAddr', nm);
    return this.chunkOffset[c] + i * NET_IOV_SIZE;
  }

  /** @internal {@link virtualAddr} for the receive path, whose netmem is known to be ours (its area's owner is this binding): no check. */
  offsetOf(nm: number): number {
    const c = this.domain.areaIdOf(nm) - this.firstAreaId;
    return this.chunkOffset[c] + this.areas[c].indexOf(nm) * NET_IOV_SIZE;
  }

  /** The error for a netmem that is not one of ours (out of line: keeps the per-frag callers small). */
  private notOurs(what: string, nm: unknown): never {
    return E.expected(`${what} needs a net_iov of binding ${this.id}`, nm);
  }

  /**
   * net_devmem_alloc_dmabuf: takes one page-sized chunk; 0 when every chunk
   * is exhausted. The caller owns it until {@link freeNetIov}.
   */
  allocNetIov(): number {
    const idx = this.chunks.alloc();
    if (idx < 0) return 0;
    this.allocs++;
    return this.handles[idx];
  }

  /** net_devmem_free_dmabuf: gives a chunk back. */
  freeNetIov(nm: number): void {
    const c = isHandle(nm) ? this.chunkOf(nm) : -1;
    const i = c < 0 ? -1 : this.areas[c].indexOf(nm);
    if (i < 0) E.fail('EINVAL', `freeNetIov expects a net_iov of binding ${this.id}, got netmem ${nm}`);
    this.chunks.release(c, this.chunks.chunkStart(c) + i);
  }

  // ---- references --------------------------------------------------------

  /** net_devmem_dmabuf_binding_get. */
  get(): void {
    if (this.freed) E.fail('EINVAL', `a reference needs a live binding, got binding ${this.id}, which is freed`);
    this.refs++;
  }

  /** net_devmem_dmabuf_binding_put: the last reference frees the binding. */
  put(): void {
    if (this.refs <= 0) E.fail('EINVAL', `binding ${this.id} reference underflow: expected a reference to drop, got refs ${this.refs}`);
    if (--this.refs === 0) this.free();
  }

  /** NetIovOwner: a page-style reference to one of our net_iovs holds the binding. */
  netIovGet(): void {
    this.get();
  }

  /** NetIovOwner: drops what {@link netIovGet} took. */
  netIovPut(): void {
    this.put();
  }

  /** True once freed (every reference gone). */
  get isFreed(): boolean {
    return this.freed;
  }

  /** True once unbound (the control socket let go). */
  get isUnbound(): boolean {
    return this.unbound;
  }

  /** Rx queues the binding is installed on. */
  get boundQueues(): readonly ProviderRxQueue[] {
    return this.bound;
  }

  /** Live IOMMU mappings the binding holds. */
  get mappings(): number {
    let n = 0;
    for (const v of this.iovas) if (v !== 0) n++;
    return n;
  }

  /** Runs `fn` once the binding is freed (at once if it already is). */
  onFreed(fn: () => void): void {
    fnArg(fn, 'onFreed');
    if (this.freed) fn();
    else this.freedHooks.push(fn);
  }

  // ---- queues ------------------------------------------------------------

  /** net_devmem_bind_dmabuf_to_queue: installs the provider on rx queue `idx` (mpOpenRxq's errors). */
  bindQueue(netdev: NetDevice, idx: number): void {
    if (!(netdev instanceof NetDevice)) E.expected('bindQueue needs a NetDevice', netdev);
    if (this.unbound || this.freed) E.fail('EINVAL', `bindQueue needs a bound binding, got binding ${this.id}, which is ${this.freed ? 'freed' : 'unbound'}`);
    if (this.netdev !== null && this.netdev !== netdev) {
      E.fail('EINVAL', `binding ${this.id} serves ${this.netdev.name}: expected that netdev, got ${netdev.name}`);
    }
    if (this.dev === null || netdev.dev !== this.dev) {
      E.fail(
        'EINVAL',
        `binding ${this.id} is mapped for ${this.dev?.name ?? 'no device (forgotten)'}: expected a netdev on that DMA device, got ${netdev.name} on ${netdev.dev?.name ?? 'none'}`,
      );
    }
    mpOpenRxq(netdev, idx, this.provider);
    this.netdev = netdev;
    this.bound.push(netdev.rxQueues[idx]);
  }

  /**
   * net_devmem_unbind_dmabuf: the id stops resolving, every bound queue is
   * closed (restarted on normal pages), and the control socket's reference
   * is dropped.
   */
  unbind(): void {
    if (this.unbound) E.fail('EINVAL', `unbind needs a bound binding, got binding ${this.id}, which is already unbound`);
    this.unbound = true;
    bindings.unlist(this.domain, this);
    const nd = this.netdev;
    for (const q of this.bound.splice(0)) {
      if (!nd) break;
      try {
        mpCloseRxq(nd, q.index, this.provider);
      } catch (e) {
        // The kernel WARNs and goes on: the binding must still be let go of.
        this.domain.warn('devmem-unbind', `provider-devmem: closing ${nd.name} rx queue ${q.index}: ${(e as Error).message}`, {
          bindingId: this.id,
          ...errnoFacts(e),
        });
      }
    }
    this.put();
  }

  /** The provider's uninstall: the netdev unregisters; forget the device once no queue is left. */
  uninstall(rxq: ProviderRxQueue): void {
    if (typeof rxq !== 'object' || rxq === null) E.expected('uninstall needs an rx queue', rxq);
    const i = this.bound.findIndex((q) => q === rxq || (q.index === rxq.index && q.ifindex === rxq.ifindex));
    if (i < 0) return;
    this.bound.splice(i, 1);
    if (this.bound.length === 0) {
      // The device is still there (only closed): undo the mappings now, never later.
      this.unmapAll();
      this.dev = null;
      this.netdev = null;
    }
  }

  private unmapAll(): void {
    const dev = this.dev;
    for (let c = 0; c < this.iovas.length; c++) {
      const v = this.iovas[c];
      if (v === 0) continue;
      if (dev && !dev.removed) dev.unmap(v, DMA_FROM_DEVICE);
      this.iovas[c] = 0;
    }
  }

  private free(): void {
    this.freed = true;
    bindings.unlist(this.domain, this);
    const out = this.chunks.total - this.chunks.free;
    if (out !== 0) {
      this.leaked += out;
      this.domain.warn(
        'devmem-leak',
        `provider-devmem: destroying dmabuf binding ${this.id} with outstanding net_iovs: total=${this.chunks.total}, free=${this.chunks.free}`,
        { bindingId: this.id, value: out },
      );
    }
    this.unmapAll();
    this.dev = null;
    for (const a of this.areas) {
      try {
        this.domain.destroyArea(a);
      } catch {
        // A net_iov still names a pool (already reported as a leak): keep its area.
      }
    }
    // Every hook runs: one that throws is reported and does not stop the others (or the caller's teardown).
    for (const fn of this.freedHooks.splice(0)) {
      try {
        fn();
      } catch (e) {
        this.domain.warn('devmem-hook', `provider-devmem: an onFreed hook of binding ${this.id} threw: ${(e as Error)?.message ?? String(e)}`, {
          bindingId: this.id,
        });
      }
    }
  }
}

/**
 * net_devmem_bind_dmabuf: maps `dmabuf` for `dev` (one mapping per scatter
 * segment), builds one area per segment and the chunk allocator, and lists
 * the binding under a fresh id. The caller holds the first reference
 * (released by {@link DmabufBinding.unbind}). Argument errors, before
 * anything is mapped: not a MemoryDomain, not a DmaDevice, a device of
 * another domain, not a Dmabuf, a bad options object, or an `opts.netdev`
 * that is not a NetDevice on `dev` → EINVAL; a removed device → ENODEV.
 * Nothing is left behind on failure (ENOMEM when a mapping or the
 * descriptor space runs out; ENODEV when the device goes away part-way).
 * @category Binding
 */
export function createBinding(domain: MemoryDomain, dev: DmaDevice, dmabuf: Dmabuf, opts: BindingOptions = {}): DmabufBinding {
  return new DmabufBinding(domain, dev, dmabuf, opts);
}

/**
 * net_devmem_lookup_dmabuf: the listed (bound, not yet unbound or freed)
 * binding with this id, if any; an id that is not a u32 names none. EINVAL
 * when `domain` is not a MemoryDomain.
 * @category Binding
 */
export function lookupBinding(domain: MemoryDomain, id: number): DmabufBinding | undefined {
  domainArg(domain, 'lookupBinding');
  if (typeof id !== 'number' || id >>> 0 !== id) return undefined;
  return bindings.lookup(domain, id);
}

/**
 * Every listed binding of the domain, in id order (EINVAL when `domain` is not a MemoryDomain).
 * @category Binding
 */
export function listedBindings(domain: MemoryDomain): DmabufBinding[] {
  domainArg(domain, 'listedBindings');
  return bindings.all(domain);
}
