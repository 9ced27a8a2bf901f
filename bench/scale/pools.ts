/**
 * Pool throughput with N pools alive in one domain: does the registry or
 * `poolOf` slow down as pools multiply?
 *
 * N order-0 pools (pages provider, ring 1024, no DMA), each prefilled the
 * way the kernel's bench_page_pool_simple does (64 allocations, 64 puts
 * through the ring). One operation works on pool `i mod N`, round-robin, so
 * consecutive operations never hit the same pool (N > 1): the worst case
 * for anything that caches "the last pool". Two paths:
 *
 * - `fast`: `pool.allocNetmems()` + `pool.recycleDirect(nm)`: the caller
 *   knows the pool (a driver's own queue): the alloc-cache fast path.
 * - `lookup`: `pool.allocNetmems()` + `napiPpPutPage(domain, nm, true)`:
 *   the put finds the netmem's pool itself (netmem_get_pp → the registry's
 *   `poolOf`, whose one-entry cache misses on every put when N > 1, then a
 *   Map lookup by pool id), as the skb free path and the providers do.
 */
import { createPagePool, MemoryDomain, VirtualClock, type PagePool } from '@netmem/core';
import { napiPpPutPage } from '@netmem/core/provider';
import { pagesProvider } from '@netmem/provider-pages';
import { expect, peakRssMiB, timeRounds, type Spread } from './common.js';

/** Netmems a refill or bulk allocation moves (PP_ALLOC_CACHE_REFILL). */
const REFILL = 64;

/** Which return path one operation takes. */
export type PoolPath = 'fast' | 'lookup';

/** One pool-count measurement. */
export interface PoolsConfig {
  /** Pools alive in the domain (a power of two: the round-robin is a mask). */
  pools: number;
  /** Return path. */
  path: PoolPath;
  /** Operations per round. */
  ops: number;
  /** Untimed rounds. */
  warmup: number;
  /** Timed rounds. */
  rounds: number;
}

/** The result of {@link runPools}. */
export interface PoolsResult {
  pools: number;
  path: PoolPath;
  ops: number;
  rounds: number;
  /** ns per operation: median and range over the timed rounds. */
  nsPerOp: Spread;
  /** Peak RSS of the process, MiB. */
  peakRssMiB: number;
  /** Folded results (kept so the loops cannot be optimised away). */
  sink: number;
}

/** N prefilled pools in one domain. */
function makePools(n: number): { domain: MemoryDomain; pools: PagePool[] } {
  const domain = new MemoryDomain({ pages: n * REFILL + 4096, netIovs: 0, clock: new VirtualClock(), onWarn: false });
  const pools: PagePool[] = [];
  const held = new Int32Array(REFILL);
  for (let p = 0; p < n; p++) {
    const pool = createPagePool({ domain, provider: pagesProvider(), order: 0, poolSize: 1024, dmaDir: 'bidirectional', flags: 0, dev: null });
    for (let i = 0; i < REFILL; i++) held[i] = pool.allocNetmems();
    for (let i = 0; i < REFILL; i++) pool.putNetmem(held[i], -1, false);
    pools.push(pool);
  }
  return { domain, pools };
}

/** Sum of one statistic over every pool. */
function total(pools: readonly PagePool[], pick: (p: PagePool) => number): number {
  let n = 0;
  for (const p of pools) n += pick(p);
  return n;
}

/**
 * Times `ops` round-robin alloc + put operations over N pools (warm-up,
 * then timed rounds) and checks from the pools' statistics that every
 * operation took the cache path: every alloc a cache hit or one ring
 * refill per pool, every put a direct recycle, nothing released or slow.
 */
export function runPools(cfg: PoolsConfig): PoolsResult {
  const { pools: n, path, ops } = cfg;
  expect(n >= 1 && (n & (n - 1)) === 0, `pools must be a power of two, got ${n}`);
  expect(ops % n === 0, `ops (${ops}) must be a multiple of the pool count (${n})`);
  const { domain, pools } = makePools(n);
  const mask = n - 1;
  const slow0 = total(pools, (p) => p.stats().alloc.slow);
  const allocs0 = total(pools, (p) => p.stats().alloc.fast + p.stats().alloc.refill);
  const refills0 = total(pools, (p) => p.stats().alloc.refill);
  // One loop per path, so each call site stays monomorphic.
  const fast = (count: number): number => {
    let acc = 0;
    for (let i = 0; i < count; i++) {
      const pool = pools[i & mask];
      const nm = pool.allocNetmems();
      acc = (acc + nm) | 0;
      pool.recycleDirect(nm);
    }
    return acc;
  };
  const lookup = (count: number): number => {
    let acc = 0;
    for (let i = 0; i < count; i++) {
      const nm = pools[i & mask].allocNetmems();
      acc = (acc + nm) | 0;
      napiPpPutPage(domain, nm, true);
    }
    return acc;
  };
  const t = timeRounds(path === 'fast' ? fast : lookup, ops, cfg.warmup, cfg.rounds);

  const done = ops * (cfg.warmup + cfg.rounds);
  const allocs = total(pools, (p) => p.stats().alloc.fast + p.stats().alloc.refill) - allocs0;
  const refills = total(pools, (p) => p.stats().alloc.refill) - refills0;
  // Every allocation a cache hit, except each pool's first, which refills the cache from its prefilled ring.
  expect(allocs === done, `${allocs} cache allocations, expected ${done}`);
  expect(refills === n, `${refills} refills, expected one per pool (${n})`);
  expect(total(pools, (p) => p.stats().recycle.cached) === done, `direct recycles ${total(pools, (p) => p.stats().recycle.cached)}, expected ${done}`);
  expect(total(pools, (p) => p.stats().alloc.slow) === slow0, 'slow allocations during the run');
  expect(total(pools, (p) => p.stats().recycle.releasedRefcnt) === 0, 'pages released during the run');
  for (const p of pools) expect(p.stats().recycle.cached === done / n, `pool ${p.id} took ${p.stats().recycle.cached} recycles, expected ${done / n}`);
  for (const p of pools) p.destroy();
  expect(pools.every((p) => p.isFreed) && domain.freePages === domain.pages, 'pools not freed or pages missing after destroy');
  return { pools: n, path, ops, rounds: cfg.rounds, nsPerOp: t.nsPerOp, peakRssMiB: peakRssMiB(), sink: t.sink };
}
