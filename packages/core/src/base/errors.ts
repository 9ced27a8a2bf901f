/**
 * The one error type of netmem and the one helper that makes every error.
 * An error names its package (`netmem:`, `provider-devmem:`, ...), carries
 * the kernel errno name as `code` and the negative number as `errno`, and
 * its message says what was expected and what was given.
 *
 * Errors are branded with a registry symbol, so {@link isNetmemError} and
 * `instanceof NetmemError` recognise an error thrown by a second copy of
 * this package (an ESM and a CJS copy can meet in one process).
 */

/**
 * Kernel errno numbers for the error codes netmem raises. Only the names the
 * modelled subsystem uses are listed; the values are Linux's (asm-generic).
 * @category Errors
 */
export const ERRNO = {
  /** Operation not permitted. */
  EPERM: 1,
  /** No such entry. */
  ENOENT: 2,
  /** I/O error. */
  EIO: 5,
  /** No such device or address. */
  ENXIO: 6,
  /** Argument too big. */
  E2BIG: 7,
  /** Bad file descriptor (wrong socket kind). */
  EBADF: 9,
  /** Try again. */
  EAGAIN: 11,
  /** Out of memory. */
  ENOMEM: 12,
  /** Bad address (unreadable memory). */
  EFAULT: 14,
  /** Resource busy. */
  EBUSY: 16,
  /** Already exists. */
  EEXIST: 17,
  /** No such device. */
  ENODEV: 19,
  /** Invalid argument. */
  EINVAL: 22,
  /** No space left (CQ full). */
  ENOSPC: 28,
  /** Out of range. */
  ERANGE: 34,
  /** No data (driver ignored the provider). */
  ENODATA: 61,
  /** Protocol not supported (RECV_ZC on a non-TCP socket). */
  EPROTONOSUPPORT: 93,
  /** Operation not supported. */
  EOPNOTSUPP: 95,
  /** Network is down. */
  ENETDOWN: 100,
  /** Not connected. */
  ENOTCONN: 107,
  /** Already done (double free). */
  EALREADY: 114,
  /** Stale handle. */
  ESTALE: 116,
  /** Operation canceled. */
  ECANCELED: 125,
} as const;

/**
 * The errno name carried by a {@link NetmemError}.
 * @category Errors
 */
export type ErrnoCode = keyof typeof ERRNO;

/** The brand every NetmemError carries, shared by every copy of the package. */
const BRAND: unique symbol = Symbol.for('@netmem/core.NetmemError') as never;

/**
 * The one error type netmem throws. `code` is the kernel errno name and
 * `errno` the negative number the kernel would return; the message starts
 * with the package that raised it.
 * @category Errors
 */
export class NetmemError extends Error {
  /** Kernel errno name, e.g. `EINVAL`. */
  readonly code: ErrnoCode;
  /** Negative errno, e.g. `-22`. */
  readonly errno: number;
  /** The package that raised it, e.g. `netmem` or `provider-devmem`. */
  readonly scope: string;
  /** The message without the package prefix and the code. */
  readonly detail: string;
  /** Marks errors of every copy of this package (see {@link isNetmemError}). */
  declare readonly [BRAND]: true;

  constructor(code: ErrnoCode, message: string, scope = 'netmem') {
    super(`${scope}: ${message} (${code})`);
    this.name = 'NetmemError';
    this.code = code;
    this.errno = -ERRNO[code];
    this.scope = scope;
    this.detail = message;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `instanceof` also recognises errors of another copy of this package (they carry the brand). */
  static override [Symbol.hasInstance](e: unknown): boolean {
    return typeof e === 'object' && e !== null && (e as { [BRAND]?: boolean })[BRAND] === true;
  }
}

/**
 * True when `e` is a {@link NetmemError} (of any copy of the package), optionally with the given code.
 * @category Errors
 */
export function isNetmemError(e: unknown, code?: ErrnoCode): e is NetmemError {
  return e instanceof NetmemError && (code === undefined || e.code === code);
}

/**
 * How a value reads in an error message: strings quoted, the type named, so
 * `"1024" (string)` and `1024` are told apart.
 */
export function show(v: unknown): string {
  if (typeof v === 'string') return `${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)} (string)`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'bigint') return `${String(v)}${typeof v === 'bigint' ? ' (bigint)' : ''}`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Throws a `netmem:` {@link NetmemError}; a helper so call sites stay one line. */
export function fail(code: ErrnoCode, message: string): never {
  throw new NetmemError(code, message);
}

/**
 * The errno name a call throws, or `'no error'` when it returns: for tests
 * that assert exact codes. A throw that is not a NetmemError is re-thrown.
 * @category Errors
 */
export function errnoOf(fn: () => unknown): ErrnoCode | 'no error' {
  try {
    fn();
  } catch (e) {
    if (e instanceof NetmemError) return e.code;
    throw e;
  }
  return 'no error';
}
