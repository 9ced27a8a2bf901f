/**
 * Child process of server-side.ts: reads the connection its parent passed
 * as fd 3, either with a PooledReader (`new net.Socket({ fd, onread })`,
 * PooledReader.fromFd) or with the plain 'data' path, and prints one JSON
 * line: bytes, reads, MB/s from the first byte to EOF.
 *
 *   node --conditions=@netmem/source --import tsx fd-reader.ts pooled|data   (fd 3: a connected TCP socket)
 */
import net from 'node:net';
import { MemoryDomain, createPagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { PooledReader } from '@netmem/io';

const mode = process.argv[2];
let bytes = 0;
let reads = 0;
let t0 = 0;
const done = (error: Error | null): void => {
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ mode, bytes, reads, mbps: bytes / ms / 1000, error: error?.message ?? null })}\n`);
};

if (mode === 'pooled') {
  const domain = new MemoryDomain({ pages: 16 * 32, onWarn: false });
  const pool = createPagePool({ domain, order: 4, poolSize: 64, provider: pagesProvider() });
  const reader = PooledReader.fromFd(pool, 3, {
    onRead(nm, _bytes, length) {
      if (t0 === 0) t0 = performance.now();
      bytes += length;
      reads++;
      reader.put(nm);
    },
    onClose: done,
  });
} else if (mode === 'data') {
  const s = new net.Socket({ fd: 3, readable: true, writable: true });
  s.on('data', (d: Buffer) => {
    if (t0 === 0) t0 = performance.now();
    bytes += d.length;
    reads++;
  });
  s.on('error', () => {});
  s.on('close', () => done(null));
} else {
  throw new Error(`usage: fd-reader.ts pooled|data, got ${mode}`);
}
