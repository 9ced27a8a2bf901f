/**
 * The example's huge-arena provider (examples/custom-provider) passes the
 * shared provider conformance suite, plus the checks specific to it.
 */
import { describe, expect, it } from 'vitest';
import { PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, allPools, createPagePool } from '@netmem/core';
import { quietWorld, testProvider } from '@netmem/core/testing';
import { hugeArenaProvider } from '../examples/custom-provider/huge-arena-provider.js';

const flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV;

describe('hugeArenaProvider', () => {
  describe('256 buffers, batch 16', () => {
    testProvider(() => ({ provider: hugeArenaProvider({ buffers: 256 }), params: { flags, maxLen: 4096 }, capacity: 256 }), it, {
      refusals: [{ name: 'order 1', params: { order: 1 }, code: 'E2BIG' }],
    });
  });
  describe('3 buffers, batch 1', () => {
    testProvider(() => ({ provider: hugeArenaProvider({ buffers: 3, batch: 1 }), params: { flags, maxLen: 4096 }, capacity: 3 }), it);
  });

  it('maps the arena once and gives every buffer an address inside that mapping', () => {
    const { domain, dev } = quietWorld({ pages: 16, netIovs: 64 });
    const arena = hugeArenaProvider({ buffers: 8 });
    const pool = createPagePool({ domain, dev, provider: arena, flags, maxLen: 4096 });
    expect(dev.counters().maps).toBe(1);
    const nm = pool.allocNetmems();
    const iova = pool.dmaAddr(nm);
    expect(dev.write(iova + 4090, new Uint8Array([1, 2, 3, 4, 5, 6]))).toBe(true);
    expect(Array.from(pool.bytes(nm).subarray(4090))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(arena.free).toBe(0); // one returned, seven in the cache
    expect(pool.cacheSize).toBe(7);
    pool.recycleDirect(nm);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(arena.free).toBe(8);
    expect(dev.counters()).toMatchObject({ maps: 1, unmaps: 1, liveMappings: 0 });
    expect(dev.faultCount).toBe(0);
  });

  it('serves one pool at a time: a second init fails with EBUSY and lists nothing', () => {
    const { domain, dev } = quietWorld({ pages: 16, netIovs: 64 });
    const arena = hugeArenaProvider({ buffers: 4 });
    const first = createPagePool({ domain, dev, provider: arena, flags, maxLen: 4096 });
    expect(() => createPagePool({ domain, dev, provider: arena, flags, maxLen: 4096 })).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(allPools(domain)).toEqual([first]);
    first.destroy();
    const second = createPagePool({ domain, dev, provider: arena, flags, maxLen: 4096 });
    expect(second.isFreed).toBe(false);
    second.destroy();
    expect(allPools(domain)).toEqual([]);
  });

  it('rejects bad options with EINVAL', () => {
    expect(() => hugeArenaProvider({ buffers: 0 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => hugeArenaProvider({ buffers: 4, batch: 129 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
