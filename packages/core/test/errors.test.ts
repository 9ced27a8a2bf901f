/**
 * Errors: one type for every package (prefix, errno, "expected …, got …"),
 * recognised across copies of the package, and typos in options refused
 * instead of ignored.
 */
import { describe, expect, it, vi } from 'vitest';
import { MemoryDomain, NetNamespace, NetmemError, createPagePool, isNetmemError, type PagePoolParams } from '../src/index.js';
import { errorScope } from '../src/provider.js';
import { errnoOf } from '../src/testing.js';
import { onePageProvider, testDomain } from './helpers/test-provider.js';

/** The error a call throws (fails the test when it returns). */
function thrown(fn: () => unknown): NetmemError {
  try {
    fn();
  } catch (e) {
    expect(isNetmemError(e)).toBe(true);
    return e as NetmemError;
  }
  throw new Error('expected a NetmemError, nothing was thrown');
}

describe('errors', () => {
  it('carry the package prefix, the errno name and number, and what was expected and what came', () => {
    const domain = testDomain(16);
    const e = thrown(() => createPagePool({ domain, provider: onePageProvider(), poolSize: '1024' as unknown as number }));
    expect(e.code).toBe('EINVAL');
    expect(e.errno).toBe(-22);
    expect(e.scope).toBe('netmem');
    expect(e.message).toBe('netmem: poolSize must be an integer 0..4294967295, got "1024" (string) (EINVAL)');
    const mine = errorScope('provider-mine');
    const p = thrown(() => mine.int(1.5, 'batch', 1, 64));
    expect(p.message).toBe('provider-mine: batch must be an integer 1..64, got 1.5 (EINVAL)');
    expect(p.scope).toBe('provider-mine');
    expect(thrown(() => mine.fail('EBUSY', 'one pool at a time')).errno).toBe(-16);
  });

  it('createPagePool with no argument, a typo in an option, a device of another domain: EINVAL, nothing listed', () => {
    const domain = testDomain(16);
    const other = testDomain(16);
    expect(thrown(() => (createPagePool as (p?: PagePoolParams) => unknown)()).message).toBe(
      'netmem: createPagePool takes an options object, got undefined (EINVAL)',
    );
    const typo = thrown(() => createPagePool({ domain, provider: onePageProvider(), poolsize: 64 } as PagePoolParams));
    expect(typo.code).toBe('EINVAL');
    expect(typo.message).toMatch(/createPagePool: unknown option "poolsize" \(known: domain, provider, dev, order, poolSize/);
    const foreign = thrown(() => createPagePool({ domain, dev: other.createDevice('nic9'), provider: onePageProvider(), flags: 1 }));
    expect(foreign.code).toBe('EINVAL');
    expect(foreign.message).toMatch(/device nic9 was not made by this pool's domain/);
    expect(domain.freePages).toBe(16);
  });

  it('a device needs a name; domain and namespace options are checked too', () => {
    const domain = testDomain(16);
    expect(thrown(() => domain.createDevice('')).message).toBe('netmem: a device needs a name (a non-empty string), got "" (string) (EINVAL)');
    expect(errnoOf(() => (domain.createDevice as (n?: string) => unknown)())).toBe('EINVAL');
    expect(thrown(() => new MemoryDomain({ page: 16 } as never)).message).toMatch(/new MemoryDomain: unknown option "page"/);
    expect(errnoOf(() => new NetNamespace(domain, {} as never))).toBe('EINVAL');
    const ns = new NetNamespace(domain, { pageProvider: onePageProvider() });
    expect(thrown(() => ns.createNetdevsim({ rxqueues: 2 } as never)).message).toMatch(/createNetdevsim: unknown option "rxqueues"/);
    expect(thrown(() => ns.socket({ typ: 'udp' } as never)).message).toMatch(/socket: unknown option "typ"/);
  });

  it('receive() on a queue that does not exist: ERANGE saying which queues there are', () => {
    const domain = testDomain(64);
    const ns = new NetNamespace(domain, { pageProvider: onePageProvider() });
    const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2 });
    const e = thrown(() => ns.driver(nd).receive(5, new Uint8Array(100), 20, ns.socket()));
    expect(e.code).toBe('ERANGE');
    expect(e.message).toBe('netmem: eth0: rx queue must be an integer 0..1, got 5 (ERANGE)');
  });

  it('a NetmemError of a second copy of the package is recognised (instanceof and isNetmemError)', async () => {
    vi.resetModules();
    const second = '../src/base/errors.js?second-copy'; // a query makes vite load a second module instance
    const copy = (await import(/* @vite-ignore */ second)) as typeof import('../src/base/errors.js');
    expect(copy.NetmemError).not.toBe(NetmemError); // really another class
    const theirs = new copy.NetmemError('EBUSY', 'from the other copy');
    expect(isNetmemError(theirs)).toBe(true);
    expect(isNetmemError(theirs, 'EBUSY')).toBe(true);
    expect(theirs instanceof NetmemError).toBe(true);
    expect(copy.isNetmemError(new NetmemError('EINVAL', 'ours'), 'EINVAL')).toBe(true);
    expect(isNetmemError(new Error('plain'))).toBe(false);
    expect(isNetmemError({ code: 'EINVAL' })).toBe(false);
  });
});
