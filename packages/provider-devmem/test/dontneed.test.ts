/** SO_DEVMEM_DONTNEED: argument checks, the 128-entry and 1024-frag limits, unknown tokens, socket close. */
import { describe, expect, it } from 'vitest';
import { whereIs } from '@netmem/core';
import {
  DevmemCmsgBuffer,
  MAX_DONTNEED_FRAGS,
  checkDevmemInvariants,
  devmemRecvmsg,
  devmemTokens,
  dontneed,
  setsockoptDontneed,
  type DmabufBinding,
} from '../src/index.js';
import { codeOf, receiveN, world, type World } from './helpers.js';

/** Receives `n` single-frag packets on a fresh socket and takes a token for each. */
function holdTokens(w: World, n: number) {
  const sk = w.ns.socket();
  const buf = new Uint8Array(1 << 16);
  const cmsgs = new DevmemCmsgBuffer(64);
  let got = 0;
  while (got < n) {
    const k = Math.min(16, n - got);
    expect(receiveN(w, sk, 1, k)).toBe(1);
    devmemRecvmsg(sk, buf, { cmsgs });
    expect(cmsgs.count).toBe(k);
    got += k;
  }
  expect(devmemTokens(sk)!.held).toBe(n);
  return sk;
}

describe('DONTNEED', () => {
  it('a non-TCP or closed socket is EBADF; a malformed length or more than 128 entries is EINVAL; optlen past optval is EFAULT', () => {
    const w = world();
    w.bind();
    const udp = w.ns.socket({ type: 'udp' });
    expect(codeOf(() => setsockoptDontneed(udp, new Uint32Array(2)))).toBe('EBADF');
    // optlen < sizeof(int) is refused by sk_setsockopt before sock_devmem_dontneed sees the socket type.
    expect(codeOf(() => setsockoptDontneed(udp, new Uint32Array(2), 2))).toBe('EINVAL');
    expect(codeOf(() => setsockoptDontneed(udp, new Uint32Array(2), 4))).toBe('EBADF');
    expect(codeOf(() => dontneed(udp, []))).toBe('EINVAL');
    expect(codeOf(() => dontneed(udp, [{ tokenStart: 1, tokenCount: 1 }]))).toBe('EBADF');
    const sk = holdTokens(w, 4);
    expect(codeOf(() => setsockoptDontneed(sk, new Uint32Array(3)))).toBe('EINVAL');
    expect(codeOf(() => setsockoptDontneed(sk, new Uint32Array(2), 4))).toBe('EINVAL');
    expect(codeOf(() => setsockoptDontneed(sk, new Uint32Array(2 * 129)))).toBe('EINVAL');
    expect(codeOf(() => setsockoptDontneed(sk, new Uint32Array(2), 16))).toBe('EFAULT');
    expect(devmemTokens(sk)!.held).toBe(4);
    // 128 entries are fine: each names one token, four of them held.
    const v = new Uint32Array(2 * 128);
    for (let i = 0; i < 128; i++) v.set([i + 1, 1], 2 * i);
    expect(setsockoptDontneed(sk, v)).toBe(4);
    // sk_setsockopt wants an int's worth of option before it dispatches: optlen 0 is EINVAL.
    expect(codeOf(() => setsockoptDontneed(sk, new Uint32Array(0)))).toBe('EINVAL');
    sk.close();
    expect(codeOf(() => setsockoptDontneed(sk, new Uint32Array(2)))).toBe('EBADF');
  });

  it('2,000 held tokens in one entry: frees 1,024, the rest stay valid; a repeated call frees 0', () => {
    const w = world({ checked: true });
    const b = w.bind(4096, 512);
    const pool = w.drv.pool(0)!;
    const sk = holdTokens(w, 2000);
    const tokens = devmemTokens(sk)!;
    const ring = pool.ringLength;
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 2000 }])).toBe(MAX_DONTNEED_FRAGS);
    expect(tokens.held).toBe(2000 - 1024);
    expect(tokens.lookup(1024)).toBe(0);
    const nm = tokens.lookup(1025);
    expect(nm).not.toBe(0);
    expect(whereIs(w.domain, nm).place).toBe('user');
    // Returned from user context: every freed net_iov went to the pool's ring.
    expect(pool.ringLength - ring).toBe(1024);
    // Tokens 1..1024 are gone, and they use up the 1024 looks of the repeated call.
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 2000 }])).toBe(0);
    expect(tokens.held).toBe(976);
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    expect(dontneed(sk, [{ tokenStart: 1025, tokenCount: 976 }])).toBe(976);
    expect(tokens.held).toBe(0);
    expect(checkDevmemInvariants(b, [sk]).census.user).toBe(0);
    sk.close();
  });

  it('unknown and already-freed tokens are skipped and not counted, but count toward the 1024 looked at', () => {
    const w = world();
    w.bind();
    const sk = holdTokens(w, 10);
    expect(
      dontneed(sk, [
        { tokenStart: 0, tokenCount: 1 },
        { tokenStart: 500, tokenCount: 3 },
      ]),
    ).toBe(0);
    expect(
      dontneed(sk, [
        { tokenStart: 1, tokenCount: 2 },
        { tokenStart: 1, tokenCount: 3 },
      ]),
    ).toBe(3);
    expect(
      dontneed(sk, [
        { tokenStart: 100000, tokenCount: 1024 },
        { tokenStart: 4, tokenCount: 7 },
      ]),
    ).toBe(0);
    expect(
      dontneed(sk, [
        { tokenStart: 100000, tokenCount: 1020 },
        { tokenStart: 4, tokenCount: 7 },
      ]),
    ).toBe(4);
    expect(devmemTokens(sk)!.held).toBe(3);
    expect(dontneed(sk, [{ tokenStart: 0xffffffff, tokenCount: 12 }])).toBe(3);
    sk.close();
  });

  it('socket close releases every token still held; the pool gets every net_iov back', () => {
    const w = world({ checked: true });
    const b: DmabufBinding = w.bind(512, 128);
    const pool = w.drv.pool(0)!;
    const sk = holdTokens(w, 300);
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 100 }])).toBe(100);
    expect(checkDevmemInvariants(b, [sk]).census).toEqual({ free: 512 - 64 - 300, pooled: 64 + 100, user: 200, direct: 0 });
    sk.close();
    expect(devmemTokens(sk)).toBeUndefined();
    expect(checkDevmemInvariants(b, [sk]).census).toEqual({ free: 512 - 364, pooled: 364, user: 0, direct: 0 });
    expect(pool.places()).toEqual({ 'driver-ring': 64, ring: 300 });
    expect(checkDevmemInvariants(b, []).violations).toEqual([]);
  });
});
