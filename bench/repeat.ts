/**
 * `pnpm bench --repeat N [--node 20,22,24]`: every selected group N times,
 * each time in a fresh process, under each Node major asked for; then per
 * Node version the median of the runs and their spread for every case,
 * ratio and target (bench/summary.ts), printed by bench/repeat-format.ts.
 *
 * One run's figures swing by ±50 % on a shared VM, and a process can land
 * in a slow JIT mode for its whole life; the median of several fresh
 * processes, with the spread beside it, says how much one number is worth.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeFor } from '../scripts/node-majors.mjs';
import { runGroupInChild, type ChildNode } from './child.js';
import { crossVersionLines, nodeReportLines } from './repeat-format.js';
import { summarize, type Summary } from './summary.js';
import { evaluateTargets, ratios, type TargetOutcome } from './targets.js';
import type { BenchOptions, BenchResult } from './types.js';

/** What `--repeat`/`--node` run. */
export interface RepeatOptions extends BenchOptions {
  /** Runs of every group per Node version (each in a fresh process). */
  repeat: number;
  /** Node majors to run under, e.g. `['20', '22']`; empty: the running node only. */
  majors: readonly string[];
  /** Groups to run (those with a selected case), in registry order. */
  groups: readonly string[];
  /** The --filter tokens, passed on to every child. */
  filter: readonly string[];
  /** Where to write the JSON report, or null. */
  json: string | null;
}

/** One group's run: its results, or the error of a process that crashed. */
export interface GroupRun {
  /** Group name. */
  group: string;
  /** Wall time of the child process, seconds. */
  seconds: number;
  /** The group's results (empty when the process crashed). */
  results: BenchResult[];
  /** The child's checksum. */
  sink: number;
  /** Set when the child did not exit cleanly. */
  error?: string;
}

/** Run i under one Node version: every selected group once, with the ratios and targets of that run alone. */
export interface RunRecord {
  /** 1-based run number. */
  run: number;
  /** Each group's process. */
  groups: GroupRun[];
  /** This run's ratios. */
  ratios: { name: string; ratio: number; note: string }[];
  /** This run's targets (value and PASS/FAIL/SKIP). */
  targets: TargetOutcome[];
}

/** Everything measured under one Node version. */
export interface NodeReport {
  /** Major asked for. */
  major: string;
  /** `v22.23.5`. */
  node: string;
  /** Every run, raw. */
  runs: RunRecord[];
  /** Medians and spreads over the runs. */
  summary: Summary;
}

/** Node flags of every child, whatever binary: tsx is resolved from the repository, so a node outside it finds the same one. */
function childFlags(): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--conditions=@netmem/source', '--import', tsx, '--expose-gc'];
}

/** The binaries for `majors` (the running node when empty); exits 2 naming a major that cannot be had. */
function resolveNodes(majors: readonly string[]): { major: string; version: string; node: ChildNode }[] {
  const flags = childFlags();
  const own = process.versions.node.split('.')[0];
  return (majors.length === 0 ? [own] : majors).map((major) => {
    const n = nodeFor(major);
    if ('error' in n) {
      console.error(`bench: node ${major}: ${n.error}`);
      process.exit(2);
    }
    return { major, version: `v${n.version}`, node: { bin: n.bin, execArgv: flags } };
  });
}

/**
 * Runs, summarises, prints and (with `json`) writes the repeated runs.
 * Returns the exit status: 1 when a child crashed or a path check failed,
 * else 0 (a missed target never counts).
 */
export function runRepeated(opts: RepeatOptions): number {
  // Every binary first: a major that cannot be had shows up before the first long run.
  const nodes = resolveNodes(opts.majors);
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `netmem benchmarks — ${opts.repeat} run${opts.repeat === 1 ? '' : 's'} of every group, each in a fresh process, under node ${nodes.map((n) => n.version).join(', ')}; ${cpu} × ${os.cpus().length}`,
  );
  console.log(`${opts.ops} ops/round, ${opts.warmupRounds} warm-up + ${opts.rounds} timed rounds, median ns/op per run; GC between cases: yes`);

  const runs: RunRecord[][] = nodes.map(() => []);
  const total = opts.repeat * nodes.length * opts.groups.length;
  let done = 0;
  let checksum = 0;
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netmem-bench-'));
  try {
    // Runs interleave (run 1 of every version and group, then run 2, ...) so a
    // slow minute of the shared machine spreads over all rather than hitting
    // every run of one group or one version.
    for (let run = 1; run <= opts.repeat; run++) {
      nodes.forEach((n, ni) => {
        const groups: GroupRun[] = [];
        for (const group of opts.groups) {
          const t0 = Date.now();
          const out = runGroupInChild(n.node, group, opts, opts.filter, path.join(dir, `${n.major}-${run}-${group}.json`));
          const seconds = (Date.now() - t0) / 1000;
          done++;
          const what = 'error' in out ? `crashed: ${out.error}` : `${seconds.toFixed(1)} s`;
          console.error(`  [${done}/${total}] node ${n.version}  run ${run}/${opts.repeat}  ${group}  ${what}`);
          if ('error' in out) groups.push({ group, seconds, results: [], sink: 0, error: out.error });
          else {
            groups.push({ group, seconds, results: out.results, sink: out.sink });
            checksum = (checksum + out.sink) | 0;
          }
        }
        const results = groups.flatMap((g) => g.results);
        runs[ni].push({ run, groups, ratios: ratios(results), targets: evaluateTargets(results) });
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;

  const reports: NodeReport[] = nodes.map((n, ni) => ({
    major: n.major,
    node: n.version,
    runs: runs[ni],
    summary: summarize(runs[ni].map((r) => r.groups.flatMap((g) => g.results))),
  }));
  for (const r of reports) console.log(`\n${nodeReportLines(r.node, r.summary).join('\n')}`);
  if (reports.length > 1) {
    const cross = crossVersionLines(reports.map((r) => ({ version: r.node, summary: r.summary })));
    if (cross.length > 0) console.log(`\n${cross.join('\n')}`);
  }
  console.log(`\n${total} group processes in ${seconds.toFixed(1)} s (checksum ${checksum >>> 0})`);

  if (opts.json) {
    const out = {
      cpu,
      cpus: os.cpus().length,
      options: { ops: opts.ops, warmupRounds: opts.warmupRounds, rounds: opts.rounds, repeat: opts.repeat, filter: opts.filter, gcBetweenCases: true },
      nodes: reports,
    };
    writeFileSync(opts.json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${opts.json}`);
  }

  let status = 0;
  const crashed = reports.flatMap((r) => r.runs.flatMap((run) => run.groups.filter((g) => g.error).map((g) => `node ${r.node} run ${run.run}: ${g.error}`)));
  if (crashed.length > 0) {
    console.error(
      `\nbench: ${crashed.length} group process${crashed.length === 1 ? '' : 'es'} crashed (their cases are missing from those runs):\n  ${crashed.join('\n  ')}`,
    );
    status = 1;
  }
  const failed = reports.flatMap((r) => r.summary.cases.filter((c) => c.failedChecks > 0).map((c) => `${c.name} (node ${r.node})`));
  if (failed.length > 0) {
    console.error(`\nbench: path check failed for ${failed.join(', ')}: these numbers do not measure what they claim`);
    status = 1;
  }
  return status;
}
