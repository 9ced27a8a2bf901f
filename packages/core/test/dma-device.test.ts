import { describe, expect, it } from 'vitest';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  DmaDevice,
  IOVA_SLOT_BYTES,
  IOVA_PAGE_BYTES,
  IOVA_LARGE_BASE,
  makeRegion,
  type DmaFault,
} from '../src/index.js';
import { errnoOf } from '../src/testing.js';

function setup(strict = false) {
  const region = makeRegion('mem', new SharedArrayBuffer(8 * 4096));
  const dev = new DmaDevice('nic0', { strict });
  const faults: DmaFault[] = [];
  dev.on('fault', (f) => faults.push(f));
  return { region, dev, faults };
}

const codeOf = errnoOf;

describe('DmaDevice / IOMMU model', () => {
  it('page IOVAs stay page-granular past 2^31 (the 2^19th live page mapping on): they resolve, unmap and reuse', () => {
    const { region, dev } = setup();
    const n = 2 ** 19 + 4;
    const iovas = new Float64Array(n);
    for (let i = 0; i < n; i++) iovas[i] = dev.map(region, (i & 7) * 4096, 4096, DMA_FROM_DEVICE);
    expect(iovas[n - 1]).toBe(n * IOVA_PAGE_BYTES);
    expect(iovas[n - 1]).toBeGreaterThan(2 ** 31);
    expect(iovas[n - 1]).toBeLessThan(IOVA_LARGE_BASE);
    // The last one (above 2^31) resolves to its page and faults one byte past its end.
    expect(dev.write(iovas[n - 1] + 4095, new Uint8Array([5]))).toBe(true);
    expect(region.u8[((n - 1) & 7) * 4096 + 4095]).toBe(5);
    expect(dev.write(iovas[n - 1] + 4096, new Uint8Array([5]))).toBe(false);
    for (let i = 0; i < n; i++) dev.unmap(iovas[i], DMA_FROM_DEVICE);
    expect(dev.counters().faults['double-unmap']).toBe(0);
    expect(dev.map(region, 0, 4096, DMA_FROM_DEVICE)).toBeLessThan(IOVA_LARGE_BASE);
  });

  it('page mappings get small page-granular IOVAs; larger ones a 1 GiB window above 2^32', () => {
    const { region, dev } = setup();
    const page = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
    const big = dev.map(region, 8192, 8192, DMA_FROM_DEVICE);
    const page2 = dev.map(region, 4096, 4096, DMA_FROM_DEVICE);
    expect([page, big, page2]).toEqual([IOVA_PAGE_BYTES, IOVA_LARGE_BASE + 1 * IOVA_SLOT_BYTES, 3 * IOVA_PAGE_BYTES]);
    // Writes resolve inside each mapping; a write past a page mapping's end faults.
    expect(dev.write(big + 8190, new Uint8Array([7, 8]))).toBe(true);
    expect(Array.from(region.u8.subarray(16382, 16384))).toEqual([7, 8]);
    expect(dev.write(page + 4095, new Uint8Array([1, 2]))).toBe(false);
    expect(dev.counters().faults['unmapped-access']).toBe(1);
    // The page IOVA after the first page is its neighbour's slot, not an overflow into it.
    expect(dev.write(page2, new Uint8Array([9]))).toBe(true);
    expect(region.u8[4096]).toBe(9);
    dev.unmap(big, DMA_FROM_DEVICE);
    expect(dev.isMapped(big)).toBe(false);
    expect(dev.isMapped(page)).toBe(true);
  });

  it('a large-window mapping: writes, reads and syncs land at the right byte past its first page, and end at its last', () => {
    const { region, dev, faults } = setup();
    const big = dev.map(region, 4096, 3 * 4096, DMA_BIDIRECTIONAL);
    expect(big).toBe(IOVA_LARGE_BASE); // a heap number in V8: the device splits it into page + offset inside
    expect(dev.write(big + 2 * 4096 + 5, new Uint8Array([4, 5, 6]))).toBe(true);
    expect(Array.from(region.u8.subarray(4096 + 8197, 4096 + 8200))).toEqual([4, 5, 6]);
    // A read across the mapping's inner page boundary.
    const dst = new Uint8Array(2);
    region.u8.set([1, 2], 4096 + 4095);
    expect(dev.read(big + 4095, dst)).toBe(true);
    expect(Array.from(dst)).toEqual([1, 2]);
    dev.syncForDevice(big, 8192 + 100, 4096 - 100, DMA_BIDIRECTIONAL);
    dev.syncForCpu(big + 4096, 4000, 4096, DMA_BIDIRECTIONAL);
    expect(dev.counters()).toMatchObject({ syncsForDevice: 1, syncsForCpu: 1 });
    expect(faults).toEqual([]);
    // One byte past the end: faults, at the address asked for.
    dev.syncForDevice(big, 8192, 4097, DMA_BIDIRECTIONAL);
    expect(dev.write(big + 3 * 4096 - 1, new Uint8Array(2))).toBe(false);
    expect(faults.map((f) => [f.kind, f.op, f.iova])).toEqual([
      ['unmapped-access', 'sync-for-device', big + 8192],
      ['unmapped-access', 'write', big + 3 * 4096 - 1],
    ]);
    expect(dev.counters()).toMatchObject({ syncsForDevice: 1, syncsForCpu: 1 });
  });

  it('maps, writes through the IOVA, reads back, unmaps; counters follow', () => {
    const { region, dev } = setup();
    const iova = dev.map(region, 4096, 4096, DMA_BIDIRECTIONAL);
    expect(iova).toBe(IOVA_PAGE_BYTES); // a page mapping in slot 0 -> (0 + 1) << 12, never 0
    expect(dev.isMapped(iova)).toBe(true);
    expect(dev.directionOf(iova)).toBe(DMA_BIDIRECTIONAL);
    expect(dev.write(iova + 10, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(Array.from(region.u8.subarray(4106, 4109))).toEqual([1, 2, 3]);
    const dst = new Uint8Array(3);
    expect(dev.read(iova + 10, dst)).toBe(true);
    expect(Array.from(dst)).toEqual([1, 2, 3]);
    dev.syncForDevice(iova, 0, 4096, DMA_BIDIRECTIONAL);
    dev.syncForCpu(iova, 0, 100, DMA_BIDIRECTIONAL);
    expect(dev.counters()).toEqual({
      maps: 1,
      unmaps: 0,
      liveMappings: 1,
      syncsForDevice: 1,
      syncsForCpu: 1,
      faults: { 'unmapped-access': 0, 'double-unmap': 0, 'direction-mismatch': 0, 'device-gone': 0 },
    });
    dev.unmap(iova, DMA_BIDIRECTIONAL);
    expect(dev.isMapped(iova)).toBe(false);
    expect(dev.directionOf(iova)).toBe(-1);
    expect(dev.counters()).toMatchObject({ maps: 1, unmaps: 1, liveMappings: 0 });
    expect(dev.liveMappings).toBe(0);
    expect(dev.faultCount).toBe(0);
  });

  it('reuses freed IOVA slots and grows past 64 mappings', () => {
    const { region, dev } = setup();
    const iovas: number[] = [];
    for (let i = 0; i < 100; i++) iovas.push(dev.map(region, 0, 4096, DMA_FROM_DEVICE));
    expect(new Set(iovas).size).toBe(100);
    expect(dev.liveMappings).toBe(100);
    dev.unmap(iovas[50], DMA_FROM_DEVICE);
    expect(dev.map(region, 0, 4096, DMA_FROM_DEVICE)).toBe(iovas[50]);
    expect(dev.counters()).toMatchObject({ maps: 101, unmaps: 1, liveMappings: 100 });
  });

  it('rejects a mapping outside the region with EINVAL and counts nothing', () => {
    const { region, dev } = setup();
    expect(codeOf(() => dev.map(region, 8 * 4096 - 100, 4096, DMA_FROM_DEVICE))).toBe('EINVAL');
    expect(codeOf(() => dev.map(region, 0, 0, DMA_FROM_DEVICE))).toBe('EINVAL');
    expect(dev.counters().maps).toBe(0);
  });

  it('records an unmapped access (DMA to an unmapped IOVA, past the mapping, on a sync)', () => {
    const { region, dev, faults } = setup();
    const iova = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
    expect(dev.write(iova + 4000, new Uint8Array(200))).toBe(false); // runs past the end
    dev.unmap(iova, DMA_FROM_DEVICE);
    expect(dev.write(iova, new Uint8Array(1))).toBe(false);
    dev.syncForDevice(iova, 0, 64, DMA_FROM_DEVICE);
    expect(dev.write(123, new Uint8Array(1))).toBe(false); // never a valid IOVA
    expect(dev.counters().faults['unmapped-access']).toBe(4);
    expect(dev.counters().syncsForDevice).toBe(0);
    expect(faults.map((f) => f.op)).toEqual(['write', 'write', 'sync-for-device', 'write']);
    expect(faults[0]).toEqual({ kind: 'unmapped-access', device: 'nic0', op: 'write', iova: iova + 4000 });
    expect(dev.faultLog).toHaveLength(4);
  });

  it('records a double unmap and leaves the counters of the first unmap alone', () => {
    const { region, dev } = setup();
    const iova = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
    dev.unmap(iova, DMA_FROM_DEVICE);
    dev.unmap(iova, DMA_FROM_DEVICE);
    dev.unmap(7 * IOVA_SLOT_BYTES, DMA_FROM_DEVICE); // never mapped
    expect(dev.counters()).toMatchObject({ unmaps: 1, liveMappings: 0 });
    expect(dev.counters().faults['double-unmap']).toBe(2);
  });

  it('records a direction mismatch on unmap and on device access', () => {
    const { region, dev } = setup();
    const rx = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
    const tx = dev.map(region, 4096, 4096, DMA_TO_DEVICE);
    dev.unmap(rx, DMA_TO_DEVICE);
    expect(dev.isMapped(rx)).toBe(true); // the wrong-direction unmap did nothing
    expect(dev.write(tx, new Uint8Array(1))).toBe(false); // device may not write a to-device mapping
    expect(dev.read(rx, new Uint8Array(1))).toBe(false); // nor read a from-device one
    expect(dev.counters().faults['direction-mismatch']).toBe(3);
    expect(dev.counters()).toMatchObject({ unmaps: 0, liveMappings: 2 });
  });

  it('after remove(), every DMA-API call is a device-gone fault; map returns 0', () => {
    const { region, dev } = setup();
    let removed = 0;
    dev.on('removed', () => removed++);
    const iova = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
    dev.remove();
    dev.remove();
    expect(removed).toBe(1);
    expect(dev.removed).toBe(true);
    expect(dev.map(region, 0, 4096, DMA_FROM_DEVICE)).toBe(0);
    dev.unmap(iova, DMA_FROM_DEVICE);
    dev.syncForDevice(iova, 0, 64, DMA_FROM_DEVICE);
    dev.syncForCpu(iova, 0, 64, DMA_FROM_DEVICE);
    expect(dev.write(iova, new Uint8Array(1))).toBe(false);
    expect(dev.read(iova, new Uint8Array(1))).toBe(false);
    expect(dev.counters()).toMatchObject({ maps: 1, unmaps: 0, liveMappings: 1, syncsForDevice: 0, syncsForCpu: 0 });
    expect(dev.counters().faults).toEqual({ 'unmapped-access': 0, 'double-unmap': 0, 'direction-mismatch': 0, 'device-gone': 6 });
    expect(dev.faultLog.map((f) => f.op)).toEqual(['map', 'unmap', 'sync-for-device', 'sync-for-cpu', 'write', 'read']);
  });

  describe("strict mode throws with the fault kind's errno (after counting it)", () => {
    it('unmapped access: EFAULT', () => {
      const { dev } = setup(true);
      expect(codeOf(() => dev.write(IOVA_SLOT_BYTES, new Uint8Array(1)))).toBe('EFAULT');
      expect(codeOf(() => dev.syncForCpu(IOVA_SLOT_BYTES, 0, 1, DMA_FROM_DEVICE))).toBe('EFAULT');
      expect(dev.counters().faults['unmapped-access']).toBe(2);
    });
    it('double unmap: EINVAL', () => {
      const { region, dev } = setup(true);
      const iova = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
      dev.unmap(iova, DMA_FROM_DEVICE);
      expect(codeOf(() => dev.unmap(iova, DMA_FROM_DEVICE))).toBe('EINVAL');
      expect(dev.counters().faults['double-unmap']).toBe(1);
    });
    it('direction mismatch: EINVAL', () => {
      const { region, dev } = setup(true);
      const iova = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
      expect(codeOf(() => dev.unmap(iova, DMA_BIDIRECTIONAL))).toBe('EINVAL');
      expect(dev.counters().faults['direction-mismatch']).toBe(1);
      expect(dev.isMapped(iova)).toBe(true);
    });
    it('device gone: ENODEV', () => {
      const { region, dev } = setup(true);
      const iova = dev.map(region, 0, 4096, DMA_FROM_DEVICE);
      dev.remove();
      expect(codeOf(() => dev.unmap(iova, DMA_FROM_DEVICE))).toBe('ENODEV');
      expect(codeOf(() => dev.map(region, 0, 4096, DMA_FROM_DEVICE))).toBe('ENODEV');
      expect(dev.counters().faults['device-gone']).toBe(2);
    });
  });

  it('fault injection: every Nth map returns 0 and is not counted as a map', () => {
    const { region, dev } = setup();
    dev.failMapEvery = 3;
    const got = Array.from({ length: 7 }, () => dev.map(region, 0, 4096, DMA_FROM_DEVICE));
    expect(got.map((i) => i !== 0)).toEqual([true, true, false, true, true, false, true]);
    expect(dev.counters()).toMatchObject({ maps: 5, liveMappings: 5 });
    expect(dev.faultCount).toBe(0);
  });
});
