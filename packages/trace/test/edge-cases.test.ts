/**
 * Synthetic traces for what the shared captures do not show: lost events,
 * a trace starting mid-run, pools sharing pfns, a net_iov pool, out-of-order
 * release numbers, a long stall, odd retry intervals, and the model replay's
 * disagreements for each.
 */
import { describe, expect, it } from 'vitest';
import { analyzeTraceText } from '../src/analyze.js';
import type { TraceReport } from '../src/types.js';
import { SynthTrace } from './helpers/synth.js';

const A = '0xffff888100001000';
const B = '0xffff888100002000';
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const kinds = (r: TraceReport): string[] => r.replay!.disagreements.map((d) => d.kind);

describe('lost events', () => {
  it('finds missing hold and release numbers, says how many and where, and the replay reports them once', () => {
    const s = new SynthTrace();
    s.block(A, range(0x1000, 10), { t: 1 });
    s.hold(A, 0x2000, { t: 1.1 }, { emit: false }); // hold 11 lost
    s.hold(A, 0x2001, { t: 1.2 });
    s.release(A, 0x1000, { t: 1.3 });
    s.release(A, 0x1001, { t: 1.4 }, { emit: false }); // release 2 lost
    s.release(A, 0x1002, { t: 1.5 });
    for (const pfn of range(0x1003, 7)) s.release(A, pfn, { t: 1.6 });
    s.release(A, 0x2000, { t: 1.7 }); // its hold was lost
    s.release(A, 0x2001, { t: 1.8 });
    s.poolRelease(A, { t: 2, comm: 'ip' });
    const r = analyzeTraceText(s.text());
    const p = r.pools[0];
    expect(p.holdCounter.lost).toBe(1);
    expect(p.holdCounter.gaps).toEqual([{ from: 11, to: 11, after: { time: 1.000009, line: 10 }, before: { time: 1.2, line: 11 } }]);
    expect(p.releaseCounter.lost).toBe(1);
    expect(p.releaseCounter.gaps[0]).toMatchObject({ from: 2, to: 2 });
    expect(p.unknownReleases).toBe(1);
    expect(p.state).toBe('freed');
    expect(p.heldAtEnd.map((h) => h.pfn)).toEqual(['0x1001']); // its release was lost
    expect(p.destroy!.attempts[0].consistent).toBe(false);
    expect(p.issues.join('\n')).toMatch(/lost/);
    expect(kinds(r)).toEqual(['hold-count', 'release-not-held', 'attempt-mismatch', 'not-freed']);
  });

  it('sees a lost tail of releases only from the page_pool_release line', () => {
    const s = new SynthTrace();
    s.block(A, range(0x10, 4), { t: 1 });
    s.release(A, 0x10, { t: 2 });
    for (const pfn of [0x11, 0x12, 0x13]) s.release(A, pfn, { t: 2.1 }, { emit: false });
    s.poolRelease(A, { t: 3 });
    const p = analyzeTraceText(s.text()).pools[0];
    expect(p.releaseCounter.lost).toBe(3);
    expect(p.releaseCounter.gaps[0]).toMatchObject({ from: 2, to: 4, before: { line: 6 } });
  });
});

describe('a trace that starts mid-run', () => {
  it('reports releases of pages held before the trace as such, not as errors, and keeps the counters consistent', () => {
    const s = new SynthTrace('tracefs');
    const P = '00000000abcdef01';
    s.startAt(P, 640, 600);
    s.release(P, 0x900, { t: 10 }); // held before the trace
    s.hold(P, 0x901, { t: 10.1 });
    s.release(P, 0x902, { t: 10.2 });
    s.release(P, 0x901, { t: 10.3 });
    s.poolRelease(P, { t: 11, comm: 'ip' }); // inflight 38
    const r = analyzeTraceText(s.text());
    const p = r.pools[0];
    expect(p.beganBeforeTrace).toBe(true);
    expect(p.preTraceReleases).toBe(2);
    expect(p.unknownReleases).toBe(0);
    expect(p.holdCounter.lost + p.releaseCounter.lost).toBe(0);
    expect(p.issues).toEqual([]);
    expect(p.destroy!.attempts[0]).toMatchObject({ inflight: 38, hold: 641, release: 603, consistent: true });
    expect(p.state).toBe('destroy-pending');
    expect(r.replay!.disagreementCount).toBe(0);
  });
});

describe('two pools and reused pfns', () => {
  it('counts pfns an earlier pool had, and flags a pfn entering a pool while another still holds it', () => {
    const s = new SynthTrace();
    s.block(A, range(0x500, 4), { t: 1 });
    for (const pfn of range(0x500, 3)) s.release(A, pfn, { t: 2 });
    s.block(B, [0x500, 0x501, 0x503], { t: 3, cpu: 1 }); // 0x503 is still A's
    const r = analyzeTraceText(s.text());
    const [a, b] = r.pools;
    expect(b.pagesFromEarlierPools).toEqual([{ pool: 1, pages: 3 }]);
    expect(b.doubleHolds).toBe(1);
    expect(b.issues[0]).toMatch(/pfn 0x503 held again while pool #1 still holds it/);
    expect(a.heldAtEnd).toEqual([]);
    expect(b.heldAtEnd).toHaveLength(3);
    expect(kinds(r)).toEqual(['hold-while-held']);
  });

  it('flags a release of a page that another pool holds', () => {
    const s = new SynthTrace();
    s.block(A, [0x10], { t: 1 });
    s.block(B, [0x20], { t: 1.5 });
    s.release(A, 0x20, { t: 2 });
    const r = analyzeTraceText(s.text());
    expect(r.pools[0].unknownReleases).toBe(1);
    expect(r.pools[0].issues[0]).toMatch(/pool #2 holds/);
    expect(kinds(r)).toEqual(['release-not-held']);
  });
});

describe('a net_iov pool (is_net_iov=1)', () => {
  it('keys pages by netmem (pfn is 0), and the model replays it with net_iovs before and after destroy', () => {
    const s = new SynthTrace();
    const niov = (i: number): string => `0xffff888204${(i * 32).toString(16).padStart(6, '0')}`;
    for (let i = 0; i < 8; i++) s.hold(A, 0, { t: 1 + i * 1e-6 }, { netIov: true, netmem: niov(i) });
    for (let i = 0; i < 3; i++) s.release(A, 0, { t: 2 }, { netIov: true, netmem: niov(i) });
    s.poolRelease(A, { t: 3, comm: 'ip' });
    for (let i = 3; i < 8; i++) s.release(A, 0, { t: 3.5, comm: 'kworker/0:1' }, { netIov: true, netmem: niov(i) });
    s.poolRelease(A, { t: 4.02, comm: 'kworker/0:1' });
    const r = analyzeTraceText(s.text());
    const p = r.pools[0];
    expect(p.netIov).toBe(true);
    expect([p.holds, p.releases, p.distinctPages, p.state]).toEqual([8, 8, 8, 'freed']);
    expect(p.destroy!.attempts.map((a) => a.inflight)).toEqual([5, 0]);
    expect(r.replay!.disagreements).toEqual([]);
    expect(r.replay!.violations).toEqual([]);
    expect(r.replay!.modelPools[0]).toMatchObject({ state: 'freed', holdCount: 8, releaseCount: 8, attempts: 2 });
  });
});

describe('release numbers out of order across CPUs', () => {
  it('checks the set, not the order: no loss, lines out of order counted', () => {
    const s = new SynthTrace();
    s.block(A, range(0x100, 5), { t: 1 });
    s.release(A, 0x100, { t: 2, cpu: 0 }, { number: 1 });
    s.release(A, 0x101, { t: 2, cpu: 0 }, { number: 3 });
    s.release(A, 0x102, { t: 2, cpu: 1 }, { number: 2 });
    s.release(A, 0x103, { t: 2, cpu: 1 }, { number: 4 });
    s.release(A, 0x104, { t: 2, cpu: 1 }, { number: 5 });
    s.poolRelease(A, { t: 3 });
    const r = analyzeTraceText(s.text());
    const p = r.pools[0];
    expect(p.releaseCounter).toMatchObject({ lost: 0, repeats: 0, outOfOrder: 2, seen: 5 });
    expect(p.state).toBe('freed');
    expect(r.replay!.disagreementCount).toBe(0);
  });
});

describe('deferred destroy timing', () => {
  it('says when the 60 s stall warning would fire, and the model warns at the same attempt', () => {
    const s = new SynthTrace();
    s.block(A, range(0x40, 2), { t: 1 });
    s.poolRelease(A, { t: 2, comm: 'ip' });
    let t = 2;
    for (let k = 2; k <= 62; k++) s.poolRelease(A, { t: (t += 1.02), comm: 'kworker/1:1' });
    const r = analyzeTraceText(s.text());
    const d = r.pools[0].destroy!;
    expect(d.stallWarning).toMatchObject({ cnt: 60, inflight: 2, seconds: 60 });
    expect(r.pools[0].state).toBe('destroy-pending');
    expect(r.replay!.disagreementCount).toBe(0);
    const m = r.replay!.modelPools[0];
    expect(m.attempts).toBe(62);
    expect(m.stallWarnings[0]).toMatch(/stalled pool shutdown: id \d+, 2 inflight 60 sec.*at attempt 60/);
  });

  it('flags retries outside the accepted interval and attempts missing from the trace', () => {
    const s = new SynthTrace();
    s.block(A, [0x40], { t: 1 });
    s.poolRelease(A, { t: 2, comm: 'ip' });
    s.poolRelease(A, { t: 3.5, comm: 'kworker/1:1' }); // 1.5 s later
    s.poolRelease(A, { t: 5.55, comm: 'kworker/1:1' }, { cnt: 4 }); // cnt 3 missing
    const r = analyzeTraceText(s.text());
    expect(r.pools[0].destroy!.badIntervals.map((b) => b.cnt)).toEqual([2, 4]);
    expect(r.pools[0].issues.join('\n')).toMatch(/cnt=4 is attempt 3/);
    expect(kinds(r)).toEqual(['retry-interval', 'attempt-missing']);
  });

  it('flags a page_pool_release whose inflight disagrees with hold − release', () => {
    const s = new SynthTrace();
    s.block(A, [0x40, 0x41], { t: 1 });
    s.poolRelease(A, { t: 2, comm: 'ip' }, { inflight: 1 });
    const r = analyzeTraceText(s.text());
    expect(r.pools[0].destroy!.attempts[0].consistent).toBe(false);
    expect(kinds(r)).toEqual(['attempt-mismatch']);
  });

  it('a pool that never allocated still counts, at its page_pool_release line', () => {
    const r = analyzeTraceText(new SynthTrace().poolRelease(B, { t: 5, comm: 'ip' }).text());
    expect(r.pools).toHaveLength(1);
    expect(r.pools[0]).toMatchObject({ holds: 0, state: 'freed', beganBeforeTrace: false, firstBlock: null });
  });
});

describe('update_nid and --pool', () => {
  it('records nid changes and replays them; the pool filter keeps one pointer', () => {
    const s = new SynthTrace();
    s.block(A, [1, 2], { t: 1 });
    s.updateNid(A, { t: 1.5 }, -1, 0);
    s.block(B, [3], { t: 1.6 });
    s.release(A, 1, { t: 2 });
    const all = analyzeTraceText(s.text());
    expect(all.pools[0].nidChanges).toEqual([{ time: 1.5, line: 3, oldNid: -1, newNid: 0 }]);
    expect(all.replay!.disagreementCount).toBe(0);
    const one = analyzeTraceText(s.text(), { pool: 'FFFF888100002000' });
    expect(one.pools.map((p) => p.pointer)).toEqual([B]);
    expect(() => analyzeTraceText(s.text(), { pool: 'zz' })).toThrow(/--pool/);
  });
});
