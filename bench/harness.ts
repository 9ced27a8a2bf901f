/**
 * A small benchmark harness: warm-up rounds, then several timed rounds of a
 * fixed operation count, median ns/op, and the number of GC events that
 * started inside the timed rounds.
 *
 * GC events come from a PerformanceObserver on 'gc' entries. Node delivers
 * them asynchronously (after the GC, from the event loop), so the harness
 * records each timed round's [start, end] on the performance timeline and,
 * after yielding to the event loop, counts the entries whose startTime falls
 * inside one of those windows. Between cases it forces a full GC (when node
 * runs with --expose-gc) so one case's garbage is not collected in another's
 * loop.
 */
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { BenchCase, BenchOptions, BenchResult } from './types.js';

/** Defaults: 2^19 operations a round, 3 warm-up rounds, 15 timed rounds (short rounds, so the median shrugs off bursts from other processes). */
export const DEFAULT_OPTIONS: BenchOptions = { ops: 1 << 19, warmupRounds: 3, rounds: 15 };

/**
 * Everything every run returned, folded together. Exported so the engine
 * must assume someone reads it; the runner prints it in verbose output.
 */
export let sink = 0;

/** Start times of every GC entry seen so far (ms on the performance timeline). */
const gcStarts: number[] = [];
let observer: PerformanceObserver | null = null;

function startGcObserver(): void {
  if (observer) return;
  observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
}

function takePending(): void {
  // Entries queued but not yet handed to the callback.
  const pending: PerformanceEntry[] = observer ? observer.takeRecords() : [];
  for (const e of pending) gcStarts.push(e.startTime);
}

/** Lets Node turn finished GCs into entries and deliver them (setImmediate, then a timer). */
async function flushGcEntries(): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  await new Promise<void>((r) => setImmediate(r));
  await new Promise<void>((r) => setTimeout(r, 5));
  takePending();
}

function countGcIn(windows: Float64Array): number {
  let n = 0;
  for (const t of gcStarts) {
    for (let i = 0; i < windows.length; i += 2) {
      if (t >= windows[i] && t <= windows[i + 1]) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** Forces a full collection when --expose-gc is on, then drains the GC entries it produced. */
async function settle(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') g();
  await flushGcEntries();
  gcStarts.length = 0;
}

/** True when node runs with --expose-gc (GC between cases is then forced). */
export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs one case: setup, warm-up, timed rounds, GC count, path check,
 * teardown. A failed path check is reported in `check`, not thrown.
 */
export async function runCase(c: BenchCase, opts: BenchOptions = DEFAULT_OPTIONS): Promise<BenchResult> {
  try {
    return await measure(c, opts);
  } catch (e) {
    // A case that throws (setup, run) is reported, not fatal to the other cases.
    const nan = Number.NaN;
    const msg = (e as Error).message;
    return {
      name: c.name,
      title: c.title,
      nsPerOp: nan,
      opsPerSec: nan,
      minNsPerOp: nan,
      maxNsPerOp: nan,
      gcEvents: 0,
      ops: c.ops ?? opts.ops,
      rounds: opts.rounds,
      check: `failed: threw ${msg}`,
    };
  }
}

async function measure(c: BenchCase, opts: BenchOptions): Promise<BenchResult> {
  startGcObserver();
  await settle();
  const inst = c.setup();
  const ops = c.ops ?? opts.ops;
  let acc = 0;
  for (let r = 0; r < opts.warmupRounds; r++) {
    const v = inst.run(ops);
    acc ^= typeof v === 'number' ? v : await v;
  }
  await settle();

  const windows = new Float64Array(opts.rounds * 2);
  const perOp: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    windows[2 * r] = performance.now();
    const t0 = process.hrtime.bigint();
    let v = inst.run(ops);
    if (typeof v !== 'number') v = await v; // an I/O case: its round ends when its promise does
    const t1 = process.hrtime.bigint();
    acc ^= v;
    windows[2 * r + 1] = performance.now();
    perOp.push(Number(t1 - t0) / ops);
  }
  await flushGcEntries();
  const gcEvents = countGcIn(windows);
  sink ^= acc;

  let check = 'none';
  if (inst.verify) {
    try {
      const note = inst.verify(ops * (opts.warmupRounds + opts.rounds));
      check = note ? `ok (${note})` : 'ok';
    } catch (e) {
      check = `failed: ${(e as Error).message}`;
    }
  }
  const peakHeapBytes = inst.peakHeapBytes?.();
  inst.teardown?.();

  const nsPerOp = median(perOp);
  return {
    name: c.name,
    title: c.title,
    nsPerOp,
    opsPerSec: 1e9 / nsPerOp,
    minNsPerOp: Math.min(...perOp),
    maxNsPerOp: Math.max(...perOp),
    gcEvents,
    ops,
    rounds: opts.rounds,
    check,
    ...(peakHeapBytes === undefined ? {} : { peakHeapBytes }),
  };
}

/** Stops the GC observer (the runner calls it once at the end). */
export function stopHarness(): void {
  observer?.disconnect();
  observer = null;
}
