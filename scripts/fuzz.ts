/**
 * Long fuzzing runs outside vitest: the same commands, oracles and teardown
 * as tests/fuzz/*.test.ts, for as many steps as asked.
 *
 *   npm run fuzz -- --steps 1000000 --seed 42
 *   npm run fuzz -- --profile devmem --steps 200000
 *   npm run fuzz -- --profile zcrx --seed 1234 --path 17:3:0:2      # replay a reported counterexample
 *
 * Options: --steps N (default 100000), --seed S (default: random, printed),
 * --profile pools|rx|devmem|zcrx|mixed|all (default all: the profiles take
 * turns), --runs R fast-check runs per chunk (default 50), --max-commands M
 * (default 150, as the vitest suites, so a seed/path replays in either),
 * --path P (with --seed and one --profile: replay one counterexample).
 * --explore lists distinct failures (each failing malformed-argument family
 * is skipped and the chunk re-run). FUZZ_SKIP=tag,tag skips
 * malformed-argument variants whose tag contains one of the strings.
 *
 * Chunk k of a run uses seed S + k; a failure prints the chunk's seed and
 * fast-check's path as a command line that replays it, here and in vitest.
 */
import fc from 'fast-check';
import { coverage } from '../tests/fuzz/commands.js';
import { PROFILES, fuzzProperty, stats, type Profile } from '../tests/fuzz/fuzz.js';

interface Args {
  steps: number;
  seed: number;
  profiles: Profile[];
  runs: number;
  maxCommands: number;
  path?: string;
  verbose: boolean;
  explore: boolean;
}

function usage(msg: string): never {
  console.error(
    `fuzz: ${msg}\nusage: npm run fuzz -- [--steps N] [--seed S] [--profile ${PROFILES.join('|')}|all] [--runs R] [--max-commands M] [--path P] [--explore] [--verbose]`,
  );
  process.exit(2);
}

function parse(argv: string[]): Args {
  const a: Args = {
    steps: 100_000,
    seed: (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0,
    profiles: [...PROFILES],
    runs: 50,
    maxCommands: 150,
    verbose: false,
    explore: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (v === undefined || !Number.isSafeInteger(n) || n < 0) usage(`${k} needs a non-negative integer, got ${v}`);
      i++;
      return n;
    };
    if (k === '--steps') a.steps = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--runs') a.runs = Math.max(1, num());
    else if (k === '--max-commands') a.maxCommands = Math.max(1, num());
    else if (k === '--path') {
      if (!v) usage('--path needs a value');
      a.path = v;
      i++;
    } else if (k === '--profile') {
      if (v === 'all') a.profiles = [...PROFILES];
      else if ((PROFILES as readonly string[]).includes(v)) a.profiles = [v as Profile];
      else usage(`unknown profile ${v}`);
      i++;
    } else if (k === '--verbose') a.verbose = true;
    else if (k === '--explore') a.explore = true;
    else usage(`unknown option ${k}`);
  }
  if (a.path !== undefined && a.profiles.length !== 1) usage('--path replays one counterexample: give its --profile too');
  return a;
}

function replayLine(profile: Profile, seed: number, path: string | null, maxCommands: number): string {
  const p = path ? ` --path ${path}` : '';
  const mc = maxCommands !== 150 ? ` --max-commands ${maxCommands}` : '';
  const vitest =
    maxCommands === 150 ? `\n  FC_SEED=${seed}${path ? ` FC_PATH=${path}` : ''} npx vitest run --project integration tests/fuzz/${profile}.test.ts` : '';
  return `  npm run fuzz -- --profile ${profile} --seed ${seed}${p}${mc}${vitest}`;
}

/**
 * --explore: list distinct failures instead of stopping at the first. Each
 * failing malformed-argument family (the tag up to its last dot) is added
 * to FUZZ_SKIP and the chunk re-run, until a chunk passes or a failure is
 * not a malformed-argument one. For triage while known defects are open.
 */
function explore(args: Args): void {
  const skips = (process.env.FUZZ_SKIP ?? '').split(',').filter(Boolean);
  for (const profile of args.profiles) {
    for (let round = 0; round < 200; round++) {
      process.env.FUZZ_SKIP = skips.join(',');
      const r = fc.check(fuzzProperty(profile, args.maxCommands), { seed: args.seed, numRuns: args.runs });
      if (!r.failed) {
        console.log(`${profile}: no further failure (seed ${args.seed}); skipped: ${skips.join(',') || 'nothing'}`);
        break;
      }
      const msg = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
      const first = msg.split('\n')[0];
      const calls = (msg.split('API calls of this run ---\n')[1] ?? '').split('\n').filter((l) => !l.includes('teardown:'));
      console.log(`\n[${profile}] ${first}\n${calls.slice(-10).join('\n')}\n${replayLine(profile, args.seed, r.counterexamplePath, args.maxCommands)}`);
      const m = /\[bad: ([^\]\s]+)/.exec(first);
      if (!m) {
        console.log(`${profile}: a failure that is not a malformed argument; stopping this profile`);
        break;
      }
      const tag = m[1];
      skips.push(tag.includes('.') ? tag.slice(0, tag.lastIndexOf('.') + 1) : tag);
    }
  }
}

function main(): void {
  const args = parse(process.argv.slice(2));
  if (args.explore) return explore(args);
  const t0 = performance.now();
  const skip = process.env.FUZZ_SKIP ? ` (FUZZ_SKIP=${process.env.FUZZ_SKIP})` : '';
  console.log(
    `fuzz: seed ${args.seed}, ${args.steps} steps, profiles ${args.profiles.join(',')}, ${args.runs} runs of up to ${args.maxCommands} commands per chunk${skip}`,
  );
  let lastReport = 0;
  for (let chunk = 0; ; chunk++) {
    const profile = args.profiles[chunk % args.profiles.length];
    const seed = (args.seed + chunk) >>> 0;
    // A failing chunk shrinks its counterexample; 10 minutes of that is plenty (the seed and path replay it either way).
    const r = fc.check(fuzzProperty(profile, args.maxCommands), {
      seed,
      numRuns: args.runs,
      ...(args.path ? { path: args.path } : {}),
      plugins: [fc.interruptAfterTimeLimit(600_000)],
    });
    const secs = (performance.now() - t0) / 1000;
    if (r.failed) {
      const err = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
      console.log(
        `\nFAILED in profile ${profile}, chunk ${chunk} (seed ${seed}) after ${stats.steps} steps, ${secs.toFixed(1)} s; shrunk ${r.numShrinks} times`,
      );
      console.log(err);
      console.log(`\ncounterexample: ${JSON.stringify(r.counterexample)}`);
      console.log(`\nreplay:\n${replayLine(profile, seed, r.counterexamplePath, args.maxCommands)}`);
      process.exitCode = 1;
      return;
    }
    if (args.path !== undefined) {
      console.log(`replayed ${profile} seed ${seed} path ${args.path}: no failure`);
      return;
    }
    if (secs - lastReport >= 5 || stats.steps >= args.steps) {
      lastReport = secs;
      console.log(
        `  ${stats.steps} steps, ${stats.runs} runs, ${stats.badCalls} malformed calls, ${secs.toFixed(1)} s (${Math.round(stats.steps / secs)} steps/s); last chunk ${profile} seed ${seed}`,
      );
    }
    if (stats.steps >= args.steps) break;
  }
  console.log(`fuzz: no failure in ${stats.steps} steps (seed ${args.seed}), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (args.verbose)
    console.log(
      [...coverage]
        .sort()
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n'),
    );
}

main();
