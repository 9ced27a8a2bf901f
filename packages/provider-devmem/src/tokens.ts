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
import { E } from './errors.js';

/** Name of the devmem socket extension. */
export const DEVMEM_EXTENSION = 'devmem';

/** Largest token (xa_limit_31b). */
const MAX_TOKEN = 0x7fffffff;

/** The per-socket devmem token table, attached as the `devmem` socket extension. */
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
    this.used[0] = 1; // token 0 is never handed out
    this.pools = poolRegistry(domain);
  }

  /**
   * napi_pp_put_page for a user's reference: one pp reference of a token's
   * net_iov back to its pool (the last one recycles it). A netmem that is
   * no pool's is warned about and otherwise left alone.
   */
  putBack(nm: number): void {
    if (!this.pools.napiPpPutPage(nm)) {
      this.domain.warn('devmem-put', `provider-devmem: token netmem ${nm} belongs to no pool`);
    }
  }

  /** Records `nm` under the lowest free token and returns it (the caller took the pp reference). */
  add(nm: number): number {
    const used = this.used;
    let w = this.hint >>> 5;
    while (w < used.length && used[w] === 0xffffffff) w++;
    if (w === used.length) {
      this.grow();
      return this.add(nm);
    }
    const free = ~used[w];
    const token = (w << 5) | (31 - Math.clz32(free & -free));
    if (token > MAX_TOKEN) E.fail('EBUSY', `out of devmem tokens: expected a free token up to ${MAX_TOKEN}, got ${token}`);
    if (token >= this.frags.length) {
      this.grow();
      return this.add(nm);
    }
    used[w] |= 1 << (token & 31);
    this.frags[token] = nm;
    this.hint = token + 1;
    this.held++;
    this.issued++;
    return token;
  }

  /** Removes a token; returns its net_iov, or 0 when the token is not held (never issued, or already returned). */
  take(token: number): number {
    if (!(token > 0 && token < this.frags.length)) return 0;
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

  /** The net_iov a held token names, or 0. */
  lookup(token: number): number {
    if (!(token > 0 && token < this.frags.length)) return 0;
    return (this.used[token >>> 5] & (1 << (token & 31))) !== 0 ? this.frags[token] : 0;
  }

  /** Calls `fn(token, nm)` for every held token, in token order. */
  forEach(fn: (token: number, nm: number) => void): void {
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
   * gives its pp reference back.
   */
  close(): void {
    this.forEach((token, nm) => {
      this.take(token);
      this.putBack(nm);
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


/** The devmem token table of a socket, if it has one. */
export function devmemTokens(sk: TcpSocket): DevmemTokens | undefined {
  return sk.extension<DevmemTokens>(DEVMEM_EXTENSION);
}
