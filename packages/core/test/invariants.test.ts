import { describe, expect, it } from 'vitest';
import { NetmemError, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, Place, createPagePool, type DmaTracking, type VirtualClock } from '../src/index.js';
import { assertDomainInvariants, assertPoolInvariants, checkDomainInvariants, checkPoolInvariants } from '../src/testing.js';
import { descOf, internals } from './helpers/internal.js';
import { areaProvider, onePageProvider, testDomain } from './helpers/test-provider.js';

function setup(tracking: DmaTracking = 'xarray') {
  const dom = testDomain(64);
  const dev = dom.createDevice('nic0');
  const pool = createPagePool({
    domain: dom,
    dev,
    provider: onePageProvider(),
    flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
    maxLen: 4096,
    dmaTracking: tracking,
    poolSize: 8,
  });
  // Two in the ring, one in the cache, one handed out.
  const nms = [pool.allocNetmems(), pool.allocNetmems(), pool.allocNetmems(), pool.allocNetmems()];
  pool.putNetmem(nms[0]);
  pool.putNetmem(nms[1]);
  pool.recycleDirect(nms[2]);
  return { dom, dev, pool, nms, t: dom.table };
}

describe('checkPoolInvariants', () => {
  it('finds nothing wrong in a healthy pool, before and after destroy', () => {
    const { dom, pool, nms } = setup();
    expect(pool.cacheSize).toBe(1);
    expect(pool.ringLength).toBe(2);
    expect(checkPoolInvariants(pool)).toEqual([]);
    expect(checkDomainInvariants(dom)).toEqual([]);
    pool.destroy();
    expect(checkPoolInvariants(pool)).toEqual([]);
    pool.putNetmem(nms[3]);
    expect(checkPoolInvariants(pool)).toEqual([]);
    (dom.clock as VirtualClock).advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(checkPoolInvariants(pool)).toEqual([]);
    expect(checkDomainInvariants(dom)).toEqual([]);
    expect(() => assertPoolInvariants(pool)).not.toThrow();
  });

  it('catches a wrong place, a pp refcount != 1 and a shared page in the ring', () => {
    const { pool, nms, t } = setup();
    const d0 = descOf(nms[0]);
    t.place[d0] = Place.HANDED_OUT;
    t.ppRef[descOf(nms[1])] = 2;
    t.pageRef[descOf(nms[2])] = 2;
    const v = checkPoolInvariants(pool);
    expect(v).toHaveLength(3);
    expect(v[0]).toMatch(/^pool 1: netmem \d+ is in the ring but its place is 3$/);
    expect(v.slice(1).sort()).toEqual([
      `pool 1: descriptor ${descOf(nms[1])} in the ring has pp refcount 2`,
      `pool 1: descriptor ${descOf(nms[2])} in the cache has page refcount 2`,
    ]);
  });

  it('catches a place that claims the cache for a buffer that is not there', () => {
    const { pool, nms, t } = setup();
    t.place[descOf(nms[3])] = Place.CACHE;
    expect(checkPoolInvariants(pool)).toEqual([`pool 1: descriptor ${descOf(nms[3])} says cache but is not there`]);
  });

  it('catches a count of owned descriptors that differs from inflight', () => {
    const { pool, nms, t } = setup();
    t.pp[descOf(nms[3])] = 0;
    expect(checkPoolInvariants(pool)).toEqual(['pool 1: 3 descriptors name the pool but inflight is 4']);
  });

  it('catches a cached page without a live mapping or tracking index', () => {
    const { pool, dev, nms, t } = setup();
    const d = descOf(nms[2]);
    t.magic[d] &= 0xff;
    dev.unmap(t.dmaOf(d), 2);
    const v = checkPoolInvariants(pool);
    expect(v).toEqual([`pool 1: descriptor ${d} in the cache has no live DMA mapping`, `pool 1: descriptor ${d} in the cache has no DMA-tracking index`]);
  });

  it('catches device faults: double unmap, direction mismatch, device gone (tracked pools only)', () => {
    for (const tracking of ['xarray', 'none'] as const) {
      const { pool, dev } = setup(tracking);
      dev.unmap(12345 << 22, 2);
      const iova = dev.map(pool.domain.pageRegion, 0, 4096, 2);
      dev.unmap(iova, 0);
      dev.remove();
      dev.unmap(iova, 2);
      const v = checkPoolInvariants(pool);
      expect(v.filter((m) => m.includes('double unmap'))).toHaveLength(1);
      expect(v.filter((m) => m.includes('direction mismatch'))).toHaveLength(1);
      expect(v.filter((m) => m.includes('after removal'))).toHaveLength(tracking === 'none' ? 0 : 1);
    }
  });

  it('the domain check reports a device fault once, naming every pool on that device', () => {
    const { pool, dev } = setup();
    const second = createPagePool({ domain: pool.domain, dev, provider: onePageProvider(), flags: PP_FLAG_DMA_MAP });
    dev.unmap(12345 << 22, 2);
    expect(checkPoolInvariants(second)).toEqual([`pool ${second.id}: device ${dev.name}: 1 double unmap(s)`]);
    expect(checkDomainInvariants(pool.domain)).toEqual([`pools ${pool.id}, ${second.id}: device ${dev.name}: 1 double unmap(s)`]);
  });

  it('catches a duplicate in the ring', () => {
    const { pool, nms } = setup();
    // Forge a double free past the checks through the internal bulk helper.
    internals(pool).recycleRingBulk(new Int32Array([nms[0]]), 0, 1);
    const v = checkPoolInvariants(pool);
    expect(v.some((m) => m.includes('is in the ring and again in the ring'))).toBe(true);
  });

  it('assertPoolInvariants throws EINVAL listing every violation', () => {
    const { pool, nms, t } = setup();
    t.ppRef[descOf(nms[0])] = 5;
    t.ppRef[descOf(nms[1])] = 6;
    let err: unknown;
    try {
      assertPoolInvariants(pool);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetmemError);
    expect((err as NetmemError).code).toBe('EINVAL');
    expect((err as NetmemError).message).toMatch(/pp refcount 5[\s\S]*pp refcount 6/);
  });
});

describe('checkDomainInvariants', () => {
  it('reports a leaked pool page and a free page that is still marked', () => {
    const { dom, pool, nms, t } = setup();
    dom.putPage(nms[3]); // leak: the pool page went straight back to the allocator
    const v = checkDomainInvariants(dom);
    expect(v).toContain('1 page_pool leak(s) reported');
    expect(v).toContain('pool 1: 3 descriptors name the pool but inflight is 4');
    // A free frame that still carries pool marks.
    const free = dom.allocPages(0);
    dom.putPage(free);
    t.pp[descOf(free)] = pool.id;
    expect(checkDomainInvariants(dom)).toContain(`free page ${descOf(free)} is still marked as a page of pool 1`);
    expect(() => assertDomainInvariants(dom)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('reports marks naming a pool that is no longer live', () => {
    const dom = testDomain(16);
    const nm = dom.allocPages(0);
    dom.table.pp[descOf(nm)] = 9;
    expect(checkDomainInvariants(dom)).toEqual([`descriptor ${descOf(nm)} names pool 9, which is not live`]);
  });

  it('accepts a net_iov pool (no per-page mappings to check)', () => {
    const dom = testDomain(16, { netIovs: 16 });
    const dev = dom.createDevice('nic0');
    const prov = areaProvider(dom, 8);
    const pool = createPagePool({ domain: dom, dev, provider: prov, flags: 3, maxLen: 4096 });
    const a = pool.allocNetmems();
    const b = pool.allocNetmems();
    pool.recycleDirect(a);
    pool.putNetmem(b);
    expect(checkDomainInvariants(dom)).toEqual([]);
    pool.destroy();
    expect(pool.isFreed).toBe(true);
    expect(prov.free).toHaveLength(8);
    expect(prov.calls).toEqual({ init: 1, destroy: 1, alloc: 2, release: 2 });
    expect(checkDomainInvariants(dom)).toEqual([]);
  });
});
