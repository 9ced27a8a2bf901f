/**
 * Hostile input the fuzzer found in the stack side of core: look-alike or
 * foreign skbs handed to the skb factory, a socket or a device; skbs freed
 * twice or while queued; frag layouts outside their buffer; fractional or
 * missing sizes and gfp; an hds-thresh past netdevsim's maximum. Each is a
 * NetmemError with its errno, and nothing changes: same queue, same
 * counters, invariants hold.
 */
import { describe, expect, it } from 'vitest';
import { NetNamespace, createPagePool, type SkBuff } from '../src/index.js';
import { checkDomainInvariants, errnoOf, quietWorld } from '../src/testing.js';
import { onePageProvider } from './helpers/test-provider.js';

function net() {
  const w = quietWorld({ pages: 512, netIovs: 64 });
  const ns = new NetNamespace(w.domain, { pageProvider: onePageProvider() });
  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 1, ringSize: 8 });
  const pool = createPagePool({ domain: w.domain, provider: onePageProvider(), flags: 0 });
  /** An skb with a 100-byte head in a pool page. */
  const skb = (len = 100): SkBuff => ns.skbs.build(pool.allocNetmems(), 0, 4096, len, true);
  return { ...w, ns, nd, drv: ns.driver(nd), sk: ns.socket(), pool, skb };
}

/** What must not change when a call is refused. */
function state(n: ReturnType<typeof net>) {
  return { live: n.ns.skbs.live, queued: n.sk.queueLength, pending: n.sk.pendingBytes, inflight: n.pool.inflight, tx: n.nd.txPackets };
}

describe('skbs, sockets and transmit: hostile input', () => {
  it('look-alike, foreign, freed or queued skbs are EINVAL for the factory, the socket and the device; nothing changes', () => {
    const n = net();
    const other = net();
    const a = n.skb();
    n.sk.enqueue(a);
    const before = state(n);
    const fakes: unknown[] = [null, undefined, {}, { len: 10, shinfo: a.shinfo }, 7, other.skb()];
    for (const f of fakes) {
      const s = f as SkBuff;
      expect(errnoOf(() => n.ns.skbs.clone(s))).toBe('EINVAL');
      expect(errnoOf(() => n.ns.skbs.free(s))).toBe('EINVAL');
      expect(errnoOf(() => n.ns.skbs.freePartial(s, false))).toBe('EINVAL');
      expect(errnoOf(() => n.ns.skbs.addFrag(s, n.pool.allocNetmems(), 0, 10))).toBe('EINVAL');
      expect(errnoOf(() => n.ns.skbs.tryCoalesce(a, s))).toBe('EINVAL');
      expect(errnoOf(() => n.ns.skbs.copyBits(s, 0, new Uint8Array(8), 0, 8))).toBe('EINVAL');
      expect(errnoOf(() => n.sk.enqueue(s))).toBe('EINVAL');
      expect(errnoOf(() => n.nd.transmit(s))).toBe('EINVAL');
    }
    // The frag pages the refused addFrag calls never took stay with the caller: give them back.
    expect(n.pool.inflight).toBeGreaterThan(before.inflight);
    // A queued skb: the socket frees it, nobody else; enqueueing it again is refused.
    expect(errnoOf(() => n.ns.skbs.free(a))).toBe('EINVAL');
    expect(errnoOf(() => n.sk.enqueue(a))).toBe('EINVAL');
    expect(errnoOf(() => n.nd.transmit(a))).toBe('EINVAL');
    expect(n.sk.queueLength).toBe(1);
    // A freed skb: enqueue and transmit refuse it.
    const b = n.skb();
    n.ns.skbs.free(b);
    expect(errnoOf(() => n.sk.enqueue(b))).toBe('EINVAL');
    expect(errnoOf(() => n.nd.transmit(b))).toBe('EINVAL');
    expect(n.ns.skbs.live).toBe(before.live);
    expect(n.sk.queueLength).toBe(before.queued);
    expect(n.nd.txPackets).toBe(before.tx);
    n.sk.close();
    expect(n.ns.skbs.live).toBe(0);
    expect(checkDomainInvariants(n.domain)).toEqual([]);
  });

  it('build, addFrag and copyBits refuse layouts outside their buffers, non-integers and non-handles', () => {
    const n = net();
    const page = n.pool.allocNetmems();
    for (const [start, cap, len] of [
      [-1, 4096, 10],
      [0, 4096, 4097],
      [100, 4096, 10], // start + cap past the page
      [0.5, 100, 10],
      [0, 100, NaN],
    ]) {
      expect(errnoOf(() => n.ns.skbs.build(page, start, cap, len, true))).toBe('EINVAL');
    }
    expect(errnoOf(() => n.ns.skbs.build(page + 0.5, 0, 4096, 10, true))).toBe('EINVAL');
    expect(errnoOf(() => n.ns.skbs.build(page, 0, 4096, 10, 1 as never))).toBe('EINVAL');
    expect(n.ns.skbs.live).toBe(0);
    const skb = n.ns.skbs.build(page, 0, 4096, 100, true);
    const frag = n.pool.allocNetmems();
    for (const [off, len] of [
      [4000, 200],
      [-1, 10],
      [0, 1.5],
    ]) {
      expect(errnoOf(() => n.ns.skbs.addFrag(skb, frag, off, len))).toBe('EINVAL');
    }
    expect(errnoOf(() => n.ns.skbs.addFrag(skb, frag ^ 1, 0, 10))).toBe('EINVAL');
    expect(skb.nrFrags).toBe(0);
    expect(skb.len).toBe(100);
    n.ns.skbs.addFrag(skb, frag, 96, 4000);
    const dst = new Uint8Array(64);
    expect(errnoOf(() => n.ns.skbs.copyBits(skb, 4090, dst, 0, 64))).toBe('EINVAL'); // past the skb
    expect(errnoOf(() => n.ns.skbs.copyBits(skb, 0, dst, 10, 64))).toBe('EINVAL'); // past dst
    expect(errnoOf(() => n.ns.skbs.copyBits(skb, 0, [] as never, 0, 0))).toBe('EFAULT');
    expect(errnoOf(() => n.ns.skbs.fragRef(skb, 1))).toBe('EINVAL');
    expect(n.ns.skbs.copyBits(skb, 4036, dst, 0, 64)).toBe(64);
    n.ns.skbs.free(skb);
    expect(checkDomainInvariants(n.domain)).toEqual([]);
  });

  it('pool sizes and gfp must be integers; allocVa needs a size; hds-thresh is a u32 up to 1024 (ERANGE above)', () => {
    const n = net();
    const before = { inflight: n.pool.inflight, cache: n.pool.cacheSize };
    for (const bad of [1.5, -1, NaN, '8', null]) {
      expect(errnoOf(() => n.pool.allocFrag(bad as never))).toBe('EINVAL');
      expect(errnoOf(() => n.pool.allocVa(bad as never))).toBe('EINVAL');
      expect(errnoOf(() => n.pool.allocNetmems(bad as never))).toBe('EINVAL');
    }
    expect(errnoOf(() => n.pool.allocVa(undefined as never))).toBe('EINVAL');
    expect(errnoOf(() => n.pool.allocNetmem(0.25))).toBe('EINVAL');
    expect({ inflight: n.pool.inflight, cache: n.pool.cacheSize }).toEqual(before);
    expect(errnoOf(() => n.nd.setHeaderSplit(true, 2 ** 32))).toBe('EINVAL');
    expect(errnoOf(() => n.nd.setHeaderSplit(true, 1.5))).toBe('EINVAL');
    expect(errnoOf(() => n.nd.setHeaderSplit(true, 1025))).toBe('ERANGE');
    expect(n.nd.hdsThresh).toBe(0);
    n.nd.setHeaderSplit(true, 1024);
    expect(n.nd.hdsThresh).toBe(1024);
  });
});
