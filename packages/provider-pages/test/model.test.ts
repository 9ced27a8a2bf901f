/**
 * Model-based test: random sequences of allocs, frags, puts (direct or not,
 * inside or outside the NAPI poll), bulk puts, extra page references,
 * destroy, device removal (only after destroy, as a driver unbind does) and
 * clock ticks. After every command the pool and domain invariants must hold
 * and the pool's inflight must equal what the model says is out; at the end
 * every buffer is returned and the pool must be freed within one retry
 * period with every page back in the allocator.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type MemoryDomain,
  Napi,
  Place,
  type VirtualClock,
  allPools,
  createPagePool,
  putNetmemBulk,
  type DmaDevice,
  type DmaTracking,
  type PagePool,
} from '@netmem/core';
import { checkDomainInvariants, checkPoolInvariants, inspectNetmem, quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '../src/index.js';
import { MAP_SYNC } from './helpers.js';

const PAGES = 96;

interface Model {
  /** One entry per pp reference the "stack" holds (a frag page appears once per frag). */
  held: number[];
  /** Pages the stack keeps an extra page reference to after giving the pp reference back. */
  extra: number[];
  destroyed: boolean;
  removed: boolean;
}

interface Real {
  dom: MemoryDomain;
  clock: VirtualClock;
  dev: DmaDevice;
  pool: PagePool;
  napi: Napi;
}

interface Config {
  tracking: DmaTracking;
  order: number;
  poolSize: number;
  bulk: number;
}

function verify(m: Model, r: Real): void {
  expect(checkPoolInvariants(r.pool)).toEqual([]);
  expect(checkDomainInvariants(r.dom)).toEqual([]);
  for (const nm of m.held) {
    const desc = inspectNetmem(r.dom, nm);
    expect(desc.poolId).toBe(r.pool.id);
    expect(desc.place === Place.HANDED_OUT || desc.place === Place.FRAG_PAGE).toBe(true);
  }
  // Conservation: what the pool counts in flight is exactly what the model
  // holds plus the cache, the ring and a current frag page with no frag out.
  const out = new Set(m.held.map((nm) => inspectNetmem(r.dom, nm).desc));
  const frag = r.pool.currentFragPage;
  if (frag !== 0) out.add(inspectNetmem(r.dom, frag).desc);
  expect(r.pool.inflight).toBe(out.size + r.pool.cacheSize + r.pool.ringLength);
}

function take(m: Model, pick: number): number {
  return m.held.splice(pick % m.held.length, 1)[0];
}

class AllocCmd implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => !m.destroyed;
  run(m: Model, r: Real): void {
    const nm = r.pool.allocNetmems();
    if (nm !== 0) {
      expect(m.held).not.toContain(nm);
      expect(inspectNetmem(r.dom, nm).ppRef).toBe(1);
      m.held.push(nm);
    }
    verify(m, r);
  }
  toString = () => 'alloc';
}

class AllocFragCmd implements fc.Command<Model, Real> {
  constructor(readonly size: number) {}
  check = (m: Readonly<Model>) => !m.destroyed;
  run(m: Model, r: Real): void {
    const nm = r.pool.allocFrag(this.size);
    if (nm !== 0) {
      expect(r.pool.lastOffset + this.size).toBeLessThanOrEqual(4096 << r.pool.order);
      m.held.push(nm);
    }
    verify(m, r);
  }
  toString = () => `allocFrag(${this.size})`;
}

class PutCmd implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly direct: boolean,
    readonly inNapi: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.held.length > 0;
  run(m: Model, r: Real): void {
    const nm = take(m, this.pick);
    const put = () => r.pool.putNetmem(nm, -1, this.direct);
    if (this.inNapi) r.napi.poll(put);
    else put();
    verify(m, r);
  }
  toString = () => `put(${this.pick}, direct ${this.direct}, napi ${this.inNapi})`;
}

class BulkPutCmd implements fc.Command<Model, Real> {
  constructor(
    readonly count: number,
    readonly inNapi: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.held.length > 0;
  run(m: Model, r: Real): void {
    const list = m.held.splice(Math.max(0, m.held.length - this.count));
    const put = () => putNetmemBulk(r.dom, list);
    if (this.inNapi) r.napi.poll(put);
    else put();
    verify(m, r);
  }
  toString = () => `bulkPut(${this.count}, napi ${this.inNapi})`;
}

class ExtraRefPutCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.held.length > 0;
  run(m: Model, r: Real): void {
    const nm = take(m, this.pick);
    r.dom.getPage(nm);
    r.pool.putNetmem(nm);
    m.extra.push(nm);
    verify(m, r);
  }
  toString = () => `getPage+put(${this.pick})`;
}

class DropExtraCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.extra.length > 0;
  run(m: Model, r: Real): void {
    r.dom.putPage(m.extra.splice(this.pick % m.extra.length, 1)[0]);
    verify(m, r);
  }
  toString = () => `putPage(extra ${this.pick})`;
}

class DestroyCmd implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => !m.destroyed;
  run(m: Model, r: Real): void {
    r.pool.destroy();
    m.destroyed = true;
    if (r.pool.tracker.kind !== 'none') {
      // Every mapping still in flight was unmapped before destroy returned.
      expect(r.pool.tracker.tracked).toBe(0);
      expect(r.dev.liveMappings).toBe(0);
    }
    verify(m, r);
  }
  toString = () => 'destroy';
}

class RemoveDeviceCmd implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => m.destroyed && !m.removed;
  run(m: Model, r: Real): void {
    r.dev.remove();
    m.removed = true;
    verify(m, r);
  }
  toString = () => 'dev.remove';
}

class TickCmd implements fc.Command<Model, Real> {
  run(m: Model, r: Real): void {
    r.clock.advance(1000);
    verify(m, r);
  }
  check = () => true;
  toString = () => 'tick(1000)';
}

const putArb = fc.tuple(fc.nat(), fc.boolean(), fc.boolean()).map(([p, d, n]) => new PutCmd(p, d, n));
const allocArb = fc.constant(new AllocCmd());
const fragArb = fc.oneof(fc.constantFrom(64, 1000, 1500, 2048, 4096), fc.integer({ min: 1, max: 4096 })).map((s) => new AllocFragCmd(s));
// Repeats weight the mix toward allocs and puts so pools fill, recycle and refill.
const commands = [
  allocArb,
  allocArb,
  allocArb,
  fragArb,
  fragArb,
  putArb,
  putArb,
  putArb,
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.boolean()).map(([c, n]) => new BulkPutCmd(c, n)),
  fc.nat().map((p) => new ExtraRefPutCmd(p)),
  fc.nat().map((p) => new DropExtraCmd(p)),
  fc.constant(new DestroyCmd()),
  fc.constant(new RemoveDeviceCmd()),
  fc.constant(new RemoveDeviceCmd()),
  fc.constant(new TickCmd()),
];

const configs = fc.record({
  tracking: fc.constantFrom<DmaTracking>('xarray', 'item-block', 'none'),
  order: fc.constantFrom(0, 0, 1),
  poolSize: fc.constantFrom(2, 16, 0),
  bulk: fc.constantFrom(4, 64),
});

function setup(c: Config): { model: Model; real: Real } {
  const { domain: dom, clock, dev } = quietWorld({ pages: PAGES, checked: true });
  const napi = new Napi('model');
  const pool = createPagePool({
    domain: dom,
    dev,
    napi,
    provider: pagesProvider({ bulk: c.bulk }),
    flags: MAP_SYNC,
    maxLen: 2048,
    order: c.order,
    poolSize: c.poolSize,
    dmaTracking: c.tracking,
    fragAlign: 64,
  });
  return { model: { held: [], extra: [], destroyed: false, removed: false }, real: { dom, clock, dev, pool, napi } };
}

describe('page pool model (pages provider, checked domain)', () => {
  it('keeps every invariant after every command and frees the pool once everything is back', () => {
    fc.assert(
      fc.property(configs, fc.commands(commands, { maxCommands: 40, size: 'large' }), (c, cmds) => {
        const s = setup(c);
        fc.modelRun(() => s, cmds);
        const { model: m, real: r } = s;
        // Return everything the stack still holds.
        for (const nm of m.held.splice(0)) r.pool.putNetmem(nm);
        for (const nm of m.extra.splice(0)) r.dom.putPage(nm);
        if (!m.destroyed) r.pool.destroy();
        verify(m, r);
        r.clock.advance(1000);
        expect(r.pool.isFreed).toBe(true);
        expect(r.pool.inflight).toBe(0);
        expect(r.dom.freePages).toBe(PAGES);
        expect(r.dom.leaks).toBe(0);
        expect(allPools(r.dom)).toEqual([]);
        expect(r.clock.pending).toBe(0);
        if (c.tracking !== 'none') {
          expect(r.dev.faultCount).toBe(0);
          expect(r.dev.liveMappings).toBe(0);
        } else if (!m.removed) {
          expect(r.dev.liveMappings).toBe(0);
        }
        const f = r.dev.counters().faults;
        expect(f['double-unmap'] + f['direction-mismatch'] + f['unmapped-access']).toBe(0);
        expect(checkDomainInvariants(r.dom)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
