/**
 * A socket's devmem token table (the kernel's sk_user_frags xarray): token →
 * net_iov for every frag handed to the user and not yet given back. Each
 * entry holds one pp reference on its net_iov.
 *
 * Memory strategy: an Int32Array of netmems indexed by token and a bitmap of
 * used tokens, both grown by doubling; the lowest free token is found from a
 * hint with one clz32 per 32 tokens, so tokens are allocated as xa_alloc
 * does (lowest free index, starting at 1) without an object per token.
 */
import type { MemoryDomain, TcpSocket } from '@netmem/core';
import { poolRegistry, type PoolRegistry } from '@netmem/core';
import type { SocketExtension } from '@netmem/core/provider';
import { domainArg, fnArg, socketArg } from './args.js';
import { E } from './errors.js';

/**
 * Name of the devmem socket extension.
 * @category Socket API
 */
export const DEVMEM_EXTENSION = 'devmem';

/** Largest token (xa_limit_31b). */
const MAX_TOKEN = 0x7fffffff;

/** True when `nm` can be a net_iov handle (a positive int32 with the net_iov bit): one cheap test, no lookup. */
function isNetIovHandle(nm: unknown): boolean {
  return typeof nm === 'number' && (nm | 0) === nm && nm > 0 && (nm & 1) === 1;
}

/** The error for a bad handle, out of line so the per-frag callers stay small enough to inline. */
function notAHandle(what: string, nm: unknown): never {
  return E.expected(`${what} needs a dmabuf net_iov of this domain (a positive odd handle in a dmabuf area)`, nm);
}

/**
 * The per-socket devmem token table, attached as the `devmem` socket extension.
 * @category Socket API
 */
export class DevmemTokens implements SocketExtension {
  /** {@link DEVMEM_EXTENSION}. */
  readonly name = DEVMEM_EXTENSION;
  /** Tokens currently held by the user. */
  held = 0;
  /** Tokens handed out over the socket's life. */
  issued = 0;
  private frags = new Int32Array(64);
  private used = new Uint32Array(2);
  /** No free token below this one. */
  private hint = 1;

  /** The domain's pools, where a returned token's net_iov goes back to (kept: DONTNEED puts in a loop). */
  private readonly pools: PoolRegistry;

  constructor(
    /** The domain whose pools the net_iovs belong to. */
    readonly domain: MemoryDomain,
  ) {
    domainArg(domain, 'a devmem token table');
    this.used[0] = 1; // token 0 is never handed out
    this.pools = poolRegistry(domain);
  }

  /**
   * napi_pp_put_page for a user's reference: one pp reference of a token's
   * net_iov back to its pool (the last one recycles it). A netmem that is
   * no pool's is warned about and otherwise left alone.
   */
  putBack(nm: number): void {
    if (!isNetIovHandle(nm) || this.domain.areaOf(nm)?.type !== 'dmabuf') notAHandle('putBack', nm);
    this.putRef(nm);
  }

  /** @internal {@link putBack} for a netmem the table itself held (DONTNEED's loop): no check. */
  putRef(nm: number): void {
    if (!this.pools.napiPpPutPage(nm)) {
      this.domain.warn('devmem-put', `provider-devmem: token netmem ${nm} belongs to no pool`);
    }
  }

  /** Records `nm` (a dmabuf net_iov of the domain; EINVAL otherwise) under the lowest free token and returns it (the caller took the pp reference). */
  add(nm: number): number {
    if (!isNetIovHandle(nm) || this.domain.areaOf(nm)?.type !== 'dmabuf') notAHandle('a devmem token', nm);
    return this.record(nm);
  }

  /** @internal {@link add} for the receive path, whose netmem is a frag already known to be a dmabuf net_iov: no check. */
  record(nm: number): number {
    const used = this.used;
    let w = this.hint >>> 5;
    while (w < used.length && used[w] === 0xffffffff) w++;
    if (w === used.length) {
      this.grow();
      return this.record(nm);
    }
    const free = ~used[w];
    const token = (w << 5) | (31 - Math.clz32(free & -free));
    if (token > MAX_TOKEN) E.fail('EBUSY', `out of devmem tokens: expected a free token up to ${MAX_TOKEN}, got ${token}`);
    if (token >= this.frags.length) {
      this.grow();
      return this.record(nm);
    }
    used[w] |= 1 << (token & 31);
    this.frags[token] = nm;
    this.hint = token + 1;
    this.held++;
    this.issued++;
    return token;
  }

  /**
   * Removes a token; returns its net_iov, or 0 when the token is not held
   * (never issued, already returned, or not a token number at all: a
   * non-integer, negative, NaN or out-of-range value names no token).
   */
  take(token: number): number {
    // The range test first (as before), then one integer test: 1.5 would otherwise pick token 1's bit.
    if (!(token > 0 && token < this.frags.length) || typeof token !== 'number' || (token | 0) !== token) return 0;
    const w = token >>> 5;
    const bit = 1 << (token & 31);
    if ((this.used[w] & bit) === 0) return 0;
    this.used[w] &= ~bit;
    const nm = this.frags[token];
    this.frags[token] = 0;
    if (token < this.hint) this.hint = token;
    this.held--;
    return nm;
  }

  /** The net_iov a held token names, or 0 (also for anything that is not a token number). */
  lookup(token: number): number {
    // The range test first (as before), then one integer test: 1.5 would otherwise pick token 1's bit.
    if (!(token > 0 && token < this.frags.length) || typeof token !== 'number' || (token | 0) !== token) return 0;
    return (this.used[token >>> 5] & (1 << (token & 31))) !== 0 ? this.frags[token] : 0;
  }

  /** Calls `fn(token, nm)` for every held token, in token order. */
  forEach(fn: (token: number, nm: number) => void): void {
    fnArg(fn, 'DevmemTokens.forEach');
    const used = this.used;
    for (let w = 0; w < used.length; w++) {
      let bits = w === 0 ? used[w] & ~1 : used[w];
      while (bits !== 0) {
        const low = bits & -bits;
        const token = (w << 5) | (31 - Math.clz32(low));
        fn(token, this.frags[token]);
        bits &= ~low;
      }
    }
  }

  /**
   * The socket is closing (tcp_release_user_frags): every token still held
   * gives its pp reference back. Runs to the end: a reference that cannot
   * be given back is reported (a warning) and the others still go back, so
   * the socket's close is never cut short.
   */
  close(): void {
    this.forEach((token, nm) => {
      this.take(token);
      try {
        this.putBack(nm);
      } catch (e) {
        this.domain.warn('devmem-put', `provider-devmem: returning token ${token} (netmem ${nm}) at socket close: ${(e as Error).message}`);
      }
    });
  }

  private grow(): void {
    const frags = new Int32Array(this.frags.length * 2);
    frags.set(this.frags);
    this.frags = frags;
    const used = new Uint32Array(frags.length >>> 5);
    used.set(this.used);
    this.used = used;
  }
}

/**
 * The devmem token table of a socket, if it has one.
 * @category Socket API
 */
export function devmemTokens(sk: TcpSocket): DevmemTokens | undefined {
  socketArg(sk, 'devmemTokens');
  return sk.extension<DevmemTokens>(DEVMEM_EXTENSION);
}
