/**
 * Driving the receive path step by step, as the kernel's selftests do: the
 * NIC's split point apart from the stack's pull (payload in the linear
 * part), a NAPI poll without a packet, netdevsim's pp_hold, and the fault
 * knobs (a driver that ignores providers, AF_XDP, a shared DMA device).
 */
import { describe, expect, it } from 'vitest';
import { allPools, controlPlane } from '@netmem/core';
import { mpOpenRxq } from '@netmem/core/provider';
import { checkDomainInvariants, errnoOf } from '@netmem/core/testing';
import { iovProvider, packet, patternByte, rig } from './rx-fixture.js';

/** Reads everything queued on `sk` (copy path) and checks every byte against packet `seq`'s pattern from `from`. */
function expectBytes(got: Uint8Array, seq: number, from: number): void {
  for (let i = 0; i < got.length; i++) if (got[i] !== patternByte(seq, from + i)) throw new Error(`byte ${i}: ${got[i]} != ${patternByte(seq, from + i)}`);
}

describe('receive: the NIC split point apart from the stack pull', () => {
  it('header split, split past the headers: head payload then frag payload reach recvmsg in order, every byte right', () => {
    const r = rig({ checked: true });
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, hdrBufSize: 256, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    const p = packet(1, 3000);
    expect(drv.receive(0, p, { pull: 66, split: 200 }, sk)).toBe(true);
    const skb = sk.peek()!;
    expect(skb.headLen).toBe(200 - 66); // payload left in the linear part
    expect(skb.nrFrags).toBe(1);
    expect(skb.len).toBe(3000 - 66);
    const buf = new Uint8Array(4000);
    expect(sk.recvmsg(buf)).toBe(3000 - 66);
    expectBytes(buf.subarray(0, 3000 - 66), 1, 66);
    expect(checkDomainInvariants(r.domain)).toEqual([]);
  });

  it('default split is the pull; hds-thresh keeps a small packet whole in the header buffer', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, hdrBufSize: 256, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    drv.receive(0, packet(2, 1000), 66, sk);
    expect(sk.peek()!.headLen).toBe(0);
    expect(sk.peek()!.nrFrags).toBe(1);
    sk.consume(1000 - 66);
    nd.setHeaderSplit(true, 200); // packets ≤ 200 bytes are not split
    const posted = drv.posted(0).payload;
    drv.receive(0, packet(3, 150), 42, sk);
    const skb = sk.peek()!;
    expect(skb.headLen).toBe(150 - 42);
    expect(skb.nrFrags).toBe(0);
    expect(drv.posted(0).payload).toBe(posted); // no payload buffer used
    const buf = new Uint8Array(200);
    expect(sk.recvmsg(buf)).toBe(108);
    expectBytes(buf.subarray(0, 108), 3, 42);
  });

  it('refuses a split below the pull, past the header buffer, or without header split, changing nothing', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, hdrBufSize: 256, ringSize: 8 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket();
    const posted = drv.posted(0);
    for (const layout of [
      { pull: 66, split: 60 },
      { pull: 66, split: 300 },
      { pull: 66, split: 1.5 },
      { pull: 66, split: 3001 },
      { pull: 66, bogus: 1 },
    ]) {
      expect(errnoOf(() => drv.receive(0, packet(1, 3000), layout as never, sk))).toBe('EINVAL');
    }
    const flat = r.ns.createNetdevsim({ name: 'eth1', ringSize: 8 });
    expect(errnoOf(() => r.ns.driver(flat).receive(0, packet(1, 3000), { pull: 66, split: 100 }, sk))).toBe('EINVAL');
    expect(drv.posted(0)).toEqual(posted);
    expect(sk.queueLength).toBe(0);
  });

  it('coalescing with a non-empty head: the head is stolen as a frag; a cloned pp skb with a head is refused (its head is locked)', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, hdrBufSize: 256, ringSize: 16 });
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: true });
    drv.receive(0, packet(1, 3000), { pull: 66, split: 200 }, sk);
    drv.receive(0, packet(2, 3000), { pull: 66, split: 200 }, sk);
    expect(sk.queueLength).toBe(1); // coalesced: the second skb's head became a frag of the first
    expect(sk.coalesced).toBe(1);
    const tail = sk.peek()!;
    expect(tail.nrFrags).toBe(3);
    const buf = new Uint8Array(6000);
    expect(sk.recvmsg(buf)).toBe(2 * (3000 - 66));
    expectBytes(buf.subarray(0, 3000 - 66), 1, 66);
    expectBytes(buf.subarray(3000 - 66, 2 * (3000 - 66)), 2, 66);
    // A cloned pp `from` with a head cannot give its head away.
    const a = r.ns.socket({ coalesce: false });
    drv.receive(0, packet(3, 3000), { pull: 66, split: 200 }, a);
    drv.receive(0, packet(4, 3000), { pull: 66, split: 200 }, a);
    const to = a.peek()!;
    const from = to.next!;
    const clone = r.ns.skbs.clone(from);
    expect(r.ns.skbs.tryCoalesce(to, from)).toBe(false);
    r.ns.skbs.free(clone);
    a.close();
    sk.close();
    expect(checkDomainInvariants(r.domain)).toEqual([]);
  });
});

describe('driver.poll: a NAPI poll without a packet', () => {
  it('after exhaustion the next packet is dropped until buffers come back and the queue is polled; then it is received', () => {
    const r = rig();
    const mp = iovProvider(8, true);
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, ringSize: 8 });
    mpOpenRxq(nd, 0, mp);
    const drv = r.ns.driver(nd);
    const sk = r.ns.socket({ coalesce: false });
    let got = 0;
    while (drv.receive(0, packet(got, 4096 + 66), 66, sk)) got++;
    expect(got).toBe(8); // every buffer of the provider is out
    expect(drv.counters(0).dropped).toBe(1);
    expect(drv.poll(0)).toBe(0); // nothing came back: nothing to post
    sk.consume(sk.pendingBytes); // the user reads: buffers go back to the pool (its ring)
    expect(drv.posted(0).payload).toBe(0); // the descriptor ring is still empty
    expect(drv.poll(0)).toBe(8); // the poll posts them again
    expect(drv.receive(0, packet(100, 4096 + 66), 66, sk)).toBe(true);
    expect(drv.counters(0)).toMatchObject({ packets: 9, dropped: 1 });
    // Without the poll, the first packet after recovery is dropped (its receive refills the ring for the next one).
    while (drv.receive(0, packet(got, 4096 + 66), 66, sk)) got++;
    sk.consume(sk.pendingBytes);
    expect(drv.receive(0, packet(200, 4096 + 66), 66, sk)).toBe(false);
    expect(drv.receive(0, packet(201, 4096 + 66), 66, sk)).toBe(true);
    expect(errnoOf(() => drv.poll(5))).toBe('ERANGE');
  });
});

describe('knobs', () => {
  it('pp_hold holds one page of queue 0 across an ifdown: the pool stays detached until it is released', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ name: 'eth0', ringSize: 8 });
    const drv = r.ns.driver(nd);
    const nl = controlPlane(r.ns);
    drv.ppHold(true);
    drv.ppHold(true); // the same state again does nothing
    const pool = drv.pool(0)!;
    expect(drv.ppHeld).not.toBe(0);
    nd.close();
    expect(pool.isDetached).toBe(true);
    expect(nl.pagePoolGet({ id: pool.id })).toMatchObject({ inflight: 1, detachTime: 0 });
    expect(errnoOf(() => drv.ppHold(true))).toBe('no error'); // already held: nothing to do
    drv.ppHold(false);
    expect(drv.ppHeld).toBe(0);
    r.clock.advance(1000);
    expect(pool.isFreed).toBe(true);
    expect(errnoOf(() => drv.ppHold(true))).toBe('ENETDOWN');
    expect(errnoOf(() => drv.ppHold(1 as never))).toBe('EINVAL');
  });

  it('a driver that ignores the queue provider (switched at run time): installing one fails with ENODATA and rolls back', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, ringSize: 8, rxQueues: 2 });
    const drv = r.ns.driver(nd);
    drv.supportsUnreadable = false;
    const pools = allPools(r.domain).map((p) => p.id);
    expect(errnoOf(() => mpOpenRxq(nd, 1, iovProvider(8)))).toBe('ENODATA');
    expect(nd.rxQueues[1].mp).toBeNull();
    expect(allPools(r.domain).map((p) => p.id)).toEqual(pools);
    drv.supportsUnreadable = true;
    mpOpenRxq(nd, 1, iovProvider(8));
    expect(drv.pool(1)!.provider.name).toBe('test-dmabuf');
  });

  it('AF_XDP bind/unbind: a bound queue refuses a provider (EBUSY), a provider-bound queue refuses AF_XDP', () => {
    const r = rig();
    const nd = r.ns.createNetdevsim({ name: 'eth0', headerSplit: true, ringSize: 8, rxQueues: 2 });
    nd.bindXsk(1);
    expect(errnoOf(() => nd.bindXsk(1))).toBe('EBUSY');
    expect(errnoOf(() => mpOpenRxq(nd, 1, iovProvider(8)))).toBe('EBUSY');
    nd.unbindXsk(1);
    mpOpenRxq(nd, 1, iovProvider(8));
    expect(errnoOf(() => nd.bindXsk(1))).toBe('EBUSY');
    expect(errnoOf(() => nd.bindXsk(2))).toBe('EINVAL');
  });

  it('createNetdevsim can take an existing DMA device (two ports on one device); a foreign or removed one is refused', () => {
    const r = rig();
    const dev = r.domain.createDevice('pci0');
    const a = r.ns.createNetdevsim({ name: 'eth0', dev, ringSize: 4 });
    const b = r.ns.createNetdevsim({ name: 'eth1', dev, ringSize: 4 });
    expect(a.dev).toBe(dev);
    expect(b.dev).toBe(dev);
    const other = rig().domain.createDevice('x');
    expect(errnoOf(() => r.ns.createNetdevsim({ name: 'eth2', dev: other }))).toBe('EINVAL');
    const gone = r.domain.createDevice('gone');
    gone.remove();
    expect(errnoOf(() => r.ns.createNetdevsim({ name: 'eth3', dev: gone }))).toBe('ENODEV');
  });
});
