/**
 * Model-based test: random sequences of receive / refill (good, duplicate
 * and bad entries) / scrub / unregister / exit, checking SPEC §9 items 7 and
 * 9 after every step, plus the model's own count of buffers the user holds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allPools } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { checkZcrxInvariants, type RecvZcRequest } from '../src/index.js';
import { HDR, makeWorld, packet, reap, type World } from './helpers.js';

interface Model {
  w: World;
  req: RecvZcRequest | null;
  /** Offsets of buffers the user holds (one entry per user reference). */
  held: number[];
  exited: boolean;
  unregistered: boolean;
  seq: number;
}

type Cmd =
  | { t: 'recv'; n: number; size: number }
  | { t: 'refill'; k: number; dup: boolean; bad: boolean }
  | { t: 'scrub' }
  | { t: 'unregister' }
  | { t: 'exit' }
  | { t: 'close' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 24, arbitrary: fc.record({ t: fc.constant('recv' as const), n: fc.integer({ min: 1, max: 6 }), size: fc.constantFrom(1, 100, 4096, 6000, 9000) }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant('refill' as const), k: fc.integer({ min: 0, max: 12 }), dup: fc.boolean(), bad: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'scrub' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'unregister' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'exit' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'close' as const }) },
);

function step(m: Model, c: Cmd): void {
  const w = m.w;
  switch (c.t) {
    case 'recv': {
      if (m.exited) {
        expect(() => w.ring.recvZc(w.sk)).toThrow(expect.objectContaining({ code: 'EBADF' }));
        return;
      }
      for (let i = 0; i < c.n; i++) {
        w.drv.receive(1, packet(c.size, m.seq), HDR, w.sk);
        m.seq += c.size;
      }
      if (!m.req || m.req.done) m.req = w.ring.recvZc(w.sk);
      while (m.req.issue() === 'requeue');
      for (const x of reap(w)) {
        if (x.res > 0) {
          expect(x.off).toBeLessThan(w.ifq.area.count * 4096);
          m.held.push(x.off - (x.off % 4096));
        }
      }
      return;
    }
    case 'refill': {
      const give = m.held.splice(0, c.k);
      for (const off of give) {
        // A full ring refuses the entry: the user still holds that buffer.
        if (!w.rq.pushOff(off)) {
          m.held.push(off);
          continue;
        }
        if (c.dup) w.rq.pushOff(off); // a second entry for the same reference: must be skipped
      }
      if (c.bad) {
        w.rq.pushOff(4096, 4096, 7);
        w.rq.pushOff(w.ifq.area.count * 4096);
      }
      w.rq.commit();
      // Entries the kernel side may never read (pool gone) are simply left; scrub will settle them.
      return;
    }
    case 'scrub':
      // What ring exit does first; the user's CQEs are void afterwards.
      w.ifq.scrub();
      m.held = [];
      return;
    case 'unregister':
      w.nd.unregister();
      m.unregistered = true;
      return;
    case 'exit':
      w.ring.exit();
      m.exited = true;
      m.held = [];
      return;
    case 'close':
      w.sk.close();
      return;
  }
}

function check(m: Model): void {
  const w = m.w;
  const v = checkZcrxInvariants(w.ifq);
  if (v.length) throw new Error(v.join('\n'));
  const dv = checkDomainInvariants(w.domain);
  if (dv.length) throw new Error(dv.join('\n'));
  if (w.ifq.freed) return;
  // The user holds exactly the references the kernel counts, minus entries the
  // kernel consumed: sum(userRefs) == held + refill entries still pending.
  let urefs = 0;
  for (let i = 0; i < w.ifq.area.count; i++) urefs += w.ifq.area.userRefs[i];
  expect(urefs).toBeLessThanOrEqual(m.held.length + w.rq.pending);
  expect(urefs).toBeGreaterThanOrEqual(m.held.length);
  // Item 9: a closed (or unregistered) ifq serves no live pool; after exit no request is armed.
  if (m.exited) expect(w.ring.pendingRequests).toBe(0);
  if (m.unregistered || m.exited) {
    for (const p of allPools(w.domain)) if (p.provider === w.ifq.ops) expect(p.destroyStarted).toBe(true);
  }
}

/** FC_SEED / FC_PATH replay a reported counterexample. */
function replay(): { seed?: number; path?: string } {
  const seed = process.env.FC_SEED;
  return seed === undefined ? {} : { seed: Number(seed), path: process.env.FC_PATH };
}

describe('zcrx model', () => {
  it('invariants 7 and 9 hold after every step', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 60 }), fc.boolean(), (cmds, checked) => {
        const w = makeWorld({ areaPages: 96, rqEntries: 32, ringSize: 16, checked, coalesce: checked });
        const m: Model = { w, req: null, held: [], exited: false, unregistered: false, seq: 0 };
        for (const c of cmds) {
          step(m, c);
          check(m);
        }
        // Teardown: everything comes back and the ifq is freed.
        w.sk.close();
        w.ring.exit();
        w.clock.advance(2000);
        expect(w.ifq.freed).toBe(true);
        expect(allPools(w.domain).every((p) => p.provider !== w.ifq.ops)).toBe(true);
        expect(w.nd.dev!.faultCount).toBe(0);
        expect(checkDomainInvariants(w.domain)).toEqual([]);
      }),
      { numRuns: 60, ...replay() },
    );
  });
});
