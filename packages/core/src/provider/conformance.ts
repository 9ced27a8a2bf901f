/**
 * The provider conformance suite: one set of lifecycle checks every memory
 * provider passes (the pages provider, devmem, io_uring zcrx, and any
 * provider a user writes), the way unstorage runs one suite over every driver.
 *
 * It is framework-agnostic: {@link providerConformanceCases} returns plain
 * cases that throw a {@link ConformanceError} on failure, and
 * {@link testProvider} registers them with any `test(name, fn)` function
 * (vitest's `it`, node:test's `test`, a hand-rolled runner).
 *
 * Every case builds its own world: a fresh MemoryDomain on a VirtualClock, a
 * DmaDevice, and whatever the setup function adds; and it ends by checking
 * the world is clean again (no pool listed, no descriptor owned by a pool,
 * free pages and live mappings back to the start, no IOMMU fault, no leak,
 * no unexpected warning, no timer pending).
 */
import { NetmemError, isNetmemError, type ErrnoCode } from '../errors.js';
import type { DmaDevice } from '../dma/device.js';
import { descOf, isNetIov } from '../netmem/handle.js';
import { PAGE_SIZE, MemoryDomain, type NetmemWarning } from '../netmem/domain.js';
import { NET_IOV_SIZE } from '../netmem/area.js';
import { Place } from '../netmem/places.js';
import { VirtualClock } from '../pool/clock.js';
import { DEFER_TIME_MS, PP_ALLOC_CACHE_SIZE, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV } from '../pool/constants.js';
import { createPagePool, type PagePool, type PagePoolParams } from '../pool/page-pool.js';
import type { MemoryProviderOps } from './ops.js';

/** What a {@link ProviderSetup} receives: a fresh world for one case. */
export interface ProviderSetupContext {
  /** A new domain (VirtualClock, `onWarn: false`). */
  readonly domain: MemoryDomain;
  /** A new DMA device of that domain. */
  readonly dev: DmaDevice;
  /** The domain's clock. */
  readonly clock: VirtualClock;
}

/** What a {@link ProviderSetup} returns. */
export interface ProviderFixture {
  /** The provider under test (fresh for this case). */
  provider: MemoryProviderOps;
  /**
   * Pool parameters for this provider (flags, order, maxLen, ...). Defaults:
   * order 0, `from-device`, DMA_MAP | DMA_SYNC_DEV, maxLen = bytes per netmem.
   * `domain`, `dev` and `provider` are always the suite's.
   */
  params?: Partial<PagePoolParams>;
  /**
   * For a bounded provider: how many netmems a fresh pool can have out at
   * once. The suite expects exactly that many allocations to succeed and the
   * next to return 0. Leave undefined when only the domain's memory bounds it.
   */
  capacity?: number;
  /** Undo what the setup did (unbind, unregister). Runs after the pool is freed. */
  teardown?(): void;
}

/**
 * Builds the provider for one case. Called fresh for every case; keep all
 * state in the returned fixture.
 */
export type ProviderSetup = (ctx: ProviderSetupContext) => ProviderFixture;

/** An init refusal the provider is expected to make. */
export interface ProviderRefusal {
  /** Short description, e.g. `order 1`. */
  name: string;
  /** Pool parameters (over the fixture's) that the provider's init must refuse. */
  params: Partial<PagePoolParams>;
  /** The errno name createPagePool must throw. */
  code: ErrnoCode;
}

/** Options of {@link providerConformanceCases} and {@link testProvider}. */
export interface ConformanceOptions {
  /** Page frames of each case's domain. Default 1024 (bounds unbounded providers' exhaustion). */
  pages?: number;
  /** net_iov descriptors of each case's domain. Default 16384. */
  netIovs?: number;
  /** Init refusals to check (each must fail with its code and leave nothing behind). */
  refusals?: ProviderRefusal[];
  /** Test-name prefix used by {@link testProvider}. Default `conformance`. */
  label?: string;
}

/** One check of the suite. */
export interface ConformanceCase {
  /** What it checks. */
  name: string;
  /** Runs it; throws a {@link ConformanceError} (or the provider's own error) on failure. */
  run(): void | Promise<void>;
}

/** A failed conformance expectation. */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(`provider conformance: ${message}`);
    this.name = 'ConformanceError';
  }
}

/** Registers every case with a test function: `testProvider(setup, it)` in a vitest file. */
export function testProvider(
  setup: ProviderSetup,
  test: (name: string, fn: () => void | Promise<void>) => void,
  options: ConformanceOptions = {},
): void {
  const label = options.label ?? 'conformance';
  for (const c of providerConformanceCases(setup, options)) test(`${label}: ${c.name}`, () => c.run());
}

// ---- assertions -------------------------------------------------------------

function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ConformanceError(message);
}

function eq<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) throw new ConformanceError(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

function expectCode(fn: () => unknown, code: ErrnoCode, what: string): void {
  try {
    fn();
  } catch (e) {
    if (isNetmemError(e, code)) return;
    throw new ConformanceError(`${what}: expected a NetmemError ${code}, got ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new ConformanceError(`${what}: expected a NetmemError ${code}, nothing was thrown`);
}

// ---- the counting proxy -----------------------------------------------------

/** Counts and checks every call the pool makes into the provider. */
interface ProviderSpy {
  ops: MemoryProviderOps;
  calls: { init: number; destroy: number; alloc: number; release: number; scrub: number };
  /** Times each handle entered a pool (returned by alloc or placed in the cache). */
  entered: Map<number, number>;
  /** Times each handle was released. */
  released: Map<number, number>;
}

function bump(m: Map<number, number>, nm: number): void {
  m.set(nm, (m.get(nm) ?? 0) + 1);
}

function spyOn(inner: MemoryProviderOps): ProviderSpy {
  const spy: ProviderSpy = {
    ops: undefined as unknown as MemoryProviderOps,
    calls: { init: 0, destroy: 0, alloc: 0, release: 0, scrub: 0 },
    entered: new Map(),
    released: new Map(),
  };
  const ops: MemoryProviderOps = {
    name: inner.name,
    pagePath: inner.pagePath,
    init(pool) {
      spy.calls.init++;
      inner.init(pool);
    },
    destroy(pool) {
      spy.calls.destroy++;
      check(pool.isFreed, `provider destroy called before pool ${pool.id} was freed`);
      check(pool.domain.poolById(pool.id) !== pool, `provider destroy called while pool ${pool.id} is still listed`);
      eq(pool.inflight, 0, `inflight of pool ${pool.id} when its provider is destroyed`);
      inner.destroy(pool);
    },
    alloc(pool, gfp) {
      spy.calls.alloc++;
      // The pool asks only when its cache is empty.
      eq(pool.cacheSize, 0, 'cache size when the provider is asked to alloc');
      const held = pool.holdCount;
      const nm = inner.alloc(pool, gfp);
      const cached = pool.cacheSize;
      check(cached <= PP_ALLOC_CACHE_SIZE, `provider alloc left ${cached} netmems in a cache of ${PP_ALLOC_CACHE_SIZE}`);
      // Everything the provider accounted is either returned or in the cache: nothing placed past a full cache.
      eq((pool.holdCount - held) | 0, cached + (nm !== 0 ? 1 : 0), 'netmems accounted by one provider alloc (returned + placed in cache)');
      const tab = pool.domain.table;
      for (const c of pool.snapshot().cache) {
        const d = descOf(c);
        eq(tab.pp[d], pool.id, `pp of netmem ${c} placed in the cache`);
        eq(tab.ppRef[d], 1, `pp refcount of netmem ${c} placed in the cache`);
        eq(tab.place[d], Place.CACHE, `place of netmem ${c} placed in the cache`);
        bump(spy.entered, c);
      }
      if (nm !== 0) {
        eq(tab.pp[descOf(nm)], pool.id, `pp of netmem ${nm} returned by provider alloc`);
        eq(tab.ppRef[descOf(nm)], 1, `pp refcount of netmem ${nm} returned by provider alloc`);
        bump(spy.entered, nm);
      }
      return nm;
    },
    release(pool, nm) {
      spy.calls.release++;
      bump(spy.released, nm);
      const put = inner.release(pool, nm);
      eq(put, !isNetIov(nm), `release(${isNetIov(nm) ? 'net_iov' : 'page'} ${nm}) answer`);
      if (!put) eq(pool.domain.table.pp[descOf(nm)], 0, `pp of net_iov ${nm} after its release (mpClearPool)`);
      return put;
    },
  };
  if (inner.scrub) {
    const scrub = inner.scrub;
    ops.scrub = (pool) => {
      spy.calls.scrub++;
      scrub.call(inner, pool);
    };
  }
  if (inner.nlFill) {
    const nlFill = inner.nlFill;
    ops.nlFill = (pool, rxq) => nlFill.call(inner, pool, rxq);
  }
  if (inner.uninstall) {
    const uninstall = inner.uninstall;
    ops.uninstall = (rxq) => uninstall.call(inner, rxq);
  }
  spy.ops = ops;
  return spy;
}

// ---- one case's world -------------------------------------------------------

/** A case's world: context, fixture, spy, and the starting figures the clean check compares against. */
class World {
  readonly ctx: ProviderSetupContext;
  readonly fx: ProviderFixture;
  readonly spy: ProviderSpy;
  readonly warnings: NetmemWarning[] = [];
  private readonly freeAtStart: number;
  private readonly liveAtStart: number;
  private tornDown = false;

  constructor(setup: ProviderSetup, options: ConformanceOptions) {
    const clock = new VirtualClock();
    const domain = new MemoryDomain({ pages: options.pages ?? 1024, netIovs: options.netIovs ?? 16384, clock, onWarn: false });
    domain.on('warn', (w) => this.warnings.push(w));
    const dev = domain.createDevice('conformance-nic');
    this.ctx = { domain, dev, clock };
    this.freeAtStart = domain.freePages;
    this.liveAtStart = dev.liveMappings;
    this.fx = setup(this.ctx);
    this.spy = spyOn(this.fx.provider);
  }

  /** Pool parameters: the defaults, then the fixture's, then the case's. */
  params(extra: Partial<PagePoolParams> = {}): PagePoolParams {
    const fp = { ...this.fx.params, ...extra };
    const order = fp.order ?? 0;
    return {
      order,
      dmaDir: 'from-device',
      flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
      maxLen: PAGE_SIZE << order,
      ...fp,
      domain: this.ctx.domain,
      dev: this.ctx.dev,
      provider: this.spy.ops,
    };
  }

  createPool(extra: Partial<PagePoolParams> = {}): PagePool {
    const inits = this.spy.calls.init;
    const pool = createPagePool(this.params(extra));
    eq(this.spy.calls.init - inits, 1, 'provider init calls at pool creation');
    return pool;
  }

  /** Bytes of one netmem of this pool. */
  netmemBytes(pool: PagePool, nm: number): number {
    return isNetIov(nm) ? NET_IOV_SIZE : PAGE_SIZE << pool.order;
  }

  /** Whether the CPU may read `nm` (a dmabuf net_iov may not). */
  readable(nm: number): boolean {
    if (!isNetIov(nm)) return true;
    const area = this.ctx.domain.areaOf(nm);
    check(area !== undefined, `net_iov ${nm} belongs to no area`);
    return area.readable;
  }

  /**
   * Conservation: hold − release equals the descriptors naming the pool; the
   * cache and ring places match the cache and ring sizes.
   */
  checkAccounting(pool: PagePool, when: string): void {
    const t = this.ctx.domain.table;
    let owned = 0;
    let inCache = 0;
    let inRing = 0;
    for (let d = 1; d < t.size; d++) {
      if (t.pp[d] !== pool.id) continue;
      owned++;
      if (t.place[d] === Place.CACHE) inCache++;
      else if (t.place[d] === Place.RING) inRing++;
    }
    eq(pool.inflight, owned, `${when}: holdCount − releaseCount vs descriptors owned by pool ${pool.id}`);
    check(pool.inflight >= 0, `${when}: negative inflight ${pool.inflight}`);
    eq(inCache, pool.cacheSize, `${when}: netmems marked CACHE vs cache size`);
    eq(inRing, pool.ringLength, `${when}: netmems marked RING vs ring length`);
  }

  /** Checks one netmem fresh from alloc; adds it to `held`. */
  checkHandedOut(pool: PagePool, nm: number, held: Set<number>): void {
    const t = this.ctx.domain.table;
    const d = descOf(nm);
    check(!held.has(nm), `netmem ${nm} handed out twice while held`);
    eq(t.pp[d], pool.id, `pp of allocated netmem ${nm}`);
    eq(t.ppRef[d], 1, `pp refcount of allocated netmem ${nm}`);
    eq(t.place[d], Place.HANDED_OUT, `place of allocated netmem ${nm}`);
    held.add(nm);
  }

  /** Allocates `n` netmems (each must succeed and pass {@link checkHandedOut}). */
  allocN(pool: PagePool, n: number, held: Set<number>, out: number[] = []): number[] {
    for (let i = 0; i < n; i++) {
      const nm = pool.allocNetmems();
      check(nm !== 0, `alloc ${i + 1} of ${n} returned 0`);
      this.checkHandedOut(pool, nm, held);
      out.push(nm);
    }
    return out;
  }

  /** Destroys a pool with nothing held: it must be freed at once. */
  destroyEmpty(pool: PagePool): void {
    pool.destroy();
    check(pool.isFreed, `pool ${pool.id} not freed by destroy with nothing in flight (inflight ${pool.inflight})`);
    eq(this.spy.calls.destroy, 1, 'provider destroy calls');
  }

  /** Every entry into a pool was released exactly once. */
  checkReleasedOnce(): void {
    const { entered, released } = this.spy;
    for (const [nm, n] of entered) eq(released.get(nm) ?? 0, n, `releases of netmem ${nm} (entered ${n} time(s))`);
    for (const [nm, n] of released) check(entered.has(nm), `netmem ${nm} released ${n} time(s) but never entered the pool`);
  }

  /** Teardown, then the clean-world check. */
  finish(allowedWarnings: readonly string[] = []): void {
    const { domain, dev, clock } = this.ctx;
    for (const p of domain.allPools()) throw new ConformanceError(`pool ${p.id} still listed at the end (inflight ${p.inflight})`);
    this.tornDown = true;
    this.fx.teardown?.();
    eq(domain.freePages, this.freeAtStart, 'free pages at the end vs the start');
    eq(dev.liveMappings, this.liveAtStart, 'live DMA mappings at the end vs the start');
    eq(dev.faultCount, 0, `IOMMU faults (${dev.faultLog.map((f) => `${f.kind} in ${f.op}`).join(', ')})`);
    eq(domain.leaks, 0, 'page_pool leak reports');
    eq(clock.pending, 0, 'timers still pending at the end');
    const t = domain.table;
    for (let d = 1; d < t.size; d++) if (t.pp[d] !== 0) throw new ConformanceError(`descriptor ${d} still names pool ${t.pp[d]} at the end`);
    const unexpected = this.warnings.filter((w) => !allowedWarnings.includes(w.kind));
    check(unexpected.length === 0, `unexpected warnings: ${unexpected.map((w) => w.message).join('; ')}`);
  }

  /** After a failure: best effort to run the teardown once (errors ignored, the first failure wins). */
  abandon(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    try {
      this.fx.teardown?.();
    } catch {
      /* the case already failed */
    }
  }
}

/** Runs `body` in a fresh world and checks the world is clean afterwards. */
function inWorld(setup: ProviderSetup, options: ConformanceOptions, body: (w: World) => void, allowedWarnings?: readonly string[]): () => void {
  return () => {
    const w = new World(setup, options);
    try {
      body(w);
      w.finish(allowedWarnings);
    } catch (e) {
      w.abandon();
      throw e;
    }
  };
}

/** How many netmems a case may take: the fixture's capacity, capped. */
function take(w: World, cap: number): number {
  return Math.min(w.fx.capacity ?? cap, cap);
}

// ---- the cases --------------------------------------------------------------

/** The conformance cases for one provider setup. */
export function providerConformanceCases(setup: ProviderSetup, options: ConformanceOptions = {}): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const add = (name: string, body: (w: World) => void, allowedWarnings?: readonly string[]): void => {
    cases.push({ name, run: inWorld(setup, options, body, allowedWarnings) });
  };

  add('init + destroy with nothing allocated frees the pool and destroys the provider once', (w) => {
    let destroyedEvents = 0;
    const pool = w.createPool();
    pool.on('destroyed', () => destroyedEvents++);
    check(w.ctx.domain.poolById(pool.id) === pool, `pool ${pool.id} is not listed after creation`);
    eq(pool.inflight, 0, 'inflight of a new pool');
    w.destroyEmpty(pool);
    eq(w.ctx.domain.poolById(pool.id), undefined, 'pool still listed after being freed');
    eq(destroyedEvents, 1, "'destroyed' events");
    eq(w.spy.calls.alloc, 0, 'provider alloc calls');
    eq(w.spy.calls.release, 0, 'provider release calls');
    eq(pool.holdCount, 0, 'hold count');
  });

  add('alloc hands out accounted, distinct, readable (or EFAULT) netmems', (w) => {
    const pool = w.createPool();
    const held = new Set<number>();
    const n = take(w, 200);
    const got = w.allocN(pool, n, held);
    check(w.spy.calls.alloc >= 1, 'the provider was never asked');
    w.checkAccounting(pool, `after ${n} allocs`);
    // Write a distinct pattern into every readable buffer, then read all back: no two overlap.
    for (let i = 0; i < got.length; i++) {
      const nm = got[i];
      if (!w.readable(nm)) {
        expectCode(() => pool.bytes(nm), 'EFAULT', `bytes() of unreadable netmem ${nm}`);
        continue;
      }
      const b = pool.bytes(nm);
      eq(b.length, w.netmemBytes(pool, nm), `bytes().length of netmem ${nm}`);
      check(pool.bytes(nm) === b, `bytes(${nm}) is not cached (a new view per call)`);
      b[0] = i & 0xff;
      b[b.length - 1] = (i >> 8) & 0xff;
    }
    for (let i = 0; i < got.length; i++) {
      if (!w.readable(got[i])) continue;
      const b = pool.bytes(got[i]);
      check(b[0] === (i & 0xff) && b[b.length - 1] === ((i >> 8) & 0xff), `netmem ${got[i]}'s bytes were overwritten through another netmem`);
    }
    for (const nm of got) pool.putNetmem(nm, -1, false);
    w.checkAccounting(pool, 'after returning everything');
    w.destroyEmpty(pool);
    w.checkReleasedOnce();
  });

  add('provider alloc never places more than the cache holds and accounts all it places', (w) => {
    const pool = w.createPool();
    const held = new Set<number>();
    // Several slow allocations: the proxy checks each (cache ≤ 128, hold delta == returned + cached).
    const n = take(w, 300);
    w.allocN(pool, n, held);
    check(w.spy.calls.alloc >= 1, 'the provider was never asked');
    const fromProvider = [...w.spy.entered.values()].reduce((a, b) => a + b, 0);
    eq(pool.holdCount, fromProvider, 'hold count vs netmems the provider returned or placed');
    eq(fromProvider, n + pool.cacheSize, 'netmems from the provider vs allocated + left in the cache');
    w.checkAccounting(pool, `after ${n} allocs`);
    for (const nm of held) pool.recycleDirect(nm);
    w.checkAccounting(pool, 'after recycling');
    w.destroyEmpty(pool);
    w.checkReleasedOnce();
  });

  add('alloc returns 0 on exhaustion (never throws) and recovers once everything is returned', (w) => {
    const pool = w.createPool();
    const { domain } = w.ctx;
    const held = new Set<number>();
    const cap = w.fx.capacity;
    const limit = cap ?? domain.table.size;
    const got: number[] = [];
    for (;;) {
      const nm = pool.allocNetmems();
      if (nm === 0) break;
      w.checkHandedOut(pool, nm, held);
      got.push(nm);
      check(got.length <= limit, `more than ${limit} netmems handed out (capacity ${String(cap)})`);
    }
    check(got.length > 0, 'nothing could be allocated from a fresh pool');
    if (cap !== undefined) eq(got.length, cap, 'netmems handed out before exhaustion vs capacity');
    eq(pool.allocNetmems(), 0, 'a second alloc while exhausted');
    w.checkAccounting(pool, 'at exhaustion');
    // Return everything (half direct, half through the ring), then take as many again.
    got.forEach((nm, i) => pool.putNetmem(nm, -1, i % 2 === 0));
    held.clear();
    w.checkAccounting(pool, 'after returning everything');
    const again = w.allocN(pool, got.length, held);
    w.checkAccounting(pool, 'after recovering');
    for (const nm of again) pool.putNetmem(nm, -1, false);
    w.destroyEmpty(pool);
    w.checkReleasedOnce();
  });

  add('everything returned by putNetmem (direct and not) is reused before the provider is asked again', (w) => {
    const pool = w.createPool();
    const held = new Set<number>();
    const n = take(w, 48);
    const got = w.allocN(pool, n, held);
    const asked = w.spy.calls.alloc;
    const half = n >> 1;
    for (let i = 0; i < n; i++) pool.putNetmem(got[i], -1, i < half);
    eq(pool.ringLength, n - half, 'ring length after non-direct puts');
    const available = pool.cacheSize + pool.ringLength;
    check(available >= n, `only ${available} of ${n} returned netmems are in the cache and ring`);
    held.clear();
    const again = w.allocN(pool, available, held);
    eq(w.spy.calls.alloc, asked, 'provider alloc calls while cache + ring still had netmems');
    for (const nm of got) check(held.has(nm), `returned netmem ${nm} was not reused`);
    eq(pool.cacheSize + pool.ringLength, 0, 'cache + ring after reusing everything');
    for (const nm of again) pool.recycleDirect(nm);
    w.destroyEmpty(pool);
    w.checkReleasedOnce();
  });

  add('release answers true for pages and false for net_iovs, once per netmem over a full lifecycle', (w) => {
    const pool = w.createPool({ poolSize: 16 });
    const { clock } = w.ctx;
    const held = new Set<number>();
    const n = take(w, 64);
    const got = w.allocN(pool, n, held);
    // Through every exit: the cache (direct), the ring (and ring overflow), still held at destroy.
    const keep = Math.max(1, n >> 3);
    const kept = got.slice(0, keep);
    const rest = got.slice(keep);
    rest.forEach((nm, i) => pool.putNetmem(nm, -1, i % 3 === 0));
    pool.destroy();
    check(pool.isDetached, 'pool with netmems held is not detached');
    for (const nm of kept) pool.putNetmem(nm, -1, false);
    clock.advance(DEFER_TIME_MS);
    check(pool.isFreed, `pool ${pool.id} not freed one retry after the last put (inflight ${pool.inflight})`);
    eq(pool.releaseCount, pool.holdCount, 'release count vs hold count');
    eq(w.spy.calls.release, pool.releaseCount, 'provider release calls vs release count');
    w.checkReleasedOnce();
  });

  add('destroy with netmems held detaches the pool; it is freed within one 1 s retry after the last put', (w) => {
    const pool = w.createPool();
    const { clock, domain } = w.ctx;
    const held = new Set<number>();
    const k = take(w, 8);
    const got = w.allocN(pool, k, held);
    clock.advance(5000);
    let detachedEvents = 0;
    pool.on('detached', () => detachedEvents++);
    pool.destroy();
    check(pool.isDetached, 'pool not detached');
    check(!pool.isFreed, 'pool freed with netmems in flight');
    eq(detachedEvents, 1, "'detached' events");
    const info = pool.info();
    eq(info.detachTime, 5, 'info().detachTime (seconds on the domain clock)');
    eq(info.inflight, k, 'info().inflight');
    check(domain.poolById(pool.id) === pool, 'detached pool is not listed');
    eq(pool.cacheSize, 0, 'cache size after destroy');
    clock.advance(DEFER_TIME_MS);
    check(pool.isDetached, 'pool freed while netmems are still held');
    // After destroy even a direct put must not reach the cache.
    pool.recycleDirect(got[0]);
    eq(pool.cacheSize, 0, 'cache size after a direct put on a destroyed pool');
    for (let i = 1; i < k - 1; i++) pool.putNetmem(got[i], -1, false);
    if (k > 1) {
      clock.advance(DEFER_TIME_MS);
      check(pool.isDetached, 'pool freed while one netmem is still held');
      eq(pool.inflight, 1, 'inflight with one netmem held');
      pool.putNetmem(got[k - 1], -1, false);
    }
    clock.advance(DEFER_TIME_MS);
    check(pool.isFreed, `pool not freed one retry after the last put (inflight ${pool.inflight})`);
    eq(domain.poolById(pool.id), undefined, 'freed pool still listed');
    eq(w.spy.calls.destroy, 1, 'provider destroy calls');
    w.checkReleasedOnce();
  });

  add('provider destroy runs exactly once, only when the pool is freed', (w) => {
    const pool = w.createPool();
    const { clock } = w.ctx;
    const held = new Set<number>();
    const got = w.allocN(pool, take(w, 4), held);
    pool.destroy();
    for (let i = 0; i < 3; i++) {
      eq(w.spy.calls.destroy, 0, `provider destroy calls while detached (retry ${i})`);
      clock.advance(DEFER_TIME_MS);
    }
    for (const nm of got) pool.putNetmem(nm, -1, false);
    eq(w.spy.calls.destroy, 0, 'provider destroy calls before the retry that frees the pool');
    clock.advance(DEFER_TIME_MS);
    eq(w.spy.calls.destroy, 1, 'provider destroy calls once freed');
    clock.advance(10 * DEFER_TIME_MS);
    eq(w.spy.calls.destroy, 1, 'provider destroy calls long after the pool was freed');
    expectCode(() => pool.destroy(), 'EINVAL', 'a second destroy');
    eq(w.spy.calls.destroy, 1, 'provider destroy calls after a second destroy');
  });

  add('destroy scrubs: cache and ring emptied, provider scrub (if any) once at destroy and once per retry', (w) => {
    const pool = w.createPool();
    const { clock } = w.ctx;
    const held = new Set<number>();
    const n = take(w, 24);
    const got = w.allocN(pool, n, held);
    const keep = Math.max(1, n >> 2);
    const back = got.slice(keep);
    back.forEach((nm, i) => pool.putNetmem(nm, -1, i % 2 === 0));
    const hasScrub = w.spy.ops.scrub !== undefined;
    eq(w.spy.calls.scrub, 0, 'provider scrub calls before destroy');
    pool.destroy();
    eq(w.spy.calls.scrub, hasScrub ? 1 : 0, 'provider scrub calls by destroy');
    eq(pool.cacheSize, 0, 'cache size after destroy');
    eq(pool.ringLength, 0, 'ring length after destroy');
    eq(pool.inflight, keep, 'inflight after destroy (only what the user holds)');
    w.checkAccounting(pool, 'after destroy');
    for (const nm of got.slice(0, keep)) pool.putNetmem(nm, -1, false);
    eq(pool.ringLength, keep, 'returns after destroy wait in the ring');
    clock.advance(DEFER_TIME_MS);
    eq(w.spy.calls.scrub, hasScrub ? 2 : 0, 'provider scrub calls after one retry');
    check(pool.isFreed, 'pool not freed by the retry');
    w.checkReleasedOnce();
  });

  add('nlFill (if any) returns a plain object that info() includes', (w) => {
    const pool = w.createPool();
    const held = new Set<number>();
    const got = w.allocN(pool, take(w, 2), held);
    const core = new Set(['id', 'ifindex', 'napiId', 'inflight', 'inflightMem', 'detachTime']);
    const info = pool.info();
    eq(info.id, pool.id, 'info().id');
    eq(info.inflight, pool.inflight, 'info().inflight');
    eq(info.inflightMem, pool.inflight * (PAGE_SIZE << pool.order), 'info().inflightMem');
    const fill = w.spy.ops.nlFill;
    if (fill) {
      const fields = fill(pool, null);
      check(fields !== null && typeof fields === 'object', 'nlFill did not return an object');
      const proto = Object.getPrototypeOf(fields);
      check(proto === Object.prototype || proto === null, 'nlFill did not return a plain object');
      for (const [k, v] of Object.entries(fields)) {
        check(!core.has(k), `nlFill overrides the core field '${k}'`);
        check(k in info, `info() lacks the provider field '${k}'`);
        eq(JSON.stringify(info[k]), JSON.stringify(v), `info().${k}`);
      }
      for (const k of Object.keys(info)) check(core.has(k) || k in fields, `info() has '${k}', which neither core nor nlFill gave`);
    } else {
      for (const k of Object.keys(info)) check(core.has(k), `info() of a provider without nlFill has '${k}'`);
    }
    for (const nm of got) pool.putNetmem(nm, -1, false);
    w.destroyEmpty(pool);
  });

  add('an init error fails createPagePool with the same code and lists nothing', (w) => {
    const { domain } = w.ctx;
    const failing: MemoryProviderOps = {
      ...w.spy.ops,
      name: w.spy.ops.name,
      init() {
        throw new NetmemError('ENODEV', 'conformance: init refused on purpose');
      },
    };
    const free = domain.freePages;
    expectCode(() => createPagePool({ ...w.params(), provider: failing }), 'ENODEV', 'createPagePool with a refusing init');
    eq(domain.allPools().length, 0, 'pools listed after a failed create');
    eq(domain.freePages, free, 'free pages after a failed create');
    eq(w.warnings.filter((x) => x.kind === 'mem-provider-init').length, 1, "'mem-provider init failed' warnings");
    eq(w.spy.calls.alloc + w.spy.calls.destroy, 0, 'provider alloc/destroy calls after a failed create');
    // The real provider still works after a refused pool.
    const pool = w.createPool();
    w.destroyEmpty(pool);
  }, ['mem-provider-init']);

  for (const r of options.refusals ?? []) {
    add(`init refuses ${r.name} with ${r.code} and leaves nothing behind`, (w) => {
      const { domain, dev } = w.ctx;
      const free = domain.freePages;
      const live = dev.liveMappings;
      expectCode(() => createPagePool(w.params(r.params)), r.code, `createPagePool with ${r.name}`);
      eq(domain.allPools().length, 0, 'pools listed after a refused create');
      eq(domain.freePages, free, 'free pages after a refused create');
      eq(dev.liveMappings, live, 'live mappings after a refused create');
      eq(w.spy.calls.destroy, 0, 'provider destroy calls after a refused init');
      const pool = w.createPool();
      w.destroyEmpty(pool);
    }, ['mem-provider-init']);
  }

  return cases;
}
