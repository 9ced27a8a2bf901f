/**
 * tools/testing/selftests/net/nl_netdev.py,
 * `page_pool_check`, step by step through public calls: pools appear and
 * disappear with the device, netdevsim's pp_hold leaks a page across an
 * ifdown (the pool stays, detached, with inflight 1), a new pool comes up
 * beside it, releasing the page frees the old pool on the next retry, and a
 * page left held when the device goes away exercises the orphaning path.
 *
 * One difference from the selftest: the model's netdevsim fills its rx
 * descriptor ring when the device comes up (the kernel's netdevsim takes no
 * page until pp_hold), so an up pool has made one bulk refill of 64 pages
 * (PP_ALLOC_CACHE_REFILL): inflight 64, not 0. Taking the pp_hold page from
 * the cache does not change it (the selftest only asks for ≥ 1).
 */
import { describe, expect, it } from 'vitest';
import { controlPlane, type PagePoolInfo } from '@netmem/core';
import { rig } from '../rx-fixture.js';
import { stepper } from './steps.js';

/** Pages one slow-path refill takes (PP_ALLOC_CACHE_REFILL). */
const REFILL = 64;

describe('nl_netdev.py page_pool_check', () => {
  it('pp_hold while the device goes down, a second pool beside the detached one, release, and the orphaning path', () => {
    const r = rig({ checked: true });
    const step = stepper(r.domain);
    const nd = r.ns.createNetdevsim({ name: 'eni1np1', rxQueues: 1, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const nl = controlPlane(r.ns);
    const getPp = (): PagePoolInfo[] => nl.pagePoolDump().filter((pp) => pp.ifindex === nd.ifindex);
    const sumInflight = (l: PagePoolInfo[]) => l.reduce((s, pp) => s + pp.inflight, 0);
    const attached = (l: PagePoolInfo[]) => l.filter((pp) => pp.detachTime === undefined);

    // No page pools when down.
    step('down', () => nd.close());
    expect(getPp()).toHaveLength(0);

    // Up: a pool appears; the driver's ring fill made one bulk refill.
    step('up', () => nd.open());
    expect(getPp()).toHaveLength(1);
    expect(drv.posted(0).payload).toBe(8);
    expect(sumInflight(getPp())).toBe(REFILL);

    // Down: it disappears again (the ring's pages came back, nothing in flight).
    step('down', () => nd.close());
    expect(getPp()).toHaveLength(0);

    // Up, and hold a page.
    step('up', () => nd.open());
    step('pp_hold y', () => drv.ppHold(true));
    expect(drv.ppHeld).not.toBe(0);
    expect(sumInflight(getPp())).toBe(REFILL); // the held page came from the cache
    const leaked = getPp()[0].id;

    // Down with the page held: the pool stays, detached, with exactly that page in flight.
    step('down (page leaked)', () => nd.close());
    expect(getPp()).toHaveLength(1);
    expect(sumInflight(getPp())).toBe(1);
    expect(attached(getPp())).toHaveLength(0);
    expect(getPp()[0]).toMatchObject({ id: leaked, inflight: 1, detachTime: 0 });

    // Up: a new pool is created beside the detached one.
    step('up (second pool)', () => nd.open());
    expect(attached(getPp())).toHaveLength(1);
    expect(
      getPp()
        .filter((pp) => pp.detachTime !== undefined)
        .map((pp) => pp.id),
    ).toEqual([leaked]);

    // Release the page: the old pool goes on its next retry (once a second).
    step('pp_hold n', () => drv.ppHold(false));
    expect(getPp()).toHaveLength(2); // not yet: the release only dropped the count
    step('one second', () => r.clock.advance(1000));
    expect(getPp()).toHaveLength(1);
    expect(getPp()[0].id).not.toBe(leaked);

    // Down: nothing left.
    step('down', () => nd.close());
    expect(getPp()).toHaveLength(0);

    // Last: leave a page held when the device goes away (the orphaning path).
    step('up', () => nd.open());
    step('pp_hold y', () => drv.ppHold(true));
    const orphan = getPp()[0].id;
    step('unregister', () => nd.unregister());
    expect(getPp()).toHaveLength(0); // moved to loopback: no ifindex in the dump
    expect(nl.pagePoolGet({ id: orphan })).toMatchObject({ id: orphan, inflight: 1, detachTime: 1 }); // seconds on the domain clock
    expect(nl.pagePoolGet({ id: orphan }).ifindex).toBeUndefined();
    step('pp_hold n after unregister', () => drv.ppHold(false));
    step('one second', () => r.clock.advance(1000));
    expect(nl.pagePoolDump().some((pp) => pp.id === orphan)).toBe(false);
  });
});
