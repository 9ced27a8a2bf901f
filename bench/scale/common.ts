/**
 * Helpers shared by the `scale` benchmarks: forced GC, a nanosecond clock,
 * medians and ranges, a bookkeeping check that names what is wrong, and
 * the peak RSS of the process.
 */

/** A forced full GC when node runs with `--expose-gc` (otherwise nothing). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** True when `--expose-gc` is on (the report says whether GC ran between steps). */
export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** Monotonic nanoseconds (as a double: exact well past a day). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Throws `msg` unless `ok`: a bookkeeping check the figures depend on. */
export function expect(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

/** Throws `msg`: for a value that must be there. */
export function fail(msg: string): never {
  throw new Error(msg);
}

/** Median, fastest and slowest of some samples. */
export interface Spread {
  /** Median (the mean of the two middle samples for an even count). */
  median: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
}

/** The median and range of `xs` (not empty). */
export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1] };
}

/** Sleeps `ms` (blocking: the timed code runs synchronously). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Peak resident set of this process so far, MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Bytes in ArrayBuffers and SharedArrayBuffers now, after a full GC (the typed-array tables). */
export function arrayBufferBytes(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

/**
 * Runs `round(ops)` `warmup` times untimed, then `rounds` times timed, and
 * returns ns per operation (median and range) plus the folded results, so
 * the loop's work cannot be optimised away. The forced GC comes before the
 * warm-up: the rounds right after one run slower (see destroy.ts).
 */
export function timeRounds(round: (ops: number) => number, ops: number, warmup: number, rounds: number): { nsPerOp: Spread; sink: number } {
  let sink = 0;
  gc();
  for (let r = 0; r < warmup; r++) sink = (sink + round(ops)) | 0;
  const ns: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = nowNs();
    sink = (sink + round(ops)) | 0;
    ns.push((nowNs() - t0) / ops);
  }
  return { nsPerOp: spread(ns), sink };
}
