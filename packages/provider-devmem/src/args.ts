/**
 * Argument checks shared by the package's entry points (all errors through
 * the package's error scope): the kinds of objects the kernel would find
 * behind a file descriptor or a pointer, and the kernel's unsigned integer
 * widths. Each check runs before its caller changes anything.
 */
import { MemoryDomain, TcpSocket } from '@netmem/core';
import { E } from './errors.js';

/** Largest u32. */
export const U32_MAX = 0xffffffff;

/** True when `v` is an integer 0..2^32-1 (a valid u32). */
export function isU32(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v;
}

/** `v` when it is a u32; otherwise EINVAL naming `name`. */
export function u32(v: unknown, name: string): number {
  if (!isU32(v)) E.expected(`${name} must be an integer 0..${U32_MAX}`, v);
  return v;
}

/** `sk` when it is a socket; otherwise EBADF (what the kernel answers for a descriptor that is not a socket of the right kind). */
export function socketArg(sk: unknown, what: string): TcpSocket {
  if (!(sk instanceof TcpSocket)) E.expected(`${what} needs a socket`, sk, 'EBADF');
  return sk;
}

/** `domain` when it is a memory domain; otherwise EINVAL. */
export function domainArg(domain: unknown, what: string): MemoryDomain {
  if (!(domain instanceof MemoryDomain)) E.expected(`${what} needs a MemoryDomain`, domain);
  return domain;
}

/** `fn` when it is a function; otherwise EINVAL. */
export function fnArg<F extends (...a: never[]) => unknown>(fn: unknown, what: string): F {
  if (typeof fn !== 'function') E.expected(`${what} needs a function`, fn);
  return fn as F;
}
