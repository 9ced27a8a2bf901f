/**
 * Hostile input on the socket side of provider-devmem: devmem tokens, SO_DEVMEM_DONTNEED, devmem recvmsg, socket close with tokens out.
 *
 * Hostile and careless input: every public entry point of provider-devmem
 * refuses bad arguments with a NetmemError carrying the kernel's errno, before
 * it changes anything; multi-step operations complete or leave state as it
 * was. Each test asserts the exact code and that nothing changed.
 */
import { describe, expect, it, vi } from 'vitest';
import { whereIs } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import {
  DevmemCmsgBuffer,
  DevmemTokens,
  checkDevmemInvariants,
  devmemRecvmsg,
  devmemRecvmsgObjects,
  devmemTokens,
  dontneed,
  setsockoptDontneed,
} from '../src/index.js';
import { codeOf, receiveN, world } from './helpers.js';
import { clean, holding, state, type Any } from './hostile-helpers.js';

describe('D16: a token number that is not a valid token is "not held"', () => {
  it('take/lookup of 1.5, -1, NaN, 2^32+1, ... change no token; close, unbind, unregister free the pool with inflight 0', () => {
    const w = world({ checked: true });
    const b = w.bind(64, 64);
    const sk = w.ns.socket();
    expect(receiveN(w, sk, 1)).toBe(1);
    expect(devmemRecvmsg(sk, new Uint8Array(8192), { cmsgs: new DevmemCmsgBuffer(8) })).toBe(4096);
    const t = devmemTokens(sk)!;
    const nm = t.lookup(1);
    expect(nm).not.toBe(0);
    const pool = w.drv.pool(0)!;
    const inflight = pool.inflight;
    for (const bad of [1.5, 1.000001, -1, -0.5, NaN, Infinity, -Infinity, 2 ** 32 + 1, 2 ** 31, 1e300, '1', null, undefined, {}, 1n] as Any[]) {
      expect(t.take(bad)).toBe(0);
      expect(t.lookup(bad)).toBe(0);
    }
    expect(t.held).toBe(1);
    expect(t.lookup(1)).toBe(nm);
    expect(pool.inflight).toBe(inflight);
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    // The scenario of the issue: the token is still there, so close gives its reference back.
    sk.close();
    w.nl.close();
    w.nd.unregister();
    w.clock.advance(1000);
    expect(pool.inflight).toBe(0);
    expect(pool.isFreed).toBe(true);
    expect(b.isFreed).toBe(true);
    expect(b.leaked).toBe(0);
    expect(w.domain.leaks).toBe(0);
    expect(checkDomainInvariants(w.domain)).toEqual([]);
  });

  it('DONTNEED with wrapping u32 ranges still frees only held tokens', () => {
    const { w, b, sk } = holding(3, 0);
    // start 0xffffffff, count 3 covers 0xffffffff, 0, 1: only token 1 is held.
    expect(setsockoptDontneed(sk, new Uint32Array([0xffffffff, 3]))).toBe(1);
    expect(devmemTokens(sk)!.held).toBe(2);
    clean(w, b, [sk]);
    sk.close();
  });
});

describe('DevmemTokens', () => {
  it('refuses a non-domain, bad netmems and non-function callbacks with EINVAL, changing nothing', () => {
    const { w, b, sk } = holding(2, 0);
    const t = devmemTokens(sk)!;
    const before = state(w, b, [sk]);
    expect(codeOf(() => new DevmemTokens({} as Any))).toBe('EINVAL');
    expect(codeOf(() => new DevmemTokens(undefined as Any))).toBe('EINVAL');
    for (const bad of [0, -3, 1.5, NaN, '3', 2 ** 31, null] as Any[]) {
      expect(codeOf(() => t.add(bad))).toBe('EINVAL');
      expect(codeOf(() => t.putBack(bad))).toBe('EINVAL');
    }
    // A net_iov-looking handle that names no dmabuf net_iov of this domain (a page descriptor with the bit set).
    expect(codeOf(() => t.add(3))).toBe('EINVAL');
    expect(codeOf(() => t.putBack(3))).toBe('EINVAL');
    expect(codeOf(() => t.forEach(undefined as Any))).toBe('EINVAL');
    expect(codeOf(() => t.forEach(42 as Any))).toBe('EINVAL');
    expect(t.held).toBe(2);
    expect(t.issued).toBe(2);
    expect(state(w, b, [sk])).toEqual(before);
    clean(w, b, [sk]);
    sk.close();
  });

  it('devmemTokens of something that is not a socket is EBADF', () => {
    expect(codeOf(() => devmemTokens({} as Any))).toBe('EBADF');
    expect(codeOf(() => devmemTokens(null as Any))).toBe('EBADF');
  });
});

describe('setsockopt(SO_DEVMEM_DONTNEED)', () => {
  it('a socket that is not a socket is EBADF; optval that is not a Uint32Array is EFAULT; a bad optlen is EINVAL; nothing freed', () => {
    const { w, b, sk } = holding(2, 0);
    const before = state(w, b, [sk]);
    const ok = new Uint32Array([1, 2]);
    expect(codeOf(() => setsockoptDontneed({} as Any, ok))).toBe('EBADF');
    expect(codeOf(() => setsockoptDontneed(null as Any, ok))).toBe('EBADF');
    for (const bad of [null, undefined, [1, 2], new Uint8Array(8), new Int32Array([1, 2]), new ArrayBuffer(8), 'xx'] as Any[]) {
      expect(codeOf(() => setsockoptDontneed(sk, bad))).toBe('EFAULT');
    }
    for (const bad of [NaN, 1.5, -8, 8.5, '8', Infinity, 2 ** 53, null] as Any[]) {
      expect(codeOf(() => setsockoptDontneed(sk, ok, bad))).toBe('EINVAL');
    }
    // optlen valid but past optval: EFAULT (copy_from_sockptr).
    expect(codeOf(() => setsockoptDontneed(sk, ok, 16))).toBe('EFAULT');
    // optlen < sizeof(int) is checked before optval, optval (an int read) before the rest of optlen's rules.
    expect(codeOf(() => setsockoptDontneed(sk, null as Any, 3))).toBe('EINVAL');
    expect(codeOf(() => setsockoptDontneed(sk, null as Any, 7))).toBe('EFAULT');
    expect(state(w, b, [sk])).toEqual(before);
    expect(setsockoptDontneed(sk, ok)).toBe(2);
    clean(w, b, [sk]);
    sk.close();
  });

  it('dontneed entries: not an array, not u32 fields, unknown keys, too many: EINVAL before anything is freed', () => {
    const { w, b, sk } = holding(2, 0);
    const before = state(w, b, [sk]);
    const bads: Any[] = [
      null,
      { tokenStart: 1, tokenCount: 2 },
      [null],
      [{ tokenStart: 1 }],
      [{ tokenStart: 1, tokenCount: 1.5 }],
      [{ tokenStart: -1, tokenCount: 2 }],
      [{ tokenStart: 1, tokenCount: NaN }],
      [{ tokenStart: 2 ** 32, tokenCount: 1 }],
      [{ tokenStart: 1, tokenCount: 1, extra: 1 }],
      // A good entry first: still nothing freed.
      [
        { tokenStart: 1, tokenCount: 2 },
        { tokenStart: '1', tokenCount: 1 },
      ],
      Array.from({ length: 129 }, () => ({ tokenStart: 1, tokenCount: 1 })),
    ];
    for (const e of bads) expect(codeOf(() => dontneed(sk, e))).toBe('EINVAL');
    expect(codeOf(() => dontneed({} as Any, []))).toBe('EBADF');
    expect(state(w, b, [sk])).toEqual(before);
    expect(dontneed(sk, [{ tokenStart: 1, tokenCount: 2 }])).toBe(2);
    clean(w, b, [sk]);
    sk.close();
  });
});

describe('DevmemCmsgBuffer', () => {
  it('capacity must be an integer 1..2^20 (EINVAL), not a RangeError from a huge allocation', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, '8', 2 ** 20 + 1, 2 ** 40, null] as Any[]) {
      expect(codeOf(() => new DevmemCmsgBuffer(bad))).toBe('EINVAL');
    }
    expect(new DevmemCmsgBuffer(2 ** 20).capacity).toBe(2 ** 20);
    expect(new DevmemCmsgBuffer().capacity).toBe(1024);
  });
});

describe('devmem recvmsg arguments', () => {
  it('bad socket EBADF, bad buffers EFAULT, bad options EINVAL: the queue, the cmsg buffer and the tokens stay as they were', () => {
    const { w, b, sk } = holding(1, 2);
    const cmsgs = new DevmemCmsgBuffer(8);
    cmsgs.count = 5;
    const buf = new Uint8Array(1 << 16);
    const before = state(w, b, [sk]);
    const copied = sk.copiedBytes;
    expect(codeOf(() => devmemRecvmsg({} as Any, buf, { cmsgs }))).toBe('EBADF');
    expect(codeOf(() => devmemRecvmsg(undefined as Any, buf, { cmsgs }))).toBe('EBADF');
    for (const bad of [null, [1, 2], new Uint32Array(16), new ArrayBuffer(16), 'x'] as Any[]) {
      expect(codeOf(() => devmemRecvmsg(sk, bad, { cmsgs }))).toBe('EFAULT');
    }
    for (const bad of [null, undefined, 5, [cmsgs]] as Any[]) expect(codeOf(() => devmemRecvmsg(sk, buf, bad))).toBe('EINVAL');
    expect(codeOf(() => devmemRecvmsg(sk, buf, { cmsgs, lenn: 5 } as Any))).toBe('EINVAL');
    for (const bad of [undefined, null, {}, { count: 0, capacity: 8 }, []] as Any[]) {
      expect(codeOf(() => devmemRecvmsg(sk, buf, { cmsgs: bad }))).toBe('EFAULT');
    }
    for (const flags of [NaN, 1.5, -1, '0', 2 ** 32, null] as Any[]) expect(codeOf(() => devmemRecvmsg(sk, buf, { cmsgs, flags }))).toBe('EINVAL');
    for (const len of [NaN, 1.5, -1, buf.length + 1, '10', Infinity, null] as Any[])
      expect(codeOf(() => devmemRecvmsg(sk, buf, { cmsgs, len }))).toBe('EINVAL');
    expect(codeOf(() => devmemRecvmsgObjects(sk, buf, NaN))).toBe('EINVAL');
    expect(codeOf(() => devmemRecvmsgObjects(sk, buf, undefined, 0))).toBe('EINVAL');
    expect(cmsgs.count).toBe(5);
    expect(sk.copiedBytes).toBe(copied);
    expect(state(w, b, [sk])).toEqual(before);
    clean(w, b, [sk]);
    expect(devmemRecvmsg(sk, buf, { cmsgs, len: 4096 })).toBe(4096);
    sk.close();
  });

  it('a failure part-way through a recvmsg (token table) returns what was received; nothing is handed out twice', () => {
    const { w, b, sk } = holding(1, 0);
    expect(receiveN(w, sk, 1, 3)).toBe(1);
    const t = devmemTokens(sk)!;
    // The receive path records tokens through DevmemTokens.record (add without its argument check).
    const record = t.record.bind(t);
    let calls = 0;
    const spy = vi.spyOn(t, 'record').mockImplementation((nm: number) => {
      if (++calls === 2) throw new Error('injected: token table full');
      return record(nm);
    });
    const cmsgs = new DevmemCmsgBuffer(16);
    expect(devmemRecvmsg(sk, new Uint8Array(1 << 16), { cmsgs })).toBe(4096);
    expect(cmsgs.count).toBe(1);
    expect(t.held).toBe(2);
    clean(w, b, [sk]);
    spy.mockRestore();
    // The rest comes next, once: 2 more tokens, 4 in all.
    expect(devmemRecvmsg(sk, new Uint8Array(1 << 16), { cmsgs })).toBe(2 * 4096);
    expect(t.held).toBe(4);
    clean(w, b, [sk]);
    // Nothing received yet when it fails: the error comes out, and nothing changed.
    expect(receiveN(w, sk, 1, 1)).toBe(1);
    const before = state(w, b, [sk]);
    const spy2 = vi.spyOn(t, 'record').mockImplementation(() => {
      throw Object.assign(new Error('injected'), { code: 'X' });
    });
    expect(() => devmemRecvmsg(sk, new Uint8Array(1 << 16), { cmsgs })).toThrow('injected');
    spy2.mockRestore();
    expect(state(w, b, [sk])).toEqual(before);
    clean(w, b, [sk]);
    sk.close();
  });
});

describe('socket close with tokens out', () => {
  it('a failure returning one token does not stop the others from going back', () => {
    const { w, b, sk } = holding(3, 0);
    const t = devmemTokens(sk)!;
    const nms = [1, 2, 3].map((k) => t.lookup(k));
    expect(nms.map((nm) => whereIs(w.domain, nm).place)).toEqual(['user', 'user', 'user']);
    const put = t.putBack.bind(t);
    let n = 0;
    vi.spyOn(t, 'putBack').mockImplementation((nm: number) => {
      if (++n === 2) throw new Error('injected');
      put(nm);
    });
    sk.close();
    expect(t.held).toBe(0);
    // Tokens 1 and 3 went back to the pool; token 2's reference is the one reported.
    expect(nms.map((nm) => whereIs(w.domain, nm).place)).toEqual(['ring', 'user', 'ring']);
    expect(w.warns.map((x) => x.kind)).toEqual(['devmem-put']);
    expect(sk.state).toBe('closed');
    void b;
  });
});
