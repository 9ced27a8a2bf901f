/**
 * A zcrx area (struct io_zcrx_area): the user memory or dmabuf registered
 * with an ifq, one net_iov per 4096-byte page, a freelist of the net_iovs no
 * pool owns, and a user reference count per net_iov (buffers handed to user
 * space in CQEs and not yet returned through the refill ring).
 *
 * Memory strategy: the freelist is an Int32Array stack of indices, user
 * refs an Int32Array. Only the kernel side (this thread) touches either; the
 * user thread talks to the kernel through the refill ring alone.
 */
import { DMA_FROM_DEVICE, DmaDevice, Dmabuf, MemoryDomain } from '@netmem/core';
import { NET_IOV_SIZE, makeRegion, mpSetDmaAddr, type MemRegion, type NetIovArea } from '@netmem/core/provider';
import { E } from './errors.js';
import type { ZcrxAreaMemory } from './ifq-types.js';

/** Largest area (io_validate_user_buf_range: 1 GiB). */
export const ZCRX_MAX_AREA = 2 ** 30;

/** The memory an area is built on (the ifq module's {@link ZcrxAreaMemory}). */
type AreaMemory = ZcrxAreaMemory;

/**
 * The area constructor's checks: a MemoryDomain (EINVAL); a DmaDevice of
 * that domain (EINVAL) still present (ENODEV); memory either {buffer,
 * offset, len} or {dmabuf, len} (EINVAL), len a positive page multiple up
 * to 1 GiB (EINVAL); a SharedArrayBuffer holding offset + len (EFAULT), or
 * a Dmabuf of exactly len bytes (EINVAL).
 */
function checkAreaArgs(domain: MemoryDomain, dev: DmaDevice, mem: AreaMemory): void {
  if (!(domain instanceof MemoryDomain)) E.expected('a zcrx area needs a MemoryDomain', domain);
  if (!(dev instanceof DmaDevice)) E.expected('a zcrx area needs a DmaDevice', dev);
  if (!domain.ownsDevice(dev)) E.fail('EINVAL', `a zcrx area needs a device of its domain, got ${dev.name}, made by another domain`);
  if (dev.removed) E.fail('ENODEV', `a zcrx area needs a present device, got ${dev.name}, which was removed`);
  if (typeof mem !== 'object' || mem === null) E.expected('a zcrx area needs its memory ({buffer, offset, len} or {dmabuf, len})', mem);
  const len = mem.len;
  if (!Number.isInteger(len) || len <= 0 || len > ZCRX_MAX_AREA || len % NET_IOV_SIZE !== 0)
    E.expected(`the area length must be a positive multiple of ${NET_IOV_SIZE} bytes up to ${ZCRX_MAX_AREA}`, len);
  if ('dmabuf' in mem) {
    E.options(mem, 'zcrx area memory', ['dmabuf', 'len'], false);
    if (!(mem.dmabuf instanceof Dmabuf)) E.expected('a dmabuf area needs a Dmabuf', mem.dmabuf);
    if (mem.dmabuf.size !== len) E.fail('EINVAL', `the area length must be the dmabuf's size of ${mem.dmabuf.size} bytes, got ${len}`);
  } else {
    E.options(mem, 'zcrx area memory', ['buffer', 'offset', 'len'], false);
    if (!(mem.buffer instanceof SharedArrayBuffer)) E.expected('user memory must be a SharedArrayBuffer', mem.buffer, 'EFAULT');
    if (!Number.isSafeInteger(mem.offset) || mem.offset < 0) E.expected('the area offset in user memory must be an integer ≥ 0', mem.offset);
    if (mem.offset + len > mem.buffer.byteLength)
      E.fail('EFAULT', `the area must lie in its memory (${mem.buffer.byteLength} bytes), got ${mem.offset} + ${len}`);
  }
}

/**
 * One zcrx area: net_iovs over user memory or a dmabuf, their freelist and user refs.
 * @category Zero-copy receive
 */
export class ZcrxArea {
  /** The domain's net_iov area. */
  readonly nia: NetIovArea;
  /** Area id inside its ifq (the kernel has one area per ifq: 0). */
  readonly areaId = 0;
  /** Net_iovs in the area. */
  readonly count: number;
  /** Indices of free net_iovs (a stack; top at freeCount − 1). */
  readonly freelist: Int32Array;
  /** Free net_iovs. */
  freeCount: number;
  /** User references per net_iov. */
  readonly userRefs: Int32Array;
  /** The memory is a dmabuf (unreadable; no copy fallback). */
  readonly isDmabuf: boolean;
  /** The backing region. */
  readonly region: MemRegion;
  /** Net_iov DMA addresses are set (io_zcrx_map_area ran). */
  isMapped = false;
  /** Live IOVAs of the area's mappings (one for user memory, one per segment for a dmabuf). */
  private iovas: number[] = [];
  /** Per-mapping length (dmabuf segments). */
  private lens: number[] = [];

  constructor(
    /** The memory domain the net_iovs live in. */
    readonly domain: MemoryDomain,
    /** The device the area is mapped for. */
    readonly dev: DmaDevice,
    mem: ZcrxAreaMemory,
  ) {
    checkAreaArgs(domain, dev, mem);
    this.count = mem.len / NET_IOV_SIZE;
    if ('dmabuf' in mem) {
      this.isDmabuf = true;
      this.region = mem.dmabuf.region;
      // The dmabuf attachment is mapped at import time (dma_buf_map_attachment).
      // A failure at any segment undoes the ones before; a removed device gets no DMA-API call.
      for (const s of mem.dmabuf.segments) {
        if (dev.removed) {
          this.releaseMappings();
          E.fail('ENODEV', `dmabuf segment ${s.offset}+${s.length} of ${mem.dmabuf.name} must map for ${dev.name}, got a device that was removed`);
        }
        let iova: number;
        try {
          iova = dev.map(this.region, s.offset, s.length, DMA_FROM_DEVICE);
        } catch (e) {
          this.releaseMappings();
          throw e;
        }
        if (iova === 0) {
          this.releaseMappings();
          if (dev.removed)
            E.fail('ENODEV', `dmabuf segment ${s.offset}+${s.length} of ${mem.dmabuf.name} must map for ${dev.name}, got a device that was removed`);
          E.fail('ENOMEM', `dmabuf segment ${s.offset}+${s.length} of ${mem.dmabuf.name} must map for the device, got no IOVA`);
        }
        this.iovas.push(iova);
        this.lens.push(s.length);
      }
      try {
        this.nia = domain.createArea('io_uring', this.count, this.region, 0, false, this);
      } catch (e) {
        this.releaseMappings();
        throw e;
      }
    } else {
      this.isDmabuf = false;
      this.region = makeRegion('zcrx-umem', mem.buffer);
      this.nia = domain.createArea('io_uring', this.count, this.region, mem.offset, true, this);
    }
    this.freelist = new Int32Array(this.count);
    for (let i = 0; i < this.count; i++) this.freelist[i] = i;
    this.freeCount = this.count;
    this.userRefs = new Int32Array(this.count);
  }

  /**
   * io_zcrx_map_area: sets every net_iov's DMA address, once. User memory is
   * mapped here; a dmabuf was mapped at import and only its addresses are
   * spread over the net_iovs. False when the map fails.
   */
  map(): boolean {
    if (this.isMapped) return true;
    if (!this.isDmabuf) {
      const iova = this.dev.map(this.region, this.nia.regionOffset, this.count * NET_IOV_SIZE, DMA_FROM_DEVICE);
      if (iova === 0) return false;
      this.iovas = [iova];
      this.lens = [this.count * NET_IOV_SIZE];
    }
    let i = 0;
    for (let m = 0; m < this.iovas.length; m++) {
      for (let b = 0; b < this.lens[m] && i < this.count; b += NET_IOV_SIZE) mpSetDmaAddr(this.domain, this.nia.niov(i++), this.iovas[m] + b);
    }
    this.isMapped = true;
    return true;
  }

  /** Live DMA mappings the area holds (1 for mapped user memory, one per segment of an attached dmabuf). */
  get mappings(): number {
    return this.iovas.length;
  }

  /** io_zcrx_unmap_area: clears the addresses and unmaps, once. */
  unmap(): void {
    if (!this.isMapped) return;
    this.isMapped = false;
    for (let i = 0; i < this.count; i++) mpSetDmaAddr(this.domain, this.nia.niov(i), 0);
    this.releaseMappings();
  }

  /** io_zcrx_free_area: unmaps (if still mapped), drops a dmabuf attachment, removes the net_iovs. */
  free(): void {
    this.unmap();
    this.releaseMappings();
    this.domain.destroyArea(this.nia);
  }

  private releaseMappings(): void {
    // No DMA-API call reaches a removed device: its mappings went with it.
    if (!this.dev.removed) for (const iova of this.iovas) this.dev.unmap(iova, DMA_FROM_DEVICE);
    this.iovas = [];
    this.lens = [];
  }

  /** Index of a net_iov handle in this area (-1 if not ours, or not a handle at all). */
  indexOf(nm: number): number {
    if (typeof nm !== 'number' || (nm | 0) !== nm || nm <= 0) return -1;
    return this.nia.indexOf(nm);
  }

  /** Handle of net_iov `i` (an integer 0..count-1; EINVAL otherwise). */
  niov(i: number): number {
    if (typeof i !== 'number' || i >>> 0 !== i || i >= this.count) E.expected(`a net_iov index of the area must be an integer 0..${this.count - 1}`, i);
    return this.nia.niov(i);
  }

  /** Pushes net_iov `i` (an index of the area; EINVAL otherwise) on the freelist (a full freelist means a double return: thrown). */
  pushFree(i: number): void {
    if (typeof i !== 'number' || i >>> 0 !== i || i >= this.count) E.expected(`a net_iov index of the area must be an integer 0..${this.count - 1}`, i);
    if (this.freeCount >= this.count)
      E.fail('EINVAL', `returning net_iov ${i} needs room on the freelist, got a full one (${this.count} free: a double return)`);
    this.freelist[this.freeCount++] = i;
  }

  /** Pops a free net_iov index, or -1. */
  popFree(): number {
    return this.freeCount > 0 ? this.freelist[--this.freeCount] : -1;
  }
}
