/**
 * Running one group of cases in a fresh Node process: the child is
 * bench/run.ts with `--group G --child FILE`, which runs the group's
 * selected cases and writes {@link ChildOutput} to FILE. Used by the single
 * run (bench/run.ts) and by `--repeat`/`--node` (bench/repeat.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchResult } from './types.js';

/** What a child process hands back. */
export interface ChildOutput {
  /** The group's selected cases, in run order. */
  results: BenchResult[];
  /** The harness's checksum of every run's result. */
  sink: number;
}

/** A node binary and the flags it runs bench/run.ts with. */
export interface ChildNode {
  /** Path of the node executable. */
  bin: string;
  /** Node flags before the script (`--conditions=@netmem/source --import tsx --expose-gc`). */
  execArgv: readonly string[];
}

const RUN_TS = fileURLToPath(new URL('./run.ts', import.meta.url));

/**
 * Runs the cases of `group` that `filter` selects in a fresh process of
 * `node`, writing its output to the file `out`. Returns that output, or
 * `{ error }` when the child did not exit cleanly (it crashed: a case that
 * throws is reported in its result, not here).
 */
export function runGroupInChild(node: ChildNode, group: string, opts: BenchOptions, filter: readonly string[], out: string): ChildOutput | { error: string } {
  const argv = [...node.execArgv, RUN_TS, '--group', group, '--child', out];
  argv.push('--ops', String(opts.ops), '--rounds', String(opts.rounds), '--warmup', String(opts.warmupRounds));
  if (filter.length > 0) argv.push('--filter', filter.join(','));
  const r = spawnSync(node.bin, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) return { error: `the ${group} group's process exited with ${r.status ?? r.signal ?? r.error?.message}` };
  return JSON.parse(readFileSync(out, 'utf8')) as ChildOutput;
}
