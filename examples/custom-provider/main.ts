/**
 * Custom provider: the huge-arena provider (huge-arena-provider.ts) checked
 * against the shared provider conformance suite without any test framework,
 * then used: a NIC writes frames into arena buffers, the app reads and
 * returns them, and the pool is destroyed with a buffer still held.
 *
 *   node --conditions=@netmem/source --import tsx examples/custom-provider/main.ts
 */
import { MemoryDomain, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, VirtualClock, allPools, createPagePool } from '@netmem/core';
import { providerConformanceCases, type ProviderSetup } from '@netmem/core/testing';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';
import { hugeArenaProvider } from './huge-arena-provider.js';

const FLAGS = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV;

/** Runs every conformance case; returns how many passed and the names that failed. */
async function conformance(): Promise<{ passed: number; failed: string[] }> {
  const setup: ProviderSetup = () => ({ provider: hugeArenaProvider({ buffers: 256 }), params: { flags: FLAGS, maxLen: 4096 }, capacity: 256 });
  const cases = providerConformanceCases(setup, { refusals: [{ name: 'order 1', params: { order: 1 }, code: 'E2BIG' }] });
  let passed = 0;
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await c.run();
      passed++;
      console.log(`    pass  ${c.name}`);
    } catch (e) {
      failed.push(c.name);
      console.log(`    FAIL  ${c.name}\n          ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { passed, failed };
}

/** The provider in use. */
function demo(c: Checks): string {
  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: 64, netIovs: 1024, clock, onWarn: false });
  observe(domain);
  const freeAtStart = domain.freePages;
  const dev = domain.createDevice('nic0');
  const arena = hugeArenaProvider({ buffers: 64 });
  const pool = createPagePool({ domain, dev, provider: arena, flags: FLAGS, maxLen: 4096 });
  console.log(`  pool ${pool.id} on a ${arena.buffers}-buffer arena (${(arena.buffers * 4096) / 1024} KiB, one DMA mapping: ${dev.counters().maps})`);

  // The NIC receives 10 frames into arena buffers through their IOVAs.
  const enc = new TextEncoder();
  const rx: number[] = [];
  for (let i = 0; i < 10; i++) {
    const nm = pool.allocNetmems();
    const ok = dev.write(pool.dmaAddr(nm), enc.encode(`frame ${i}`));
    c.expect(ok, `NIC write of frame ${i}`);
    rx.push(nm);
  }
  const dec = new TextDecoder();
  const first = dec.decode(pool.bytes(rx[0]).subarray(0, 7));
  const last = dec.decode(pool.bytes(rx[9]).subarray(0, 7));
  console.log(`  received 10 frames: "${first}" … "${last}"; arena free ${arena.free}, pool cache ${pool.cacheSize}`);
  c.equal(first, 'frame 0', 'first frame bytes');
  console.log(`  info: ${JSON.stringify(pool.info())}`);
  c.equal(pool.info().arenaBuffers, 64, 'info().arenaBuffers');

  // The app returns nine; it still holds the last one when the pool is destroyed.
  for (const nm of rx.slice(0, 9)) pool.putNetmem(nm, -1, false);
  pool.destroy();
  console.log(`  destroy with 1 buffer held: detached ${pool.isDetached}, inflight ${pool.inflight}, arena free ${arena.free}`);
  c.expect(pool.isDetached, 'pool detached while a buffer is held');
  c.equal(arena.free, 63, 'arena free while one buffer is held');
  pool.putNetmem(rx[9], -1, false);
  clock.advance(1000);
  console.log(`  buffer returned, one retry later: freed ${pool.isFreed}, arena free ${arena.free}, live mappings ${dev.liveMappings}`);
  c.expect(pool.isFreed, 'pool freed one retry after the last return');
  c.equal(pool.inflight, 0, 'inflight');
  c.equal(arena.free, 64, 'arena free at the end');
  c.equal(dev.liveMappings, 0, 'live mappings');
  c.equal(dev.faultCount, 0, 'IOMMU faults');
  c.equal(domain.freePages, freeAtStart, 'free pages back to the start (the arena never used them)');
  c.equal(allPools(domain).length, 0, 'pools listed');
  return `${pool.stats().alloc.slow} arena refill(s) of up to 16 buffers for 10 frames`;
}

export async function main(): Promise<ExampleResult> {
  const c = new Checks('custom-provider');
  console.log('custom-provider: a user-written "huge arena" memory provider');
  console.log('  conformance suite:');
  const { passed, failed } = await conformance();
  console.log(`  conformance: ${passed} passed, ${failed.length} failed`);
  c.equal(failed.length, 0, `conformance failures (${failed.join('; ')})`);
  const used = demo(c);
  return c.result(`conformance ${passed}/${passed + failed.length}; demo: ${used}, freed clean`);
}

runIfMain(import.meta.url, main);
