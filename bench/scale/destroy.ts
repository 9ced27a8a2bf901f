/**
 * Destroy with k pages in flight, then the late returns (SPEC §3.5, §3.6).
 *
 * One cycle: a DMA-mapping order-0 pool (pages provider, ring 1024) on one
 * device hands out k pages that the caller holds (allocated, mapped, not
 * put back: "in flight"). The pool's cache is flushed first
 * (`updateNid`), so destroy finds exactly the k held pages and an empty
 * cache and ring. Then, timed:
 *
 * - **destroy**: `pool.destroy()` (page_pool_destroy → page_pool_scrub).
 *   Under `xarray` and `item-block` the scrub claims every tracked mapping
 *   and unmaps it while the device is alive (xarray walks its id table,
 *   item-block scans its blocks); under `none` (pre-fix) it unmaps nothing.
 * - **late returns**: the k held pages are put back one by one
 *   (`putNetmem(nm, -1, false)`: the first 1024 land in the ring, the rest
 *   are released), then one release retry (the virtual clock advanced by
 *   1 s) scrubs the ring and frees the pool. Under `xarray`/`item-block` a
 *   late return makes no DMA-API call (its mapping was claimed by the
 *   scrub); under `none` each one unmaps (here on a live device: the
 *   pre-fix kernel would hit a dead one).
 *
 * Tracking memory is read from what the strategy reports
 * (`pool.tracker.memoryBytes()`, the kernel-equivalent bytes: 8 B per
 * xarray id, 16 B items in whole 4 KiB blocks), with k tracked, and, as a
 * second figure, the model's own typed-array bytes measured with
 * `process.memoryUsage().arrayBuffers` across the allocation (after GC).
 */
import { createPagePool, MemoryDomain, PP_FLAG_DMA_MAP, VirtualClock, type DmaDevice, type DmaTracking } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { arrayBufferBytes, expect, nowNs, pause, peakRssMiB, spread, type Spread } from './common.js';

/** Pages a destroy run may need beyond k: one bulk refill (64) left in the cache, with room to spare. */
const SPARE_PAGES = 1024;
/** Release retry period of the pool (DEFER_TIME): advancing the clock by it runs one retry. */
const RETRY_MS = 1000;
/** Sleep before each timed step, ms. */
const SETTLE_MS = 5;

/** One destroy measurement: a strategy, a size and how often to repeat it. */
export interface DestroyConfig {
  /** DMA tracking strategy of the pool. */
  tracking: DmaTracking;
  /** Pages in flight at destroy. */
  k: number;
  /** Timed cycles (each a fresh pool on the same domain and device). */
  reps: number;
  /** Untimed cycles first, so destroy and the late returns run compiled (default: enough for ~3·10⁴ pages, at most 10⁴ per cycle). */
  warmupCycles?: number;
}

/** What one timed cycle measured and counted. */
interface Cycle {
  destroyNs: number;
  lateNs: number;
  trackerBytes: number;
  jsBytes: number;
  unmapsAtDestroy: number;
  unmapsLate: number;
}

/** The result of {@link runDestroy}: medians over the reps, and the bookkeeping of the last cycle. */
export interface DestroyResult {
  tracking: DmaTracking;
  k: number;
  reps: number;
  /** Time of `destroy()`, ms. */
  destroyMs: Spread;
  /** Destroy time per in-flight page, ns (median over reps). */
  destroyNsPerPage: number;
  /** Time per late return (the puts plus the retry that frees the pool), ns. */
  lateNsPerPage: Spread;
  /** `tracker.memoryBytes()` with k pages tracked, per page. */
  trackerBytesPerPage: number;
  /** ArrayBuffer bytes the allocation of k pages added in the weighing cycle (GC before and after), per page: domain and device growth included, so compare strategies at the same k. */
  jsBytesPerPage: number;
  /** Device unmaps made by destroy (k under xarray/item-block, 0 under none). */
  unmapsAtDestroy: number;
  /** Device unmaps made by the late returns (0 under xarray/item-block, k under none). */
  unmapsLate: number;
  /** Peak RSS of the process, MiB (meaningful in a child process of its own). */
  peakRssMiB: number;
}

/** A domain big enough for k pages in flight, with one device and a virtual clock. */
function makeWorld(k: number): { domain: MemoryDomain; dev: DmaDevice; clock: VirtualClock } {
  const clock = new VirtualClock();
  // The page bytes are one WebAssembly memory reserved for every page but only touched where written:
  // nothing here writes page bytes, so 10⁶ pages cost address space, not RSS.
  const domain = new MemoryDomain({ pages: k + SPARE_PAGES, netIovs: 0, clock, onWarn: false });
  return { domain, dev: domain.createDevice('scale0'), clock };
}

/**
 * What a cycle is for: `warm` (untimed), `weigh` (the ArrayBuffer bytes the
 * allocation adds, a full GC before and after), `time` (destroy and the
 * late returns timed). Timed cycles force no GC: on this VM the steps right
 * after a forced full GC ran up to 5× slower (a destroy of 10³ pages ~100 µs
 * instead of ~20), so a forced GC would measure its own aftermath; the
 * weighing cycle just before them starts them on a collected heap, and no
 * GC started inside a timed step (checked with perf_hooks `gc` entries at
 * 10⁴, 10⁵ and 10⁶). Each timed step follows a 5 ms sleep instead, so it
 * starts on a fresh scheduler slice with the JIT's background work done
 * (fewer ms-long outliers on a shared two-core VM).
 */
type CycleMode = 'warm' | 'weigh' | 'time';

/** One cycle of k pages: alloc and hold, flush the cache, destroy (timed), late returns (timed), checks. */
function cycle(w: ReturnType<typeof makeWorld>, tracking: DmaTracking, k: number, held: Int32Array, mode: CycleMode): Cycle {
  const { domain, dev, clock } = w;
  const tracked = tracking !== 'none';
  const ab0 = mode === 'weigh' ? arrayBufferBytes() : 0;
  const pool = createPagePool({
    domain,
    provider: pagesProvider(),
    order: 0,
    poolSize: 1024,
    dmaDir: 'bidirectional',
    flags: PP_FLAG_DMA_MAP,
    dev,
    dmaTracking: tracking,
  });
  const maps0 = dev.counters().maps;
  for (let i = 0; i < k; i++) {
    const nm = pool.allocNetmems();
    if (nm === 0) throw new Error(`allocation ${i} of ${k} failed`);
    held[i] = nm;
  }
  const trackerBytes = pool.tracker.memoryBytes();
  const jsBytes = mode === 'weigh' ? arrayBufferBytes() - ab0 : 0;
  // The last bulk refill left up to 63 pages in the cache: flush them (page_pool_update_nid does), so destroy sees only the k held pages.
  const cached = pool.cacheSize;
  expect(dev.counters().maps - maps0 === k + cached, `${dev.counters().maps - maps0} maps for ${k} held + ${cached} cached pages`);
  pool.updateNid(-1);
  expect(pool.cacheSize === 0 && pool.ringLength === 0, `cache ${pool.cacheSize}, ring ${pool.ringLength} before destroy, expected 0 / 0`);
  expect(pool.inflight === k, `inflight ${pool.inflight} before destroy, expected ${k}`);
  expect(pool.tracker.tracked === (tracked ? k : 0), `${pool.tracker.tracked} mappings tracked, expected ${tracked ? k : 0}`);
  expect(dev.liveMappings === k, `${dev.liveMappings} live mappings before destroy, expected ${k}`);
  const c0 = dev.counters();
  if (mode === 'time') pause(SETTLE_MS);

  const t0 = nowNs();
  pool.destroy();
  const t1 = nowNs();
  const c1 = dev.counters();
  expect(
    pool.isDetached && !pool.isFreed && pool.inflight === k,
    `after destroy: detached ${pool.isDetached}, freed ${pool.isFreed}, inflight ${pool.inflight}, expected detached with ${k}`,
  );
  expect(dev.liveMappings === (tracked ? 0 : k), `${dev.liveMappings} live mappings after destroy, expected ${tracked ? 0 : k}`);

  if (mode === 'time') pause(SETTLE_MS);
  const t2 = nowNs();
  for (let i = 0; i < k; i++) pool.putNetmem(held[i], -1, false);
  clock.advance(RETRY_MS);
  const t3 = nowNs();
  const c2 = dev.counters();

  expect(pool.isFreed && pool.inflight === 0, `after the late returns and one retry: freed ${pool.isFreed}, inflight ${pool.inflight}`);
  expect(pool.holdCount === pool.releaseCount, `hold ${pool.holdCount} ≠ release ${pool.releaseCount}`);
  expect(domain.freePages === domain.pages, `${domain.pages - domain.freePages} pages not back in the page allocator`);
  expect(domain.leaks === 0, `${domain.leaks} page_pool leaks`);
  expect(dev.liveMappings === 0 && c2.maps === c2.unmaps, `${dev.liveMappings} mappings left (maps ${c2.maps}, unmaps ${c2.unmaps})`);
  expect(dev.faultCount === 0, `${dev.faultCount} IOMMU faults`);
  const unmapsAtDestroy = c1.unmaps - c0.unmaps;
  const unmapsLate = c2.unmaps - c1.unmaps;
  expect(unmapsAtDestroy === (tracked ? k : 0), `destroy unmapped ${unmapsAtDestroy}, expected ${tracked ? k : 0}`);
  expect(unmapsLate === (tracked ? 0 : k), `late returns unmapped ${unmapsLate}, expected ${tracked ? 0 : k}`);
  return { destroyNs: t1 - t0, lateNs: t3 - t2, trackerBytes, jsBytes, unmapsAtDestroy, unmapsLate };
}

/**
 * Measures destroy and the late returns for one strategy and size: warm-up
 * cycles (at most 10⁴ pages), one weighing cycle of k pages (which also
 * grows the domain's tables and the device's slot arrays to k before
 * anything is timed), then `reps` timed cycles; each cycle is a fresh pool
 * on one domain and device. Throws when any bookkeeping is off.
 */
export function runDestroy(cfg: DestroyConfig): DestroyResult {
  const { tracking, k, reps } = cfg;
  expect(Number.isInteger(k) && k >= 1 && Number.isInteger(reps) && reps >= 1, `bad destroy config ${JSON.stringify(cfg)}`);
  const w = makeWorld(k);
  const held = new Int32Array(k);
  const kw = Math.min(k, 10_000);
  const warm = cfg.warmupCycles ?? Math.max(3, Math.ceil(30_000 / kw));
  for (let i = 0; i < warm; i++) cycle(w, tracking, kw, held, 'warm');
  const weighed = cycle(w, tracking, k, held, 'weigh');
  const cycles: Cycle[] = [];
  for (let r = 0; r < reps; r++) cycles.push(cycle(w, tracking, k, held, 'time'));
  const destroyNs = cycles.map((c) => c.destroyNs);
  const last = cycles[cycles.length - 1];
  return {
    tracking,
    k,
    reps,
    destroyMs: spread(destroyNs.map((n) => n / 1e6)),
    destroyNsPerPage: spread(destroyNs).median / k,
    lateNsPerPage: spread(cycles.map((c) => c.lateNs / k)),
    trackerBytesPerPage: last.trackerBytes / k,
    jsBytesPerPage: weighed.jsBytes / k,
    unmapsAtDestroy: last.unmapsAtDestroy,
    unmapsLate: last.unmapsLate,
    peakRssMiB: peakRssMiB(),
  };
}
