/**
 * The conformance suite must fail broken providers. Each provider below has
 * one defect a user's provider could have; the suite must fail at least one
 * of its cases with a message that names the defect, while the correct
 * provider next to them passes every case.
 */
import { describe, expect, it } from 'vitest';
import { NET_IOV_SIZE, makeRegion, type MemoryDomain } from '../src/index.js';
import {
  mpClearPool,
  mpCountSlowAlloc,
  mpDmaMapPage,
  mpDmaUnmapPage,
  mpPlaceInCache,
  mpSetPool,
  NetmemError,
  type MemoryProviderOps,
  type NetIovArea,
  type PagePool,
} from '../src/provider.js';
import { ConformanceError, providerConformanceCases, type ProviderFixture, type ProviderRefusal, type ProviderSetup } from '../src/testing.js';

/** A page-path provider: one page per alloc; `defect` picks what it gets wrong. */
function pages(
  defect: 'none' | 'unaccounted' | 'cache-unaccounted' | 'leaks-mapping' | 'no-dma-map' | 'nlfill-overrides' | 'ignores-refusal',
): MemoryProviderOps {
  return {
    name: `pages-${defect}`,
    pagePath: true,
    init(pool) {
      if (defect !== 'ignores-refusal' && pool.order > 0) throw new NetmemError('E2BIG', 'order 0 only');
    },
    destroy() {},
    alloc(pool) {
      const nm = pool.domain.allocPages(pool.order, pool.nid);
      if (nm === 0) return 0;
      if (pool.dmaMap && defect !== 'no-dma-map' && !mpDmaMapPage(pool, nm)) {
        pool.domain.putPage(nm);
        return 0;
      }
      if (defect !== 'unaccounted') mpSetPool(pool, nm);
      if (defect === 'cache-unaccounted') {
        const extra = pool.domain.allocPages(0);
        if (extra !== 0) mpPlaceInCache(pool, extra);
      }
      mpCountSlowAlloc(pool, pool.order > 0);
      return nm;
    },
    release(pool, nm) {
      if (defect !== 'leaks-mapping') mpDmaUnmapPage(pool, nm);
      return true;
    },
    nlFill: defect === 'nlfill-overrides' ? () => ({ inflight: 7 }) : undefined,
  };
}

/** A net_iov provider over one area of `count` buffers. */
function netIovs(domain: MemoryDomain, count: number, defect: 'none' | 'release-true' | 'no-clear' | 'duplicate' | 'throws-on-empty'): MemoryProviderOps {
  let area: NetIovArea | null = null;
  const free: number[] = [];
  let last = 0;
  const region = makeRegion('broken-area', new SharedArrayBuffer(count * NET_IOV_SIZE));
  return {
    name: `net-iov-${defect}`,
    init() {
      area ??= domain.createArea('io_uring', count, region, 0, true, null);
      if (free.length === 0) for (let i = count - 1; i >= 0; i--) free.push(area.niov(i));
    },
    destroy() {},
    alloc(pool: PagePool) {
      if (defect === 'duplicate' && last !== 0 && pool.owns(last)) return last;
      const nm = free.pop();
      if (nm === undefined) {
        if (defect === 'throws-on-empty') throw new NetmemError('ENOMEM', 'arena empty');
        return 0;
      }
      mpSetPool(pool, nm);
      last = nm;
      return nm;
    },
    release(pool, nm) {
      if (defect !== 'no-clear') mpClearPool(pool, nm);
      free.push(nm);
      return defect === 'release-true';
    },
  };
}

/** Runs every case; returns the failures' messages (empty: the provider passed). */
async function failures(setup: ProviderSetup, refusals: ProviderRefusal[] = []): Promise<string[]> {
  const out: string[] = [];
  for (const c of providerConformanceCases(setup, { refusals })) {
    try {
      await c.run();
    } catch (e) {
      // A broken provider fails with the suite's error or a netmem error it provoked, never something else.
      expect(e instanceof ConformanceError || e instanceof NetmemError).toBe(true);
      out.push(`${c.name}: ${(e as Error).message}`);
    }
  }
  return out;
}

const MAP_SYNC = { flags: 3, maxLen: 4096 };
const order1: ProviderRefusal[] = [{ name: 'order 1', params: { order: 1 }, code: 'E2BIG' }];

describe('the conformance suite fails broken providers', () => {
  it('a correct page provider and a correct net_iov provider pass every case', async () => {
    expect(await failures(() => ({ provider: pages('none'), params: MAP_SYNC }), order1)).toEqual([]);
    expect(await failures((c) => ({ provider: netIovs(c.domain, 64, 'none'), params: MAP_SYNC, capacity: 64 }))).toEqual([]);
  });

  const cases: { name: string; setup: (ctx: { domain: MemoryDomain }) => ProviderFixture; refusals?: ProviderRefusal[]; expect: RegExp }[] = [
    {
      name: 'alloc returns a page it never accounted (no mpSetPool)',
      setup: () => ({ provider: pages('unaccounted'), params: MAP_SYNC }),
      expect: /netmems accounted by one provider alloc \(returned \+ placed in cache\): expected 1, got 0/,
    },
    {
      name: 'alloc places an unaccounted page in the cache',
      setup: () => ({ provider: pages('cache-unaccounted'), params: MAP_SYNC }),
      expect: /mpPlaceInCache: netmem \d+ must be accounted to pool/,
    },
    {
      name: 'release leaves the DMA mapping behind',
      setup: () => ({ provider: pages('leaks-mapping'), params: MAP_SYNC }),
      expect: /live DMA mappings at the end/,
    },
    {
      name: 'nlFill overrides a core field',
      setup: () => ({ provider: pages('nlfill-overrides'), params: MAP_SYNC }),
      expect: /info\(\)\.inflight: expected \d+, got 7/,
    },
    {
      name: 'init accepts what it must refuse',
      setup: () => ({ provider: pages('ignores-refusal'), params: MAP_SYNC }),
      refusals: order1,
      expect: /expected a NetmemError E2BIG, nothing was thrown/,
    },
    {
      name: 'release answers true for a net_iov',
      setup: (c) => ({ provider: netIovs(c.domain, 64, 'release-true'), params: MAP_SYNC, capacity: 64 }),
      expect: /release\(net_iov \d+\) answer/,
    },
    {
      name: 'release keeps the pool marks (no mpClearPool)',
      setup: (c) => ({ provider: netIovs(c.domain, 64, 'no-clear'), params: MAP_SYNC, capacity: 64 }),
      expect: /after its release \(mpClearPool\)/,
    },
    {
      name: 'alloc hands out a buffer the pool already handed out',
      setup: (c) => ({ provider: netIovs(c.domain, 64, 'duplicate'), params: MAP_SYNC, capacity: 64 }),
      expect: /netmems accounted by one provider alloc \(returned \+ placed in cache\): expected 1, got 0/,
    },
    {
      name: 'alloc throws on exhaustion instead of returning 0',
      setup: (c) => ({ provider: netIovs(c.domain, 64, 'throws-on-empty'), params: MAP_SYNC, capacity: 64 }),
      expect: /arena empty/,
    },
    // The invariant checks after every step catch this one; the lifecycle checks alone did not.
    {
      name: 'pages marked for the pool but never DMA-mapped',
      setup: () => ({ provider: pages('no-dma-map'), params: MAP_SYNC }),
      expect: /has no live DMA mapping/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const msgs = await failures(c.setup, c.refusals);
      expect(msgs.length).toBeGreaterThan(0);
      if (!msgs.some((m) => c.expect.test(m))) throw new Error(`no failure matches ${c.expect}:\n${msgs.join('\n')}`);
    });
  }
});
