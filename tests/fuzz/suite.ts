/**
 * One vitest suite per fuzzer profile (each profile in its own file, so a
 * crash in one — an out-of-memory on a malformed size, say — does not hide
 * the others, and the files run in parallel).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverage } from './commands.js';
import { fuzzProperty, replayParams, stats, type Profile } from './fuzz.js';

/** The seed each profile runs with in the test suite (any fixed value: what matters is that a run repeats). */
const FIXED_SEEDS: Record<Profile, number> = { pools: 101, rx: 202, devmem: 303, zcrx: 404, mixed: 505 };

/** Longest command list per run (the script uses the same, so FC_SEED/FC_PATH replay across both). */
export const MAX_COMMANDS = 150;

/**
 * Registers the suite for `profile`: `runs` fast-check runs of up to
 * MAX_COMMANDS commands, at least `minSteps` commands in all (the five
 * files together run well over 10,000 steps). FC_SEED / FC_PATH replay a
 * counterexample.
 */
export function fuzzSuite(profile: Profile, runs: number, minSteps: number, what: string): void {
  describe(`public-API fuzzer: ${profile}`, () => {
    it(`${what}: malformed arguments are refused with a NetmemError and change nothing; SPEC §9 holds after every step; teardown leaves the domain empty`, () => {
      const replay = replayParams();
      // The test suite is reproducible: a fixed seed per profile unless FC_SEED replays or FUZZ_RANDOM=1 explores
      // (`npm run fuzz` explores with fresh seeds).
      const seed = replay.seed ?? (process.env.FUZZ_RANDOM === '1' ? undefined : FIXED_SEEDS[profile]);
      const steps0 = stats.steps;
      const t0 = performance.now();
      fc.assert(fuzzProperty(profile, MAX_COMMANDS), { numRuns: runs, ...replay, seed, plugins: [fc.interruptAfterTimeLimit(90_000)] });
      const steps = stats.steps - steps0;
      if (process.env.FUZZ_VERBOSE) {
        console.log(`fuzz ${profile}: ${steps} steps, ${stats.badCalls} malformed calls, ${(performance.now() - t0).toFixed(0)} ms`);
        console.log(
          [...coverage]
            .sort()
            .map(([k, v]) => `  ${k}: ${v}`)
            .join('\n'),
        );
      }
      if (replay.path === undefined) expect(steps).toBeGreaterThanOrEqual(minSteps);
    }, 180_000);
  });
}
