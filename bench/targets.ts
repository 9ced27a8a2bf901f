/**
 * Ratios against the baselines and the performance targets of the page-pool
 * benchmarks. Targets are reported PASS/FAIL; a miss never fails the run
 * (timings on shared machines are noisy).
 */
import type { BenchResult } from './types.js';

/** A ratio of two cases' ns/op, printed after the table. */
export interface RatioSpec {
  /** Numerator case. */
  num: string;
  /** Denominator case. */
  den: string;
  /** How to read it. */
  note: string;
}

/** A target's outcome. */
export interface TargetOutcome {
  /** What the target says. */
  target: string;
  /** Measured value in words (e.g. `1.32×`). */
  measured: string;
  /** PASS, FAIL, or SKIP when a case it needs did not run. */
  status: 'PASS' | 'FAIL' | 'SKIP';
  /**
   * The number the pass/fail decision is made on, in `unit` (NaN on SKIP):
   * what `--repeat` takes the median, min and max of across runs.
   */
  value: number;
  /** Unit of `value`, printed right after it: `×` (a ratio), ` M/s` (million operations a second) or `` (a count). */
  unit: string;
}

interface TargetSpec {
  target: string;
  needs: string[];
  /** Unit of the check's `value` (see {@link TargetOutcome.unit}). */
  unit: string;
  check(r: (name: string) => BenchResult): { measured: string; pass: boolean; value: number };
}

/** Ratios printed after the table (numerator ns/op ÷ denominator ns/op). */
export const RATIOS: readonly RatioSpec[] = [
  { num: 'fast_path', den: 'baseline_freelist', note: 'pool fast path vs a bare freelist' },
  { num: 'ptr_ring', den: 'baseline_ring', note: 'pool ring path vs a bare ring' },
  { num: 'baseline_checked_freelist', den: 'baseline_freelist', note: 'what one owner check per return costs a bare freelist' },
  { num: 'fast_path', den: 'baseline_checked_freelist', note: 'pool fast path vs a freelist that checks ownership' },
  { num: 'baseline_checked_ring', den: 'baseline_ring', note: 'what one owner check per return costs a bare ring' },
  { num: 'ptr_ring', den: 'baseline_checked_ring', note: 'pool ring path vs a ring that checks ownership' },
  { num: 'slow', den: 'fast_path', note: 'page leaves the pool vs cache hit' },
  { num: 'slow_dma_xarray', den: 'slow', note: 'cost of DMA map/unmap + xarray tracking' },
  { num: 'slow_dma_item_block', den: 'slow', note: 'cost of DMA map/unmap + item-block tracking' },
  { num: 'slow_dma_none', den: 'slow', note: 'cost of DMA map/unmap, no tracking' },
  { num: 'baseline_alloc_u8', den: 'fast_path', note: 'new Uint8Array(4096) vs pool fast path' },
  { num: 'baseline_alloc_buffer', den: 'fast_path', note: 'Buffer.allocUnsafe(4096) vs pool fast path' },
  { num: 'peer_typedarray_pool', den: 'fast_path', note: 'typedarray-pool vs pool fast path' },
  { num: 'baseline_rx_alloc', den: 'rx_e2e', note: 'rx loop with a new Uint8Array per packet vs the pool' },
  { num: 'baseline_rx_alloc', den: 'rx_e2e_domain_buffers', note: 'the same with packet and user buffer in domain pages' },
  { num: 'rx_e2e', den: 'rx_e2e_domain_buffers', note: 'outside arrays vs domain pages for packet and user buffer' },
  { num: 'rx_e2e', den: 'rx_e2e_private_memory', note: 'shared vs plain ArrayBuffer page memory' },
  { num: 'zcrx_worker', den: 'zcrx_same_thread', note: 'zcrx buffers returned by a worker vs same thread' },
  { num: 'trace_parse_4m', den: 'trace_parse', note: 'per-event cost at 4M vs 1M events (≈1: linear time)' },
  { num: 'tcp_plain', den: 'tcp_pooled', note: "loopback TCP: Node's 'data' path vs PooledReader (= pooled MB/s ÷ plain MB/s)" },
  { num: 'tcp_pooled_worker', den: 'tcp_pooled', note: 'pooled reads checked in a worker and returned via the return ring vs put at once' },
  { num: 'xthread_return', den: 'xthread_ptr_ring', note: 'buffers returned by a worker through the return ring vs ptr_ring on one thread' },
  { num: 'xthread_floor', den: 'xthread_ptr_ring', note: 'bare handles to a worker and back (no pool, no checks) vs ptr_ring on one thread' },
  { num: 'xthread_return', den: 'xthread_floor', note: 'the pool with its checks and bookkeeping vs the bare round trip' },
  { num: 'xthread_return_postmessage', den: 'xthread_return', note: 'one postMessage per hand-out vs the shared hand-out ring' },
];

/** The receive-path ratio: `name` at least `factor`× faster than baseline_rx_alloc. */
function rxTimesBaseline(name: string, factor: number): TargetSpec {
  return {
    target: `${name} ≥ ${factor}× faster than baseline_rx_alloc`,
    needs: [name, 'baseline_rx_alloc'],
    unit: '×',
    check: (r) => {
      const v = r('baseline_rx_alloc').nsPerOp / r(name).nsPerOp;
      return { measured: x(v), pass: v >= factor, value: v };
    },
  };
}

/** `name` ran its timed rounds without a garbage collection starting in them: nothing allocated per operation. */
function noGc(name: string): TargetSpec {
  return {
    target: `${name}: 0 GC events`,
    needs: [name],
    unit: '',
    check: (r) => ({ measured: `${r(name).gcEvents}`, pass: r(name).gcEvents === 0, value: r(name).gcEvents }),
  };
}

/** A throughput floor: `name` must run at least `min` operations per second. */
function rateAtLeast(name: string, min: number, unit: string): TargetSpec {
  return {
    target: `${name} ≥ ${min / 1e6} M ${unit}/s`,
    needs: [name],
    unit: ' M/s',
    check: (r) => {
      const v = 1e9 / r(name).nsPerOp;
      return { measured: `${(v / 1e6).toFixed(2)} M/s`, pass: v >= min, value: v / 1e6 };
    },
  };
}

const x = (v: number): string => `${v.toFixed(2)}×`;

/** A byte-per-op case's throughput in MB/s. */
const mbps = (r: BenchResult): string => (r.opsPerSec / 1e6).toFixed(0);

const TARGETS: readonly TargetSpec[] = [
  {
    target: 'fast_path ≤ 1.5× baseline_freelist',
    needs: ['fast_path', 'baseline_freelist'],
    unit: '×',
    check: (r) => {
      const v = r('fast_path').nsPerOp / r('baseline_freelist').nsPerOp;
      return { measured: x(v), pass: v <= 1.5, value: v };
    },
  },
  {
    target: 'ptr_ring ≤ 3× baseline_ring',
    needs: ['ptr_ring', 'baseline_ring'],
    unit: '×',
    check: (r) => {
      const v = r('ptr_ring').nsPerOp / r('baseline_ring').nsPerOp;
      return { measured: x(v), pass: v <= 3, value: v };
    },
  },
  {
    target: 'slow ≤ 20× fast_path',
    needs: ['slow', 'fast_path'],
    unit: '×',
    check: (r) => {
      const v = r('slow').nsPerOp / r('fast_path').nsPerOp;
      return { measured: x(v), pass: v <= 20, value: v };
    },
  },
  {
    target: 'fast_path ≥ 200× faster than baseline_alloc_u8',
    needs: ['fast_path', 'baseline_alloc_u8'],
    unit: '×',
    check: (r) => {
      const v = r('baseline_alloc_u8').nsPerOp / r('fast_path').nsPerOp;
      return { measured: x(v), pass: v >= 200, value: v };
    },
  },
  {
    target: 'fast_path faster than peer_typedarray_pool',
    needs: ['fast_path', 'peer_typedarray_pool'],
    unit: '×',
    check: (r) => {
      const v = r('peer_typedarray_pool').nsPerOp / r('fast_path').nsPerOp;
      return { measured: `peer ${x(v)} slower`, pass: v > 1, value: v };
    },
  },
  noGc('fast_path'),
  noGc('ptr_ring'),
  // The receive path allocates nothing per packet either (a per-packet label string once slipped in unnoticed).
  noGc('rx_e2e'),
  noGc('rx_e2e_domain_buffers'),
  rateAtLeast('rx_e2e', 2e6, 'packets'),
  // Restated (issue 12): with outside buffers V8 copies shared memory with relaxed atomic moves, so 10× is out of reach.
  rxTimesBaseline('rx_e2e', 5),
  rateAtLeast('rx_e2e_domain_buffers', 2e6, 'packets'),
  rxTimesBaseline('rx_e2e_domain_buffers', 10),
  rateAtLeast('devmem_tokens', 2e6, 'tokens'),
  rateAtLeast('zcrx_same_thread', 2e6, 'buffers'),
  // Every net_iov area maps above 2^32: an address passed whole to a call the JIT did not inline was boxed, 16 B per buffer.
  noGc('zcrx_same_thread'),
  noGc('zcrx_nic'),
  rateAtLeast('trace_parse', 2e6, 'events'),
  rateAtLeast('trace_parse_4m', 2e6, 'events'),
  {
    target: "trace_parse_4m peak live heap ≤ 1.25× trace_parse's (memory independent of trace length)",
    needs: ['trace_parse', 'trace_parse_4m'],
    unit: '×',
    check: (r) => {
      const a = r('trace_parse').peakHeapBytes ?? Number.NaN;
      const b = r('trace_parse_4m').peakHeapBytes ?? Number.NaN;
      return { measured: `${(a / 1e6).toFixed(1)} MB at 1M events, ${(b / 1e6).toFixed(1)} MB at 4M (${x(b / a)})`, pass: b <= 1.25 * a, value: b / a };
    },
  },
  {
    target: 'tcp_pooled ≥ 2× tcp_plain (MB/s)',
    needs: ['tcp_pooled', 'tcp_plain'],
    unit: '×',
    check: (r) => {
      const v = r('tcp_plain').nsPerOp / r('tcp_pooled').nsPerOp;
      return { measured: `${x(v)} (${mbps(r('tcp_pooled'))} vs ${mbps(r('tcp_plain'))} MB/s)`, pass: v >= 2, value: v };
    },
  },
  {
    target: 'tcp_pooled ≥ 10× fewer GC events than tcp_plain',
    needs: ['tcp_pooled', 'tcp_plain'],
    unit: '×',
    check: (r) => {
      const p = r('tcp_pooled').gcEvents;
      const q = r('tcp_plain').gcEvents;
      // value: pooled's GC events as a fraction of plain's (≤ 0.1 passes; finite whenever plain had any).
      return { measured: `${p} vs ${q}`, pass: q > 0 && p * 10 <= q, value: p / q };
    },
  },
  {
    target: 'tcp_pooled_worker ≥ ½ tcp_pooled (MB/s)',
    needs: ['tcp_pooled_worker', 'tcp_pooled'],
    unit: '×',
    check: (r) => {
      const v = r('tcp_pooled').nsPerOp / r('tcp_pooled_worker').nsPerOp;
      return { measured: `${x(v)} (${mbps(r('tcp_pooled_worker'))} MB/s)`, pass: v >= 0.5, value: v };
    },
  },
  {
    target: 'xthread_return within 2× xthread_ptr_ring (buffers/s)',
    needs: ['xthread_return', 'xthread_ptr_ring'],
    unit: '×',
    check: (r) => {
      const v = r('xthread_return').nsPerOp / r('xthread_ptr_ring').nsPerOp;
      return {
        measured: `${x(v)} (${(r('xthread_return').opsPerSec / 1e6).toFixed(1)} vs ${(r('xthread_ptr_ring').opsPerSec / 1e6).toFixed(1)} M buffers/s)`,
        pass: v <= 2,
        value: v,
      };
    },
  },
  {
    // Issue 15 raised it from ½: judged on the median of `--repeat 10`, one run may fall below.
    target: 'zcrx_worker ≥ 0.8× zcrx_same_thread (buffers/s)',
    needs: ['zcrx_worker', 'zcrx_same_thread'],
    unit: '×',
    check: (r) => {
      const v = r('zcrx_same_thread').nsPerOp / r('zcrx_worker').nsPerOp;
      return { measured: x(v), pass: v >= 0.8, value: v };
    },
  },
];

/** Computes the ratios whose two cases both ran. */
export function ratios(results: readonly BenchResult[]): { name: string; ratio: number; note: string }[] {
  const by = new Map(results.map((r) => [r.name, r]));
  const out: { name: string; ratio: number; note: string }[] = [];
  for (const s of RATIOS) {
    const a = by.get(s.num);
    const b = by.get(s.den);
    if (a && b) out.push({ name: `${s.num} / ${s.den}`, ratio: a.nsPerOp / b.nsPerOp, note: s.note });
  }
  return out;
}

/** Evaluates every target; SKIP when a case it needs was filtered out. */
export function evaluateTargets(results: readonly BenchResult[]): TargetOutcome[] {
  const by = new Map(results.map((r) => [r.name, r]));
  return TARGETS.map((t) => {
    if (!t.needs.every((n) => by.has(n))) return { target: t.target, measured: '-', status: 'SKIP' as const, value: Number.NaN, unit: t.unit };
    const { measured, pass, value } = t.check((n) => by.get(n)!);
    return { target: t.target, measured, status: pass ? ('PASS' as const) : ('FAIL' as const), value, unit: t.unit };
  });
}
