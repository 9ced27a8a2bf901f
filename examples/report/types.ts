/**
 * The demo report's data, as `--json` writes it and `--html` draws it. One
 * record per example: its result line, the final figures of every pool and
 * DMA device it made, and their bounded series over time.
 */
import type { DmaDeviceCounters, PagePoolInfo, PagePoolStats } from '@netmem/core';
import type { SeriesData } from './series.js';

/** Bounds the recorder keeps to, whatever the run length. */
export interface RecorderLimits {
  /** Most points per series. */
  pointsPerSeries: number;
  /** Most pools recorded per example (later ones are counted, not recorded). */
  poolsPerExample: number;
  /** Most DMA devices recorded per example. */
  devicesPerExample: number;
  /** Period of the timer that samples while an example waits on I/O, ms. */
  sampleEveryMs: number;
}

/** A pool's figures when its example ended. */
export interface PoolFinal {
  /** live, detached (destroyed, buffers still out) or freed. */
  state: 'live' | 'detached' | 'freed';
  /** hold − release. */
  inflight: number;
  /** pages_state_hold_cnt. */
  holdCount: number;
  /** pages_state_release_cnt. */
  releaseCount: number;
  /** Netmems in the alloc cache. */
  cacheSize: number;
  /** Netmems in the ring. */
  ringLength: number;
  /** `stats()`. */
  stats: PagePoolStats;
  /** `info()`. */
  info: PagePoolInfo;
}

/** One page pool an example made. */
export interface PoolRecord {
  /** Which of the example's domains (1-based, in the order it observed them). */
  domain: number;
  /** Pool id (ids repeat across domains). */
  id: number;
  /** Provider name. */
  provider: string;
  /** Page order. */
  order: number;
  /** DMA-tracking strategy. */
  dmaTracking: string;
  /** The DMA device's name, or null when the pool maps nothing. */
  device: string | null;
  /** `netdev rx N`, or null without a netdev. */
  queue: string | null;
  /** The domain runs in checked mode: the series has every ledger place. */
  checked: boolean;
  /** Most in flight at any hold (exact: read at every hold event, not only kept samples). */
  peakInflight: number;
  /** Figures at the end of the example. */
  final: PoolFinal;
  /** `inflight` and the places (cache, ring, … or the checked ledger's) over time. */
  series: SeriesData;
}

/** One DMA device of an example's pools. */
export interface DeviceRecord {
  /** Which of the example's domains (1-based). */
  domain: number;
  /** Device name. */
  name: string;
  /** Removed (driver unbind) by the end. */
  removed: boolean;
  /** `counters()` at the end. */
  final: DmaDeviceCounters;
  /** `live` mappings and `faults` so far over time. */
  series: SeriesData;
}

/** One pool of a kernel capture an example read (`netmem trace`). */
export interface TracePoolRecord {
  /** The capture's name. */
  source: string;
  /** Pool index in the capture (1-based). */
  index: number;
  /** `page_pool=` pointer. */
  pointer: string;
  /** state_hold lines. */
  holds: number;
  /** state_release lines. */
  releases: number;
  /** Most pages in flight at once. */
  maxInflight: number;
  /** Pages in flight at the end of the capture. */
  inflightAtEnd: number;
  /** End state in the capture. */
  state: string;
  /** The model replay's pool, when the capture was replayed. */
  model: { holdCount: number; releaseCount: number; inflight: number; state: string } | null;
  /** `inflight` (end of each bucket) and `peak` (most in the bucket), ms since the capture's first event. */
  series: SeriesData;
}

/** One example's record. */
export interface ExampleRecord {
  /** Example name. */
  name: string;
  /** Passed. */
  ok: boolean;
  /** Its summary line. */
  summary: string;
  /** Failed checks. */
  failures: string[];
  /** Wall-clock duration, ms. */
  ms: number;
  /** Domains it observed. */
  domains: number;
  /** Pools it made (at most `poolsPerExample`). */
  pools: PoolRecord[];
  /** Pools made beyond the limit, not recorded. */
  poolsNotRecorded: number;
  /** DMA devices of its pools. */
  devices: DeviceRecord[];
  /** Devices beyond the limit, not recorded. */
  devicesNotRecorded: number;
  /** Pools of kernel captures it read. */
  traces: TracePoolRecord[];
}

/** The whole report. */
export interface DemoReport {
  /** ISO time the report was written. */
  generated: string;
  /** Node version. */
  node: string;
  /** What the time axes measure. */
  timeAxis: string;
  /** The recorder's bounds. */
  limits: RecorderLimits;
  /** Every example that ran, in order. */
  examples: ExampleRecord[];
}
