/** Shared set-up for the @netmem/io tests: a pool world, a loopback pattern server, timeouts. */
import net from 'node:net';
import { MemoryDomain, VirtualClock, createPagePool, type PagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { PatternTape, writePattern, type PatternChecker } from '../src/index.js';

/** The pattern every test streams. */
export const TAPE = new PatternTape(0x1234);

/** A domain with room for `buffers` buffers of `order`, and a pool over it. */
export interface World {
  domain: MemoryDomain;
  pool: PagePool;
  clock: VirtualClock;
  /** Checks buffers of the domain's storage against the pattern. */
  check: PatternChecker;
}

/** Makes a world; `buffers` bounds how many buffers the pool can ever hand out (the domain has no more pages). */
export function world(opts: { buffers: number; order?: number; checked?: boolean }): World {
  const order = opts.order ?? 4;
  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: opts.buffers << order, checked: opts.checked ?? true, clock, onWarn: false });
  const pool = createPagePool({ domain, order, poolSize: 256, provider: pagesProvider() });
  return { domain, pool, clock, check: TAPE.checker(domain.storage.buffer) };
}

/** Checks a delivered buffer against the stream at `offset`; returns the first bad stream offset or -1. */
export function badByte(w: World, bytes: Uint8Array, length: number, offset: number): number {
  const i = w.check.check(bytes.byteOffset, length, offset);
  return i < 0 ? -1 : offset + i;
}

/** A loopback server; `onConnection` gets each accepted socket. */
export async function server(onConnection: (s: net.Socket) => void, opts: net.ServerOpts = {}): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer(opts, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** A server that streams `total` pattern bytes to each connection, in writes of `chunk` bytes, then ends. */
export function patternServer(total: number, chunk?: number): Promise<{ port: number; close(): Promise<void> }> {
  return server((s) => {
    writePattern(s, TAPE, total, chunk === undefined ? {} : { chunk }).catch(() => {});
  });
}

/** Resolves with `p`, or rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]);
}

/** Where the pool's in-flight buffers are (checked mode), without empty places. */
export function places(pool: PagePool): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(pool.places())) if (v !== 0) out[k] = v;
  return out;
}

/** True when every buffer the pool holds is back in its cache or ring (nothing handed out). */
export function allBack(pool: PagePool): boolean {
  return pool.inflight === pool.cacheSize + pool.ringLength;
}
