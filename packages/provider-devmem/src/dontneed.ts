/**
 * setsockopt(SO_DEVMEM_DONTNEED) (sock_devmem_dontneed): the user gives
 * tokens back as {tokenStart, tokenCount} entries. At most 128 entries per
 * call; at most 1024 tokens are looked at per call (unknown or already
 * returned tokens count toward that limit but not toward the result, so a
 * bogus range cannot keep the kernel looping); each held token found drops
 * its pp reference. Returns the number of frags freed.
 */
import type { TcpSocket } from '@netmem/core';
import { socketArg, u32 } from './args.js';
import { E } from './errors.js';
import { DEVMEM_EXTENSION, type DevmemTokens } from './tokens.js';

/**
 * SO_DEVMEM_DONTNEED.
 * @category Socket API
 */
export const SO_DEVMEM_DONTNEED = 80;
/**
 * Most entries per call (MAX_DONTNEED_TOKENS).
 * @category Socket API
 */
export const MAX_DONTNEED_TOKENS = 128;
/**
 * Most tokens looked at per call (MAX_DONTNEED_FRAGS).
 * @category Socket API
 */
export const MAX_DONTNEED_FRAGS = 1024;
/** sizeof(int): the least optlen sk_setsockopt accepts. */
const INT_SIZE = 4;
/**
 * Bytes of one struct dmabuf_token {u32 token_start; u32 token_count}.
 * @category Socket API
 */
export const DMABUF_TOKEN_SIZE = 8;

/**
 * One DONTNEED entry.
 * @category Socket API
 */
export interface DmabufToken {
  /** First token. */
  tokenStart: number;
  /** Tokens from there. */
  tokenCount: number;
}

/**
 * SO_DEVMEM_DONTNEED with `optval` as u32 pairs [start, count, start,
 * count, ...] and `optlen` in bytes (default: all of `optval`). Errors, in
 * the kernel's order: not a socket or closed → EBADF (the fd lookup);
 * optlen below sizeof(int) → EINVAL and optval not a Uint32Array → EFAULT
 * (sk_setsockopt reads an int before dispatching); not a TCP socket →
 * EBADF; optlen not an integer, not a multiple of 8 or above 128 entries →
 * EINVAL; optlen past the end of optval → EFAULT (copy_from_sockptr).
 * Every check runs before a token is looked at.
 *
 * @example
 * ```ts
 * import type { TcpSocket } from '@netmem/core';
 * import { MAX_DONTNEED_TOKENS, setsockoptDontneed } from '@netmem/provider-devmem';
 *
 * const optval = new Uint32Array(2 * MAX_DONTNEED_TOKENS);   // [start, count] pairs, made once
 * // Gives back 1..128 tokens of one frag each; answers how many the socket let go of.
 * function giveBack(sk: TcpSocket, tokens: readonly number[]): number {
 *   tokens.forEach((t, i) => optval.set([t, 1], 2 * i));
 *   return setsockoptDontneed(sk, optval, 8 * tokens.length);   // optlen in bytes
 * }
 * ```
 * @category Socket API
 */
export function setsockoptDontneed(sk: TcpSocket, optval: Uint32Array, optlen?: number): number {
  checkSocket(sk);
  if (typeof optlen === 'number' && optlen < INT_SIZE) tooShort(optlen);
  if (!(optval instanceof Uint32Array)) E.expected('DONTNEED optval must be user memory holding u32 pairs (a Uint32Array)', optval, 'EFAULT');
  const len = optlen === undefined ? optval.byteLength : optlen;
  if (len < INT_SIZE) tooShort(len);
  checkTcp(sk);
  checkOptlen(len);
  if (len > optval.byteLength) E.fail('EFAULT', `DONTNEED optlen must stay inside optval (${optval.byteLength} bytes), got ${len}`);
  const tokens = sk.extension<DevmemTokens>(DEVMEM_EXTENSION);
  const n = len / DMABUF_TOKEN_SIZE;
  let inspected = 0;
  let freed = 0;
  for (let i = 0; i < n; i++) {
    const start = optval[2 * i];
    const count = optval[2 * i + 1];
    for (let j = 0; j < count; j++) {
      if (++inspected > MAX_DONTNEED_FRAGS) return freed;
      if (tokens === undefined) continue;
      const nm = tokens.take((start + j) >>> 0);
      if (nm === 0) continue;
      tokens.putRef(nm);
      freed++;
    }
  }
  return freed;
}

/** A socket that is open (the fd lookup), else EBADF. */
function checkSocket(sk: TcpSocket): void {
  socketArg(sk, 'SO_DEVMEM_DONTNEED');
  if (sk.state === 'closed') E.fail('EBADF', `DONTNEED needs an open socket, got socket ${sk.id} (closed)`);
}

/** sk_setsockopt's first check: an int's worth of option. */
function tooShort(optlen: number): never {
  return E.expected(`setsockopt optlen must be at least sizeof(int) = ${INT_SIZE}`, optlen);
}

/** sk_is_tcp, else EBADF (sock_devmem_dontneed's first check). */
function checkTcp(sk: TcpSocket): void {
  if (sk.type !== 'tcp') E.fail('EBADF', `DONTNEED needs a TCP socket, got socket ${sk.id} (${sk.type})`);
}

/** optlen % sizeof(struct dmabuf_token) and the 128-entry limit, else EINVAL. */
function checkOptlen(optlen: number): void {
  if (
    typeof optlen !== 'number' ||
    !Number.isInteger(optlen) ||
    optlen < 0 ||
    optlen % DMABUF_TOKEN_SIZE !== 0 ||
    optlen > DMABUF_TOKEN_SIZE * MAX_DONTNEED_TOKENS
  ) {
    E.expected(`DONTNEED optlen must be a multiple of ${DMABUF_TOKEN_SIZE} in 0..${DMABUF_TOKEN_SIZE * MAX_DONTNEED_TOKENS}`, optlen);
  }
}

/**
 * Convenience over {@link setsockoptDontneed} taking entry objects
 * (allocates). One to 128 entries (none is optlen 0: EINVAL before the
 * socket type is looked at), each `{tokenStart, tokenCount}` with u32
 * values (EINVAL): all are checked before any token is returned.
 * @category Socket API
 */
export function dontneed(sk: TcpSocket, entries: readonly DmabufToken[]): number {
  checkSocket(sk);
  if (!Array.isArray(entries)) E.expected('DONTNEED entries must be an array of {tokenStart, tokenCount}', entries);
  if (entries.length === 0) tooShort(0);
  checkTcp(sk);
  if (entries.length > MAX_DONTNEED_TOKENS) E.expected(`DONTNEED takes at most ${MAX_DONTNEED_TOKENS} entries`, entries.length);
  const v = new Uint32Array(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    const e = E.options(entries[i], `DONTNEED entry ${i}`, ['tokenStart', 'tokenCount'], false);
    v[2 * i] = u32(e.tokenStart, `DONTNEED entry ${i} tokenStart`);
    v[2 * i + 1] = u32(e.tokenCount, `DONTNEED entry ${i} tokenCount`);
  }
  return setsockoptDontneed(sk, v);
}
