/**
 * setsockopt(SO_DEVMEM_DONTNEED) (sock_devmem_dontneed): the user gives
 * tokens back as {tokenStart, tokenCount} entries. At most 128 entries per
 * call; at most 1024 tokens are looked at per call (unknown or already
 * returned tokens count toward that limit but not toward the result, so a
 * bogus range cannot keep the kernel looping); each held token found drops
 * its pp reference. Returns the number of frags freed.
 */
import type { TcpSocket } from '@netmem/core';
import { E } from './errors.js';
import { devmemTokens } from './tokens.js';

/** SO_DEVMEM_DONTNEED. */
export const SO_DEVMEM_DONTNEED = 80;
/** Most entries per call (MAX_DONTNEED_TOKENS). */
export const MAX_DONTNEED_TOKENS = 128;
/** Most tokens looked at per call (MAX_DONTNEED_FRAGS). */
export const MAX_DONTNEED_FRAGS = 1024;
/** Bytes of one struct dmabuf_token {u32 token_start; u32 token_count}. */
export const DMABUF_TOKEN_SIZE = 8;

/** One DONTNEED entry. */
export interface DmabufToken {
  /** First token. */
  tokenStart: number;
  /** Tokens from there. */
  tokenCount: number;
}

/**
 * SO_DEVMEM_DONTNEED with `optval` as u32 pairs [start, count, start,
 * count, ...] and `optlen` in bytes (default: all of `optval`). Errors:
 * not a TCP socket or closed → EBADF; optlen not a multiple of 8 or above
 * 128 entries → EINVAL; optlen past the end of optval → EFAULT.
 */
export function setsockoptDontneed(sk: TcpSocket, optval: Uint32Array, optlen = optval.byteLength): number {
  if (sk.type !== 'tcp' || sk.state === 'closed') E.fail('EBADF', `DONTNEED needs an open TCP socket, got socket ${sk.id} (${sk.type}, ${sk.state})`);
  if (!Number.isInteger(optlen) || optlen < 0 || optlen % DMABUF_TOKEN_SIZE !== 0 || optlen > DMABUF_TOKEN_SIZE * MAX_DONTNEED_TOKENS) {
    E.expected(`DONTNEED optlen must be a multiple of ${DMABUF_TOKEN_SIZE} in 0..${DMABUF_TOKEN_SIZE * MAX_DONTNEED_TOKENS}`, optlen);
  }
  if (optlen > optval.byteLength) E.fail('EFAULT', `DONTNEED optlen must stay inside optval (${optval.byteLength} bytes), got ${optlen}`);
  const tokens = devmemTokens(sk);
  const n = optlen / DMABUF_TOKEN_SIZE;
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
      tokens.putBack(nm);
      freed++;
    }
  }
  return freed;
}

/** Convenience over {@link setsockoptDontneed} taking entry objects (allocates). */
export function dontneed(sk: TcpSocket, entries: readonly DmabufToken[]): number {
  const v = new Uint32Array(entries.length * 2);
  entries.forEach((e, i) => {
    v[2 * i] = e.tokenStart;
    v[2 * i + 1] = e.tokenCount;
  });
  return setsockoptDontneed(sk, v);
}
