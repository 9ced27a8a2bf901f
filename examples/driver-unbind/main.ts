/**
 * Driver unbind with pages in flight: the seeds' crash, reproduced and then
 * prevented. For each DMA-tracking strategy a pool hands out DMA-mapped
 * pages, the stack keeps 40 of them, and the driver unbinds in the kernel's
 * order (free the rx ring, page_pool_destroy, then the device goes away).
 * Later the stack returns its pages and the pool's release retry runs.
 *
 * Without tracking ('none', the pre-fix kernel) the 40 mappings outlive the
 * device: their late sync and unmap hit a device that is gone, and the IOMMU
 * records the faults. With 'xarray' (the upstream fix) or 'item-block' (the
 * alternative series) destroy unmaps every mapping still in flight before it
 * returns, and the late returns make no DMA-API call at all.
 *
 *   node --conditions=@netmem/source --import tsx examples/driver-unbind/main.ts
 */
import {
  DMA_TRACKING_KINDS,
  MemoryDomain,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  VirtualClock,
  createPagePool,
  type DmaFaultKind,
  type DmaTracking,
} from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';

/** Buffers the driver posts on its rx ring. */
const RX_RING = 128;
/** Of those, frames the stack still holds when the driver unbinds. */
const STACK_HOLDS = 40;

/** What one strategy's run measured. */
interface UnbindReport {
  strategy: DmaTracking;
  mappings: number;
  unmappedByDestroy: number;
  liveAtRemoval: number;
  lateUnmaps: number;
  lateSyncs: number;
  faults: Record<DmaFaultKind, number>;
  freed: boolean;
  inflight: number;
  pagesBack: boolean;
  retries: number;
}

function unbind(strategy: DmaTracking): UnbindReport {
  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: 1024, clock, onWarn: false });
  observe(domain);
  const freeAtStart = domain.freePages;
  const dev = domain.createDevice('nic0');
  const pool = createPagePool({
    domain,
    dev,
    provider: pagesProvider(),
    flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
    maxLen: 4096,
    poolSize: 256,
    dmaTracking: strategy,
  });

  // The driver fills its rx ring; the NIC receives a frame into each of the first 40.
  const ring: number[] = [];
  for (let i = 0; i < RX_RING; i++) ring.push(pool.allocNetmems());
  const frame = new Uint8Array(64).fill(0xab);
  for (let i = 0; i < STACK_HOLDS; i++) dev.write(pool.dmaAddr(ring[i]), frame);
  const stack = ring.splice(0, STACK_HOLDS); // passed up; the stack (a socket queue) holds them

  // Driver unbind: free the rx ring (NAPI context: direct recycle), destroy the pool, the device goes away.
  for (const nm of ring) pool.recycleDirect(nm);
  pool.destroy();
  const unmappedByDestroy = dev.counters().unmaps;
  const liveAtRemoval = dev.liveMappings;
  let lateUnmaps = 0;
  let lateSyncs = 0;
  dev.on('fault', (f) => {
    if (f.kind !== 'device-gone') return;
    if (f.op === 'unmap') lateUnmaps++;
    else if (f.op.startsWith('sync')) lateSyncs++;
  });
  dev.remove();

  // Later the stack lets go of its pages; the release retry runs once a second.
  for (const nm of stack) pool.putNetmem(nm, -1, false);
  let retries = 0;
  while (!pool.isFreed && retries < 5) {
    clock.advance(1000);
    retries++;
  }
  const c = dev.counters();
  return {
    strategy,
    mappings: c.maps,
    unmappedByDestroy,
    liveAtRemoval,
    lateUnmaps,
    lateSyncs,
    faults: c.faults,
    freed: pool.isFreed,
    inflight: pool.inflight,
    pagesBack: domain.freePages === freeAtStart,
    retries,
  };
}

function faultText(f: Record<DmaFaultKind, number>): string {
  const parts = Object.entries(f)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : '0';
}

function printTable(rows: UnbindReport[]): void {
  const head = ['strategy', 'mappings made', 'unmapped by destroy', 'live at removal', 'late unmaps', 'late syncs', 'IOMMU faults', 'pool freed'];
  const body = rows.map((r) => [
    r.strategy,
    String(r.mappings),
    String(r.unmappedByDestroy),
    String(r.liveAtRemoval),
    String(r.lateUnmaps),
    String(r.lateSyncs),
    faultText(r.faults),
    r.freed ? `yes (retry ${r.retries})` : `NO (inflight ${r.inflight})`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `  ${cells.map((s, i) => s.padEnd(widths[i])).join('  ')}`;
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const b of body) console.log(line(b));
}

export function main(): ExampleResult {
  const c = new Checks('driver-unbind');
  console.log(`driver-unbind: ${RX_RING} rx buffers, the stack holds ${STACK_HOLDS} when the driver unbinds`);
  const rows = DMA_TRACKING_KINDS.map(unbind);
  printTable(rows);
  for (const r of rows) {
    const faults = Object.values(r.faults).reduce((a, b) => a + b, 0);
    c.expect(r.freed, `${r.strategy}: pool freed after the stack returned its pages`);
    c.equal(r.inflight, 0, `${r.strategy}: inflight`);
    c.expect(r.pagesBack, `${r.strategy}: free pages back to the start`);
    if (r.strategy === 'none') {
      c.expect(r.faults['device-gone'] > 0, 'none: the late returns fault on the removed device (the bug is reproduced)');
      c.equal(r.liveAtRemoval, STACK_HOLDS, 'none: mappings still live when the device went away');
      c.equal(r.lateUnmaps, STACK_HOLDS, 'none: unmap calls after the device was removed');
    } else {
      c.equal(faults, 0, `${r.strategy}: IOMMU faults`);
      c.equal(r.unmappedByDestroy, r.mappings, `${r.strategy}: mappings unmapped before destroy returned`);
      c.equal(r.liveAtRemoval, 0, `${r.strategy}: live mappings at device removal`);
      c.equal(r.lateUnmaps + r.lateSyncs, 0, `${r.strategy}: DMA-API calls after removal`);
    }
  }
  const none = rows.find((r) => r.strategy === 'none')!;
  console.log(
    `  'none' let ${none.liveAtRemoval} mappings outlive the device (${none.lateUnmaps} late unmaps, ${none.lateSyncs} late syncs); ` +
      `'xarray' and 'item-block' unmapped all ${rows[0].mappings} before destroy returned.`,
  );
  return c.result(rows.map((r) => `${r.strategy}: ${faultText(r.faults) === '0' ? '0 faults' : faultText(r.faults)}`).join('; '));
}

runIfMain(import.meta.url, main);
