/**
 * A DMA-capable device behind a simulated IOMMU (`struct device` plus the
 * DMA API). Every mapping gets an IOVA slot; the device can only read and
 * write memory through live mappings. The model records faults the way an
 * IOMMU (or a KASAN/DMA-debug kernel) would see them: DMA to an unmapped
 * IOVA, a double unmap, an unmap in a different direction than the map, and
 * any DMA-API call after the device is gone: the crash a pool must never
 * cause by letting a mapping outlive its device.
 *
 * Memory strategy: mapping state is in typed arrays indexed by slot (grown by
 * doubling, rarely), free slots on an Int32Array stack. Which IOVA a slot
 * gets, and why the checks take page numbers: iova.ts.
 */
import { EventEmitter } from 'eventemitter3';
import { NetmemError, show } from '../base/errors.js';
import { E } from '../base/validate.js';
import { ByteCopier } from '../bytes/copy.js';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from './direction.js';
import type { DmaDeviceCounters, DmaDeviceEvents, DmaDeviceOptions, DmaFault, DmaFaultKind } from './device-types.js';
import { IOVA_PAGE_BYTES, IOVA_SLOT_BYTES, iovaOfSlot, offsetInMapping, pageOf, pageOffsetInMapping, slotOfIova, slotOfPage } from './iova.js';
import type { MemRegion } from './region.js';

const FAULT_CODE = {
  'unmapped-access': 'EFAULT',
  'double-unmap': 'EINVAL',
  'direction-mismatch': 'EINVAL',
  'device-gone': 'ENODEV',
} as const;

/** A device read/write whose array or range is wrong: throws EINVAL (a caller's bug, not a DMA fault). */
function badCopy(op: string, a: unknown, off: unknown, len: unknown): never {
  if (op === 'sync') throw new NetmemError('EINVAL', `device sync: offset and length must be integers ≥ 0, got ${show(off)} + ${show(len)}`);
  if (!(a instanceof Uint8Array)) throw new NetmemError('EINVAL', `device ${op} needs a Uint8Array, got ${show(a)}`);
  throw new NetmemError('EINVAL', `device ${op}: offset and length must be integers inside the ${a.length}-byte array, got ${show(off)} + ${show(len)}`);
}

/** Faults kept in {@link DmaDevice.faultLog}. */
const FAULT_LOG_MAX = 1024;

/**
 * A DMA-capable device behind the IOMMU model.
 * @category DMA
 */
export class DmaDevice extends EventEmitter<DmaDeviceEvents> {
  /** Whether faults throw. */
  strict: boolean;
  /** True once {@link remove} ran. */
  removed = false;
  /** Recent faults, oldest first (bounded). */
  readonly faultLog: DmaFault[] = [];

  private regions: (MemRegion | undefined)[] = [];
  /** Copies into and out of regions that are not the page storage (dmabufs, io_uring areas). */
  private readonly copier = new ByteCopier();
  private mapRegion = new Int32Array(64);
  private mapOffset = new Float64Array(64);
  private mapLen = new Int32Array(64);
  private mapDir = new Int8Array(64).fill(-1);
  private freeSlots = new Int32Array(64);
  private nFree = 0;
  private nSlots = 0;
  private regionIds = new Map<MemRegion, number>();
  /** Live mappings per region id. */
  private readonly regionMaps: number[] = [];
  /** Region ids free for reuse. */
  private readonly freeRegionIds: number[] = [];

  private maps = 0;
  private unmaps = 0;
  private live = 0;
  private syncDev = 0;
  private syncCpu = 0;
  private readonly faultCounts: Record<DmaFaultKind, number> = {
    'unmapped-access': 0,
    'double-unmap': 0,
    'direction-mismatch': 0,
    'device-gone': 0,
  };
  private mapAttempts = 0;
  /** Fault injection settings (shared with the domain that made the device). */
  private readonly injection: { dmaMapEvery: number };

  constructor(
    /** Device name, e.g. `nic0`. */
    readonly name: string,
    opts: DmaDeviceOptions = {},
    injection: { dmaMapEvery: number } = { dmaMapEvery: 0 },
  ) {
    super();
    this.strict = opts.strict ?? false;
    this.injection = injection;
  }

  /** Fault injection: every Nth map fails (0 = never). Follows the domain's `injectFaults` until set here. */
  get failMapEvery(): number {
    return this.ownMapEvery >= 0 ? this.ownMapEvery : this.injection.dmaMapEvery;
  }

  /** Sets this device's own failure interval (overrides the domain's). */
  set failMapEvery(n: number) {
    this.ownMapEvery = n;
  }

  private ownMapEvery = -1;

  /**
   * Maps `len` bytes of `region` at `offset` for DMA in `dir` (a direction
   * code). Returns the IOVA, or 0 on a mapping error (injected failure or a
   * device that is gone).
   */
  map(region: MemRegion, offset: number, len: number, dir: number): number {
    if (!(region?.u8 instanceof Uint8Array)) E.expected('dma map needs a memory region (makeRegion)', region);
    if ((offset | 0) !== offset && !(Number.isInteger(offset) && offset >= 0)) E.expected('a dma map offset must be an integer ≥ 0', offset);
    if ((len | 0) !== len) E.expected(`a dma map length must be an integer 1..${IOVA_SLOT_BYTES}`, len);
    if (dir !== DMA_BIDIRECTIONAL && dir !== DMA_TO_DEVICE && dir !== DMA_FROM_DEVICE) E.expected('a DMA direction code must be 0, 1 or 2', dir);
    if (this.removed) {
      this.fault('device-gone', 'map', 0);
      return 0;
    }
    const every = this.failMapEvery;
    if (every > 0 && ++this.mapAttempts % every === 0) return 0;
    if (len <= 0 || len > IOVA_SLOT_BYTES || offset < 0 || offset + len > region.u8.byteLength) {
      throw new NetmemError(
        'EINVAL',
        `a dma map must lie inside region ${region.name} (${region.u8.byteLength} bytes) and span 1..${IOVA_SLOT_BYTES} bytes, got ${len} bytes at ${offset}`,
      );
    }
    const slot = this.nFree > 0 ? this.freeSlots[--this.nFree] : this.newSlot();
    this.mapRegion[slot] = this.regionId(region);
    this.mapOffset[slot] = offset;
    this.mapLen[slot] = len;
    this.mapDir[slot] = dir;
    this.maps++;
    this.live++;
    return iovaOfSlot(slot, len);
  }

  /**
   * Unmaps a mapping made by {@link map}: `iova` must be the address map
   * returned (an address inside a mapping is not one: the DMA-debug "free
   * of memory not allocated" fault, recorded as `double-unmap`), and `dir`
   * must match the map's direction.
   */
  unmap(iova: number, dir: number): void {
    if (typeof iova !== 'number' || !Number.isInteger(iova) || iova < 0) E.expected('unmap takes an IOVA that map returned', iova);
    if (dir !== DMA_BIDIRECTIONAL && dir !== DMA_TO_DEVICE && dir !== DMA_FROM_DEVICE) E.expected('a DMA direction code must be 0, 1 or 2', dir);
    if (this.removed) return this.fault('device-gone', 'unmap', iova);
    const slot = this.slotOf(iova);
    if (slot < 0 || this.mapDir[slot] < 0 || offsetInMapping(iova) !== 0) return this.fault('double-unmap', 'unmap', iova);
    if (this.mapDir[slot] !== dir) return this.fault('direction-mismatch', 'unmap', iova);
    this.mapDir[slot] = -1;
    this.freeSlots[this.nFree++] = slot;
    this.unmaps++;
    this.live--;
    this.dropRegion(this.mapRegion[slot]);
  }

  /** dma_sync_single_range_for_device: hands `len` bytes at `iova + off` to the device. */
  syncForDevice(iova: number, off: number, len: number, dir: number): void {
    if ((off | 0) !== off || (len | 0) !== len || off < 0 || len < 0) badCopy('sync', undefined, off, len);
    if (this.removed) return this.fault('device-gone', 'sync-for-device', iova);
    const page = pageOf(iova + off);
    this.syncForDevicePage(page, iova + off - page * IOVA_PAGE_BYTES, len);
    void dir;
  }

  /** @internal syncForDevice of `len` bytes at the IOVA `page` × PAGE_SIZE + `inPage` (core's hot paths; see pageOf). */
  syncForDevicePage(page: number, inPage: number, len: number): void {
    if (this.removed) return this.fault('device-gone', 'sync-for-device', page * IOVA_PAGE_BYTES + inPage);
    if (this.resolve(page, inPage, len, 'sync-for-device') >= 0) this.syncDev++;
  }

  /** dma_sync_single_range_for_cpu: hands `len` bytes at `iova + off` back to the CPU. */
  syncForCpu(iova: number, off: number, len: number, dir: number): void {
    if ((off | 0) !== off || (len | 0) !== len || off < 0 || len < 0) badCopy('sync', undefined, off, len);
    if (this.removed) return this.fault('device-gone', 'sync-for-cpu', iova);
    const page = pageOf(iova + off);
    this.syncForCpuPage(page, iova + off - page * IOVA_PAGE_BYTES, len);
    void dir;
  }

  /** @internal syncForCpu of `len` bytes at the IOVA `page` × PAGE_SIZE + `inPage` (core's hot paths; see pageOf). */
  syncForCpuPage(page: number, inPage: number, len: number): void {
    if (this.removed) return this.fault('device-gone', 'sync-for-cpu', page * IOVA_PAGE_BYTES + inPage);
    if (this.resolve(page, inPage, len, 'sync-for-cpu') >= 0) this.syncCpu++;
  }

  /**
   * The device writes `src` into memory at `iova` (a NIC receiving a packet).
   * Faults when the IOVA is not mapped, is mapped to-device only, or the
   * write runs past the mapping. Returns true when the bytes landed.
   */
  write(iova: number, src: Uint8Array, srcOff = 0, len = src.length - srcOff): boolean {
    const page = pageOf(iova);
    return this.writePage(page, iova - page * IOVA_PAGE_BYTES, src, srcOff, len);
  }

  /** @internal write at the IOVA `page` × PAGE_SIZE + `inPage` (core's receive path; see pageOf). */
  writePage(page: number, inPage: number, src: Uint8Array, srcOff: number, len: number): boolean {
    const iova = page * IOVA_PAGE_BYTES + inPage;
    if (!(src instanceof Uint8Array) || (srcOff | 0) !== srcOff || (len | 0) !== len || srcOff < 0 || len < 0 || srcOff + len > src.length)
      badCopy('write', src, srcOff, len);
    if (this.removed) {
      this.fault('device-gone', 'write', iova);
      return false;
    }
    const slot = this.resolve(page, inPage, len, 'write');
    if (slot < 0) return false;
    if (this.mapDir[slot] === DMA_TO_DEVICE) {
      this.fault('direction-mismatch', 'write', iova);
      return false;
    }
    const region = this.regions[this.mapRegion[slot]]!;
    const at = this.mapOffset[slot] + pageOffsetInMapping(page, inPage);
    if (region.storage !== undefined) {
      region.storage.copyIn(at, src, srcOff, len);
      return true;
    }
    this.copier.between(region.u8, at, src, srcOff, len);
    return true;
  }

  /** The device reads `len` bytes at `iova` into `dst` (transmit). */
  read(iova: number, dst: Uint8Array, dstOff = 0, len = dst.length - dstOff): boolean {
    const page = pageOf(iova);
    return this.readPage(page, iova - page * IOVA_PAGE_BYTES, dst, dstOff, len);
  }

  /** @internal read at the IOVA `page` × PAGE_SIZE + `inPage` (see pageOf). */
  readPage(page: number, inPage: number, dst: Uint8Array, dstOff: number, len: number): boolean {
    const iova = page * IOVA_PAGE_BYTES + inPage;
    if (!(dst instanceof Uint8Array) || (dstOff | 0) !== dstOff || (len | 0) !== len || dstOff < 0 || len < 0 || dstOff + len > dst.length)
      badCopy('read', dst, dstOff, len);
    if (this.removed) {
      this.fault('device-gone', 'read', iova);
      return false;
    }
    const slot = this.resolve(page, inPage, len, 'read');
    if (slot < 0) return false;
    if (this.mapDir[slot] === DMA_FROM_DEVICE) {
      this.fault('direction-mismatch', 'read', iova);
      return false;
    }
    const region = this.regions[this.mapRegion[slot]]!;
    const at = this.mapOffset[slot] + pageOffsetInMapping(page, inPage);
    if (region.storage !== undefined) {
      region.storage.copyOut(at, dst, dstOff, len);
      return true;
    }
    this.copier.between(dst, dstOff, region.u8, at, len);
    return true;
  }

  /** True when `iova` is inside a live mapping. */
  isMapped(iova: number): boolean {
    const slot = this.slotOf(iova);
    return slot >= 0 && this.mapDir[slot] >= 0;
  }

  /** Direction of the live mapping at `iova`, or -1. */
  directionOf(iova: number): number {
    const slot = this.slotOf(iova);
    return slot >= 0 ? this.mapDir[slot] : -1;
  }

  /** Driver unbind / hot unplug: every DMA-API call from now on is a fault. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.emit('removed');
  }

  /** Counters of this device. */
  counters(): DmaDeviceCounters {
    return {
      maps: this.maps,
      unmaps: this.unmaps,
      liveMappings: this.live,
      syncsForDevice: this.syncDev,
      syncsForCpu: this.syncCpu,
      faults: { ...this.faultCounts },
    };
  }

  /** Total faults of every kind. */
  get faultCount(): number {
    const f = this.faultCounts;
    return f['unmapped-access'] + f['double-unmap'] + f['direction-mismatch'] + f['device-gone'];
  }

  /** Live mappings right now. */
  get liveMappings(): number {
    return this.live;
  }

  private fault(kind: DmaFaultKind, op: string, iova: number): void {
    this.faultCounts[kind]++;
    const f: DmaFault = { kind, device: this.name, op, iova };
    if (this.faultLog.length === FAULT_LOG_MAX) this.faultLog.shift();
    this.faultLog.push(f);
    this.emit('fault', f);
    if (this.strict) {
      throw new NetmemError(FAULT_CODE[kind], `IOMMU fault on ${this.name}: ${kind} in ${op} at iova 0x${iova.toString(16)}`);
    }
  }

  /** Slot of a live mapping that covers `len` bytes from the IOVA at `page` + `inPage`, or -1 after recording a fault. */
  private resolve(page: number, inPage: number, len: number, op: string): number {
    const slot = slotOfPage(page);
    if (!(slot >= 0 && slot < this.nSlots) || this.mapDir[slot] < 0 || pageOffsetInMapping(page, inPage) + len > this.mapLen[slot]) {
      this.fault('unmapped-access', op, page * IOVA_PAGE_BYTES + inPage);
      return -1;
    }
    return slot;
  }

  private slotOf(iova: number): number {
    const slot = slotOfIova(iova);
    return slot >= 0 && slot < this.nSlots ? slot : -1;
  }

  /** The id of `region` in this device's table, with one more live mapping counted on it. */
  private regionId(region: MemRegion): number {
    let id = this.regionIds.get(region);
    if (id === undefined) {
      id = this.freeRegionIds.length > 0 ? this.freeRegionIds.pop()! : this.regions.length;
      this.regions[id] = region;
      this.regionMaps[id] = 0;
      this.regionIds.set(region, id);
    }
    this.regionMaps[id]++;
    return id;
  }

  /** One mapping of region `id` is gone; the last one lets the device forget the region (D1: no region outlives its mappings). */
  private dropRegion(id: number): void {
    if (--this.regionMaps[id] > 0) return;
    this.regionIds.delete(this.regions[id]!);
    this.regions[id] = undefined;
    this.freeRegionIds.push(id);
  }

  /** Regions the device has live mappings into. */
  get regionCount(): number {
    return this.regionIds.size;
  }

  private newSlot(): number {
    if (this.nSlots === this.mapDir.length) this.grow();
    return this.nSlots++;
  }

  private grow(): void {
    const n = this.mapDir.length * 2;
    const region = new Int32Array(n);
    region.set(this.mapRegion);
    this.mapRegion = region;
    const off = new Float64Array(n);
    off.set(this.mapOffset);
    this.mapOffset = off;
    const len = new Int32Array(n);
    len.set(this.mapLen);
    this.mapLen = len;
    const dir = new Int8Array(n).fill(-1);
    dir.set(this.mapDir);
    this.mapDir = dir;
    const free = new Int32Array(n);
    free.set(this.freeSlots);
    this.freeSlots = free;
  }
}
