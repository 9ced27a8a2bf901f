/**
 * The netdevsim-like driver and the TCP-like socket: pools per queue, the rx
 * ring and its refill, DMA writes with and without header split, NAPI-local
 * puts, allocation-failure injection under traffic, recvmsg, close, and the
 * netdevsim "page held while the device goes down" check.
 */
import { describe, expect, it } from 'vitest';
import { MSG_PEEK, allPools, poolOf, type TcpSocket } from '@netmem/core';
import { mpOpenRxq } from '@netmem/core/provider';
import { inspectNetmem } from '@netmem/core/testing';
import { iovProvider, packet, patternByte, rig } from './rx-fixture.js';

const code = (c: string) => expect.objectContaining({ code: c });

/** Reads everything queued and checks it against packets `first..` of `len` bytes minus `hdr` header bytes. */
function drainAndVerify(sk: TcpSocket, first: number, count: number, len: number, hdr: number): number {
  const want = (len - hdr) * count;
  const buf = new Uint8Array(want + 10);
  let got = 0;
  for (let n = sk.recvmsg(buf.subarray(got)); n > 0; n = sk.recvmsg(buf.subarray(got))) got += n;
  expect(got).toBe(want);
  let bad = 0;
  for (let k = 0; k < count; k++) {
    for (let i = hdr; i < len; i++) if (buf[k * (len - hdr) + i - hdr] !== patternByte(first + k, i)) bad++;
  }
  expect(bad).toBe(0);
  return got;
}

describe('driver receive', () => {
  it('header split on: headers DMA-written into a header frag, payload into whole queue buffers, ring refilled', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 32 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    const pool = drv.pool(1)!;
    const hdr = drv.hdrPool(1)!;
    const dev = nd.dev!;
    const c0 = dev.counters();
    expect(drv.receive(1, packet(7, 9000), 66, sk)).toBe(true);
    const skb = sk.peek()!;
    // Header frag from the header pool, 3 payload buffers from the queue pool.
    expect(poolOf(r.domain, skb.shinfo.head)).toBe(hdr);
    expect(skb.shinfo.headCap).toBe(256);
    expect(skb.nrFrags).toBe(3);
    expect(Array.from(skb.shinfo.fragLen.subarray(0, 3))).toEqual([4096, 4096, 9000 - 66 - 8192]);
    for (let i = 0; i < 3; i++) expect(poolOf(r.domain, skb.shinfo.fragNm[i])).toBe(pool);
    expect([skb.len, skb.headLen, skb.dataOff, skb.ppRecycle]).toEqual([9000 - 66, 0, 66, true]);
    // The header bytes are in the header buffer, written through the IOMMU.
    const hb = r.domain.bytes(skb.shinfo.head);
    for (let i = 0; i < 66; i++) expect(hb[skb.shinfo.headStart + i]).toBe(patternByte(7, i));
    const c1 = dev.counters();
    expect(c1.syncsForCpu - c0.syncsForCpu).toBe(4);
    expect(c1.faults).toEqual(c0.faults);
    expect(drv.posted(1)).toEqual({ payload: 32, header: 32 });
    expect(drv.counters(1)).toEqual({ packets: 1, bytes: 9000, dropped: 0, allocFail: 0 });
    expect(drv.counters(0).packets).toBe(0);
    drainAndVerify(sk, 7, 1, 9000, 66);
    expect(sk.queueLength).toBe(0);
    expect(r.ns.skbs.live).toBe(0);
  });

  it('header split off: the whole packet lands in queue buffers, the first one is the head', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    expect(drv.receive(0, packet(3, 5000), 54, sk)).toBe(true);
    const skb = sk.peek()!;
    expect(poolOf(r.domain, skb.shinfo.head)).toBe(drv.pool(0));
    expect([skb.headLen, skb.nrFrags, skb.shinfo.fragLen[0], skb.len]).toEqual([4096 - 54, 1, 904, 5000 - 54]);
    drainAndVerify(sk, 3, 1, 5000, 54);
    // Headers must fit the buffer they land in.
    expect(() => drv.receive(0, packet(1, 5000), 4097, sk)).toThrow(code('EINVAL'));
    nd.setHeaderSplit(true);
    expect(() => drv.receive(0, packet(1, 600), 257, sk)).toThrow(code('EINVAL'));
    expect(drv.posted(0)).toEqual({ payload: 16, header: 16 });
  });

  it('a provider-bound queue gets unreadable skbs; recvmsg refuses them with EFAULT', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 16 });
    const mp = iovProvider(64);
    mpOpenRxq(nd, 1, mp);
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket();
    drv.receive(1, packet(1, 3000), 54, sk);
    expect(sk.peek()!.unreadable).toBe(true);
    expect(() => sk.recvmsg(new Uint8Array(100))).toThrow(code('EFAULT'));
    // The payload is on the device (readable only through the area's memory).
    const nm = sk.peek()!.shinfo.fragNm[0];
    const i = mp.area!.indexOf(nm);
    const raw = mp.area!.region.u8.subarray(mp.area!.byteOffset(i), mp.area!.byteOffset(i) + 2946);
    expect(raw[0]).toBe(patternByte(1, 54));
    expect(raw[2945]).toBe(patternByte(1, 2999));
    sk.close();
    // 16 posted on the ring, the returned one waits in the pool's ring.
    expect(mp.free).toBe(64 - 17);
    expect(drv.pool(1)!.ringLength).toBe(1);
  });

  it('puts inside the NAPI poll are napi-local (cache), puts outside go through the ring', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const pool = drv.pool(0)!;
    const sk = r.ns.socket();
    drv.receive(0, packet(0, 1000), 54, sk);
    const st0 = pool.stats().recycle;
    // The second packet fits the first one's tailroom: coalesced inside the poll, its buffer recycled direct.
    drv.receive(0, packet(1, 1000), 54, sk);
    const st1 = pool.stats().recycle;
    expect(sk.coalesced).toBe(1);
    expect(st1.cached - st0.cached).toBe(1);
    expect(st1.ring - st0.ring).toBe(0);
    drainAndVerify(sk, 0, 2, 1000, 54);
    const st2 = pool.stats().recycle;
    expect(st2.cached - st1.cached).toBe(0);
    expect(st2.ring - st1.ring).toBe(1);
    expect(drv.napi(0).running).toBe(false);
  });

  it('drops (and counts) when no buffer is posted or the device is down', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, ringSize: 4 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket();
    // 5 buffers needed, 4 posted.
    expect(drv.receive(0, packet(0, 5 * 4096), 54, sk)).toBe(false);
    expect(drv.counters(0)).toEqual({ packets: 0, bytes: 0, dropped: 1, allocFail: 0 });
    nd.close();
    expect(drv.receive(0, packet(0, 100), 54, sk)).toBe(false);
    expect(drv.counters(0).dropped).toBe(2);
    expect(sk.queueLength).toBe(0);
    expect(() => drv.receive(9, packet(0, 100), 54, sk)).toThrow(code('ERANGE'));
  });

  it('a header-only segment is received but not queued; a removed device drops without losing posted buffers', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 8, strictIommu: true });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket();
    expect(drv.receive(0, packet(0, 54), 54, sk)).toBe(true);
    expect([sk.queueLength, r.ns.skbs.live, drv.counters(0).packets]).toEqual([0, 0, 1]);
    nd.dev!.remove();
    expect(drv.receive(0, packet(1, 500), 54, sk)).toBe(false);
    expect(drv.counters(0).dropped).toBe(1);
    expect(drv.posted(0)).toEqual({ payload: 8, header: 8 });
  });

  it('allocation failures under traffic: traffic keeps flowing, failures are counted, nothing leaks (pp_alloc_fail)', () => {
    const r = rig({ pages: 4096 });
    const free0 = r.domain.freePages;
    const nd = r.ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 64 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket();
    // Every second page allocation and every second DMA map fail: every other bulk refill comes back empty.
    r.domain.injectFaults({ pageAllocEvery: 2, dmaMapEvery: 2 });
    const LEN = 1500;
    let sent = 0;
    let delivered = 0;
    let first = 0;
    let ok = 0;
    const order: number[] = [];
    for (let burst = 0; burst < 20; burst++) {
      // The socket holds a burst of 150 packets before reading: the pools must get new pages.
      for (let k = 0; k < 150; k++, sent++) {
        if (drv.receive(sent & 1, packet(sent, LEN), 54, sk)) order.push(sent);
      }
      const n = order.length - ok;
      const buf = new Uint8Array(n * (LEN - 54));
      let got = 0;
      while (got < buf.length) got += sk.recvmsg(buf.subarray(got));
      let bad = 0;
      for (let k = 0; k < n; k++) {
        const seq = order[ok + k];
        for (let i = 54; i < LEN; i += 97) if (buf[k * (LEN - 54) + i - 54] !== patternByte(seq, i)) bad++;
      }
      expect(bad).toBe(0);
      delivered += n;
      ok += n;
      first = sent;
    }
    void first;
    const c = [drv.counters(0), drv.counters(1)];
    const allocFail = c[0].allocFail + c[1].allocFail;
    const dropped = c[0].dropped + c[1].dropped;
    expect(allocFail).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(sent * 0.9);
    expect(delivered + dropped).toBe(sent);
    expect(c[0].packets + c[1].packets).toBe(delivered);
    r.domain.injectFaults({ pageAllocEvery: 0, dmaMapEvery: 0 });
    // Traffic flows again at full rate once the failures stop.
    const d0 = dropped;
    for (let k = 0; k < 50; k++) expect(drv.receive(0, packet(k, LEN), 54, sk)).toBe(true);
    drainAndVerify(sk, 0, 50, LEN, 54);
    expect(drv.counters(0).dropped + drv.counters(1).dropped).toBe(d0);
    sk.close();
    nd.unregister();
    r.clock.advance(1000);
    expect(allPools(r.domain)).toEqual([]);
    expect(r.domain.freePages).toBe(free0);
    expect(r.domain.leaks).toBe(0);
    expect(nd.dev!.liveMappings).toBe(0);
    expect(nd.dev!.faultCount).toBe(0);
  });

  it('netdevsim check: a page held while the device goes down leaves one detached pool with inflight 1, freed within one retry of its release', () => {
    const r = rig();
    const free0 = r.domain.freePages;
    const nd = r.ns.createNetdevsim({ rxQueues: 1, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket();
    drv.receive(0, packet(0, 1000), 54, sk);
    const pool = drv.pool(0)!;
    nd.close();
    expect(allPools(r.domain)).toEqual([pool]);
    expect(pool.isDetached).toBe(true);
    expect(pool.inflight).toBe(1);
    expect(pool.info()).toMatchObject({ inflight: 1, inflightMem: 4096, detachTime: 0, ifindex: nd.ifindex });
    r.clock.advance(5000);
    expect(pool.isDetached).toBe(true);
    sk.close();
    expect(pool.isFreed).toBe(false);
    r.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(allPools(r.domain)).toEqual([]);
    expect(r.domain.freePages).toBe(free0);
    expect(nd.dev!.liveMappings).toBe(0);
    expect(nd.dev!.faultCount).toBe(0);
  });
});

describe('socket', () => {
  it('recvmsg copies in order across skbs, partial reads keep the offset, MSG_PEEK consumes nothing', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    for (let k = 0; k < 3; k++) drv.receive(0, packet(k, 1054), 54, sk);
    expect([sk.queueLength, sk.pendingBytes, sk.rcvBytes]).toEqual([3, 3000, 3000]);
    const peek = new Uint8Array(10);
    expect(sk.recvmsg(peek, MSG_PEEK)).toBe(10);
    expect(peek[0]).toBe(patternByte(0, 54));
    expect(sk.pendingBytes).toBe(3000);
    const a = new Uint8Array(700);
    expect(sk.recvmsg(a)).toBe(700);
    expect([sk.queueLength, sk.headOffset, sk.pendingBytes]).toEqual([3, 700, 2300]);
    const b = new Uint8Array(1000);
    expect(sk.recvmsg(b)).toBe(1000);
    expect(b[299]).toBe(patternByte(0, 54 + 999));
    expect(b[300]).toBe(patternByte(1, 54));
    expect([sk.queueLength, sk.headOffset]).toEqual([2, 700]);
    const rest = new Uint8Array(5000);
    expect(sk.recvmsg(rest)).toBe(1300);
    expect(rest[1299]).toBe(patternByte(2, 1053));
    expect(sk.recvmsg(rest)).toBe(0);
    expect(sk.copiedBytes).toBe(3000);
    expect(r.ns.skbs.live).toBe(0);
    sk.close();
    expect(() => sk.recvmsg(rest)).toThrow(code('EBADF'));
  });

  it.each([true, false])('split %s: packets sent from and read into domain pages at odd offsets arrive byte for byte', (split) => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: split, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    // The sender's and the reader's memory are pages of the same machine (order 1: 8 KiB each).
    const txPage = r.domain.allocPages(1);
    const rxPage = r.domain.allocPages(1);
    const tx = r.domain.bytes(txPage);
    const rx = r.domain.bytes(rxPage);
    expect(r.domain.storage.holds(tx) && r.domain.storage.holds(rx)).toBe(true);
    for (const [k, len] of [
      [0, 1500],
      [1, 5000],
      [2, 64 + 54],
      [3, 200],
    ] as const) {
      const pkt = tx.subarray(3, 3 + len); // odd offset: the device copy is misaligned
      pkt.set(packet(k, len));
      expect(drv.receive(0, pkt, 54, sk)).toBe(true);
      const user = rx.subarray(5, 5 + len); // another odd offset for recvmsg
      let got = 0;
      for (let n = sk.recvmsg(user); n > 0; n = sk.recvmsg(user.subarray(got))) got += n;
      expect(got).toBe(len - 54);
      let bad = 0;
      for (let i = 54; i < len; i++) if (user[i - 54] !== patternByte(k, i)) bad++;
      expect(bad).toBe(0);
    }
    expect(nd.dev!.faultCount).toBe(0);
    expect(r.ns.skbs.live).toBe(0);
    r.domain.putPage(txPage);
    r.domain.putPage(rxPage);
    sk.close();
    nd.unregister();
    expect(r.domain.freePages).toBe(r.domain.pages); // the pools' pages and both user pages are back
  });
  it('close frees queued skbs and, first, everything its extensions hold for the user', () => {
    const r = rig({ checked: true });
    const nd = r.ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const pool = drv.pool(0)!;
    const sk = r.ns.socket({ coalesce: false });
    for (let k = 0; k < 6; k++) drv.receive(0, packet(k, 3000), 54, sk);
    // A "user" holds one extra pp reference through an extension, like a devmem token.
    const held = sk.peek()!.shinfo.fragNm[0];
    pool.refNetmem(held, 1);
    const log: string[] = [];
    sk.attach({
      name: 'test',
      close(s) {
        log.push(`ext close, queue ${s.queueLength}`);
        pool.putNetmem(held, -1, false);
      },
    });
    expect(() => sk.attach({ name: 'test', close() {} })).toThrow(code('EEXIST'));
    expect(sk.extension('test')!.name).toBe('test');
    const outOfPool = () => pool.inflight - pool.cacheSize - pool.ringLength - drv.posted(0).payload;
    expect(outOfPool()).toBe(6);
    sk.close();
    expect(log).toEqual(['ext close, queue 6']);
    expect(outOfPool()).toBe(0);
    expect(inspectNetmem(r.domain, held).ppRef).toBe(1);
    expect(r.ns.skbs.live).toBe(0);
    sk.close();
    // A closed socket drops what arrives.
    drv.receive(0, packet(9, 3000), 54, sk);
    expect(outOfPool()).toBe(0);
    expect(() => sk.attach({ name: 'x', close() {} })).toThrow(code('EBADF'));
  });
});
