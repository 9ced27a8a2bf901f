/**
 * Argument checks shared by the package's entry points (all errors through
 * the package's error scope): the kinds of objects the kernel would find
 * behind a file descriptor or a pointer, and the kernel's unsigned integer
 * widths. Each check runs before its caller changes anything.
 */
import { DmaDevice, Dmabuf, MemoryDomain, NetDevice, TcpSocket } from '@netmem/core';
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

/** True when `nm` can be a netmem handle (a non-negative int32): one cheap test before a table lookup. */
export function isHandle(nm: unknown): nm is number {
  return typeof nm === 'number' && (nm | 0) === nm && nm >= 0;
}

/**
 * Options for {@link createBinding}.
 * @category Binding
 */
export interface BindingOptions {
  /** The netdev the binding serves (bind-rx sets it; a bare binding has none). */
  netdev?: NetDevice | null;
}

/** {@link createBinding}'s argument checks (the constructor runs them first). */
export function checkBindingArgs(domain: MemoryDomain, dev: DmaDevice, dmabuf: Dmabuf, opts: BindingOptions): void {
  domainArg(domain, 'createBinding');
  if (!(dev instanceof DmaDevice)) E.expected('createBinding needs a DmaDevice', dev);
  if (!domain.ownsDevice(dev)) E.fail('EINVAL', `createBinding needs a device of the binding's domain, got ${dev.name}, made by another domain`);
  if (!(dmabuf instanceof Dmabuf)) E.expected('createBinding needs a Dmabuf', dmabuf);
  E.options(opts, 'createBinding', ['netdev'], false);
  const nd = opts.netdev;
  if (nd !== undefined && nd !== null) {
    if (!(nd instanceof NetDevice)) E.expected('createBinding netdev must be a NetDevice or null', nd);
    if (nd.dev !== dev) E.fail('EINVAL', `createBinding netdev must sit on ${dev.name}, got ${nd.name} on ${nd.dev?.name ?? 'no DMA device'}`);
  }
  if (dev.removed) E.fail('ENODEV', `createBinding needs a present device, got ${dev.name}, which was removed`);
}
