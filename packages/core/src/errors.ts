/**
 * Kernel errno numbers for the error codes netmem raises. Only the names the
 * modelled subsystem uses are listed; the values are Linux's (asm-generic).
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENODATA: 61,
  ENETDOWN: 100,
  EOPNOTSUPP: 95,
  ENOTCONN: 107,
  EALREADY: 114,
  ESTALE: 116,
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
