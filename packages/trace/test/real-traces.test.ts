/**
 * Every real capture in ../shared/traces, read to the conclusions its README
 * states. The README's figures are expectations here only: the code under
 * test never sees them.
 */
import { describe, expect, it } from 'vitest';
import { analyzeTraceFile } from '../src/analyze.js';
import type { PoolReport, TraceReport } from '../src/types.js';
import { tracePath, tracesDir } from './helpers/paths.js';

const cache = new Map<string, TraceReport>();
function analyze(name: string): TraceReport {
  let r = cache.get(name);
  if (r === undefined) cache.set(name, (r = analyzeTraceFile(tracePath(name))));
  return r;
}

/** [cnt, time, inflight, hold, release] per attempt. */
type Row = [number, number, number, number, number];

function expectAttempts(p: PoolReport, rows: Row[]): void {
  const a = p.destroy!.attempts;
  expect(a.map((x) => [x.cnt, x.time, x.inflight, x.hold, x.release])).toEqual(rows);
  for (const x of a) expect(x.consistent).toBe(true);
  for (const x of a.slice(1)) expect(x.task.comm.startsWith('kworker')).toBe(true);
  expect(p.destroy!.badIntervals).toEqual([]);
  expect(p.destroy!.stallWarning).toBeNull();
}

function expectClean(r: TraceReport): void {
  expect(r.parse.malformed).toBe(0);
  expect(r.parse.otherEvents).toBe(0);
  expect(r.parse.events.updateNid).toBe(0);
  for (const p of r.pools) {
    expect(p.holdCounter.lost).toBe(0);
    expect(p.releaseCounter.lost).toBe(0);
    expect(p.holdCounter.repeats + p.releaseCounter.repeats).toBe(0);
    expect(p.unknownReleases + p.doubleHolds + p.preTraceReleases).toBe(0);
    expect(p.beganBeforeTrace).toBe(false);
    expect(p.issues).toEqual([]);
  }
  expect(r.replay!.disagreements).toEqual([]);
  expect(r.replay!.violations).toEqual([]);
  expect(r.replay!.disagreementCount).toBe(0);
}

describe('the shared captures', () => {
  it('are where the tests expect them (../shared/traces beside the repository)', () => {
    expect(tracesDir()).toMatch(/shared[/\\]traces$/);
  });
});

describe('veth-xdp-steady.perf.txt', () => {
  const r = (): TraceReport => analyze('veth-xdp-steady.perf.txt');

  it('is perf script output with 1088 holds, 1088 releases, 2 page_pool_release, no update_nid', () => {
    expect(r().parse.format).toBe('perf');
    expect(r().parse.events).toEqual({ hold: 1088, release: 1088, poolRelease: 2, updateNid: 0 });
    expectClean(r());
  });

  it('has 2 pools at the same reused address (rule 1)', () => {
    expect(r().pools.map((p) => p.pointer)).toEqual(['0xffff888118a3e000', '0xffff888118a3e000']);
  });

  it('pool #1: 16 blocks of 64, 965 pfns, 59 held twice, at most 960 out, 774 released during traffic and 250 at destroy', () => {
    const p = r().pools[0];
    expect(p.firstBlock).toEqual({ time: 2686.982137, line: 1, size: 64, task: { comm: 'ping', pid: 11561, cpu: 1 } });
    expect(p.holdBlocks).toEqual([{ size: 64, count: 16 }]);
    expect([p.holds, p.releases, p.distinctPages, p.pagesHeldAgain]).toEqual([1024, 1024, 965, 59]);
    expect(p.maxInflight).toBe(960);
    expect(p.maxInflightTime).toBeCloseTo(2692.8196, 4);
    expectAttempts(p, [[1, 2695.139228, 0, 1024, 1024]]);
    expect(p.destroy!.task.comm).toBe('xdp_pass');
    expect(p.destroy!.attempts[0].ringReleased).toBe(250);
    expect(p.releases - p.destroy!.attempts[0].ringReleased).toBe(774);
    expect(p.releaseCounter.outOfOrder).toBe(2);
    expect(p.state).toBe('freed');
    expect(p.heldAtEnd).toEqual([]);
  });

  it("pool #2: 64 holds in one block, 43 of its pfns had been pool #1's, destroyed by ip", () => {
    const p = r().pools[1];
    expect(p.firstBlock?.time).toBe(2697.43666);
    expect(p.firstBlock?.task.comm).toBe('ping');
    expect(p.holdBlocks).toEqual([{ size: 64, count: 1 }]);
    expect([p.holds, p.releases, p.distinctPages, p.pagesHeldAgain]).toEqual([64, 64, 64, 0]);
    expect(p.pagesFromEarlierPools).toEqual([{ pool: 1, pages: 43 }]);
    expectAttempts(p, [[1, 2699.194396, 0, 64, 64]]);
    expect(p.destroy!.task.comm).toBe('ip');
    expect(p.state).toBe('freed');
  });

  it('replays without a disagreement: both model pools freed at their one attempt', () => {
    expect(r().replay!.modelPools.map((m) => [m.state, m.holdCount, m.releaseCount, m.attempts])).toEqual([
      ['freed', 1024, 1024, 1],
      ['freed', 64, 64, 1],
    ]);
  });
});

describe('veth-xdp-held-at-destroy.perf.txt', () => {
  const r = (): TraceReport => analyze('veth-xdp-held-at-destroy.perf.txt');

  it('has 1 pool, 1984 holds in 31 blocks, 1984 distinct pfns, none held twice, at most 1984 out, ends empty', () => {
    expectClean(r());
    expect(r().parse.events).toEqual({ hold: 1984, release: 1984, poolRelease: 10, updateNid: 0 });
    expect(r().pools).toHaveLength(1);
    const p = r().pools[0];
    expect(p.pointer).toBe('0xffff888132c83800');
    expect(p.holdBlocks).toEqual([{ size: 64, count: 31 }]);
    expect(p.firstBlock?.time).toBe(2306.70658);
    expect(p.firstBlock?.size).toBe(64);
    expect(p.firstBlock?.task.comm).toBe('ping');
    expect([p.holds, p.releases, p.distinctPages, p.pagesHeldAgain, p.maxInflight]).toEqual([1984, 1984, 1984, 0, 1984]);
    expect(p.maxInflightTime).toBeCloseTo(2309.527, 3);
    expect(p.heldAtEnd).toEqual([]);
  });

  it('destroy by ip with 22 idle pages, then 9 kworker retries until inflight 0', () => {
    const p = r().pools[0];
    expect(p.destroy!.time).toBe(2310.198772);
    expect(p.destroy!.task.comm).toBe('ip');
    expect(p.destroy!.attempts[0].ringReleased).toBe(22);
    expectAttempts(p, [
      [1, 2310.198772, 1962, 1984, 22],
      [2, 2311.216046, 1962, 1984, 22],
      [3, 2312.240058, 1962, 1984, 22],
      [4, 2313.264059, 1962, 1984, 22],
      [5, 2314.288084, 1962, 1984, 22],
      [6, 2315.312165, 1315, 1984, 669],
      [7, 2316.336062, 1315, 1984, 669],
      [8, 2317.360059, 1315, 1984, 669],
      [9, 2318.384059, 1315, 1984, 669],
      [10, 2319.408195, 0, 1984, 1984],
    ]);
    expect(p.destroy!.freed?.cnt).toBe(10);
    expect(p.state).toBe('freed');
  });

  it('tells pages returned directly from those emptied from the ring at a retry', () => {
    const a = r().pools[0].destroy!.attempts;
    expect([a[5].directReleased, a[5].ringReleased]).toEqual([404, 243]);
    expect([a[9].directReleased, a[9].ringReleased]).toEqual([1059, 256]);
  });

  it('replays: the model frees the pool at its attempt 10 too', () => {
    const m = r().replay!.modelPools[0];
    expect([m.state, m.attempts, m.inflight]).toEqual(['freed', 10, 0]);
  });
});

describe('veth-xdp-held-at-destroy.tracefs.txt', () => {
  const r = (): TraceReport => analyze('veth-xdp-held-at-destroy.tracefs.txt');

  it('is a tracefs capture with 1 hashed pool, 1024 holds in 16 blocks, 1024 pfns, 1024 releases', () => {
    expect(r().parse.format).toBe('tracefs');
    expect(r().parse.headerLines).toBe(12);
    expectClean(r());
    const p = r().pools[0];
    expect(r().pools).toHaveLength(1);
    expect(p.pointer).toBe('0000000009c96221');
    expect(p.holdBlocks).toEqual([{ size: 64, count: 16 }]);
    expect(p.firstBlock?.time).toBe(2329.952606);
    expect(p.firstBlock?.task.comm).toBe('ping');
    expect([p.holds, p.releases, p.distinctPages, p.pagesHeldAgain]).toEqual([1024, 1024, 1024, 0]);
  });

  it('destroy by ip with 43 idle pages; retries as in the README', () => {
    const p = r().pools[0];
    expect(p.destroy!.time).toBe(2331.99461);
    expect(p.destroy!.task.comm).toBe('ip');
    expect(p.destroy!.attempts[0].ringReleased).toBe(43);
    expectAttempts(p, [
      [1, 2331.99461, 981, 1024, 43],
      [2, 2333.01213, 981, 1024, 43],
      [3, 2334.032088, 981, 1024, 43],
      [4, 2335.056066, 981, 1024, 43],
      [5, 2336.080152, 675, 1024, 349],
      [6, 2337.10411, 675, 1024, 349],
      [7, 2338.128083, 675, 1024, 349],
      [8, 2339.156231, 180, 1024, 844],
      [9, 2340.176096, 180, 1024, 844],
      [10, 2341.200136, 0, 1024, 1024],
    ]);
    const a = p.destroy!.attempts;
    expect([a[4].directReleased, a[4].ringReleased]).toEqual([57, 249]);
    expect([a[7].directReleased, a[7].ringReleased]).toEqual([239, 256]);
    expect([a[9].directReleased, a[9].ringReleased]).toEqual([0, 180]);
  });
});

describe('veth-xdp-2queues-steady.tracefs.txt', () => {
  const r = (): TraceReport => analyze('veth-xdp-2queues-steady.tracefs.txt');

  it('has 4 pools, one of which never allocated', () => {
    expectClean(r());
    expect(r().parse.events).toEqual({ hold: 704, release: 704, poolRelease: 4, updateNid: 0 });
    const rows = r().pools.map((p) => [p.pointer, p.holds, p.releases, p.firstBlock?.time ?? null]);
    expect(rows).toEqual([
      ['0000000024c08bca', 64, 64, 2349.816386],
      ['0000000055db54a3', 576, 576, 2349.81648],
      ['000000004e98357a', 64, 64, 2355.768275],
      ['0000000020745fbf', 0, 0, null],
    ]);
    expect(r().pools[1].holdBlocks).toEqual([{ size: 64, count: 9 }]);
  });

  it('each pool ends with one page_pool_release and nothing in flight', () => {
    const want: [number, string, number][] = [
      [2354.144785, 'xdp_pass', 64],
      [2354.144964, 'xdp_pass', 576],
      [2356.93239, 'ip', 64],
      [2356.93237, 'ip', 0],
    ];
    r().pools.forEach((p, i) => {
      const [time, comm, n] = want[i];
      expectAttempts(p, [[1, time, 0, n, n]]);
      expect(p.destroy!.task.comm).toBe(comm);
      expect(p.state).toBe('freed');
    });
  });

  it('pools #1 and #2 live at once, first pages within 0.1 ms; 45 pfns of pool #2 come back in pool #3', () => {
    const [p1, p2, p3] = r().pools;
    expect(Math.abs(p2.first.time - p1.first.time)).toBeLessThan(1e-4);
    expect(p2.first.time).toBeLessThan(p1.last.time);
    expect(p3.pagesFromEarlierPools.find((e) => e.pool === 2)?.pages).toBe(45);
  });

  it('replays all four pools, the never-allocating one included', () => {
    expect(r().replay!.modelPools.map((m) => [m.state, m.holdCount])).toEqual([
      ['freed', 64],
      ['freed', 576],
      ['freed', 64],
      ['freed', 0],
    ]);
  });
});

describe('veth-xdp-destroy-pending.perf.txt', () => {
  const r = (): TraceReport => analyze('veth-xdp-destroy-pending.perf.txt');

  it('has 1 pool, 704 holds in 11 blocks, 374 releases', () => {
    expectClean(r());
    const p = r().pools[0];
    expect(p.pointer).toBe('0xffff88810af86000');
    expect(p.holdBlocks).toEqual([{ size: 64, count: 11 }]);
    expect(p.firstBlock?.time).toBe(2368.157841);
    expect([p.holds, p.releases]).toEqual([704, 374]);
  });

  it('destroy by ip, retries as in the README, 73 direct + 251 from the ring after the read', () => {
    const p = r().pools[0];
    expect(p.destroy!.task.comm).toBe('ip');
    expectAttempts(p, [
      [1, 2370.887563, 654, 704, 50],
      [2, 2371.888073, 654, 704, 50],
      [3, 2372.912061, 654, 704, 50],
      [4, 2373.936303, 330, 704, 374],
      [5, 2374.960084, 330, 704, 374],
      [6, 2375.984091, 330, 704, 374],
      [7, 2377.008144, 330, 704, 374],
    ]);
    const a = p.destroy!.attempts[3];
    expect([a.directReleased, a.ringReleased]).toEqual([73, 251]);
  });

  it('is destroy-pending with 330 pages still out: not freed, not leaked pages of a live pool', () => {
    const p = r().pools[0];
    expect(p.state).toBe('destroy-pending');
    expect(p.destroy!.freed).toBeNull();
    expect(p.inflightAtEnd).toBe(330);
    expect(p.heldAtEnd).toHaveLength(330);
    expect(p.heldAtEnd[0].time).toBeLessThanOrEqual(p.heldAtEnd[329].time);
    const m = r().replay!.modelPools[0];
    expect([m.state, m.inflight, m.attempts, m.places['handed-out']]).toEqual(['detached', 330, 7, 330]);
  });
});
