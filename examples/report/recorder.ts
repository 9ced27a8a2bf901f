/**
 * Records what the examples' domains do, for the demo report. Per domain an
 * example observes it installs a page_pool tracer (chained to any tracer
 * already there) and listens to the pool registry; every pool hold, release,
 * destroy attempt and registry change is an event. At each event the
 * pool's bounded series is offered a sample: in flight (hold − release)
 * and where those netmems are — every ledger place in a checked domain
 * (the same scan as `info().places`), cache / ring / handed out otherwise
 * (read without a scan). The pool's DMA device is sampled with it (live
 * mappings, faults so far), and on each of its faults. A timer samples
 * too, for examples that wait on I/O and so have few pool events. At the
 * end of the example the final figures are taken and every hook removed.
 *
 * Bounds: a series keeps at most `pointsPerSeries` points (see series.ts);
 * at most `poolsPerExample` pools and `devicesPerExample` devices per
 * example are recorded; nothing of an example is kept but its record.
 */
import { PLACE_NAMES, allPools, poolRegistry, setPagePoolTracer, type DmaDevice, type MemoryDomain, type PagePool, type PagePoolTracer } from '@netmem/core';
import type { TraceReport } from '@netmem/trace';
import type { ExampleObserver, ExampleResult } from '../lib/example.js';
import { tracePools } from './from-trace.js';
import { BoundedSeries } from './series.js';
import type { DemoReport, DeviceRecord, ExampleRecord, PoolRecord, RecorderLimits, TracePoolRecord } from './types.js';

/** The bounds the demo uses. */
export const DEFAULT_LIMITS: RecorderLimits = { pointsPerSeries: 2000, poolsPerExample: 64, devicesPerExample: 16, sampleEveryMs: 2 };

/** The ledger's places in a checked domain ('none' is not a place of a pool's netmem). */
const CHECKED_PLACES = PLACE_NAMES.filter((p) => p !== 'none');
const CHECKED_COLUMNS = ['inflight', ...CHECKED_PLACES];
/** Without the ledger: what a pool knows of itself for free. */
const UNCHECKED_COLUMNS = ['inflight', 'cache', 'ring', 'handed-out'];

interface DeviceWatch {
  dev: DmaDevice;
  domain: number;
  series: BoundedSeries;
  onFault: () => void;
}

interface PoolWatch {
  pool: PagePool;
  domain: number;
  checked: boolean;
  series: BoundedSeries;
  row: number[];
  peak: number;
  device: DeviceWatch | null;
  /** Named when first seen: an unregistered netdev's pools move to loopback. */
  queue: string | null;
}

interface DomainWatch {
  domain: MemoryDomain;
  tracer: PagePoolTracer;
  previous: PagePoolTracer | null;
  onPool: (pool: PagePool) => void;
}

/** One example's recording, from `begin` to `finish`. */
class ExampleRun {
  private readonly t0 = performance.now();
  private readonly domains: DomainWatch[] = [];
  private readonly pools = new Map<PagePool, PoolWatch>();
  private readonly devices = new Map<DmaDevice, DeviceWatch>();
  private readonly skipped = new WeakSet<object>();
  private poolsNotRecorded = 0;
  private devicesNotRecorded = 0;
  private readonly traces: TracePoolRecord[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    readonly name: string,
    private readonly limits: RecorderLimits,
  ) {
    this.timer = setInterval(() => this.sampleAll(), limits.sampleEveryMs);
    this.timer.unref(); // never keeps the demo alive
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  watch(domain: MemoryDomain): void {
    if (this.domains.some((d) => d.domain === domain)) return;
    const index = this.domains.length + 1;
    const previous = poolRegistry(domain).tracer;
    const tracer: PagePoolTracer = {
      stateHold: (pool, nm, hold) => {
        previous?.stateHold?.(pool, nm, hold);
        const w = this.watchOf(pool, index);
        if (w === null) return;
        if (pool.inflight > w.peak) w.peak = pool.inflight;
        if (w.series.take()) this.sample(w);
      },
      stateRelease: (pool, nm, release) => {
        previous?.stateRelease?.(pool, nm, release);
        this.event(pool, index, false);
      },
      release: (pool, inflight, hold, release, cnt) => {
        previous?.release?.(pool, inflight, hold, release, cnt);
        this.event(pool, index, true);
      },
      updateNid: (pool, oldNid, newNid) => previous?.updateNid?.(pool, oldNid, newNid),
    };
    const onPool = (pool: PagePool): void => this.event(pool, index, true);
    const reg = poolRegistry(domain);
    reg.on('add', onPool).on('change', onPool).on('del', onPool);
    setPagePoolTracer(domain, tracer);
    this.domains.push({ domain, tracer, previous, onPool });
    for (const pool of allPools(domain)) onPool(pool);
  }

  addTrace(r: TraceReport): void {
    this.traces.push(...tracePools(r, this.limits.pointsPerSeries));
  }

  /** A pool event: offer a sample (`force`: always keep it). */
  private event(pool: PagePool, domain: number, force: boolean): void {
    const w = this.watchOf(pool, domain);
    if (w?.series.take(force)) this.sample(w);
  }

  private watchOf(pool: PagePool, domain: number): PoolWatch | null {
    const w = this.pools.get(pool);
    if (w !== undefined) return w;
    if (this.skipped.has(pool)) return null;
    if (this.pools.size >= this.limits.poolsPerExample) {
      this.skipped.add(pool);
      this.poolsNotRecorded++;
      return null;
    }
    const checked = pool.domain.checked;
    const columns = checked ? CHECKED_COLUMNS : UNCHECKED_COLUMNS;
    const nw: PoolWatch = {
      pool,
      domain,
      checked,
      series: new BoundedSeries(columns, this.limits.pointsPerSeries),
      row: columns.map(() => 0),
      peak: Math.max(0, pool.inflight),
      device: pool.dev === null ? null : this.deviceOf(pool.dev, domain),
      queue: pool.netdev === null ? null : `${pool.netdev.name} rx ${pool.queueIdx}`,
    };
    this.pools.set(pool, nw);
    return nw;
  }

  private deviceOf(dev: DmaDevice, domain: number): DeviceWatch | null {
    const d = this.devices.get(dev);
    if (d !== undefined) return d;
    if (this.skipped.has(dev)) return null;
    if (this.devices.size >= this.limits.devicesPerExample) {
      this.skipped.add(dev);
      this.devicesNotRecorded++;
      return null;
    }
    const nd: DeviceWatch = { dev, domain, series: new BoundedSeries(['live', 'faults'], this.limits.pointsPerSeries), onFault: () => {} };
    nd.onFault = () => {
      if (nd.series.take(true)) this.sampleDevice(nd, false);
    };
    dev.on('fault', nd.onFault);
    this.devices.set(dev, nd);
    return nd;
  }

  private sample(w: PoolWatch, always = false): void {
    const p = w.pool;
    const row = w.row;
    row[0] = p.inflight;
    if (w.checked) {
      // A freed pool's descriptors may already belong to the next pool: it holds nothing.
      const places = p.isFreed ? {} : p.places();
      for (let i = 0; i < CHECKED_PLACES.length; i++) row[i + 1] = places[CHECKED_PLACES[i]] ?? 0;
    } else {
      row[1] = p.cacheSize;
      row[2] = p.ringLength;
      row[3] = row[0] - row[1] - row[2];
    }
    w.series.push(this.now(), row, always);
    if (w.device !== null && (always || w.device.series.take())) this.sampleDevice(w.device, always);
  }

  private sampleDevice(d: DeviceWatch, always: boolean): void {
    d.series.push(this.now(), [d.dev.liveMappings, d.dev.faultCount], always);
  }

  /** The timer: offer every pool still live a sample. */
  private sampleAll(): void {
    for (const w of this.pools.values()) if (!w.pool.isFreed && w.series.take()) this.sample(w);
  }

  /** Takes the final figures, removes every hook and returns the record. */
  finish(result: ExampleResult, ms: number): ExampleRecord {
    clearInterval(this.timer);
    for (const w of this.pools.values()) this.sample(w, true);
    for (const d of this.devices.values()) {
      this.sampleDevice(d, true);
      d.dev.off('fault', d.onFault);
    }
    for (const d of this.domains) {
      const reg = poolRegistry(d.domain);
      reg.off('add', d.onPool).off('change', d.onPool).off('del', d.onPool);
      if (reg.tracer === d.tracer) setPagePoolTracer(d.domain, d.previous);
    }
    return {
      name: this.name,
      ok: result.ok,
      summary: result.summary,
      failures: [...result.failures],
      ms: Math.round(ms * 1000) / 1000,
      domains: this.domains.length,
      pools: [...this.pools.values()].map(poolRecord),
      poolsNotRecorded: this.poolsNotRecorded,
      devices: [...this.devices.values()].map(deviceRecord),
      devicesNotRecorded: this.devicesNotRecorded,
      traces: this.traces,
    };
  }
}

function poolRecord(w: PoolWatch): PoolRecord {
  const p = w.pool;
  return {
    domain: w.domain,
    id: p.id,
    provider: p.provider.name,
    order: p.order,
    dmaTracking: p.tracker.kind,
    device: p.dev?.name ?? null,
    queue: w.queue,
    checked: w.checked,
    peakInflight: w.peak,
    final: {
      state: p.isFreed ? 'freed' : p.isDetached ? 'detached' : 'live',
      inflight: p.inflight,
      holdCount: p.holdCount,
      releaseCount: p.releaseCount,
      cacheSize: p.cacheSize,
      ringLength: p.ringLength,
      stats: p.stats(),
      // A plain copy: provider fields are whatever nlFill returned.
      info: JSON.parse(JSON.stringify(p.info())),
    },
    series: w.series.toJSON(),
  };
}

function deviceRecord(d: DeviceWatch): DeviceRecord {
  return { domain: d.domain, name: d.dev.name, removed: d.dev.removed, final: d.dev.counters(), series: d.series.toJSON() };
}

/**
 * The demo's recorder: run-all calls `begin` and `end` around each
 * example; the examples reach it through `observe` (lib/example.ts).
 */
export class DemoRecorder implements ExampleObserver {
  private run: ExampleRun | null = null;
  private readonly records: ExampleRecord[] = [];

  constructor(readonly limits: RecorderLimits = DEFAULT_LIMITS) {}

  begin(name: string): void {
    this.run = new ExampleRun(name, this.limits);
  }

  /** Ends the current example with its result and wall-clock duration. */
  end(result: ExampleResult, ms: number): void {
    if (this.run === null) throw new Error('DemoRecorder.end without begin');
    this.records.push(this.run.finish(result, ms));
    this.run = null;
  }

  domain(domain: MemoryDomain): void {
    this.run?.watch(domain);
  }

  trace(report: TraceReport): void {
    this.run?.addTrace(report);
  }

  /** Everything recorded so far. */
  report(): DemoReport {
    return {
      generated: new Date().toISOString(),
      node: process.version,
      timeAxis:
        "pools and devices: wall-clock ms since the example started (the examples' virtual clocks only drive release retries); kernel captures: ms since the capture's first event",
      limits: { ...this.limits },
      examples: this.records.slice(),
    };
  }
}
