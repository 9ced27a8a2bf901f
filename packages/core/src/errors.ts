/**
 * Kernel errno numbers for the error codes netmem raises. Only the names the
 * modelled subsystem uses are listed; the values are Linux's (asm-generic).
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

/** The errno name carried by a {@link NetmemError}. */
export type ErrnoCode = keyof typeof ERRNO;

/**
 * The one error type netmem throws. `code` is the kernel errno name and
 * `errno` the negative number the kernel would return.
 */
export class NetmemError extends Error {
  /** Kernel errno name, e.g. `EINVAL`. */
  readonly code: ErrnoCode;
  /** Negative errno, e.g. `-22`. */
  readonly errno: number;

  constructor(code: ErrnoCode, message: string) {
    super(`netmem: ${message} (${code})`);
    this.name = 'NetmemError';
    this.code = code;
    this.errno = -ERRNO[code];
  }
}

/** Throws a {@link NetmemError}; a helper so call sites stay one line. */
export function fail(code: ErrnoCode, message: string): never {
  throw new NetmemError(code, message);
}

/** True when `e` is a {@link NetmemError}, optionally with the given code. */
export function isNetmemError(e: unknown, code?: ErrnoCode): e is NetmemError {
  return e instanceof NetmemError && (code === undefined || e.code === code);
}

/**
 * The errno name a call throws, or `'no error'` when it returns: for tests
 * that assert exact codes. A throw that is not a NetmemError is re-thrown.
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
