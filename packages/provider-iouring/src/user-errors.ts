/**
 * Errors of the user-space side (CqConsumer, RefillProducer, the worker
 * loop). That side imports nothing from @netmem/core, so a worker_thread
 * can load it alone; its errors are NetmemErrors all the same: core brands
 * every NetmemError with the registry symbol `@netmem/core.NetmemError`
 * (so that a second copy of core is recognised), and an error made here
 * carries that brand and the same fields, so `instanceof NetmemError`,
 * `isNetmemError` and `errnoOf` accept it. Its message reads like the
 * package's other errors: `provider-iouring: <what was expected>, got
 * <what came> (EINVAL)`.
 */

/** The brand core's NetmemError checks (see @netmem/core's errors). */
const BRAND = Symbol.for('@netmem/core.NetmemError');

/** The codes the user side raises, with Linux's numbers. */
const USER_ERRNO = { EINVAL: 22, EFAULT: 14 } as const;

/** An errno name the user side raises. */
export type UserErrnoCode = keyof typeof USER_ERRNO;

/** The fields a NetmemError carries. */
interface UserError extends Error {
  code: UserErrnoCode;
  errno: number;
  scope: string;
  detail: string;
}

/** How a value reads in a message (core's rules: strings quoted, types named). */
function show(v: unknown): string {
  if (typeof v === 'string') return `${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)} (string)`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v} (bigint)`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Throws a NetmemError (branded) saying `${what}, got ${got}`. */
export function userExpected(what: string, got: unknown, code: UserErrnoCode = 'EINVAL'): never {
  const detail = `${what}, got ${show(got)}`;
  const e = new Error(`provider-iouring: ${detail} (${code})`) as UserError;
  e.name = 'NetmemError';
  e.code = code;
  e.errno = -USER_ERRNO[code];
  e.scope = 'provider-iouring';
  e.detail = detail;
  Object.defineProperty(e, BRAND, { value: true });
  throw e;
}

/** True when `v` is an integer 0..2^32-1. */
export function isU32(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v;
}

/** True when `v` is a power of two 1..`max`. */
export function isPow2(v: unknown, max: number): v is number {
  return isU32(v) && v >= 1 && v <= max && (v & (v - 1)) === 0;
}
