/**
 * Types shared by the benchmark harness, the case files and the runner.
 */

/**
 * One live instance of a benchmark case, made by {@link BenchCase.setup}.
 * The harness calls `run` for warm-up and timed rounds, then `verify`, then
 * `teardown`.
 */
export interface BenchInstance {
  /**
   * Performs exactly `ops` operations in the case's own loop (so every loop
   * is monomorphic) and returns a value derived from every result, which the
   * harness keeps, so the work cannot be optimised away. A case doing real
   * I/O (sockets, threads) returns a promise; the harness awaits it inside
   * the timed window. Synchronous cases are timed exactly as before.
   */
  run(ops: number): number | Promise<number>;
  /**
   * Checks that the intended code path was really taken over all `totalOps`
   * operations `run` performed since setup (warm-up included). Throws an
   * Error describing the mismatch; may return a short note for the report.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a verify with no note to add just returns
  verify?(totalOps: number): string | void;
  /** Releases what setup created. */
  teardown?(): void;
  /** Optional: the most heap the case used above its baseline during the runs, bytes (memory-bound cases). */
  peakHeapBytes?(): number;
}

/** A named benchmark case. */
export interface BenchCase {
  /** Stable name used in tables, JSON and `--filter`. */
  readonly name: string;
  /** One-line description of what one operation is. */
  readonly title: string;
  /**
   * Operations per round for this case, when the default would take too
   * long (end-to-end cases of microseconds per op). Cases compared by a
   * ratio should leave it unset so they run the same count.
   */
  readonly ops?: number;
  /** Builds a fresh instance (pool, freelist, ...) ready to run. */
  setup(): BenchInstance;
}

/** Harness settings. */
export interface BenchOptions {
  /** Operations per round (the same for every case). */
  ops: number;
  /** Untimed rounds before measuring. */
  warmupRounds: number;
  /** Timed rounds; the median is reported. */
  rounds: number;
}

/** What the harness measured for one case. */
export interface BenchResult {
  /** Case name. */
  name: string;
  /** Case title. */
  title: string;
  /** Median nanoseconds per operation over the timed rounds. */
  nsPerOp: number;
  /** 1e9 / nsPerOp. */
  opsPerSec: number;
  /** Fastest round, ns/op. */
  minNsPerOp: number;
  /** Slowest round, ns/op. */
  maxNsPerOp: number;
  /** GC events (PerformanceObserver 'gc' entries) that started inside the timed rounds. */
  gcEvents: number;
  /** Operations per round. */
  ops: number;
  /** Timed rounds. */
  rounds: number;
  /** Path check outcome: `ok`, `failed: ...`, or `none` when the case has no check. */
  check: string;
  /** Peak heap above the case's baseline, bytes, when the case measures it. */
  peakHeapBytes?: number;
}
