/**
 * One case's world: a fresh domain on a virtual clock, a device, the
 * provider under test behind the counting proxy, and the checks that run
 * after every step (the SPEC §9 invariants) and at the end (the world is
 * clean again).
 */
import { VirtualClock } from '../../base/clock.js';
import { PAGE_SIZE, NET_IOV_SIZE } from '../../base/units.js';
import { checkDomainInvariants } from '../../check/invariants.js';
import { descOf, isNetIov } from '../../netmem/handle.js';
import { MemoryDomain, type NetmemWarning } from '../../netmem/domain.js';
import { Place } from '../../netmem/ledger.js';
import { PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV } from '../../pool/constants.js';
import { createPagePool } from '../../pool/page-pool.js';
import { poolRegistry } from '../../pool/registry.js';
import type { PagePool, PagePoolParams } from '../../pool/types.js';
import { check, eq } from './assert.js';
import { spyOn, type ProviderSpy } from './spy.js';
import { ConformanceError, type ConformanceOptions, type ProviderFixture, type ProviderSetup, type ProviderSetupContext } from './types.js';

/** A case's world: context, fixture, spy, and the starting figures the clean check compares against. */
export class World {
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

  /**
   * Creates a pool with the provider under test. The pool comes back
   * watched: after every call a case makes on it, the SPEC §9 invariants of
   * the domain and every live pool are checked.
   */
  createPool(extra: Partial<PagePoolParams> = {}): PagePool {
    const inits = this.spy.calls.init;
    const pool = createPagePool(this.params(extra));
    eq(this.spy.calls.init - inits, 1, 'provider init calls at pool creation');
    this.step('createPagePool');
    return this.watch(pool);
  }

  /** Moves the clock (deferred release retries run), then checks the invariants. */
  advance(ms: number): void {
    this.ctx.clock.advance(ms);
    this.step(`clock.advance(${ms})`);
  }

  /** Checks the SPEC §9 invariants of the domain and every live pool after a step. */
  step(what: string): void {
    const v = checkDomainInvariants(this.ctx.domain);
    if (v.length > 0) throw new ConformanceError(`invariants broken after ${what}:\n  ${v.join('\n  ')}`);
  }

  /** Whether `pool` (as a case holds it) is listed in its domain's registry. */
  isListed(pool: PagePool): boolean {
    const listed = poolRegistry(this.ctx.domain).byId(pool.id);
    return listed !== undefined && (listed === pool || listed === this.watched.get(pool));
  }

  private readonly watched = new WeakMap<PagePool, PagePool>();

  /** The pool behind a proxy that runs {@link step} after each of its methods. */
  private watch(pool: PagePool): PagePool {
    const steps = new Map<PropertyKey, (...args: unknown[]) => unknown>();
    const proxy = new Proxy(pool, {
      get: (target, key, receiver) => {
        const v = Reflect.get(target, key, target) as unknown;
        if (typeof v !== 'function' || key === 'on' || key === 'once' || key === 'off' || key === 'emit') return v;
        let f = steps.get(key);
        if (f === undefined) {
          f = (...args: unknown[]) => {
            const r = (v as (...a: unknown[]) => unknown).apply(target, args);
            this.step(`pool.${String(key)}(${args.join(', ')})`);
            return r;
          };
          steps.set(key, f);
        }
        void receiver;
        return f;
      },
    });
    this.watched.set(proxy, pool);
    return proxy;
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
    for (let d = 1; d < t.capacity; d++) {
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
    for (const p of poolRegistry(domain).all()) throw new ConformanceError(`pool ${p.id} still listed at the end (inflight ${p.inflight})`);
    this.tornDown = true;
    this.fx.teardown?.();
    eq(domain.freePages, this.freeAtStart, 'free pages at the end vs the start');
    eq(dev.liveMappings, this.liveAtStart, 'live DMA mappings at the end vs the start');
    eq(dev.faultCount, 0, `IOMMU faults (${dev.faultLog.map((f) => `${f.kind} in ${f.op}`).join(', ')})`);
    eq(domain.leaks, 0, 'page_pool leak reports');
    eq(clock.pending, 0, 'timers still pending at the end');
    const t = domain.table;
    for (let d = 1; d < t.capacity; d++) if (t.pp[d] !== 0) throw new ConformanceError(`descriptor ${d} still names pool ${t.pp[d]} at the end`);
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
export function inWorld(setup: ProviderSetup, options: ConformanceOptions, body: (w: World) => void, allowedWarnings?: readonly string[]): () => void {
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
export function take(w: World, cap: number): number {
  return Math.min(w.fx.capacity ?? cap, cap);
}
