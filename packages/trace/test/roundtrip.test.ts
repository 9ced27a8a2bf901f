/**
 * The model writes the kernel's format: a model scenario emits its
 * tracepoints as perf or tracefs text, `netmem trace` reads it back, and the
 * figures equal the model's own. A fast-check property does the same for
 * random model runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PagePool } from '@netmem/core';
import { analyzeTraceText } from '../src/analyze.js';
import type { EmitFormat } from '../src/emit/format.js';
import type { TraceReport } from '../src/types.js';
import { releaseNow, TracedModel, type ModelFigures } from './helpers/model-run.js';

/** Asserts that the trace's reading of every pool equals the model's own figures. */
function expectSame(r: TraceReport, m: TracedModel, pools: PagePool[]): void {
  expect(r.parse.malformed).toBe(0);
  const traced = r.pools.filter((p) => p.holds > 0 || p.destroy !== null);
  const modelled = m.order.map((id) => pools.find((p) => p.id === id)!);
  expect(traced.length).toBe(modelled.length);
  modelled.forEach((pool, i) => {
    const f = m.figures.get(pool.id) as ModelFigures;
    const p = traced[i];
    if (m.lines.length > 0 && r.parse.format === 'perf') expect(p.pointer).toBe(`0xffff8881${(pool.id * 0x1000).toString(16).padStart(8, '0')}`);
    expect([p.holds, p.releases, p.inflightAtEnd], `pool ${pool.id}`).toEqual([pool.holdCount, pool.releaseCount, pool.inflight]);
    expect([p.holds, p.releases, p.maxInflight, p.distinctPages, p.pagesHeldAgain]).toEqual([f.holds, f.releases, f.maxInflight, f.distinct, f.heldAgain]);
    expect((p.destroy?.attempts ?? []).map((a) => ({ cnt: a.cnt, inflight: a.inflight, hold: a.hold, release: a.release }))).toEqual(f.attempts);
    expect(p.state).toBe(pool.isFreed ? 'freed' : pool.destroyStarted ? 'destroy-pending' : 'live');
    expect(p.heldAtEnd.length).toBe(pool.inflight);
    expect(p.holdCounter.lost + p.releaseCounter.lost + p.unknownReleases + p.doubleHolds).toBe(0);
    expect(p.issues).toEqual([]);
  });
  expect(r.replay!.disagreements).toEqual([]);
  expect(r.replay!.violations).toEqual([]);
}

describe('model → text → netmem trace', () => {
  for (const format of ['perf', 'tracefs'] as const) {
    it(`reproduces a deferred destroy exactly (${format})`, () => {
      const m = new TracedModel(format);
      const pool = m.pool(64);
      const held: number[] = [];
      for (let i = 0; i < 300; i++) held.push(pool.allocNetmems());
      m.advance(5);
      for (const nm of held.splice(0, 100)) pool.putNetmem(nm); // 64 to the ring, 36 released (ring full)
      for (const nm of held.splice(0, 20)) releaseNow(pool, nm);
      for (const nm of held.splice(0, 10)) pool.recycleDirect(nm); // into the cache
      m.advance(10);
      pool.destroy(); // cache and ring released; 170 still out
      m.advance(2500);
      for (const nm of held.splice(0, 100)) pool.putNetmem(nm); // back into the ring after destroy
      m.advance(1000);
      for (const nm of held.splice(0)) pool.putNetmem(nm);
      m.advance(3000);
      expect(pool.isFreed).toBe(true);
      const r = analyzeTraceText(m.text());
      expect(r.parse.format).toBe(format);
      expectSame(r, m, [pool]);
      expect(r.pools[0].destroy!.attempts.map((a) => a.cnt)).toEqual([1, 2, 3, 4, 5]);
      expect(m.world.violations()).toEqual([]);
    });
  }

  it('reproduces a pool still pending and a live one, side by side', () => {
    const m = new TracedModel('perf');
    const a = m.pool();
    const b = m.pool();
    const ha = Array.from({ length: 70 }, () => a.allocNetmems());
    const hb = Array.from({ length: 5 }, () => b.allocNetmems());
    m.advance(1);
    a.destroy();
    m.advance(4200);
    for (const nm of hb) b.putNetmem(nm);
    const r = analyzeTraceText(m.text());
    expectSame(r, m, [a, b]);
    expect(r.pools.map((p) => p.state)).toEqual(['destroy-pending', 'live']);
    expect(r.pools[0].heldAtEnd).toHaveLength(ha.length);
  });
});

type Op =
  | { k: 'alloc'; pool: number; n: number }
  | { k: 'put'; pool: number; n: number; direct: boolean }
  | { k: 'release'; pool: number; n: number }
  | { k: 'destroy'; pool: number }
  | { k: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('alloc' as const), pool: fc.nat(2), n: fc.integer({ min: 1, max: 150 }) }),
  fc.record({ k: fc.constant('put' as const), pool: fc.nat(2), n: fc.integer({ min: 1, max: 150 }), direct: fc.boolean() }),
  fc.record({ k: fc.constant('release' as const), pool: fc.nat(2), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('destroy' as const), pool: fc.nat(2) }),
  fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3500 }) }),
);

describe("property: emit → parse → replay gives the model's per-pool figures", () => {
  it('holds for random model runs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EmitFormat>('perf', 'tracefs'),
        fc.array(opArb, { maxLength: 40 }),
        fc.integer({ min: 16, max: 512 }),
        (format, ops, ring) => {
          const m = new TracedModel(format);
          const pools = [m.pool(ring), m.pool(ring), m.pool(ring)];
          const out: number[][] = [[], [], []];
          for (const op of ops) {
            if (op.k === 'advance') {
              m.advance(op.ms);
              continue;
            }
            const pool = pools[op.pool];
            const held = out[op.pool];
            if (op.k === 'destroy') {
              if (!pool.destroyStarted) pool.destroy();
            } else if (op.k === 'alloc') {
              if (pool.destroyStarted) continue;
              for (let i = 0; i < op.n; i++) {
                const nm = pool.allocNetmems();
                if (nm === 0) break;
                held.push(nm);
              }
            } else {
              for (const nm of held.splice(0, op.n)) {
                if (op.k === 'release') releaseNow(pool, nm);
                else if (op.direct && !pool.destroyStarted) pool.recycleDirect(nm);
                else pool.putNetmem(nm);
              }
            }
          }
          const r = analyzeTraceText(m.text());
          expectSame(r, m, pools);
        },
      ),
      { numRuns: 100 },
    );
  });
});
