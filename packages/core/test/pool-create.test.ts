import { describe, expect, it } from 'vitest';
import {
  type MemoryDomain,
  NetmemError,
  PP_FLAG_ALLOW_UNREADABLE_NETMEM,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  PP_FLAG_SYSTEM_POOL,
  allPools,
  createPagePool,
  poolById,
  poolRegistry,
  type MemoryProviderOps,
  type NetmemWarning,
  type PagePool,
  type PagePoolParams,
} from '../src/index.js';
import { onePageProvider, testDomain } from './helpers/test-provider.js';

const MAP_SYNC = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV;

/** A memory provider (not the page path) that records init calls and may refuse. */
function memProvider(initError?: NetmemError): MemoryProviderOps & { inits: number } {
  const p = {
    name: 'test-mp',
    inits: 0,
    init() {
      p.inits++;
      if (initError) throw initError;
    },
    destroy() {},
    alloc: () => 0,
    release: () => false,
  };
  return p;
}

interface Harness {
  dom: MemoryDomain;
  create: (p: Partial<PagePoolParams>) => PagePool;
  /** Expects `create(p)` to fail with `code` and leave nothing behind. */
  refuses: (p: Partial<PagePoolParams>, code: string, message?: RegExp) => NetmemError;
  warns: NetmemWarning[];
}

function harness(): Harness {
  const dom = testDomain(64);
  const dev = dom.createDevice('nic0');
  const warns: NetmemWarning[] = [];
  dom.on('warn', (w) => warns.push(w));
  let added = 0;
  poolRegistry(dom).on('add', () => added++);
  const create = (p: Partial<PagePoolParams>): PagePool => createPagePool({ domain: dom, dev, provider: onePageProvider(), ...p });
  const refuses = (p: Partial<PagePoolParams>, code: string, message?: RegExp): NetmemError => {
    const free = dom.freePages;
    const pools = allPools(dom);
    const addedBefore = added;
    const liveMaps = dev.liveMappings;
    let err: unknown;
    try {
      create(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetmemError);
    const ne = err as NetmemError;
    expect(ne.code).toBe(code);
    if (message) expect(ne.message).toMatch(message);
    // Nothing left allocated or listed.
    expect(dom.freePages).toBe(free);
    expect(allPools(dom)).toEqual(pools);
    expect(added).toBe(addedBefore);
    expect(dev.liveMappings).toBe(liveMaps);
    return ne;
  };
  return { dom, create, refuses, warns };
}

describe('createPagePool validation (SPEC §3.1 order)', () => {
  it('unknown flag bit: EINVAL', () => {
    const h = harness();
    h.refuses({ flags: 16 }, 'EINVAL', /unknown page pool flags/);
    h.refuses({ flags: -1 }, 'EINVAL', /unknown page pool flags/);
    // Checked first: an unknown bit wins over a bad direction with DMA_MAP.
    h.refuses({ flags: 16 | PP_FLAG_DMA_MAP, dmaDir: 'to-device' }, 'EINVAL', /unknown page pool flags/);
  });

  it('DMA_MAP with to-device: EINVAL; from-device and bidirectional are fine', () => {
    const h = harness();
    h.refuses({ flags: PP_FLAG_DMA_MAP, dmaDir: 'to-device' }, 'EINVAL', /DMA_MAP needs from-device or bidirectional/);
    expect(h.create({ flags: PP_FLAG_DMA_MAP, dmaDir: 'from-device' }).dmaMap).toBe(true);
    expect(h.create({ flags: PP_FLAG_DMA_MAP, dmaDir: 'bidirectional' }).dmaMap).toBe(true);
    // to-device without DMA_MAP is allowed (nothing is mapped).
    expect(h.create({ dmaDir: 'to-device' }).dmaMap).toBe(false);
  });

  it('DMA_SYNC_DEV without DMA_MAP: EINVAL; with maxLen 0: EINVAL', () => {
    const h = harness();
    h.refuses({ flags: PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 }, 'EINVAL', /DMA_SYNC_DEV needs DMA_MAP/);
    h.refuses({ flags: MAP_SYNC, maxLen: 0 }, 'EINVAL', /maxLen/);
    h.refuses({ flags: MAP_SYNC }, 'EINVAL', /maxLen/);
    // The direction check comes before the sync checks.
    h.refuses({ flags: MAP_SYNC, maxLen: 0, dmaDir: 'to-device' }, 'EINVAL', /DMA_MAP needs from-device/);
    const p = h.create({ flags: MAP_SYNC, maxLen: 2048 });
    expect(p.dmaSync).toBe(true);
    expect(p.maxLen).toBe(2048);
  });

  it('order 11 on the page path: EINVAL; order 10 is fine', () => {
    const h = harness();
    h.refuses({ order: 11 }, 'EINVAL', /page order 11 above 10/);
    h.refuses({ order: -1 }, 'EINVAL');
    expect(h.create({ order: 10 }).order).toBe(10);
  });

  it('a memory provider without DMA_MAP|DMA_SYNC_DEV: EOPNOTSUPP, and its init is not called', () => {
    const h = harness();
    for (const flags of [0, PP_FLAG_DMA_MAP, PP_FLAG_SYSTEM_POOL | PP_FLAG_ALLOW_UNREADABLE_NETMEM]) {
      const mp = memProvider();
      h.refuses({ provider: mp, flags, maxLen: 4096 }, 'EOPNOTSUPP', /needs DMA_MAP and DMA_SYNC_DEV/);
      expect(mp.inits).toBe(0);
    }
    // The sync checks come first: DMA_SYNC_DEV alone is EINVAL, not EOPNOTSUPP.
    h.refuses({ provider: memProvider(), flags: PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 }, 'EINVAL');
    // The order limit is the page path's: a provider pool skips it (and is EOPNOTSUPP without flags).
    h.refuses({ provider: memProvider(), order: 11 }, 'EOPNOTSUPP');
    const mp = memProvider();
    expect(h.create({ provider: mp, flags: MAP_SYNC, maxLen: 4096, order: 11 }).order).toBe(11);
    expect(mp.inits).toBe(1);
  });

  it("the provider's init error is the create error, with a 'mem-provider-init' warning", () => {
    const h = harness();
    const boom = new NetmemError('ENOMEM', 'no room');
    const mp = memProvider(boom);
    const err = h.refuses({ provider: mp, flags: MAP_SYNC, maxLen: 4096 }, 'ENOMEM');
    expect(err).toBe(boom);
    expect(mp.inits).toBe(1);
    expect(h.warns).toHaveLength(1);
    expect(h.warns[0].kind).toBe('mem-provider-init');
    expect(h.warns[0].message).toContain('mem-provider init failed');
    expect(h.warns[0].message).toContain('test-mp');
    // An earlier validation failure never reaches init (and never warns).
    const mp2 = memProvider(boom);
    h.refuses({ provider: mp2, flags: 16 }, 'EINVAL');
    expect(mp2.inits).toBe(0);
    expect(h.warns).toHaveLength(1);
  });

  it('a pool needs a provider: EINVAL', () => {
    const h = harness();
    h.refuses({ provider: null }, 'EINVAL', /needs a provider/);
  });

  it('takes the rx queue provider with ALLOW_UNREADABLE_NETMEM', () => {
    const h = harness();
    const mp = memProvider();
    const netdev = { ifindex: 5, name: 'eth0', rxQueueProvider: (i: number) => (i === 2 ? mp : null) };
    const p = h.create({ netdev, queueIdx: 2, flags: MAP_SYNC | PP_FLAG_ALLOW_UNREADABLE_NETMEM, maxLen: 4096 });
    expect(p.provider).toBe(mp);
    const q = h.create({ netdev, queueIdx: 1, flags: MAP_SYNC | PP_FLAG_ALLOW_UNREADABLE_NETMEM, maxLen: 4096 });
    expect(q.provider.name).toBe('test-pages');
    // Without the flag the queue's provider is ignored.
    expect(h.create({ netdev, queueIdx: 2, flags: MAP_SYNC, maxLen: 4096 }).provider.name).toBe('test-pages');
  });
});

describe('createPagePool ring size and ids', () => {
  it('poolSize 0 -> 1024, above 16384 clamped silently, otherwise as given; negative EINVAL', () => {
    const h = harness();
    expect(h.create({ poolSize: 0 }).ringSize).toBe(1024);
    expect(h.create({}).ringSize).toBe(1024);
    expect(h.create({ poolSize: 20000 }).ringSize).toBe(16384);
    expect(h.create({ poolSize: 16384 }).ringSize).toBe(16384);
    expect(h.create({ poolSize: 5 }).ringSize).toBe(5);
    expect(h.warns).toHaveLength(0);
    h.refuses({ poolSize: -1 }, 'EINVAL');
  });

  it('ids start at 1 and are not reused at once', () => {
    const h = harness();
    const a = h.create({});
    const b = h.create({});
    expect([a.id, b.id]).toEqual([1, 2]);
    a.destroy();
    expect(a.isFreed).toBe(true);
    expect(poolById(h.dom, 1)).toBeUndefined();
    const c = h.create({});
    expect(c.id).toBe(3);
    b.destroy();
    c.destroy();
    expect(allPools(h.dom)).toEqual([]);
    expect(h.create({}).id).toBe(4);
  });

  it('ids wrap around cyclically, skipping ids still live', () => {
    const h = harness();
    const first = h.create({});
    expect(first.id).toBe(1);
    // Jump the id allocator to the end of its range (private state: 2^32 creates would take too long).
    (poolRegistry(h.dom) as unknown as { nextId: number }).nextId = 0x7ffffffe;
    expect(h.create({}).id).toBe(0x7ffffffe);
    expect(h.create({}).id).toBe(0x7fffffff);
  });

  // BUG (reported): ids run up to 0xffffffff, but the pp table is an
  // Int32Array, so a pool with an id above 2^31 - 1 reads its own pages back
  // as another pool's (negative id) and every put fails with EINVAL.
  it('a pool with an id past 2^31 still recycles its own pages, and the ids wrap to 1', () => {
    const h = harness();
    const first = h.create({});
    (poolRegistry(h.dom) as unknown as { nextId: number }).nextId = 0x80000000;
    const big = h.create({});
    const nm = big.allocNetmems();
    expect(nm).not.toBe(0);
    big.putNetmem(nm);
    expect(big.ringLength).toBe(1);
    // Past the top the ids wrap to 1 (live, skipped) and 2.
    (poolRegistry(h.dom) as unknown as { nextId: number }).nextId = 0xffffffff;
    expect(h.create({}).id).toBe(0xffffffff);
    expect(first.id).toBe(1);
    expect(h.create({}).id).toBe(2);
  });

  it('a failed create does not consume an id', () => {
    const h = harness();
    h.refuses({ flags: 16 }, 'EINVAL');
    h.refuses({ provider: memProvider(new NetmemError('EBUSY', 'x')), flags: MAP_SYNC, maxLen: 1 }, 'EBUSY');
    expect(h.create({}).id).toBe(1);
  });

  it('lists the pool, emits pool-add, and keeps one user reference per get()', () => {
    const h = harness();
    const added: number[] = [];
    const deleted: number[] = [];
    poolRegistry(h.dom).on('add', (p) => added.push(p.id));
    poolRegistry(h.dom).on('del', (p) => deleted.push(p.id));
    const p = h.create({});
    expect(added).toEqual([p.id]);
    expect(poolById(h.dom, p.id)).toBe(p);
    expect(allPools(h.dom)).toEqual([p]);
    p.get();
    p.destroy(); // drops the extra user reference only
    expect(p.destroyStarted).toBe(false);
    expect(p.isFreed).toBe(false);
    p.destroy();
    expect(p.isFreed).toBe(true);
    expect(deleted).toEqual([p.id]);
    expect(() => p.destroy()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => p.get()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('allocating from a destroyed pool is EINVAL', () => {
    const h = harness();
    const p = h.create({});
    p.destroy();
    expect(() => p.allocNetmems()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
