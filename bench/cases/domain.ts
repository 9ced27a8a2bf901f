/**
 * What a memory domain costs before and as it is used: `new MemoryDomain()`
 * with the defaults (65,536 pages, 262,144 net_iovs), timed; its heap and
 * external bytes; and the metadata bytes per page and per net_iov, read
 * from the domain's own tables (`metadataUsage`) after it was filled.
 */
import { makeRegion, MemoryDomain, NET_IOV_SIZE } from '@netmem/core';
import type { BenchCase, BenchInstance } from '../types.js';

/** Domains kept alive to weigh one (the bytes are averaged over them). */
const WEIGHED = 32;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Heap + external bytes of one new default domain, averaged over {@link WEIGHED} kept alive. */
function bytesPerDomain(): number {
  gc();
  gc();
  const m0 = process.memoryUsage();
  const keep: MemoryDomain[] = [];
  for (let i = 0; i < WEIGHED; i++) keep.push(new MemoryDomain());
  gc();
  gc();
  const m1 = process.memoryUsage();
  if (keep.length !== WEIGHED) throw new Error('lost a domain');
  return (m1.heapUsed + m1.external - m0.heapUsed - m0.external) / WEIGHED;
}

/** Metadata bytes per page with every page in use, and per net_iov with one area over all of them. */
function metadataPerBuffer(): { page: number; pageAllocator: number; netIov: number } {
  const pages = 4096;
  const netIovs = 8192;
  const full = new MemoryDomain({ pages, netIovs: 0, onWarn: false });
  const got = new Int32Array(pages);
  if (full.allocPagesBulk(0, pages, got) !== pages) throw new Error('could not use every page');
  const u = full.metadataUsage();
  if (u.descriptors !== u.limit) throw new Error(`a full domain covers ${u.descriptors} of ${u.limit} descriptors`);
  // net_iovs sit above every page descriptor: weigh them as what one more area of them adds.
  const iov = new MemoryDomain({ pages: 1, netIovs, onWarn: false });
  const before = iov.metadataUsage();
  iov.createArea('io_uring', netIovs, makeRegion('bench-area', new SharedArrayBuffer(netIovs * NET_IOV_SIZE)), 0, true);
  const after = iov.metadataUsage();
  if (after.descriptors !== after.limit) throw new Error('the area did not grow the table to its end');
  const netIov = (after.tableBytes - before.tableBytes) / (after.descriptors - before.descriptors);
  return { page: u.tableBytes / pages, pageAllocator: u.allocatorBytes / pages, netIov };
}

/** domain_new: `new MemoryDomain()` with the defaults; the note carries the bytes. */
export const domainNew: BenchCase = {
  name: 'domain_new',
  title: 'new MemoryDomain() with the defaults (65,536 pages + 262,144 net_iovs), nothing used yet',
  ops: 100,
  setup(): BenchInstance {
    let made = 0;
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) acc = (acc + new MemoryDomain().pages) | 0;
        made += ops;
        return acc;
      },
      verify(totalOps) {
        if (made !== totalOps) throw new Error(`made ${made} domains, expected ${totalOps}`);
        const b = bytesPerDomain();
        const m = metadataPerBuffer();
        const f = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));
        return `${(b / 1024).toFixed(1)} KiB heap+external per domain; metadata ${f(m.page)} B/page (+${f(m.pageAllocator)} B/page buddy lists), ${f(m.netIov)} B/net_iov`;
      },
    };
  },
};

/** Every domain case. */
export const domainCases: readonly BenchCase[] = [domainNew];
