/** Netdev commands: netdevsim creation, packet receive, open/close, channel / header-split / XDP config, unregister and device removal. */
import { PAGE_SIZE } from '@netmem/core';
import { FuzzFailure, type World } from '../world.js';
import { X, good, numVariants, pick, runBad } from './harness.js';
import type { Cmd } from './kinds.js';
import { TRACKINGS } from './pool-alloc.js';

// ---- netdevs and the receive path -----------------------------------------------

export function ndCreate(w: World, c: Cmd): void {
  if (c.bad < 0) {
    if (w.netdevs.filter((n) => !n.unregistered).length >= 3) return;
    const o = {
      rxQueues: 1 + (c.a % 4),
      headerSplit: c.b % 3 !== 0,
      ringSize: [4, 8, 16][c.c % 3],
      poolSize: [0, 16, 64][(c.c >> 2) % 3],
      dmaTracking: TRACKINGS[(c.a >> 2) % 3],
      hdrBufSize: [128, 256][(c.b >> 2) & 1],
      supportsUnreadable: (c.c >> 4) % 4 !== 0,
      strictIommu: (c.b >> 3) % 3 === 0 && TRACKINGS[(c.a >> 2) % 3] !== 'none',
      up: (c.a >> 4) % 5 !== 0,
    };
    const r = good(w, `ns.createNetdevsim(${JSON.stringify(o)})`, () => w.addNetdev(o));
    if (r.ok) w.log(`  -> ${r.value.nd.name} ifindex ${r.value.nd.ifindex}`);
    return;
  }
  const mk = (o: unknown) => () => w.ns.createNetdevsim(X(o));
  const name = () => `bad${w.nextId()}`;
  const taken = w.netdevs.find((x) => x.nd.regState === 'registered')?.nd.name;
  runBad(w, 'ns.createNetdevsim', c.bad, [
    ['rxQueues.1e8[D13]', () => mk({ name: name(), rxQueues: 1e8 })],
    ['rxQueues.0', () => mk({ name: name(), rxQueues: 0 })],
    ...numVariants('rxQueues', (x) => mk({ name: name(), rxQueues: x })(), ['undef', 'null', '2^32', 'inf']),
    ['maxRxQueues.below', () => mk({ name: name(), rxQueues: 4, maxRxQueues: 2 })],
    ['maxRxQueues.1e8[D13]', () => mk({ name: name(), maxRxQueues: 1e8 })],
    ...numVariants('ringSize', (x) => mk({ name: name(), ringSize: x })(), ['undef', 'null', '2^32', 'inf']),
    ['ringSize.0', () => mk({ name: name(), ringSize: 0 })],
    ['ringSize.huge', () => mk({ name: name(), ringSize: 2 ** 31 })],
    ...numVariants('hdrBufSize', (x) => mk({ name: name(), hdrBufSize: x })(), ['undef', 'null']),
    ...numVariants('poolSize', (x) => mk({ name: name(), poolSize: x })(), ['undef', 'null']),
    ['dmaTracking.bogus', () => mk({ name: name(), dmaTracking: 'bogus' })],
    ['name.empty', () => mk({ name: '' })],
    ['name.number', () => mk({ name: 7 })],
    ['name.duplicate', () => (taken ? mk({ name: taken }) : null)],
    ['headerSplit.str', () => mk({ name: name(), headerSplit: 'yes' })],
    ['strictIommu.str', () => mk({ name: name(), strictIommu: 'no' })],
    ['up.str', () => mk({ name: name(), up: 'x' })],
    ['supportsUnreadable.str', () => mk({ name: name(), supportsUnreadable: 'x' })],
    ['key.unknown', () => mk({ name: name(), rxqueues: 2 })],
    ['opts.str', () => mk('eth9')],
    ['opts.null', () => mk(null)],
  ]);
}

const PKT_SIZES = [1, 14, 54, 60, 100, 1500, 4000, 4096, 4097, 9000, 17 * 4096, 20 * 4096];
const HDR_LENS = [0, 14, 54, 66, 128, 200];

function packet(len: number, seed: number): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i += 97) p[i] = (seed + i) & 0xff;
  return p;
}

export function ndReceive(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  const s = pick(w.sockets, c.c >> 6);
  if (!slot || !s) return;
  const { nd, drv } = slot;
  // Half the time aim at a queue with a memory provider (devmem / zcrx), when there is one.
  const bound = nd.rxQueues.slice(0, nd.realNumRxQueues).filter((x) => x.mp !== null);
  const q = (c.b >> 9) % 2 === 0 && bound.length ? bound[(c.b >> 10) % bound.length].index : c.b % nd.realNumRxQueues;
  const len = PKT_SIZES[c.c % PKT_SIZES.length];
  const maxHdr = nd.headerSplit ? slot.hdrBuf : PAGE_SIZE;
  const hdr = Math.min(HDR_LENS[(c.c >> 4) % HDR_LENS.length], len, maxHdr);
  const pkt = packet(len, c.b);
  if (c.bad < 0) {
    const burst = 1 + ((c.b >> 3) % 3);
    for (let k = 0; k < burst; k++) {
      const r = good(w, `driver(${nd.name}).receive(${q}, packet(${len}), ${hdr}, sk#${s.n})`, () => drv.receive(q, pkt, hdr, s.sk));
      if (!r.ok) {
        // The queue restarting under a provider, or the device unregistering, can make a receive fail; nothing else may.
        if (r.code !== 'ENODEV') throw new FuzzFailure(`receive of a well-formed packet was refused (${r.code})`);
        return;
      }
    }
    return;
  }
  const rx = (qq: unknown, p: unknown, h: unknown, sk: unknown) => () => drv.receive(X(qq), X(p), X(h), X(sk));
  runBad(w, `driver(${nd.name})`, c.bad, [
    ...numVariants('receive.q', (x) => rx(x, pkt, hdr, s.sk)(), []),
    ['receive.q.past', () => rx(nd.realNumRxQueues, pkt, hdr, s.sk)],
    ...numVariants('receive.hdrLen', (x) => rx(q, pkt, x, s.sk)(), ['2^32'], undefined, { frac: 'D5' }),
    ['receive.hdrLen.past-packet', () => rx(q, pkt, len + 1, s.sk)],
    // (Only on a running queue: one that is not running has no buffer to measure against, and drops the packet.)
    ['receive.hdrLen.past-buffer', () => (nd.headerSplit && len > slot.hdrBuf && drv.pool(q) !== null ? rx(q, pkt, slot.hdrBuf + 1, s.sk) : null)],
    ['receive.packet.str', () => rx(q, 'x'.repeat(100), 14, s.sk)],
    ['receive.packet.obj', () => rx(q, {}, 0, s.sk)],
    ['receive.packet.array', () => rx(q, [1, 2, 3, 4], 0, s.sk)],
    ['receive.packet.null', () => rx(q, null, 0, s.sk)],
    ['receive.packet.sab', () => rx(q, new SharedArrayBuffer(64), 0, s.sk)],
    ['receive.sk.obj', () => rx(q, pkt, hdr, {})],
    ['receive.sk.null', () => rx(q, pkt, hdr, null)],
    ['receive.sk.foreign-namespace', () => rx(q, pkt, hdr, w.sk2)],
  ]);
}

export function ndUpDown(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  if (!slot) return;
  const { nd } = slot;
  if (c.bad < 0) {
    if (nd.up) good(w, `${nd.name}.close()`, () => nd.close());
    else good(w, `${nd.name}.open()`, () => nd.open());
    return;
  }
  runBad(w, nd.name, c.bad, [
    ['ns.driver.obj', () => () => w.ns.driver(X({}))],
    ['ns.driver.foreign', () => () => w.ns.driver(X(w.ns2.loopback))],
    ...numVariants('rxQueue', (x) => nd.rxQueue(X(x)), []),
  ]);
}

export function ndConfig(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  if (!slot) return;
  const { nd } = slot;
  if (c.bad < 0) {
    const op = c.b % 4;
    if (op === 0) {
      const n = 1 + (c.c % nd.rxQueues.length);
      good(w, `${nd.name}.setChannels(${n})`, () => nd.setChannels(n));
    } else if (op === 1) {
      const on = (c.c & 1) === 0;
      const thresh = [0, 0, 128][(c.c >> 1) % 3];
      good(w, `${nd.name}.setHeaderSplit(${on}, ${thresh})`, () => nd.setHeaderSplit(on, thresh));
    } else if (op === 2) {
      const on = (c.c & 1) === 1;
      good(w, `${nd.name}.setXdp(${on})`, () => nd.setXdp(on));
    } else {
      good(w, `${nd.name}.setHeaderSplit(true, 0)`, () => nd.setHeaderSplit(true, 0));
    }
    return;
  }
  runBad(w, nd.name, c.bad, [
    ...numVariants('setChannels', (x) => nd.setChannels(X(x)), []),
    ['setChannels.0', () => () => nd.setChannels(0)],
    ['setChannels.past-max', () => () => nd.setChannels(nd.rxQueues.length + 1)],
    ['setHeaderSplit.on.str', () => () => nd.setHeaderSplit(X('yes'), 0)],
    ['setHeaderSplit.on.num', () => () => nd.setHeaderSplit(X(1), 0)],
    ...numVariants('setHeaderSplit.thresh', (x) => nd.setHeaderSplit(true, X(x)), ['undef']),
    ['setXdp.str', () => () => nd.setXdp(X('on'))],
    ['setXdp.num', () => () => nd.setXdp(X(1))],
  ]);
}

export function ndUnregister(w: World, c: Cmd): void {
  const slot = pick(
    w.netdevs.filter((n) => !n.unregistered),
    c.a,
  );
  if (!slot) return;
  if (c.bad >= 0) {
    runBad(w, slot.nd.name, c.bad, [
      ['transmit.obj', () => () => slot.nd.transmit(X({}))],
      ['transmit.null', () => () => slot.nd.transmit(X(null))],
    ]);
    return;
  }
  const r = good(w, `${slot.nd.name}.unregister()`, () => slot.nd.unregister());
  if (!r.ok) throw new FuzzFailure(`unregister of ${slot.nd.name} was refused (${r.code})`);
  slot.unregistered = true;
  for (const r2 of w.rings) if (r2.ifq.netdev === slot.nd) throw new FuzzFailure(`ifq of ring ${r2.n} still names ${slot.nd.name} after unregister`);
}

export function ndDevRemove(w: World, c: Cmd): void {
  const slot = pick(
    w.netdevs.filter((n) => n.unregistered && !n.devRemoved),
    c.a,
  );
  if (!slot) return;
  good(w, `${slot.nd.name}.dev.remove()  // after unregister, as a driver unbind does`, () => slot.dev.remove());
  slot.devRemoved = true;
  if (slot.tracking === 'none') w.faultyOk.add(slot.dev);
}
