/**
 * The pools of a kernel capture (`netmem trace`'s report) as demo report
 * records: an example that reads a capture makes no pool of its own, so its
 * section shows the capture's pools, on the capture's own clock.
 */
import type { TraceReport } from '@netmem/trace';
import { BoundedSeries } from './series.js';
import type { TracePoolRecord } from './types.js';

/** One record per pool of `r`; each series is ms since the capture's first event. */
export function tracePools(r: TraceReport, pointsPerSeries: number): TracePoolRecord[] {
  return r.pools.map((p) => {
    const tl = p.timeline;
    const origin = r.parse.firstTime ?? tl.start;
    const series = new BoundedSeries(['inflight', 'peak'], pointsPerSeries, 'capture');
    // Each bucket is one point at its end: the count then, and the most it reached inside.
    tl.inflightEnd.forEach((end, i) => {
      if (series.take()) series.push((tl.start + (i + 1) * tl.bucket - origin) * 1000, [end, tl.inflightMax[i]], true);
    });
    const m = r.replay?.modelPools.find((x) => x.pool === p.index);
    return {
      source: r.source,
      index: p.index,
      pointer: p.pointer,
      holds: p.holds,
      releases: p.releases,
      maxInflight: p.maxInflight,
      inflightAtEnd: p.inflightAtEnd,
      state: p.state,
      model: m === undefined ? null : { holdCount: m.holdCount, releaseCount: m.releaseCount, inflight: m.inflight, state: m.state },
      series: series.toJSON(),
    };
  });
}
