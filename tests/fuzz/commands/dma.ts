/** The raw DMA-API command: map, unmap, sync, read and write on a dedicated device, and their misuse. */
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from '@netmem/core';
import { hex, type World } from '../world.js';
import { X, good, numVariants, pick, runBad, type BadOpts } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- raw DMA API on a dedicated device -------------------------------------------

export function dma(w: World, c: Cmd): void {
  const dev = w.dmadev;
  const region = w.domain.pageRegion;
  const m = pick(w.raw, c.b);
  if (c.bad < 0) {
    const op = c.a % 5;
    if (op === 0 || !m) {
      const ref = pick(w.pages, c.c);
      if (!ref || w.raw.length >= 16) return;
      const dir = [DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE][c.b % 3];
      const off = w.domain.pageVa(ref.nm);
      const r = good(w, `dmadev.map(pageRegion, ${off}, 4096, ${dir})`, () => dev.map(region, off, 4096, dir));
      if (r.ok && r.value !== 0) w.raw.push({ iova: r.value, nm: ref.nm, dir });
      return;
    }
    if (op === 1) {
      w.raw.splice(w.raw.indexOf(m), 1);
      good(w, `dmadev.unmap(${hex(m.iova)}, ${m.dir})`, () => dev.unmap(m.iova, m.dir));
      return;
    }
    if (op === 2) {
      good(w, `dmadev.syncForDevice/Cpu(${hex(m.iova)}, 0, 100)`, () => {
        dev.syncForDevice(m.iova, 0, 100, m.dir);
        dev.syncForCpu(m.iova, 0, 100, m.dir);
      });
      return;
    }
    if (op === 3 && m.dir !== DMA_TO_DEVICE) {
      const src = new Uint8Array(64).fill(c.c & 0xff);
      good(w, `dmadev.write(${hex(m.iova)}, 64 bytes)`, () => dev.write(m.iova, src));
      return;
    }
    if (op === 4 && m.dir !== DMA_FROM_DEVICE) {
      const dst = new Uint8Array(64);
      good(w, `dmadev.read(${hex(m.iova)}, 64 bytes)`, () => dev.read(m.iova, dst));
    }
    return;
  }
  const ref = pick(w.pages, c.c);
  const off = ref ? w.domain.pageVa(ref.nm) : 0;
  const mine = new Set(w.raw.map((x) => x.iova));
  const other = (iova: number): boolean => !mine.has(iova) && !dev.isMapped(iova);
  // Misuse of the DMA API: refused, or recorded as an IOMMU fault, and no mapping of the user's disturbed.
  const f: BadOpts = { faultDev: dev };
  w.faultyOk.add(dev);
  runBad(w, 'dmadev', c.bad, [
    ...numVariants('map.offset', ref ? (x) => dev.map(region, X(x), 4096, DMA_BIDIRECTIONAL) : null, ['undef'], f, {
      nan: 'D17',
      frac: 'D17',
      str: 'D17',
      null: 'D17',
      obj: 'D17',
    }),
    ...numVariants('map.len', ref ? (x) => dev.map(region, off, X(x), DMA_BIDIRECTIONAL) : null, ['undef'], f, {
      nan: 'D17',
      frac: 'D17',
      str: 'D17',
      null: 'D17',
      obj: 'D17',
    }),
    ...numVariants('map.dir', ref ? (x) => dev.map(region, off, 4096, X(x)) : null, ['undef', 'neg'], f),
    ['map.dir.7', () => (ref ? () => dev.map(region, off, 4096, 7) : null), f],
    ['map.region.obj', () => () => dev.map(X({}), 0, 4096, DMA_BIDIRECTIONAL), f],
    ['unmap.plus-page[D17]', () => (m && other(m.iova + 4096) ? () => dev.unmap(m.iova + 4096, m.dir) : null), f],
    ['unmap.inside', () => (m ? () => dev.unmap(m.iova + 1, m.dir) : null), f],
    ['unmap.dir-mismatch', () => (m ? () => dev.unmap(m.iova, m.dir === DMA_TO_DEVICE ? DMA_FROM_DEVICE : DMA_TO_DEVICE) : null), f],
    ...numVariants('unmap.iova', (x) => dev.unmap(X(x), DMA_BIDIRECTIONAL), ['undef'], f),
    ['write.len-past-source[D17]', () => (m && m.dir !== DMA_TO_DEVICE ? () => dev.write(m.iova, new Uint8Array(16), 0, 200) : null), f],
    ['write.past-mapping', () => (m && m.dir !== DMA_TO_DEVICE ? () => dev.write(m.iova, new Uint8Array(5000)) : null), f],
    ['write.srcOff.neg', () => (m && m.dir !== DMA_TO_DEVICE ? () => dev.write(m.iova, new Uint8Array(16), -8, 8) : null), f],
    ...numVariants('write.iova', (x) => dev.write(X(x), new Uint8Array(8)), ['undef'], f),
    ['read.len-past-dest', () => (m && m.dir !== DMA_FROM_DEVICE ? () => dev.read(m.iova, new Uint8Array(16), 0, 200) : null), f],
    ...numVariants('syncForDevice.len', m ? (x) => dev.syncForDevice(m.iova, 0, X(x), m.dir) : null, ['undef'], f),
    ...numVariants('syncForCpu.off', m ? (x) => dev.syncForCpu(m.iova, X(x), 16, m.dir) : null, ['undef'], f),
  ]);
}
