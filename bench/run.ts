/**
 * Benchmark runner: `pnpm bench [--filter a,b] [--json FILE] [--ops N]
 * [--rounds N] [--warmup N] [--one-process] [--list]`.
 *
 * Runs every registered case (or those whose name contains a --filter
 * token), each group of cases in a fresh child process unless
 * --one-process, then prints a table, the ratios against the baselines and
 * the targets, and optionally writes the results as JSON. Exit status: 0,
 * or 1 when a case's path check failed (a benchmark that measured the wrong
 * path), or 2 on bad arguments. A missed performance target does not change
 * it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPTIONS, gcExposed, runCase, sink, stopHarness } from './harness.js';
import { CASES, GROUPS } from './registry.js';
import { evaluateTargets, ratios } from './targets.js';
import type { BenchCase, BenchOptions, BenchResult } from './types.js';

interface Args extends BenchOptions {
  json: string | null;
  filter: string[];
  list: boolean;
  oneProcess: boolean;
  /** Internal: run only this group here and write {results, sink} to `child`. */
  group: string | null;
  child: string | null;
}

const USAGE = `usage: bench/run.ts [--filter name[,name...]] [--json FILE] [--ops N] [--rounds N] [--warmup N] [--one-process] [--list]
  --filter  run cases whose name contains one of the tokens (repeatable)
  --json    also write {"results":[{name,nsPerOp,gcEvents,...}],...} to FILE
  --ops     operations per round (default ${DEFAULT_OPTIONS.ops}; a case may fix its own count)
  --rounds  timed rounds, median reported (default ${DEFAULT_OPTIONS.rounds})
  --warmup  untimed rounds first (default ${DEFAULT_OPTIONS.warmupRounds})
  --one-process  run every group in this process (default: a fresh process per group)
  --list    print the case names and exit`;

function die(msg: string): never {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { ...DEFAULT_OPTIONS, json: null, filter: [], list: false, oneProcess: false, group: null, child: null };
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
  return a;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function fmtNs(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
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
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const right = [false, true, true, true, true, false];
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, w[i], right[i])).join('  ').trimEnd();
  console.log(line(head));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const row of rows) console.log(line(row));
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

/** What a child process hands back. */
interface ChildOutput {
  results: BenchResult[];
  sink: number;
}

/** Runs the selected cases of `group` in a fresh node with this process's flags; returns its results and checksum. */
function runInChild(group: string, args: Args, dir: string): ChildOutput {
  const out = path.join(dir, `${group}.json`);
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), '--group', group, '--child', out];
  argv.push('--ops', String(args.ops), '--rounds', String(args.rounds), '--warmup', String(args.warmupRounds));
  if (args.filter.length > 0) argv.push('--filter', args.filter.join(','));
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`bench: the ${group} group's process exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
  return JSON.parse(readFileSync(out, 'utf8')) as ChildOutput;
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
