/**
 * Synthetic traces for edge cases: a builder that writes page_pool lines in
 * perf or tracefs format with per-pool running counters, and lets a test
 * drop events (lost), start counters mid-run, or bend any field.
 */
import { holdFields, lineHead, poolReleaseFields, releaseFields, updateNidFields, type EmitFormat } from '../../src/emit/format.js';

/** Who/when of a synthetic line. */
export interface At {
  t: number;
  cpu?: number;
  comm?: string;
  pid?: number;
}

interface PoolCounters {
  hold: number;
  release: number;
  cnt: number;
}

/** Builds a trace text line by line. */
export class SynthTrace {
  readonly lines: string[] = [];
  private readonly counters = new Map<string, PoolCounters>();

  constructor(readonly format: EmitFormat = 'perf') {}

  private c(pool: string): PoolCounters {
    let c = this.counters.get(pool);
    if (c === undefined) this.counters.set(pool, (c = { hold: 0, release: 0, cnt: 0 }));
    return c;
  }

  private head(event: string, at: At): string {
    return lineHead(this.format, event, { comm: at.comm ?? 'ping', pid: at.pid ?? 100, cpu: at.cpu ?? 0, time: at.t });
  }

  /** Sets a pool's counters (a pool that began before the trace). */
  startAt(pool: string, hold: number, release: number): this {
    const c = this.c(pool);
    c.hold = hold;
    c.release = release;
    return this;
  }

  /** A state_hold; `emit: false` counts it without writing it (a lost event). */
  hold(pool: string, pfn: number, at: At, o: { emit?: boolean; netIov?: boolean; netmem?: string } = {}): this {
    const c = this.c(pool);
    c.hold++;
    if (o.emit !== false)
      this.lines.push(this.head('page_pool_state_hold', at) + holdFields(pool, o.netmem ?? this.netmemOf(pfn), o.netIov ?? false, o.netIov ? 0 : pfn, c.hold));
    return this;
  }

  /** Holds `pfns` in one block (one bulk refill), 1 µs apart. */
  block(pool: string, pfns: number[], at: At): this {
    pfns.forEach((pfn, i) => {
      this.hold(pool, pfn, { ...at, t: at.t + i * 1e-6 });
    });
    return this;
  }

  /** A state_release; `number` overrides the counter (out-of-order lines). */
  release(pool: string, pfn: number, at: At, o: { emit?: boolean; number?: number; netIov?: boolean; netmem?: string } = {}): this {
    const c = this.c(pool);
    c.release++;
    const n = o.number ?? c.release;
    if (o.emit !== false)
      this.lines.push(this.head('page_pool_state_release', at) + releaseFields(pool, o.netmem ?? this.netmemOf(pfn), o.netIov ?? false, o.netIov ? 0 : pfn, n));
    return this;
  }

  /** A page_pool_release line from the pool's counters (or overridden). */
  poolRelease(pool: string, at: At, o: { inflight?: number; cnt?: number } = {}): this {
    const c = this.c(pool);
    c.cnt++;
    const inflight = o.inflight ?? c.hold - c.release;
    this.lines.push(this.head('page_pool_release', at) + poolReleaseFields(pool, inflight, c.hold, c.release, o.cnt ?? c.cnt));
    if (inflight === 0) this.counters.delete(pool);
    return this;
  }

  /** An update_nid line. */
  updateNid(pool: string, at: At, oldNid: number, newNid: number): this {
    this.lines.push(this.head('page_pool_update_nid', at) + updateNidFields(pool, oldNid, newNid));
    return this;
  }

  /** Any raw line. */
  raw(line: string): this {
    this.lines.push(line);
    return this;
  }

  /** The text (lines joined with `eol`, ending with one). */
  text(eol = '\n'): string {
    return this.lines.map((l) => l + eol).join('');
  }

  private netmemOf(pfn: number): string {
    const v = (pfn * 64).toString(16).padStart(8, '0');
    return this.format === 'perf' ? `0xffffea00${v}` : `00000000${v}`;
  }
}
