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
import { NetmemError } from '../../base/errors.js';
import { PAGE_SIZE } from '../../base/units.js';
import { DEFER_TIME_MS } from '../../pool/constants.js';
import { createPagePool } from '../../pool/page-pool.js';
import { poolRegistry } from '../../pool/registry.js';
import type { MemoryProviderOps } from '../../pool/types.js';
import { check, eq, expectCode } from './assert.js';
import { inWorld, take, type World } from './world.js';
import type { ConformanceCase, ConformanceOptions, ProviderSetup } from './types.js';

/**
 * Registers every case with a test function: `testProvider(setup, it)` in a vitest file.
 *
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { testProvider } from '@netmem/core/testing';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * // Each case calls the setup for a fresh provider in a fresh world.
 * testProvider(() => ({ provider: pagesProvider() }), it, { label: 'pages' });
 * testProvider(() => ({ provider: pagesProvider(), params: { order: 1, maxLen: 8192 } }), it, { label: 'pages order 1' });
 * ```
 * @category Checks and testing
 */
export function testProvider(setup: ProviderSetup, test: (name: string, fn: () => void | Promise<void>) => void, options: ConformanceOptions = {}): void {
  const label = options.label ?? 'conformance';
  for (const c of providerConformanceCases(setup, options)) test(`${label}: ${c.name}`, () => c.run());
}

/**
 * The conformance cases for one provider setup.
 * @category Checks and testing
 */
export function providerConformanceCases(setup: ProviderSetup, options: ConformanceOptions = {}): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const add = (name: string, body: (w: World) => void, allowedWarnings?: readonly string[]): void => {
    cases.push({ name, run: inWorld(setup, options, body, allowedWarnings) });
  };

  add('init + destroy with nothing allocated frees the pool and destroys the provider once', (w) => {
    let destroyedEvents = 0;
    const pool = w.createPool();
    pool.on('destroyed', () => destroyedEvents++);
    check(w.isListed(pool), `pool ${pool.id} is not listed after creation`);
    eq(pool.inflight, 0, 'inflight of a new pool');
    w.destroyEmpty(pool);
    eq(poolRegistry(w.ctx.domain).byId(pool.id), undefined, 'pool still listed after being freed');
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
    const limit = cap ?? domain.table.limit;
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
    got.forEach((nm, i) => {
      pool.putNetmem(nm, -1, i % 2 === 0);
    });
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
    const held = new Set<number>();
    const n = take(w, 64);
    const got = w.allocN(pool, n, held);
    // Through every exit: the cache (direct), the ring (and ring overflow), still held at destroy.
    const keep = Math.max(1, n >> 3);
    const kept = got.slice(0, keep);
    const rest = got.slice(keep);
    rest.forEach((nm, i) => {
      pool.putNetmem(nm, -1, i % 3 === 0);
    });
    pool.destroy();
    check(pool.isDetached, 'pool with netmems held is not detached');
    for (const nm of kept) pool.putNetmem(nm, -1, false);
    w.advance(DEFER_TIME_MS);
    check(pool.isFreed, `pool ${pool.id} not freed one retry after the last put (inflight ${pool.inflight})`);
    eq(pool.releaseCount, pool.holdCount, 'release count vs hold count');
    eq(w.spy.calls.release, pool.releaseCount, 'provider release calls vs release count');
    w.checkReleasedOnce();
  });

  add('destroy with netmems held detaches the pool; it is freed within one 1 s retry after the last put', (w) => {
    const pool = w.createPool();
    const { domain } = w.ctx;
    const held = new Set<number>();
    const k = take(w, 8);
    const got = w.allocN(pool, k, held);
    w.advance(5000);
    let detachedEvents = 0;
    pool.on('detached', () => detachedEvents++);
    pool.destroy();
    check(pool.isDetached, 'pool not detached');
    check(!pool.isFreed, 'pool freed with netmems in flight');
    eq(detachedEvents, 1, "'detached' events");
    const info = pool.info();
    eq(info.detachTime, 5, 'info().detachTime (seconds on the domain clock)');
    eq(info.inflight, k, 'info().inflight');
    check(w.isListed(pool), 'detached pool is not listed');
    eq(pool.cacheSize, 0, 'cache size after destroy');
    w.advance(DEFER_TIME_MS);
    check(pool.isDetached, 'pool freed while netmems are still held');
    // After destroy even a direct put must not reach the cache.
    pool.recycleDirect(got[0]);
    eq(pool.cacheSize, 0, 'cache size after a direct put on a destroyed pool');
    for (let i = 1; i < k - 1; i++) pool.putNetmem(got[i], -1, false);
    if (k > 1) {
      w.advance(DEFER_TIME_MS);
      check(pool.isDetached, 'pool freed while one netmem is still held');
      eq(pool.inflight, 1, 'inflight with one netmem held');
      pool.putNetmem(got[k - 1], -1, false);
    }
    w.advance(DEFER_TIME_MS);
    check(pool.isFreed, `pool not freed one retry after the last put (inflight ${pool.inflight})`);
    eq(poolRegistry(domain).byId(pool.id), undefined, 'freed pool still listed');
    eq(w.spy.calls.destroy, 1, 'provider destroy calls');
    w.checkReleasedOnce();
  });

  add('provider destroy runs exactly once, only when the pool is freed', (w) => {
    const pool = w.createPool();
    const held = new Set<number>();
    const got = w.allocN(pool, take(w, 4), held);
    pool.destroy();
    for (let i = 0; i < 3; i++) {
      eq(w.spy.calls.destroy, 0, `provider destroy calls while detached (retry ${i})`);
      w.advance(DEFER_TIME_MS);
    }
    for (const nm of got) pool.putNetmem(nm, -1, false);
    eq(w.spy.calls.destroy, 0, 'provider destroy calls before the retry that frees the pool');
    w.advance(DEFER_TIME_MS);
    eq(w.spy.calls.destroy, 1, 'provider destroy calls once freed');
    w.advance(10 * DEFER_TIME_MS);
    eq(w.spy.calls.destroy, 1, 'provider destroy calls long after the pool was freed');
    expectCode(() => pool.destroy(), 'EINVAL', 'a second destroy');
    eq(w.spy.calls.destroy, 1, 'provider destroy calls after a second destroy');
  });

  add('destroy scrubs: cache and ring emptied, provider scrub (if any) once at destroy and once per retry', (w) => {
    const pool = w.createPool();
    const held = new Set<number>();
    const n = take(w, 24);
    const got = w.allocN(pool, n, held);
    const keep = Math.max(1, n >> 2);
    const back = got.slice(keep);
    back.forEach((nm, i) => {
      pool.putNetmem(nm, -1, i % 2 === 0);
    });
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
    w.advance(DEFER_TIME_MS);
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

  add(
    'an init error fails createPagePool with the same code and lists nothing',
    (w) => {
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
      eq(poolRegistry(domain).all().length, 0, 'pools listed after a failed create');
      eq(domain.freePages, free, 'free pages after a failed create');
      eq(w.warnings.filter((x) => x.kind === 'mem-provider-init').length, 1, "'mem-provider init failed' warnings");
      eq(w.spy.calls.alloc + w.spy.calls.destroy, 0, 'provider alloc/destroy calls after a failed create');
      // The real provider still works after a refused pool.
      const pool = w.createPool();
      w.destroyEmpty(pool);
    },
    ['mem-provider-init'],
  );

  for (const r of options.refusals ?? []) {
    add(
      `init refuses ${r.name} with ${r.code} and leaves nothing behind`,
      (w) => {
        const { domain, dev } = w.ctx;
        const free = domain.freePages;
        const live = dev.liveMappings;
        expectCode(() => createPagePool(w.params(r.params)), r.code, `createPagePool with ${r.name}`);
        eq(poolRegistry(domain).all().length, 0, 'pools listed after a refused create');
        eq(domain.freePages, free, 'free pages after a refused create');
        eq(dev.liveMappings, live, 'live mappings after a refused create');
        eq(w.spy.calls.destroy, 0, 'provider destroy calls after a refused init');
        const pool = w.createPool();
        w.destroyEmpty(pool);
      },
      ['mem-provider-init'],
    );
  }

  return cases;
}
