/**
 * The fuzzer's driver, shared by the vitest files (tests/fuzz/*.test.ts)
 * and the long-run script (scripts/fuzz.ts): fast-check draws a world
 * configuration and a list of commands for a profile; one run builds the
 * world, runs every command with the per-step checks, and tears everything
 * down. fast-check shrinks a failing list to a minimal one; the failure
 * message ends with the API calls that run made, a reproduction in
 * public-API terms.
 *
 * Replay: FC_SEED and FC_PATH (printed by fast-check on failure) replay a
 * counterexample; FUZZ_SKIP=tag,tag skips malformed-argument variants whose
 * tag contains one of the strings (for exploring past a known defect
 * locally; committed runs skip nothing).
 */
import fc from 'fast-check';
import type { DmaTracking } from '@netmem/core';
import { KINDS, setSkips, step, type Cmd, type Kind } from './commands.js';
import { FuzzFailure, World, type WorldConfig } from './world.js';

export const PROFILES = ['pools', 'rx', 'devmem', 'zcrx', 'mixed'] as const;
export type Profile = (typeof PROFILES)[number];

/** Command weights per profile: [pools, rx, devmem, zcrx, mixed]. */
const WEIGHTS: Record<Kind, readonly [number, number, number, number, number]> = {
  'pool.create': [8, 2, 1, 0, 4],
  'pool.alloc': [40, 4, 1, 0, 12],
  'pool.put': [32, 4, 1, 0, 10],
  'pool.bulk': [6, 0, 0, 0, 2],
  'pool.ref': [8, 0, 0, 0, 2],
  'pool.destroy': [4, 0, 1, 0, 2],
  'pool.devRemove': [2, 0, 0, 0, 1],
  'pool.bytes': [6, 0, 0, 0, 2],
  'pool.nid': [2, 0, 0, 0, 1],
  'pool.introspect': [2, 2, 1, 1, 2],
  'page.alloc': [8, 2, 0, 0, 4],
  'page.get': [6, 0, 0, 0, 2],
  'page.put': [8, 2, 0, 0, 4],
  'page.bytes': [4, 0, 0, 0, 2],
  dma: [6, 0, 0, 0, 2],
  'nd.create': [0, 4, 2, 2, 2],
  'nd.receive': [0, 40, 36, 36, 20],
  'nd.updown': [0, 4, 2, 2, 2],
  'nd.config': [0, 4, 2, 2, 2],
  'nd.unregister': [0, 2, 1, 1, 1],
  'nd.devRemove': [0, 2, 1, 1, 1],
  'sk.create': [0, 4, 2, 2, 2],
  'sk.recv': [0, 20, 6, 6, 8],
  'sk.close': [0, 4, 2, 2, 2],
  'sk.clone': [0, 8, 2, 2, 4],
  'clone.free': [0, 6, 2, 2, 2],
  'dm.nl': [0, 0, 2, 0, 1],
  'dm.bind': [0, 0, 8, 0, 4],
  'dm.recv': [0, 0, 20, 0, 6],
  'dm.dontneed': [0, 0, 16, 0, 6],
  'dm.unbind': [0, 0, 3, 0, 2],
  'zc.setup': [0, 0, 0, 8, 4],
  'zc.recv': [0, 0, 0, 24, 6],
  'zc.refill': [0, 0, 0, 20, 6],
  'zc.exit': [0, 0, 0, 2, 1],
  clock: [4, 4, 4, 4, 4],
};

/** One command of `profile`: about one in five carries a malformed argument. */
export function commandArb(profile: Profile): fc.Arbitrary<Cmd> {
  const col = PROFILES.indexOf(profile);
  const kinds = KINDS.filter((k) => WEIGHTS[k][col] > 0).map((k) => ({ weight: WEIGHTS[k][col], arbitrary: fc.constant(k) }));
  const n = fc.nat({ max: 0xffff });
  return fc.record({
    t: fc.oneof(...kinds),
    a: n,
    b: n,
    c: n,
    bad: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff }) }),
  });
}

/** A world configuration; the devmem and zcrx profiles start with their provider bound. */
export function configArb(profile: Profile): fc.Arbitrary<WorldConfig> {
  const preset =
    profile === 'devmem'
      ? fc.constant('devmem' as const)
      : profile === 'zcrx'
        ? fc.constant('zcrx' as const)
        : profile === 'mixed'
          ? fc.constantFrom('none' as const, 'both' as const)
          : fc.constant('none' as const);
  return fc.record({
    checked: fc.boolean(),
    numa: fc.constantFrom(1, 2),
    bulk: fc.constantFrom(4, 8, 16),
    tracking: fc.constantFrom<DmaTracking>('xarray', 'item-block', 'xarray'),
    coalesce: fc.boolean(),
    preset,
  });
}

/** Counters of what the fuzzer did (read by the tests and the script). */
export const stats = { runs: 0, steps: 0, badCalls: 0 };

/** The last N API calls of a run, for a failure report. */
function traceTail(w: World, n = 120): string {
  const t = w.trace;
  const head = t.length > n ? [`… ${t.length - n} earlier calls …`] : [];
  return [...head, ...t.slice(-n)].join('\n  ');
}

/** One run: a fresh world, every command, the teardown. Throws FuzzFailure (with the calls made) on any violation. */
export function runOne(cfg: WorldConfig, cmds: readonly Cmd[]): void {
  stats.runs++;
  const w = new World(cfg);
  try {
    w.checkAll('after setup');
    for (const c of cmds) {
      step(w, c);
      stats.steps++;
      if (c.bad >= 0) stats.badCalls++;
    }
    w.teardown();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const kind = e instanceof FuzzFailure ? '' : `${(e as Error)?.name ?? 'error'} from the harness: `;
    throw new FuzzFailure(`${kind}${msg}\n--- config ${JSON.stringify(cfg)}; API calls of this run ---\n  ${traceTail(w)}`);
  }
}

/** The property: any configuration and command list of `profile` keeps every oracle. */
export function fuzzProperty(profile: Profile, maxCommands: number): fc.IPropertyWithHooks<[WorldConfig, Cmd[]]> {
  setSkips((process.env.FUZZ_SKIP ?? '').split(','));
  return fc.property(configArb(profile), fc.array(commandArb(profile), { minLength: 1, maxLength: maxCommands, size: 'max' }), (cfg, cmds) => {
    runOne(cfg, cmds);
  });
}

/** FC_SEED / FC_PATH replay a reported counterexample. */
export function replayParams(): { seed?: number; path?: string } {
  const seed = process.env.FC_SEED;
  if (seed === undefined || seed === '') return {};
  return process.env.FC_PATH ? { seed: Number(seed), path: process.env.FC_PATH } : { seed: Number(seed) };
}
