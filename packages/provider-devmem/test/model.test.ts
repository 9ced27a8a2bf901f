/**
 * Model-based test (fast-check): random sequences of bind, receive, recvmsg,
 * DONTNEED, socket close, unbind, ifdown/ifup (pool destroy), unregister and
 * time passing. After every step: SPEC §9 invariants 7–9 for every binding,
 * the core's pool invariants for every pool, and the model's token counts.
 * At the end every holder lets go and everything must be freed cleanly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allPools, type PagePool, type TcpSocket } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { DevmemCmsgBuffer, NetdevNlSocket, checkDevmemInvariants, devmemRecvmsg, devmemTokens, setsockoptDontneed, type DmabufBinding } from '../src/index.js';
import { packet, world, type World } from './helpers.js';

const SOCKETS = 3;

interface Model {
  /** Tokens each socket slot should hold. */
  held: number[];
}

interface Real {
  w: World;
  socks: TcpSocket[];
  nls: NetdevNlSocket[];
  bindings: DmabufBinding[];
  /** Hold count of each pool when its destroy was first seen. */
  destroyedHold: Map<PagePool, number>;
  /** Allocation count of each binding when its unbind was first seen. */
  unboundAllocs: Map<DmabufBinding, number>;
  cmsgs: DevmemCmsgBuffer;
  buf: Uint8Array;
}

type Cmd = fc.Command<Model, Real>;

function cmd(name: string, run: (m: Model, r: Real) => void): Cmd {
  return {
    check: () => true,
    run: (m, r) => {
      run(m, r);
      verify(m, r);
    },
    toString: () => name,
  };
}

function verify(m: Model, r: Real): void {
  const { w } = r;
  const out: string[] = [];
  for (const b of r.bindings) {
    if (!b.isFreed) out.push(...checkDevmemInvariants(b, r.socks).violations);
    // (9) an unbound binding hands nothing out again.
    if (b.isUnbound) {
      if (!r.unboundAllocs.has(b)) r.unboundAllocs.set(b, b.allocs);
      else if (r.unboundAllocs.get(b) !== b.allocs) out.push(`unbound binding ${b.id} handed out net_iovs`);
    }
  }
  // (9) a destroyed pool takes nothing in again.
  for (const pool of allPools(w.domain)) {
    if (!pool.destroyStarted) continue;
    const h = r.destroyedHold.get(pool);
    if (h === undefined) r.destroyedHold.set(pool, pool.holdCount);
    else if (h !== pool.holdCount) out.push(`destroyed pool ${pool.id} took in netmems`);
  }
  for (let i = 0; i < SOCKETS; i++) {
    const t = devmemTokens(r.socks[i]);
    if ((t?.held ?? 0) !== m.held[i]) out.push(`socket slot ${i}: ${t?.held ?? 0} tokens held, model says ${m.held[i]}`);
    // (9) no token names a net_iov of a freed binding.
    t?.forEach((token, nm) => {
      const owner = w.domain.areaOf(nm)?.owner as DmabufBinding | undefined;
      if (!owner || owner.isFreed) out.push(`socket slot ${i} token ${token} names a net_iov of a freed binding`);
    });
  }
  out.push(...checkDomainInvariants(w.domain));
  expect(out).toEqual([]);
}

const commandList = [
  fc.record({ q: fc.integer({ min: 0, max: 1 }), pages: fc.integer({ min: 70, max: 200 }), seg: fc.integer({ min: 8, max: 128 }) }).map(({ q, pages, seg }) =>
    cmd(`bind(q${q}, ${pages}/${seg})`, (_m, r) => {
      const { w } = r;
      const nl = new NetdevNlSocket(w.ns);
      r.nls.push(nl);
      try {
        const id = nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(pages, seg), queues: [{ id: q, type: 'rx' }] });
        r.bindings.push(nl.binding(id)!);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const bound = w.nd.rxQueues[q].mp !== null;
        expect(w.nd.regState === 'unregistered' ? 'ENODEV' : bound ? 'EEXIST' : 'unexpected').toBe(code);
      }
    }),
  ),
  fc
    .record({
      s: fc.integer({ min: 0, max: SOCKETS - 1 }),
      q: fc.integer({ min: 0, max: 1 }),
      frags: fc.integer({ min: 0, max: 5 }),
      tail: fc.integer({ min: 1, max: 4096 }),
    })
    .map(({ s, q, frags, tail }) =>
      cmd(`receive(s${s}, q${q}, ${frags}+${tail})`, (_m, r) => {
        r.w.drv.receive(q, packet(64, frags * 4096 + tail, s), 64, r.socks[s]);
      }),
    ),
  fc.record({ s: fc.integer({ min: 0, max: SOCKETS - 1 }), len: fc.integer({ min: 1, max: 40000 }) }).map(({ s, len }) =>
    cmd(`recvmsg(s${s}, ${len})`, (m, r) => {
      devmemRecvmsg(r.socks[s], r.buf, { cmsgs: r.cmsgs, len });
      for (let i = 0; i < r.cmsgs.count; i++) if (r.cmsgs.token[i] !== 0) m.held[s]++;
    }),
  ),
  fc
    .record({ s: fc.integer({ min: 0, max: SOCKETS - 1 }), start: fc.integer({ min: 0, max: 12 }), count: fc.integer({ min: 0, max: 30 }) })
    .map(({ s, start, count }) =>
      cmd(`dontneed(s${s}, ${start}+${count})`, (m, r) => {
        m.held[s] -= setsockoptDontneed(r.socks[s], new Uint32Array([start, count]));
      }),
    ),
  fc.integer({ min: 0, max: SOCKETS - 1 }).map((s) =>
    cmd(`close(s${s})`, (m, r) => {
      r.socks[s].close();
      r.socks[s] = r.w.ns.socket();
      m.held[s] = 0;
    }),
  ),
  fc.nat().map((k) =>
    cmd(`unbind(#${k})`, (_m, r) => {
      const open = r.nls.filter((nl) => !nl.isClosed);
      if (open.length > 0) open[k % open.length].close();
    }),
  ),
  fc.constant(
    cmd('ifdown (pools destroyed)', (_m, r) => {
      if (r.w.nd.regState === 'registered') r.w.nd.close();
    }),
  ),
  fc.constant(
    cmd('ifup', (_m, r) => {
      if (r.w.nd.regState === 'registered') r.w.nd.open();
    }),
  ),
  fc.constant(
    cmd('unregister + device removal', (_m, r) => {
      r.w.nd.unregister();
      r.w.nd.dev!.remove();
    }),
  ),
  fc.constant(cmd('tick 1 s', (_m, r) => r.w.clock.advance(1000))),
];
// Data-path steps are common, lifecycle steps rarer (each run should see tokens come and go).
const WEIGHTS = [2, 8, 8, 5, 2, 1, 1, 1, 1, 2];
const commands = commandList.flatMap((arb, i) => new Array<typeof arb>(WEIGHTS[i]).fill(arb));

describe('devmem model', () => {
  it('invariants 7–9 hold after every step, and everything is freed at the end', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60, size: 'large' }), (cmds) => {
        const w = world({ checked: true, strictIommu: true, ringSize: 32, pages: 512, netIovs: 4096 });
        const real: Real = {
          w,
          socks: Array.from({ length: SOCKETS }, () => w.ns.socket()),
          nls: [],
          bindings: [],
          destroyedHold: new Map(),
          unboundAllocs: new Map(),
          cmsgs: new DevmemCmsgBuffer(64),
          buf: new Uint8Array(1 << 16),
        };
        const nl = new NetdevNlSocket(w.ns);
        real.nls.push(nl);
        real.bindings.push(nl.binding(nl.bindRx({ ifindex: w.nd.ifindex, dmabuf: w.dmabuf(96, 40), queues: [{ id: 0, type: 'rx' }] }))!);
        fc.modelRun(() => ({ model: { held: new Array<number>(SOCKETS).fill(0) }, real }), cmds);
        // Everyone lets go.
        for (const sk of real.socks) sk.close();
        for (const nl of real.nls) nl.close();
        w.nd.unregister();
        w.clock.advance(1000);
        for (const b of real.bindings) {
          expect(b.isFreed).toBe(true);
          expect(b.leaked).toBe(0);
          expect(b.chunks.free).toBe(b.size);
        }
        expect(w.nd.dev!.faultCount).toBe(0);
        expect(w.domain.leaks).toBe(0);
        expect(allPools(w.domain)).toEqual([]);
        expect(w.ns.skbs.live).toBe(0);
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
