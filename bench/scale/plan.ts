/**
 * What the `scale` group measures (the sizes of each question) and how one
 * measurement is run: a job is plain data, so the entry script can hand it
 * to a fresh child process (bench/scale/child.ts) or run it in-process.
 */
import { DMA_TRACKING_KINDS, type DmaTracking } from '@netmem/core';
import { runDestroy, type DestroyConfig, type DestroyResult } from './destroy.js';
import { runPools, type PoolPath, type PoolsConfig, type PoolsResult } from './pools.js';
import { runRxQueues, type RxQueuesConfig, type RxQueuesResult } from './rx-queues.js';

/** One measurement, as data. */
export type Job = { kind: 'destroy'; cfg: DestroyConfig } | { kind: 'pools'; cfg: PoolsConfig } | { kind: 'rx'; cfg: RxQueuesConfig };

/** What a job returns, by kind. */
export type JobResult = { kind: 'destroy'; result: DestroyResult } | { kind: 'pools'; result: PoolsResult } | { kind: 'rx'; result: RxQueuesResult };

/** The questions of the group (`--only`). */
export const QUESTIONS = ['destroy', 'pools', 'rx'] as const;
/** One question's name. */
export type Question = (typeof QUESTIONS)[number];

/**
 * Timed destroy cycles per size: small sizes take microseconds and are
 * repeated more; 10⁶ takes ~2 s a cycle (mostly the allocation of the pages).
 */
function destroyReps(k: number): number {
  if (k <= 1_000) return 21;
  if (k <= 10_000) return 11;
  if (k <= 100_000) return 5;
  return 3;
}

/**
 * Every job of the full run, or of the quick one (`--quick`: tiny sizes to
 * check the machinery, figures meaningless). 500,000 sits beside the
 * issue's powers of ten: the last size below the device's 2^19 − 1
 * page-granular IOVAs (see docs/benchmarks.md).
 */
export function plan(only: readonly Question[], quick: boolean): Job[] {
  const jobs: Job[] = [];
  if (only.includes('destroy')) {
    const sizes = quick ? [100, 1_000] : [1_000, 10_000, 100_000, 500_000, 1_000_000];
    for (const tracking of DMA_TRACKING_KINDS as readonly DmaTracking[]) {
      for (const k of sizes) jobs.push({ kind: 'destroy', cfg: quick ? { tracking, k, reps: 3, warmupCycles: 2 } : { tracking, k, reps: destroyReps(k) } });
    }
  }
  if (only.includes('pools')) {
    for (const path of ['fast', 'lookup'] as PoolPath[]) {
      for (const pools of quick ? [1, 8] : [1, 8, 64, 512]) {
        jobs.push({ kind: 'pools', cfg: { pools, path, ops: quick ? 1 << 12 : 1 << 20, warmup: quick ? 1 : 3, rounds: quick ? 3 : 9 } });
      }
    }
  }
  if (only.includes('rx')) {
    const timing = { ops: quick ? 1 << 10 : 1 << 17, warmup: quick ? 1 : 2, rounds: quick ? 3 : 7 };
    const counts = quick ? [1, 4] : [1, 4, 16];
    for (const queues of counts) jobs.push({ kind: 'rx', cfg: { queues, ringSize: 256, ...timing } });
    // The control: 256 descriptors over all queues, so the buffers the NIC writes into stay as many as with one queue.
    for (const queues of counts.slice(1)) jobs.push({ kind: 'rx', cfg: { queues, ringSize: 256 / queues, ...timing } });
  }
  return jobs;
}

/** Runs one job here (in this process). */
export function runJob(job: Job): JobResult {
  switch (job.kind) {
    case 'destroy':
      return { kind: 'destroy', result: runDestroy(job.cfg) };
    case 'pools':
      return { kind: 'pools', result: runPools(job.cfg) };
    case 'rx':
      return { kind: 'rx', result: runRxQueues(job.cfg) };
  }
}

/** A short label for progress lines and errors. */
export function jobLabel(job: Job): string {
  switch (job.kind) {
    case 'destroy':
      return `destroy ${job.cfg.tracking} k=${job.cfg.k}`;
    case 'pools':
      return `pools ${job.cfg.path} n=${job.cfg.pools}`;
    case 'rx':
      return `rx queues=${job.cfg.queues} ring=${job.cfg.ringSize ?? 256}`;
  }
}
