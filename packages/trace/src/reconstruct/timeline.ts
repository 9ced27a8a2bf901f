/**
 * A pool's activity over time in at most {@link BUCKETS} equal buckets:
 * holds, releases, and pages in flight (most, and at the bucket's end).
 * The trace's length is unknown while streaming, so the bucket width starts
 * at 1 ms and doubles (merging neighbours) whenever an event falls past the
 * last bucket. Memory is constant per pool.
 */
import type { PoolTimeline } from '../types.js';

/**
 * Most buckets a timeline keeps.
 * @category Reconstruction
 */
export const BUCKETS = 512;

/**
 * Bucketed counts of one pool.
 * @category Reconstruction
 */
export class Timeline {
  private originUs = -1;
  private widthUs = 1000;
  private used = 0;
  private readonly holds = new Float64Array(BUCKETS);
  private readonly releases = new Float64Array(BUCKETS);
  private readonly inMax = new Float64Array(BUCKETS).fill(-1);
  private readonly inEnd = new Float64Array(BUCKETS).fill(-1);

  /** Records an event at `us` after which `inflight` pages are out; `dh`/`dr` are 1 for a hold/release. */
  add(us: number, inflight: number, dh: number, dr: number): void {
    if (this.originUs < 0) this.originUs = us;
    let b = Math.floor((us - this.originUs) / this.widthUs);
    if (b < 0) b = 0;
    while (b >= BUCKETS) {
      this.halve();
      b = Math.floor((us - this.originUs) / this.widthUs);
    }
    if (b >= this.used) this.used = b + 1;
    this.holds[b] += dh;
    this.releases[b] += dr;
    if (inflight > this.inMax[b]) this.inMax[b] = inflight;
    this.inEnd[b] = inflight;
  }

  /** The report (empty buckets carry the last inflight forward). */
  report(): PoolTimeline {
    const n = this.used;
    const out: PoolTimeline = {
      start: this.originUs < 0 ? 0 : this.originUs / 1e6,
      bucket: this.widthUs / 1e6,
      inflightMax: [],
      inflightEnd: [],
      holds: [],
      releases: [],
    };
    let carry = 0;
    for (let i = 0; i < n; i++) {
      const empty = this.inEnd[i] < 0;
      out.inflightMax.push(empty ? carry : this.inMax[i]);
      out.inflightEnd.push(empty ? carry : this.inEnd[i]);
      if (!empty) carry = this.inEnd[i];
      out.holds.push(this.holds[i]);
      out.releases.push(this.releases[i]);
    }
    return out;
  }

  /** Doubles the bucket width, merging pairs. */
  private halve(): void {
    const half = BUCKETS / 2;
    for (let i = 0; i < half; i++) {
      const a = 2 * i;
      const b = a + 1;
      this.holds[i] = this.holds[a] + this.holds[b];
      this.releases[i] = this.releases[a] + this.releases[b];
      this.inMax[i] = Math.max(this.inMax[a], this.inMax[b]);
      this.inEnd[i] = this.inEnd[b] >= 0 ? this.inEnd[b] : this.inEnd[a];
    }
    this.holds.fill(0, half);
    this.releases.fill(0, half);
    this.inMax.fill(-1, half);
    this.inEnd.fill(-1, half);
    this.widthUs *= 2;
    this.used = Math.ceil(this.used / 2);
  }
}
