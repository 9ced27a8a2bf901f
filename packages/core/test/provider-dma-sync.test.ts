/**
 * mpDmaSyncForDevice (the provider's io_zcrx_sync_for_device) and the
 * pool's own sync: `len` bytes at the netmem's DMA address + the pool's
 * offset, whether the address is a whole page number the table keeps
 * inline (synced by page number, never boxed) or one it spills (an
 * unaligned address: synced by byte address, remainder kept).
 */
import { describe, expect, it } from 'vitest';
import { createPagePool, DMA_FROM_DEVICE, IOVA_LARGE_BASE, makeRegion, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, type DmaFault } from '../src/index.js';
import { mpDisableDmaSync, mpDmaSyncForDevice, mpSetDmaAddr } from '../src/provider.js';
import { checkDomainInvariants, errnoOf } from '../src/testing.js';
import { areaProvider, testDomain } from './helpers/test-provider.js';

const OFFSET = 64;

function rig() {
  const domain = testDomain(64, { netIovs: 64 });
  const dev = domain.createDevice('nic0');
  const provider = areaProvider(domain, 8);
  const pool = createPagePool({ domain, dev, provider, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, offset: OFFSET, maxLen: 4096 - OFFSET, poolSize: 64 });
  // A large mapping (above 2^32, where an address is a heap number in V8) that the net_iovs' addresses point into.
  const iova = dev.map(makeRegion('dev-mem', new SharedArrayBuffer(4 * 4096)), 0, 4 * 4096, DMA_FROM_DEVICE);
  expect(iova).toBeGreaterThanOrEqual(IOVA_LARGE_BASE);
  const faults: DmaFault[] = [];
  dev.on('fault', (f) => faults.push(f));
  const a = pool.allocNetmems();
  const b = pool.allocNetmems();
  return { domain, dev, pool, iova, faults, a, b, provider };
}

describe('mpDmaSyncForDevice', () => {
  it('syncs len bytes from the pool offset, at a page-number address and at a spilled (unaligned) one', () => {
    const { domain, dev, pool, iova, faults, a, b } = rig();
    mpSetDmaAddr(domain, a, iova + 4096); // a whole page: kept inline as a page number
    mpSetDmaAddr(domain, b, iova + 2 * 4096 + 100); // unaligned: spilled, byte address
    const before = dev.counters().syncsForDevice;
    mpDmaSyncForDevice(pool, a, 4096 - OFFSET);
    mpDmaSyncForDevice(pool, b, 4096 - OFFSET);
    expect(dev.counters().syncsForDevice).toBe(before + 2);
    expect(faults).toEqual([]);
    // Runs past the mapping's end by one byte: the fault names the exact byte address, remainder included.
    mpSetDmaAddr(domain, b, iova + 3 * 4096 + 100);
    mpDmaSyncForDevice(pool, b, 4096 - OFFSET - 100 + 1);
    mpSetDmaAddr(domain, a, iova + 3 * 4096);
    mpDmaSyncForDevice(pool, a, 4096 - OFFSET + 1);
    expect(faults.map((f) => [f.kind, f.iova])).toEqual([
      ['unmapped-access', iova + 3 * 4096 + 100 + OFFSET],
      ['unmapped-access', iova + 3 * 4096 + OFFSET],
    ]);
    expect(dev.counters().syncsForDevice).toBe(before + 2);
    for (const nm of [a, b]) mpSetDmaAddr(domain, nm, 0);
    pool.putNetmem(a);
    pool.putNetmem(b);
    // The two faults above were on purpose; nothing else is wrong.
    expect(checkDomainInvariants(domain)).toEqual([`pool ${pool.id}: device nic0: 2 DMA access(es) to an unmapped IOVA`]);
  });

  it('syncs nothing for an unmapped netmem or a pool that does not sync', () => {
    const plain = rig();
    mpDisableDmaSync(plain.pool); // as a dmabuf provider's init does
    mpSetDmaAddr(plain.domain, plain.a, plain.iova);
    const before = plain.dev.counters().syncsForDevice;
    mpDmaSyncForDevice(plain.pool, plain.a, 100);
    expect(plain.dev.counters().syncsForDevice).toBe(before);
    const synced = rig();
    mpSetDmaAddr(synced.domain, synced.a, 0);
    mpDmaSyncForDevice(synced.pool, synced.a, 100);
    expect(synced.dev.counters().syncsForDevice).toBe(before);
    expect([plain.faults, synced.faults]).toEqual([[], []]);
  });

  it("refuses a netmem that is not the pool's and a bad length, and syncs nothing then", () => {
    const one = rig();
    mpSetDmaAddr(one.domain, one.a, one.iova);
    const before = one.dev.counters().syncsForDevice;
    const notYet = one.provider.free[one.provider.free.length - 1]; // still the provider's: no pool owns it
    for (const nm of [notYet, 0, -2, 2 ** 31]) expect(errnoOf(() => mpDmaSyncForDevice(one.pool, nm, 100))).toBe('EINVAL');
    for (const len of [-1, 1.5, Number.NaN, '8' as unknown as number]) expect(errnoOf(() => mpDmaSyncForDevice(one.pool, one.a, len))).toBe('EINVAL');
    expect(one.dev.counters().syncsForDevice).toBe(before);
    expect(one.faults).toEqual([]);
  });
});
