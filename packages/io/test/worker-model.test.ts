/**
 * The return ring under a real worker thread, model-based: fast-check runs
 * random interleavings of allocation, hand-off to the worker, returns by
 * the worker (and returns of things it does not hold), drains, puts by the
 * owner, and the worker exiting or crashing with buffers held. After every
 * step the SPEC §9 invariants hold, the ledger agrees with the model (the
 * worker's buffers are "user"), and the return ring's count of what the
 * worker holds matches; at the end everything is back and the pool frees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDomainInvariants } from '@netmem/core/testing';
import { PoolWorker } from '../src/index.js';
import { places, within, world, type World } from './helpers.js';

const SCRIPT = new URL('./fixtures/command-worker.ts', import.meta.url);
const BUFFERS = 48;

type Op = { op: 'take' } | { op: 'return'; k: number } | { op: 'bogus' } | { op: 'exit' } | { op: 'crash' };

interface Model {
  /** Buffers the owner holds. */
  main: number;
  /** Buffers handed to the worker and not returned by it. */
  worker: number;
  /** Returns published by the worker and not yet drained into the pool. */
  undrained: number;
  /** Return entries the pool must skip once drained. */
  bogus: number;
}

interface Real {
  w: World;
  pw: PoolWorker;
  /** The next worker, starting in the background (a thread takes ~1 s to boot tsx). */
  next: Promise<PoolWorker>;
  held: number[];
  skippedBefore: number;
}

/** Sends `m` to the worker and waits for its answer. */
function ask(pw: PoolWorker, m: Op): Promise<{ held: number; returned: number }> {
  return within(
    new Promise((resolve) => {
      pw.worker.once('message', resolve);
      pw.worker.postMessage(m);
    }),
    10_000,
    `worker ${m.op}`,
  );
}

/** Checks that hold after every step. */
function agree(m: Model, r: Real): void {
  const { w, pw } = r;
  expect(checkDomainInvariants(w.domain)).toEqual([]);
  expect(r.held.length).toBe(m.main);
  expect(pw.stats().held).toBe(m.worker + m.undrained); // the ring counts until it drains
  const out = w.pool.inflight - w.pool.cacheSize - w.pool.ringLength;
  expect(out).toBe(m.main + m.worker + m.undrained);
  const p = places(w.pool);
  expect(p.user ?? 0).toBe(m.worker + m.undrained);
  expect(p['handed-out'] ?? 0).toBe(m.main);
}

class Alloc implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.main + m.worker + m.undrained < BUFFERS;
  async run(m: Model, r: Real): Promise<void> {
    const slow = r.w.pool.cacheSize === 0; // the slow path drains the return rings first
    const nm = r.w.pool.allocNetmems();
    expect(nm).not.toBe(0);
    r.held.push(nm);
    m.main++;
    if (slow) this.drained(m, r);
    agree(m, r);
  }
  drained(m: Model, r: Real): void {
    m.undrained = 0;
    r.skippedBefore += m.bogus;
    m.bogus = 0;
    expect(r.pw.stats().skipped).toBe(r.skippedBefore);
  }
  toString = (): string => 'alloc';
}

class HandOff implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>): boolean => m.main > 0;
  async run(m: Model, r: Real): Promise<void> {
    const [nm] = r.held.splice(this.i % r.held.length, 1);
    expect(r.pw.send(nm, 4096)).toBe(true);
    m.main--;
    m.worker++;
    agree(m, r);
  }
  toString = (): string => `handOff(${this.i})`;
}

class Put implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>): boolean => m.main > 0;
  async run(m: Model, r: Real): Promise<void> {
    const [nm] = r.held.splice(this.i % r.held.length, 1);
    r.w.pool.putNetmem(nm);
    m.main--;
    agree(m, r);
  }
  toString = (): string => `put(${this.i})`;
}

class WorkerReturns implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const a = await ask(r.pw, { op: 'return', k: this.k });
    expect(a.returned).toBe(Math.min(this.k, m.worker));
    m.worker -= a.returned;
    m.undrained += a.returned;
    expect(a.held).toBe(m.worker);
    agree(m, r);
  }
  toString = (): string => `workerReturns(${this.k})`;
}

class WorkerBogus implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const a = await ask(r.pw, { op: 'bogus' });
    if (a.returned === 1) {
      m.worker--;
      m.undrained++;
    }
    m.bogus++;
    agree(m, r);
  }
  toString = (): string => 'workerReturnsWhatItDoesNotHold';
}

class Drain implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(r.pw.drain()).toBe(m.undrained);
    new Alloc().drained(m, r);
    agree(m, r);
  }
  toString = (): string => 'drain';
}

class WorkerEnds implements fc.AsyncCommand<Model, Real> {
  constructor(readonly how: 'exit' | 'crash') {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    r.pw.worker.postMessage({ op: this.how });
    const x = await within(r.pw.exited, 10_000, this.how);
    if (this.how === 'crash') expect(x.error?.message).toMatch(/crash holding/);
    expect(x.reclaimed).toBe(m.worker); // reclaim drains what it returned, then gives back what it held
    m.worker = 0;
    m.undrained = 0;
    m.bogus = 0;
    expect(places(r.w.pool).user ?? 0).toBe(0);
    r.pw = await r.next;
    r.skippedBefore = 0;
    r.next = PoolWorker.start(r.w.pool, SCRIPT, { capacity: 64 });
    agree(m, r);
  }
  toString = (): string => `worker${this.how === 'exit' ? 'Exits' : 'Crashes'}`;
}

const commands = [
  fc.constant(new Alloc()),
  fc.nat(BUFFERS).map((i) => new HandOff(i)),
  fc.nat(BUFFERS).map((i) => new Put(i)),
  fc.integer({ min: 1, max: 8 }).map((k) => new WorkerReturns(k)),
  fc.constant(new WorkerBogus()),
  fc.constant(new Drain()),
  fc.constantFrom('exit', 'crash').map((h) => new WorkerEnds(h as 'exit' | 'crash')),
];

describe('return ring under a real worker (model-based)', () => {
  it('random interleavings keep the invariants; everything comes back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
        const w = world({ buffers: BUFFERS, order: 0, checked: true });
        const r: Real = {
          w,
          pw: await PoolWorker.start(w.pool, SCRIPT, { capacity: 64 }),
          next: PoolWorker.start(w.pool, SCRIPT, { capacity: 64 }),
          held: [],
          skippedBefore: 0,
        };
        const m: Model = { main: 0, worker: 0, undrained: 0, bogus: 0 };
        try {
          await fc.asyncModelRun(() => ({ model: m, real: r }), cmds);
          // Everything back: the owner puts, the worker returns all, the pool drains and frees.
          for (const nm of r.held.splice(0)) w.pool.putNetmem(nm);
          m.main = 0;
          const a = await ask(r.pw, { op: 'return', k: BUFFERS });
          expect(a.held).toBe(0);
          expect(r.pw.drain()).toBe(m.undrained + a.returned);
        } finally {
          await r.pw.terminate();
          await (await r.next).terminate();
        }
        expect(r.pw.stats().held).toBe(0);
        expect(checkDomainInvariants(w.domain)).toEqual([]);
        w.pool.destroy();
        expect(w.pool.isFreed).toBe(true);
        expect(checkDomainInvariants(w.domain)).toEqual([]);
      }),
      { numRuns: 6 },
    );
  }, 180_000);
});
