/**
 * Model-based test of the receive path: random sequences of receive /
 * recvmsg / clone / coalesce / socket close / device restart (pool destroy)
 * / unregister / clock advance. After every step SPEC §9 items 1–2 and 5–6
 * hold (checkDomainInvariants), the ledger accounts for every posted
 * buffer, every byte a socket hands out matches the packet it came from,
 * and at the end, once every holder lets go, everything comes back.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allPools, type NetDevice, type SkBuff, type TcpSocket } from '@netmem/core';
import { mpOpenRxq } from '@netmem/core/provider';
import { checkDomainInvariants } from '@netmem/core/testing';
import { iovProvider, packet, patternByte, rig } from './rx-fixture.js';

type Action =
  | { k: 'rx'; q: number; len: number; hdr: number; sk: number }
  | { k: 'recv'; sk: number; n: number }
  | { k: 'clone'; sk: number }
  | { k: 'freeClone'; i: number }
  | { k: 'coalesce'; a: number; b: number }
  | { k: 'close'; sk: number }
  | { k: 'restart' }
  | { k: 'unregister' }
  | { k: 'tick' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('rx' as const),
      q: fc.nat(1),
      len: fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 60, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 60, max: 9000 }) }),
      hdr: fc.integer({ min: 0, max: 60 }),
      sk: fc.nat(1),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('recv' as const), sk: fc.nat(1), n: fc.integer({ min: 1, max: 12000 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('clone' as const), sk: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('freeClone' as const), i: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('coalesce' as const), a: fc.nat(7), b: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), sk: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'unregister' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'tick' as const }) },
);

interface Pending {
  seq: number;
  len: number;
  hdr: number;
}

function run(split: boolean, withProvider: boolean, actions: Action[]): void {
  const r = rig({ pages: 4096, checked: true });
  const { domain, ns, clock } = r;
  const free0 = domain.freePages;
  const devices: NetDevice[] = [];
  const providers: ReturnType<typeof iovProvider>[] = [];
  let nd!: NetDevice;
  const newDevice = () => {
    nd = ns.createNetdevsim({ rxQueues: 2, headerSplit: split || withProvider, ringSize: 16 });
    devices.push(nd);
    if (withProvider) {
      const mp = iovProvider(64, true);
      providers.push(mp);
      mpOpenRxq(nd, 1, mp);
    }
  };
  newDevice();
  const sockets: TcpSocket[] = [ns.socket(), ns.socket({ coalesce: false })];
  // What each socket will hand out, in order: packets minus headers, and how far into the first we are.
  const expected: Pending[][] = [[], []];
  const consumed = [0, 0];
  const held: SkBuff[] = [];
  let seq = 0;

  const check = (step: string) => {
    const v = checkDomainInvariants(domain);
    if (v.length) throw new Error(`after ${step}:\n${v.join('\n')}`);
    for (const d of devices) if (d.dev!.faultCount !== 0) throw new Error(`after ${step}: IOMMU faults on ${d.name}`);
    // Every buffer posted on a live ring is in the ledger's driver-ring place, and only those.
    if (nd.up) {
      const drv = ns.driver(nd);
      for (let q = 0; q < 2; q++) {
        const p = drv.pool(q)!;
        const places = p.places();
        expect(places['driver-ring'] ?? 0).toBe(drv.posted(q).payload);
        // Nothing of this pool is unaccounted: every netmem it holds is in a named place.
        expect(places['handed-out'] ?? 0).toBe(0);
      }
    }
    const queued = sockets.reduce((n, s) => n + s.queueLength, 0);
    expect(ns.skbs.live).toBe(queued + held.length);
  };

  for (const a of actions) {
    switch (a.k) {
      case 'rx': {
        const hdr = Math.min(a.hdr, a.len);
        const s = seq++;
        if (ns.driver(nd).receive(a.q, packet(s, a.len), hdr, sockets[a.sk])) {
          if (a.len > hdr) expected[a.sk].push({ seq: s, len: a.len, hdr });
        }
        break;
      }
      case 'recv': {
        const sk = sockets[a.sk];
        const buf = new Uint8Array(a.n);
        const n = sk.recvmsg(buf);
        let at = 0;
        while (at < n) {
          const p = expected[a.sk][0];
          const take = Math.min(n - at, p.len - p.hdr - consumed[a.sk]);
          for (let i = 0; i < take; i++) {
            const want = patternByte(p.seq, p.hdr + consumed[a.sk] + i);
            if (buf[at + i] !== want) throw new Error(`socket ${a.sk}: byte ${consumed[a.sk] + i} of packet ${p.seq} is ${buf[at + i]}, want ${want}`);
          }
          at += take;
          consumed[a.sk] += take;
          if (consumed[a.sk] === p.len - p.hdr) {
            expected[a.sk].shift();
            consumed[a.sk] = 0;
          }
        }
        const pending = expected[a.sk].reduce((t, p) => t + p.len - p.hdr, 0) - consumed[a.sk];
        expect(sk.pendingBytes).toBe(pending);
        break;
      }
      case 'clone': {
        const skb = sockets[a.sk].peek();
        if (skb && held.length < 8) held.push(ns.skbs.clone(skb));
        break;
      }
      case 'freeClone': {
        if (a.i < held.length) ns.skbs.free(held.splice(a.i, 1)[0]);
        break;
      }
      case 'coalesce': {
        if (a.a === a.b || a.a >= held.length || a.b >= held.length) break;
        const to = held[a.a];
        const from = held[a.b];
        const len = to.len + from.len;
        if (ns.skbs.tryCoalesce(to, from)) {
          expect(to.len).toBe(len);
          ns.skbs.freePartial(from, ns.skbs.lastHeadStolen);
          held.splice(a.b, 1);
        }
        break;
      }
      case 'close': {
        sockets[a.sk].close();
        sockets[a.sk] = ns.socket({ coalesce: a.sk === 0 });
        expected[a.sk] = [];
        consumed[a.sk] = 0;
        break;
      }
      case 'restart': {
        // ifdown / ifup: every pool is destroyed (detached while buffers are out) and made again.
        nd.close();
        nd.open();
        break;
      }
      case 'unregister': {
        nd.unregister();
        newDevice();
        break;
      }
      case 'tick':
        clock.advance(1000);
        break;
    }
    check(a.k);
  }

  // Every holder lets go: sockets, held clones, devices. One retry period later everything is back.
  for (const s of sockets) s.close();
  while (held.length) ns.skbs.free(held.pop()!);
  for (const d of devices) d.unregister();
  check('teardown');
  clock.advance(1000);
  expect(allPools(domain)).toEqual([]);
  expect(domain.freePages).toBe(free0);
  expect(domain.leaks).toBe(0);
  expect(ns.skbs.live).toBe(0);
  for (const d of devices) expect(d.dev!.liveMappings).toBe(0);
  for (const mp of providers) expect(mp.free).toBe(64);
}

describe('receive path model', () => {
  it('conservation holds after every step and everything comes back', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(action, { minLength: 1, maxLength: 80 }), (split, withProvider, actions) => {
        run(split, withProvider, actions);
      }),
      { numRuns: 80, seed: 0x5eed },
    );
  });
});
