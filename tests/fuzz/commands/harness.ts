/** The calling conventions every command uses: well-formed calls (`good`), malformed variants (`runBad`, `numVariants`, `forged`) and the coverage counters. */
import type { DmaDevice } from '@netmem/core';
import { staleHandleOf } from '@netmem/core/testing';
import { FuzzFailure, HangError, hex, isLibError, type World } from '../world.js';

/** A malformed value, passed where the types say something else. */
export const X = (v: unknown): never => v as never;

export const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);

/** Bad-argument tags skipped in local exploration (FUZZ_SKIP=tag,tag: substring match). Committed runs skip nothing. */
let skipList: string[] = [];
export function setSkips(list: readonly string[]): void {
  skipList = list.filter((s) => s.length > 0);
}
export const skipped = (tag: string): boolean => skipList.some((s) => tag.includes(s));

// ---- calling conventions -----------------------------------------------------

export type Result<T> = { ok: true; value: T } | { ok: false; code: string };

/** A well-formed call: succeeds, or throws a NetmemError (a legitimate refusal). Anything else is a failure. */
/** How often each call succeeded or was refused (by errno), for a coverage summary. */
export const coverage = new Map<string, number>();
export function cov(key: string, n = 1): void {
  coverage.set(key, (coverage.get(key) ?? 0) + n);
}

export function good<T>(w: World, label: string, fn: () => T): Result<T> {
  w.log(label);
  const key = label
    .replace(/\(.*$/s, '')
    .replace(/#\d+/g, '#')
    .replace(/\bfz\d+/g, 'fz')
    .replace(/^\[in napi\] /, '');
  try {
    const value = w.guarded(fn);
    cov(`${key} ok`);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof HangError) throw new FuzzFailure(`${label}: ${e.message}`);
    if (e instanceof FuzzFailure) throw e;
    if (!isLibError(e)) throw new FuzzFailure(`${label}: a well-formed call threw ${describeError(e)}`);
    const code = (e as { code: string }).code;
    cov(`${key} ${code}`);
    w.log(`  -> ${code}`);
    return { ok: false, code };
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}

export interface BadOpts {
  /** A benign answer that is accepted instead of a throw (e.g. 0 for "none"). */
  accept?: (v: unknown) => boolean;
  /** Compare only the live state (the call may legitimately build and tear down something first). */
  loose?: boolean;
  /** Raw DMA-API misuse on this device may be recorded as an IOMMU fault instead of thrown. */
  faultDev?: DmaDevice;
}

/** One malformed variant: a tag (known defect ids in brackets) and the call, or null when it does not apply now. */
export type Variant = [tag: string, build: () => (() => unknown) | null, opts?: BadOpts];

/**
 * Runs variant number `idx` (modulo; the next applicable one when it does
 * not apply or is skipped) and checks it was refused and changed nothing.
 * Returns false when no variant applied.
 */
export function runBad(w: World, where: string, idx: number, variants: readonly Variant[]): boolean {
  for (let k = 0; k < variants.length; k++) {
    const [tag, build, opts = {}] = variants[(idx + k) % variants.length];
    if (skipped(tag)) continue;
    const fn = build();
    if (fn === null) continue;
    expectRefused(w, `${where} [bad: ${tag}]`, fn, opts);
    cov('malformed calls refused');
    return true;
  }
  return false;
}

function expectRefused(w: World, label: string, fn: () => unknown, opts: BadOpts): void {
  w.log(label);
  const strict = !opts.loose;
  const before = w.observe(strict);
  const faultsBefore = opts.faultDev?.faultCount ?? 0;
  let threw = false;
  try {
    const v = w.guarded(fn);
    if (!(opts.accept?.(v) ?? false) && !(opts.faultDev && opts.faultDev.faultCount > faultsBefore)) {
      throw new FuzzFailure(`${label}: a malformed call did not throw (returned ${show(v)})`);
    }
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    if (e instanceof HangError) throw new FuzzFailure(`${label}: hang: ${e.message}`);
    if (!isLibError(e)) throw new FuzzFailure(`${label}: a malformed call threw ${describeError(e)} instead of a NetmemError`);
    threw = true;
    w.log(`  -> ${(e as { code: string }).code}`);
  }
  const after = w.observe(strict);
  if (opts.faultDev) {
    for (const s of [before, after]) for (const d of s.devices as Record<string, unknown>[]) if (d.name === opts.faultDev.name) delete d.faults;
  }
  const diff = diffPaths(before, after);
  if (diff.length) throw new FuzzFailure(`${label}: the ${threw ? 'refused' : 'answered'} call changed state:\n  ${diff.slice(0, 12).join('\n  ')}`);
}

function show(v: unknown): string {
  if (typeof v === 'number') return hex(v);
  if (v instanceof Uint8Array) return `a Uint8Array(${v.length})`;
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 120)}…` : s;
  } catch {
    return String(v);
  }
}

/** Paths where two snapshots differ, with both values. */
function diffPaths(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (out.length > 20) return out;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    return out;
  }
  if (!Object.is(a, b)) out.push(`${path}: ${show(a)} -> ${show(b)}`);
  return out;
}

/** The usual malformed numbers. */
const NUMS: readonly [string, unknown][] = [
  ['nan', NaN],
  ['neg', -1],
  ['frac', 1.5],
  ['2^32', 2 ** 32],
  ['str', '7'],
  ['undef', undefined],
  ['null', null],
  ['obj', {}],
  ['inf', Infinity],
];

/** Variants that pass each malformed number to `call`. */
export function numVariants(
  prefix: string,
  call: ((v: unknown) => unknown) | null,
  skip: readonly string[] = [],
  opts?: BadOpts,
  known: Record<string, string> = {},
): Variant[] {
  return NUMS.filter(([n]) => !skip.includes(n)).map(
    ([n, v]): Variant => [`${prefix}.${n}${known[n] ? `[${known[n]}]` : ''}`, () => (call ? () => call(v) : null), opts],
  );
}

/** Forged forms of a handle the user holds: each names the same buffer or a neighbour, and none may be accepted. */
export function forged(
  w: World,
  prefix: string,
  nm: number | undefined,
  call: (h: unknown) => unknown,
  known: Record<string, string> = {},
  opts?: BadOpts,
): Variant[] {
  const v = (name: string, f: (n: number) => unknown, when = true): Variant => [
    `${prefix}.${name}${known[name] ? `[${known[name]}]` : ''}`,
    () => (nm === undefined || nm === 0 || !when ? null : () => call(f(nm))),
    opts,
  ];
  return [
    v('xor1', (n) => n ^ 1),
    v('or1', (n) => n | 1, nm !== undefined && (nm & 1) === 0),
    v('plus2^32', (n) => n + 2 ** 32),
    v('plushalf', (n) => n + 0.5),
    v('string', (n) => String(n)),
    v('negated', (n) => -n),
    v('stale', (n) => staleHandleOf(n), w.cfg.checked),
    [`${prefix}.zero`, () => () => call(0), opts],
    ...numVariants(`${prefix}.handle`, call, ['neg', 'inf'], opts),
  ];
}
