/**
 * The `scale` benchmark group (bench/scale.ts) at tiny sizes: each
 * measurement's bookkeeping must be exact (it throws otherwise), and what it
 * reports must add up: every in-flight page unmapped exactly once, by
 * destroy under xarray / item-block and by the late returns under none; the
 * pool freed; every page back; every queue's share of packets received.
 * The timings are not checked (meaningless at these sizes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DMA_TRACKING_KINDS } from '@netmem/core';
import { describe, expect, it } from 'vitest';
import { runDestroy } from '../bench/scale/destroy.js';
import { plan, runJob } from '../bench/scale/plan.js';
import { runPools } from '../bench/scale/pools.js';
import { curves, destroyTable, poolsTable, rxTable } from '../bench/scale/report.js';
import { runRxQueues } from '../bench/scale/rx-queues.js';

describe('bench scale', () => {
  it('destroy with k pages in flight, then the late returns: exactly one unmap per page, pool freed, every page back', () => {
    const rows = [];
    for (const tracking of DMA_TRACKING_KINDS) {
      for (const k of [100, 1000]) {
        const r = runDestroy({ tracking, k, reps: 2, warmupCycles: 1 });
        const tracked = tracking !== 'none';
        expect(r.k).toBe(k);
        expect(r.unmapsAtDestroy).toBe(tracked ? k : 0);
        expect(r.unmapsLate).toBe(tracked ? 0 : k);
        expect(r.destroyMs.median).toBeGreaterThan(0);
        expect(r.lateNsPerPage.median).toBeGreaterThan(0);
        // What the strategies report for the pages mapped (k rounded up to a bulk refill of 64; item 0 unused):
        // 8 B per xarray id (+1/64 for the tree), 16 B items in whole 4 KiB blocks, nothing.
        const mapped = Math.ceil(k / 64) * 64;
        const want = { xarray: Math.ceil(mapped * 8 * (1 + 1 / 64)), 'item-block': Math.ceil((mapped + 1) / 256) * 4096, none: 0 }[tracking];
        expect(r.trackerBytesPerPage).toBe(want / k);
        rows.push(r);
      }
    }
    const cs = curves(rows);
    expect(cs.map((c) => c.tracking)).toEqual([...DMA_TRACKING_KINDS]);
    expect(cs.every((c) => c.sizes.join() === '100,1000' && Number.isFinite(c.destroyExponent))).toBe(true);
    const t = destroyTable(rows);
    expect(t.split('\n')).toHaveLength(2 + rows.length);
    expect(t).toContain('1,000 / 0');
    expect(t).toContain('0 / 1,000');
  });

  it('N pools round-robin: every operation a cache hit on its own pool, on both paths', () => {
    const rows = [];
    for (const path of ['fast', 'lookup'] as const) {
      for (const pools of [1, 8]) {
        const r = runPools({ pools, path, ops: 1024, warmup: 1, rounds: 2 });
        expect(r.pools).toBe(pools);
        expect(r.nsPerOp.median).toBeGreaterThan(0);
        rows.push(r);
      }
    }
    expect(poolsTable(rows).split('\n')).toHaveLength(4);
  });

  it('Q rx queues: every queue receives its share, no drop, nothing left', () => {
    const rows = [runRxQueues({ queues: 1, ops: 256, warmup: 1, rounds: 2 }), runRxQueues({ queues: 4, ops: 256, warmup: 1, rounds: 2 })];
    rows.push(runRxQueues({ queues: 4, ringSize: 64, ops: 256, warmup: 1, rounds: 2 }));
    // 3 rounds of 256 packets spread over the queues, after 2 rings' worth per queue of priming.
    expect(rows.map((r) => r.packetsPerQueue)).toEqual([3 * 256 + 512, (3 * 256) / 4 + 512, (3 * 256) / 4 + 128]);
    expect(rxTable(rows).split('\n')).toHaveLength(4);
  });

  it('the quick plan runs in-process and rejects bad configurations', () => {
    const jobs = plan(['pools', 'rx'], true);
    expect(jobs.map((j) => j.kind)).toEqual(['pools', 'pools', 'pools', 'pools', 'rx', 'rx', 'rx']);
    expect(runJob(jobs[0]).kind).toBe('pools');
    expect(() => runPools({ pools: 3, path: 'fast', ops: 12, warmup: 0, rounds: 1 })).toThrow(/power of two/);
    expect(() => runDestroy({ tracking: 'xarray', k: 0, reps: 1 })).toThrow(/bad destroy config/);
  });

  it('bench/scale.ts --quick runs every question, prints the tables and writes the JSON; a child process hands back its result', () => {
    const root = join(__dirname, '..');
    const node = (args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['--conditions=@netmem/source', '--import', 'tsx', '--expose-gc', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'netmem-scale-'));
    try {
      const file = join(dir, 'scale.json');
      const r = node(['bench/scale.ts', '--quick', '--one-process', '--json', file]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (const title of ['destroy with k DMA-mapped pages in flight', 'growth with k', 'with N pools alive', 'rx queues of one device'])
        expect(r.stdout).toContain(title);
      const out = JSON.parse(readFileSync(file, 'utf8'));
      expect(out.destroy).toHaveLength(6);
      expect(out.pools).toHaveLength(4);
      expect(out.rx).toHaveLength(3);
      expect(out.curves).toHaveLength(3);
      expect(out.target).toBeNull(); // no 10⁶ run in --quick
      const c = node(['bench/scale/child.ts', JSON.stringify({ kind: 'destroy', cfg: { tracking: 'item-block', k: 300, reps: 1, warmupCycles: 1 } })]);
      expect(c.status).toBe(0);
      const res = JSON.parse(String(c.stdout).trim());
      expect(res.kind).toBe('destroy');
      expect([res.result.unmapsAtDestroy, res.result.unmapsLate]).toEqual([300, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
