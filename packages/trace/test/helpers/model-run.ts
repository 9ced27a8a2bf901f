/**
 * Model scenarios that write their own page_pool trace: a domain on a
 * virtual clock, pools on the normal page provider, the text tracer writing
 * perf or tracefs lines, and beside it the model's own figures per pool
 * (holds, releases, attempts, pages in flight, distinct and re-held pages),
 * gathered from the same tracepoint calls, for the round trip to compare.
 */
import { createPagePool, setPagePoolTracer, type PagePool, type PagePoolTracer } from '@netmem/core';
import { quietWorld, type QuietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import type { EmitFormat } from '../../src/emit/format.js';
import { textTracer } from '../../src/emit/text-tracer.js';

/** The model's own figures for one pool. */
export interface ModelFigures {
  holds: number;
  releases: number;
  attempts: { cnt: number; inflight: number; hold: number; release: number }[];
  maxInflight: number;
  distinct: number;
  heldAgain: number;
}

/** A model world that writes its trace. */
export class TracedModel {
  readonly world: QuietWorld;
  readonly lines: string[] = [];
  readonly figures = new Map<number, ModelFigures>();
  /** Pool ids in order of their first tracepoint (the order a trace shows them). */
  readonly order: number[] = [];
  private readonly seen = new Map<number, Map<number, number>>();

  constructor(format: EmitFormat, pages = 8192) {
    this.world = quietWorld({ pages, checked: true });
    const domain = this.world.domain;
    const text = textTracer(domain, { format, write: (l) => this.lines.push(l), context: () => ({ comm: 'model', pid: 7, cpu: 0 }) });
    const fig = (pool: PagePool): ModelFigures => {
      let f = this.figures.get(pool.id);
      if (f === undefined) this.order.push(pool.id);
      if (f === undefined) this.figures.set(pool.id, (f = { holds: 0, releases: 0, attempts: [], maxInflight: 0, distinct: 0, heldAgain: 0 }));
      return f;
    };
    const tee: PagePoolTracer = {
      stateHold: (pool, nm, hold) => {
        text.stateHold!(pool, nm, hold);
        const f = fig(pool);
        f.holds++;
        f.maxInflight = Math.max(f.maxInflight, f.holds - f.releases);
        let m = this.seen.get(pool.id);
        if (m === undefined) this.seen.set(pool.id, (m = new Map()));
        const pfn = domain.pfnOf(nm);
        const n = (m.get(pfn) ?? 0) + 1;
        m.set(pfn, n);
        if (n === 1) f.distinct++;
        if (n === 2) f.heldAgain++;
      },
      stateRelease: (pool, nm, release) => {
        text.stateRelease!(pool, nm, release);
        fig(pool).releases++;
      },
      release: (pool, inflight, hold, release, cnt) => {
        text.release!(pool, inflight, hold, release, cnt);
        fig(pool).attempts.push({ cnt, inflight, hold, release });
      },
      updateNid: (pool, o, n) => text.updateNid!(pool, o, n),
    };
    setPagePoolTracer(domain, tee);
  }

  /** A pool on the normal page path. */
  pool(ringSize = 256): PagePool {
    return createPagePool({ domain: this.world.domain, provider: pagesProvider(), poolSize: ringSize, order: 0, flags: 0 });
  }

  /** Advances the model's clock (retries fire). */
  advance(ms: number): void {
    this.world.clock.advance(ms);
  }

  /** The trace text. */
  text(): string {
    return this.lines.join('');
  }
}

/** Puts `nm` so that the pool releases it (another page reference makes it unrecyclable). */
export function releaseNow(pool: PagePool, nm: number): void {
  pool.domain.getPage(nm);
  pool.putNetmem(nm);
  pool.domain.putPage(nm);
}
