/**
 * A time series with a fixed bound on its points, for the demo report.
 * Samples arrive at events (a pool's hold and release, a registry change, a
 * timer tick); the series keeps every `stride`-th one, and when it is full
 * it drops every other point and doubles the stride. However long the run,
 * a series holds at most `limit` points per column, and its first and newest
 * points stay exact. A sample equal to the last kept one adds nothing: the
 * charts draw steps, so only changes carry information.
 */

/** A series as it is written to the JSON report. */
export interface SeriesData {
  /** The clock of `t`: wall-clock ms since the example started, or ms since a capture's first event. */
  clock: 'wall' | 'capture';
  /** Sample times, ms. */
  t: number[];
  /** One array per column, parallel to `t`. */
  values: Record<string, number[]>;
  /** Samples offered, kept or not. */
  offered: number;
  /** Keep one offered sample in this many (doubles each time the series fills). */
  stride: number;
}

/** Sample times are kept to the microsecond: finer digits only make the JSON longer. */
const T_DIGITS = 1000;

/** A bounded series of several numeric columns over one time axis. */
export class BoundedSeries {
  private readonly t: number[] = [];
  private readonly cols: number[][];
  private stride = 1;
  private phase = 0;
  private offered = 0;

  constructor(
    /** Column names, in the order `push` takes values. */
    readonly columns: readonly string[],
    /** Most points kept (at least 4). */
    readonly limit: number,
    private readonly clock: SeriesData['clock'] = 'wall',
  ) {
    if (!Number.isInteger(limit) || limit < 4) throw new RangeError(`a series needs room for at least 4 points, got ${limit}`);
    this.cols = columns.map(() => []);
  }

  /** Points held now. */
  get length(): number {
    return this.t.length;
  }

  /**
   * Counts one offered sample and answers whether to keep it: every
   * `stride`-th, or always when `force`. Callers ask first, so a sample
   * that costs a table scan is only read when it is kept.
   */
  take(force = false): boolean {
    this.offered++;
    if (++this.phase < this.stride && !force) return false;
    this.phase = 0;
    return true;
  }

  /**
   * Adds a point (values in column order). A point equal to the last one is
   * skipped unless `always` (the closing sample, so the line reaches the end).
   */
  push(tMs: number, values: readonly number[], always = false): void {
    const t = Math.round(tMs * T_DIGITS) / T_DIGITS;
    const n = this.t.length;
    if (n > 0 && !always && this.cols.every((c, i) => c[n - 1] === values[i])) return;
    if (n > 0 && this.t[n - 1] === t) {
      // The same instant (a bulk refill): the later value stands for it.
      for (let i = 0; i < this.cols.length; i++) this.cols[i][n - 1] = values[i];
      return;
    }
    if (n >= this.limit) this.halve();
    this.t.push(t);
    for (let i = 0; i < this.cols.length; i++) this.cols[i].push(values[i]);
  }

  /** Drops every other point (the first and the newest stay) and halves the rate of kept samples. */
  private halve(): void {
    const n = this.t.length;
    const keep = (r: number): boolean => r % 2 === 0 || r === n - 1;
    let w = 0;
    for (let r = 0; r < n; r++) {
      if (!keep(r)) continue;
      this.t[w] = this.t[r];
      for (const c of this.cols) c[w] = c[r];
      w++;
    }
    this.t.length = w;
    for (const c of this.cols) c.length = w;
    this.stride *= 2;
  }

  /** The series for the JSON report (copies). */
  toJSON(): SeriesData {
    const values: Record<string, number[]> = {};
    this.columns.forEach((name, i) => {
      values[name] = this.cols[i].slice();
    });
    return { clock: this.clock, t: this.t.slice(), values, offered: this.offered, stride: this.stride };
  }
}
