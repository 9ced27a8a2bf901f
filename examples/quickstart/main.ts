/**
 * Quickstart: a domain (simulated machine memory), a DMA device, a page pool
 * on the normal page path; allocate, write bytes, allocate fragments,
 * recycle both ways, look at stats and info, destroy.
 *
 *   node --conditions=@netmem/source --import tsx examples/quickstart/main.ts
 */
import { MemoryDomain, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, createPagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';

export function main(): ExampleResult {
  const c = new Checks('quickstart');
  console.log('quickstart: one page pool, end to end');

  const domain = new MemoryDomain({ pages: 4096 }); // 16 MiB of simulated memory
  observe(domain);
  const freeAtStart = domain.freePages;
  const dev = domain.createDevice('nic0');
  const pool = createPagePool({
    domain,
    dev,
    order: 0,
    poolSize: 256,
    maxLen: 4096,
    dmaDir: 'from-device',
    flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
    provider: pagesProvider(),
  });
  console.log(`  pool ${pool.id} created (ring ${pool.ringSize}, DMA-mapped for ${dev.name})`);

  // A whole page: the CPU writes through pool.bytes, the NIC through the page's IOVA.
  const nm = pool.allocNetmem();
  const bytes = pool.bytes(nm);
  const text = new TextEncoder().encode('hello from the CPU');
  bytes.set(text);
  const iova = pool.dmaAddr(nm);
  const wire = new TextEncoder().encode('and from the NIC');
  const landed = dev.write(iova + 64, wire);
  const dec = new TextDecoder();
  console.log(`  page ${nm}: ${bytes.length} bytes at IOVA 0x${iova.toString(16)}`);
  console.log(`    bytes[0..]  = "${dec.decode(bytes.subarray(0, text.length))}"`);
  console.log(`    bytes[64..] = "${dec.decode(bytes.subarray(64, 64 + wire.length))}" (DMA write ${landed ? 'landed' : 'FAULTED'})`);
  c.expect(landed, 'the NIC write through the mapped IOVA landed');
  c.equal(pool.bytes(nm), bytes, 'bytes() is cached per netmem');

  // Fragments: two 1500-byte frames share one page.
  const f1 = pool.allocNetmem(1500);
  const off1 = pool.lastOffset;
  const f2 = pool.allocNetmem(1500);
  const off2 = pool.lastOffset;
  console.log(`  frags: ${f1}@${off1} and ${f2}@${off2} (${f1 === f2 ? 'same page' : 'different pages'})`);
  c.equal(f1, f2, 'two 1500-byte frags share a page');
  c.equal(off2, 1500, 'second frag offset');
  pool.putNetmem(f1, -1, false);
  pool.putNetmem(f2, -1, false);

  // Recycling: direct (the consumer's own context) goes to the cache, so the next alloc gets it back at once.
  pool.recycleDirect(nm);
  const again = pool.allocNetmem();
  console.log(`  recycleDirect(${nm}) then alloc -> ${again} (${again === nm ? 'cache hit' : 'different page'})`);
  c.equal(again, nm, 'alloc after recycleDirect returns the same page');
  // From anywhere else: putNetmem without direct goes through the ring.
  pool.putNetmem(again, -1, false);
  console.log(`  putNetmem(${again}) -> ring holds ${pool.ringLength}`);
  c.equal(pool.ringLength, 1, 'ring length after a non-direct put');

  const s = pool.stats();
  console.log(`  stats: alloc ${JSON.stringify(s.alloc)}`);
  console.log(`         recycle ${JSON.stringify(s.recycle)}`);
  console.log(`  info:  ${JSON.stringify(pool.info())}`);
  c.equal(pool.info().inflight, pool.inflight, 'info().inflight');

  pool.destroy();
  const counters = dev.counters();
  console.log(
    `  destroyed: freed ${pool.isFreed}, inflight ${pool.inflight}, free pages ${domain.freePages}/${freeAtStart}, ` +
      `mappings ${counters.maps} made / ${counters.unmaps} unmapped, IOMMU faults ${dev.faultCount}`,
  );
  c.expect(pool.isFreed, 'pool freed');
  c.equal(pool.inflight, 0, 'inflight');
  c.equal(domain.freePages, freeAtStart, 'free pages back to the start');
  c.equal(dev.liveMappings, 0, 'live mappings');
  c.equal(dev.faultCount, 0, 'IOMMU faults');
  c.equal(domain.leaks, 0, 'page_pool leaks');
  return c.result(`pool ${pool.id}: ${s.alloc.slow} slow alloc(s), ${s.alloc.fast} fast, freed clean`);
}

runIfMain(import.meta.url, main);
