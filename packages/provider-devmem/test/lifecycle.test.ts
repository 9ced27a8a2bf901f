/**
 * Binding lifetime: every order of control-socket close, pool destroy and
 * netdev unregister; exhaustion and recovery; the 100,000-socket close loop;
 * leak reports; net_iov references.
 */
import { describe, expect, it } from 'vitest';
import { PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, createPagePool, type PagePool } from '@netmem/core';
import {
  DevmemCmsgBuffer,
  NetdevNlSocket,
  checkDevmemInvariants,
  devmemRecvmsg,
  devmemTokens,
  dontneed,
  lookupBinding,
  type DmabufBinding,
} from '../src/index.js';
import { receiveN, world, type World } from './helpers.js';

type Ev = 'close' | 'destroy' | 'unregister';
const ORDERS: Ev[][] = [
  ['close', 'destroy', 'unregister'],
  ['close', 'unregister', 'destroy'],
  ['destroy', 'close', 'unregister'],
  ['destroy', 'unregister', 'close'],
  ['unregister', 'close', 'destroy'],
  ['unregister', 'destroy', 'close'],
];

function holdOnSocket(w: World, frags: number) {
  const sk = w.ns.socket();
  expect(receiveN(w, sk, 1, frags)).toBe(1);
  const cmsgs = new DevmemCmsgBuffer(32);
  devmemRecvmsg(sk, new Uint8Array(1 << 17), { cmsgs });
  expect(cmsgs.count).toBe(frags);
  return sk;
}

describe('binding lifetime', () => {
  for (const order of ORDERS) {
    it(`${order.join(' → ')}: the binding is freed at the end, no DMA-API call reaches the removed device`, () => {
      const w = world({ checked: true, strictIommu: true });
      const dev = w.nd.dev!;
      const b = w.bind(256, 64);
      // Holders: a user socket with 5 tokens (keeps the driver's pool alive), and a second pool using the binding with 3 buffers out.
      const sk = holdOnSocket(w, 5);
      const extra: PagePool = createPagePool({ domain: w.domain, dev, provider: b.provider, flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 });
      const held = [extra.allocNetmems(), extra.allocNetmems(), extra.allocNetmems()];
      expect(b.refs).toBe(3);
      const driverPool = w.drv.pool(0)!;
      for (const ev of order) {
        if (ev === 'close') {
          w.nl.close();
          expect(lookupBinding(w.domain, b.id)).toBeUndefined();
        } else if (ev === 'destroy') {
          extra.destroy();
          expect(extra.isDetached).toBe(true);
        } else {
          w.nd.unregister();
          expect(b.boundQueues.length).toBe(0);
          // Forgotten with its mappings undone while the device was there, or already let go of by unbind.
          expect(b.dev === null || b.isUnbound).toBe(true);
          dev.remove();
        }
        expect(driverPool.destroyStarted).toBe(ev !== 'destroy' || order.indexOf('destroy') > 0);
        expect(b.isFreed).toBe(false);
        expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
      }
      // The last holders let go: the user's tokens, the extra pool's buffers; one retry period later all is freed.
      sk.close();
      for (const nm of held) extra.putNetmem(nm, -1, false);
      w.clock.advance(1000);
      expect(driverPool.isFreed).toBe(true);
      expect(extra.isFreed).toBe(true);
      expect(b.isFreed).toBe(true);
      expect(b.refs).toBe(0);
      expect(b.leaked).toBe(0);
      expect(b.mappings).toBe(0);
      expect(b.chunks.free).toBe(256);
      expect(dev.faultCount).toBe(0);
      expect(w.domain.leaks).toBe(0);
      expect(w.clock.pending).toBe(0);
      expect(w.warns.filter((x) => x.kind !== 'stalled-pool')).toEqual([]);
    });
  }

  it('unregister first undoes the mappings at once; a later close still unbinds cleanly', () => {
    const w = world({ strictIommu: true });
    const dev = w.nd.dev!;
    const b = w.bind(256, 64);
    const sk = holdOnSocket(w, 3);
    expect(b.mappings).toBe(4);
    w.nd.unregister();
    expect(b.mappings).toBe(0);
    expect(b.dev).toBeNull();
    expect(b.netdev).toBeNull();
    dev.remove();
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 3 }])).toBe(3);
    w.nl.close();
    expect(b.isUnbound).toBe(true);
    w.clock.advance(1000);
    expect(b.isFreed).toBe(true);
    expect(dev.faultCount).toBe(0);
    sk.close();
  });

  it('exhaustion is an allocation failure the driver counts; returning tokens recovers', () => {
    const w = world({ ringSize: 64 });
    const b = w.bind(80, 80);
    const sk = w.ns.socket();
    const cmsgs = new DevmemCmsgBuffer(8);
    const buf = new Uint8Array(8192);
    for (let i = 0; i < 80; i++) {
      expect(receiveN(w, sk, 1)).toBe(1);
      expect(devmemRecvmsg(sk, buf, { cmsgs })).toBe(4096);
    }
    expect(b.chunks.free).toBe(0);
    expect(w.drv.posted(0).payload).toBe(0);
    expect(w.drv.counters(0)).toMatchObject({ packets: 80, dropped: 0, allocFail: 64 });
    expect(receiveN(w, sk, 1)).toBe(0);
    expect(w.drv.counters(0)).toMatchObject({ packets: 80, dropped: 1, allocFail: 65 });
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 80 }])).toBe(80);
    // The next packet still finds the ring empty (dropped), its NAPI refill posts from the returned buffers.
    expect(receiveN(w, sk, 1)).toBe(0);
    expect(w.drv.posted(0).payload).toBe(64);
    expect(receiveN(w, sk, 10)).toBe(10);
    expect(w.drv.counters(0)).toMatchObject({ packets: 90, dropped: 2, allocFail: 65 });
    expect(devmemRecvmsg(sk, new Uint8Array(1 << 16), { cmsgs: new DevmemCmsgBuffer(16) })).toBe(10 * 4096);
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    sk.close();
  });

  it('100,000 sockets that receive and close without DONTNEED leave every net_iov back and the binding reusable', () => {
    const w = world();
    const b: DmabufBinding = w.bind(256, 64);
    const pool = w.drv.pool(0)!;
    const buf = new Uint8Array(8192);
    const opts = { cmsgs: new DevmemCmsgBuffer(4) };
    let tokens = 0;
    for (let i = 0; i < 100_000; i++) {
      const sk = w.ns.socket();
      receiveN(w, sk, 1);
      devmemRecvmsg(sk, buf, opts);
      tokens += devmemTokens(sk)!.held;
      sk.close();
    }
    expect(tokens).toBe(100_000);
    expect(w.drv.counters(0)).toMatchObject({ packets: 100_000, dropped: 0, allocFail: 0 });
    const { census, violations } = checkDevmemInvariants(b, []);
    expect(violations).toEqual([]);
    expect(census.user).toBe(0);
    expect(census.free + census.pooled).toBe(256);
    expect(pool.inflight).toBe(census.pooled);
    expect(w.ns.skbs.live).toBe(0);
    // Still usable, then unbound and freed with nothing out; a new binding works at once.
    const sk = holdOnSocket(w, 4);
    sk.close();
    w.nl.close();
    expect(b.isFreed).toBe(true);
    expect(b.leaked).toBe(0);
    const nl2 = new NetdevNlSocket(w.ns);
    const id2 = nl2.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(128, 128), queues: [{ id: 0, type: 'rx' }] });
    expect(id2).toBe(b.id + 1);
    holdOnSocket(w, 2).close();
    nl2.close();
    expect(nl2.bindings).toEqual([]);
  });

  it('a chunk still out when the binding is freed is a reported leak', () => {
    const w = world();
    const b = w.bind(128, 32);
    const nm = b.allocNetIov();
    expect(nm).not.toBe(0);
    expect(checkDevmemInvariants(b, [], true).census.direct).toBe(1);
    expect(checkDevmemInvariants(b, []).violations.length).toBe(1);
    w.nl.close();
    expect(b.isFreed).toBe(true);
    expect(b.leaked).toBe(1);
    expect(w.warns.map((x) => x.kind)).toEqual(['devmem-leak']);
    expect(w.warns[0].message).toContain('total=128, free=127');
    expect(w.warns[0]).toMatchObject({ bindingId: b.id, value: 1 }); // the facts as fields, not only in the text
  });

  it('a page-style reference to a net_iov (skb frag ref) holds the binding', () => {
    const w = world();
    const b = w.bind(64, 64);
    const nm = b.netIov(5);
    w.domain.getNetmem(nm);
    expect(b.refs).toBe(3);
    w.nl.close();
    expect(b.isUnbound).toBe(true);
    expect(b.isFreed).toBe(false);
    expect(b.refs).toBe(1);
    w.domain.putNetmem(nm);
    expect(b.isFreed).toBe(true);
  });
});
