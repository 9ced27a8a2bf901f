/**
 * Every warning carries its facts as fields, not only in its text, so a
 * scenario can assert on them.
 */
import { describe, expect, it } from 'vitest';
import { createPagePool, NetmemError, type MemoryProviderOps } from '../src/index.js';
import { mpWarnOnce } from '../src/provider.js';
import { injectExtraRelease, quietWorld } from '../src/testing.js';
import { onePageProvider } from './helpers/test-provider.js';

describe('structured warnings', () => {
  it('mem-provider init failure: provider, errno and code', () => {
    const w = quietWorld();
    const refusing: MemoryProviderOps = {
      ...onePageProvider(),
      name: 'refuser',
      pagePath: false,
      init: () => {
        throw new NetmemError('EOPNOTSUPP', 'no');
      },
    };
    expect(() => createPagePool({ domain: w.domain, dev: w.dev, provider: refusing, flags: 3, maxLen: 4096 })).toThrow();
    expect(w.warningsOf('mem-provider-init')).toEqual([
      { kind: 'mem-provider-init', message: expect.stringContaining('refuser'), provider: 'refuser', code: 'EOPNOTSUPP', errno: -95 },
    ]);
  });

  it('negative inflight: the value; stalled shutdown: pool id, inflight, seconds and places', () => {
    const w = quietWorld();
    const pool = createPagePool({ domain: w.domain, provider: onePageProvider() });
    const a = pool.allocNetmems();
    pool.putNetmem(a);
    injectExtraRelease(pool, 2);
    pool.destroy();
    expect(w.warningsOf('negative-inflight')).toEqual([{ kind: 'negative-inflight', message: expect.any(String), poolId: pool.id, inflight: -2 }]);

    const stuck = createPagePool({ domain: w.domain, provider: onePageProvider() });
    stuck.allocNetmems();
    stuck.destroy();
    w.clock.advance(61_000);
    const [stall] = w.warningsOf('stalled-pool');
    expect(stall).toEqual({
      kind: 'stalled-pool',
      message: expect.stringContaining(`id ${stuck.id}, 1 inflight 60 sec`),
      poolId: stuck.id,
      inflight: 1,
      seconds: 60,
      places: { 'handed-out': 1 },
    });
  });

  it('a pp refcount below zero: the full handle (generation bits included) and the count', () => {
    const w = quietWorld({ checked: true });
    const pool = createPagePool({ domain: w.domain, provider: onePageProvider() });
    const nm = pool.allocNetmems();
    expect(nm >>> 21).not.toBe(0); // the handle carries generation bits in a checked domain
    expect(pool.unrefNetmem(nm, 3)).toBe(-2);
    expect(w.warningsOf('pp-ref-underflow')).toEqual([{ kind: 'pp-ref-underflow', message: expect.any(String), poolId: pool.id, netmem: nm, value: -2 }]);
  });

  it('mpWarnOnce: once per pool and key, with the pool id among the facts; another pool warns again', () => {
    const w = quietWorld();
    const a = createPagePool({ domain: w.domain, provider: onePageProvider() });
    const b = createPagePool({ domain: w.domain, provider: onePageProvider() });
    mpWarnOnce(a, 'k', 'my-provider', 'first', { value: 7 });
    mpWarnOnce(a, 'k', 'my-provider', 'again');
    mpWarnOnce(b, 'k', 'my-provider', 'other pool');
    expect(w.warningsOf('my-provider')).toEqual([
      { kind: 'my-provider', message: 'first', poolId: a.id, value: 7 },
      { kind: 'my-provider', message: 'other pool', poolId: b.id },
    ]);
    expect(() => mpWarnOnce(a, 1 as never, 'x', 'y')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
