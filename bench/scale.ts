/**
 * The `scale` benchmark group: how cost grows with the work.
 *
 * - destroy with k DMA-mapped pages in flight (k = 10³ … 10⁶) under each DMA
 *   tracking strategy, then the k late returns, and the tracking memory per
 *   in-flight page;
 * - pool throughput with 1, 8, 64, 512 pools alive in one domain (fast path
 *   and the put that looks its pool up);
 * - receive throughput with 1, 4, 16 rx queues.
 *
 * Every measurement runs in a fresh node process (bench/scale/child.ts) with
 * this process's flags: three tracker classes behind one pool call site
 * would make it polymorphic for whichever strategy runs later, and a 10⁶
 * run leaves a heap and grown tables behind that the next size should not
 * inherit. `--one-process` runs everything here instead (GC between jobs).
 *
 *   node --conditions=@netmem/source --import tsx --expose-gc bench/scale.ts [--json FILE] [--only destroy,pools,rx] [--quick] [--one-process]
 *
 * Exit status: 0; 1 when a measurement's bookkeeping check failed; 2 on bad
 * arguments.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { gc, gcExposed } from './scale/common.js';
import type { DestroyResult } from './scale/destroy.js';
import { jobLabel, plan, QUESTIONS, runJob, type Job, type JobResult, type Question } from './scale/plan.js';
import type { PoolsResult } from './scale/pools.js';
import { curveLines, curves, destroyTable, poolsTable, rxTable } from './scale/report.js';
import type { RxQueuesResult } from './scale/rx-queues.js';

/** The destroy target of the issue: 10⁶ in-flight mappings under xarray. */
const TARGET_MS = 200;

interface Args {
  json: string | null;
  only: Question[];
  quick: boolean;
  oneProcess: boolean;
}

function die(msg: string): never {
  console.error(`bench:scale: ${msg}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { json: null, only: [...QUESTIONS], quick: false, oneProcess: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
    const value = (): string => inline ?? argv[++i] ?? die(`${flag} needs a value`);
    switch (flag) {
      case '--json':
        a.json = value();
        break;
      case '--only': {
        const want = value().split(',').filter(Boolean);
        const bad = want.filter((q) => !(QUESTIONS as readonly string[]).includes(q));
        if (bad.length > 0 || want.length === 0) die(`--only takes ${QUESTIONS.join(',')}, got ${bad.join(',') || 'nothing'}`);
        a.only = want as Question[];
        break;
      }
      case '--quick':
        a.quick = true;
        break;
      case '--one-process':
        a.oneProcess = true;
        break;
      case '--help':
        console.log('bench/scale.ts [--json FILE] [--only destroy,pools,rx] [--quick] [--one-process]');
        process.exit(0);
        break;
      default:
        die(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

/** Runs a job in a fresh node with this process's flags; its stdout's last line is the result. */
function runInChild(job: Job): JobResult {
  const child = fileURLToPath(new URL('./scale/child.ts', import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, child, JSON.stringify(job)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    console.error(`bench:scale: ${jobLabel(job)} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as JobResult;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const jobs = plan(args.only, args.quick);
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const date = new Date().toISOString();
  console.log(`netmem scale benchmarks — node ${process.version}, ${cpu} × ${os.cpus().length}, ${date.slice(0, 10)}`);
  console.log(
    `${jobs.length} measurements, ${args.oneProcess ? 'all in this process (GC between)' : 'each in a fresh process'}; GC ${gcExposed() ? 'forced before each measurement, never inside a timed step' : 'not exposed (run with --expose-gc)'}${args.quick ? '; --quick: tiny sizes, figures meaningless' : ''}`,
  );
  const started = Date.now();
  const results: JobResult[] = [];
  for (const job of jobs) {
    if (process.stderr.isTTY) process.stderr.write(`  ${jobLabel(job)}…\r`);
    if (args.oneProcess) {
      gc();
      try {
        results.push(runJob(job));
      } catch (e) {
        console.error(`bench:scale: ${jobLabel(job)}: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      }
    } else results.push(runInChild(job));
    if (process.stderr.isTTY) process.stderr.write(`${' '.repeat(jobLabel(job).length + 4)}\r`);
  }
  const seconds = (Date.now() - started) / 1000;

  const destroy = results.flatMap((r) => (r.kind === 'destroy' ? [r.result] : [])) as DestroyResult[];
  const pools = results.flatMap((r) => (r.kind === 'pools' ? [r.result] : [])) as PoolsResult[];
  const rx = results.flatMap((r) => (r.kind === 'rx' ? [r.result] : [])) as RxQueuesResult[];
  const cs = curves(destroy);
  const big = destroy.find((r) => r.tracking === 'xarray' && r.k === 1_000_000);
  const target = big
    ? { name: `destroy with 10⁶ in-flight mappings under xarray ≤ ${TARGET_MS} ms`, measuredMs: big.destroyMs.median, pass: big.destroyMs.median <= TARGET_MS }
    : null;

  if (destroy.length > 0) {
    console.log('\ndestroy with k DMA-mapped pages in flight, then the k late returns (median over reps, range)');
    console.log(destroyTable(destroy));
    console.log('\ngrowth with k (least-squares exponent of time ∝ k^b)');
    for (const l of curveLines(cs)) console.log(l);
    if (target) console.log(`\n  ${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.measuredMs.toFixed(0)} ms`);
  }
  if (pools.length > 0) {
    console.log('\npool alloc + put with N pools alive in one domain, round-robin (median ns/op over rounds)');
    console.log(poolsTable(pools));
  }
  if (rx.length > 0) {
    console.log(
      '\nreceive, 1500-byte packets round-robin over Q rx queues of one device, 256 descriptors per queue, then 256 over all queues (median ns/packet over rounds)',
    );
    console.log(rxTable(rx));
  }
  console.log(`\n${jobs.length} measurements in ${seconds.toFixed(1)} s`);
  if (args.json !== null) {
    const out = {
      node: process.version,
      cpu,
      cpus: os.cpus().length,
      date,
      quick: args.quick,
      oneProcess: args.oneProcess,
      seconds,
      destroy,
      curves: cs,
      target,
      pools,
      rx,
    };
    writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }
}

main();
