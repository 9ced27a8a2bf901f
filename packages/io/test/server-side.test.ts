/**
 * What Node 20 allows on the server side. An accepted socket gets no
 * onread: net.createServer ignores the option (its connections are made by
 * Node without it), so their reads cannot land in pool buffers. Two real
 * ways remain, both tested here and measured by examples/tcp-pooled/server-side.ts:
 * the receiving side connects out (every other test in this folder), or an
 * accepted connection's fd is passed to a process that wraps it with
 * `new net.Socket({ fd, onread })` (PooledReader.fromFd).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { TAPE, server, within } from './helpers.js';
import { writePattern } from '../src/index.js';

describe('server-side sockets on Node 20', () => {
  it('net.createServer ignores onread: the callback never runs, reads arrive as data events', async () => {
    const buf = new Uint8Array(65536);
    let calls = 0;
    let dataBytes = 0;
    const opts = { onread: { buffer: buf, callback: () => (calls++, true) } } as net.ServerOpts;
    const done = new Promise<void>((resolve) => {
      const srv = net.createServer(opts, (s) => {
        s.on('data', (d: Buffer) => (dataBytes += d.length));
        s.on('end', () => {
          s.end();
          srv.close(() => resolve());
        });
      });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1', () => c.end(new Uint8Array(200_000)));
      });
    });
    await within(done, 10_000, 'createServer');
    expect(calls).toBe(0);
    expect(dataBytes).toBe(200_000);
  }, 20_000);

  it("an accepted connection passed as a child's fd 3 is read with PooledReader.fromFd, byte-exact", async () => {
    const total = 8 << 20;
    let child!: Promise<string>;
    const srv = await server(
      (s) => {
        // The child gets its own copy of the descriptor; the parent lets go of its handle at once.
        const p = spawn(
          process.execPath,
          ['--conditions=@netmem/source', '--import', 'tsx', new URL('./fixtures/fd-child.ts', import.meta.url).pathname, String(TAPE.seed)],
          {
            stdio: ['ignore', 'pipe', 'inherit', s],
          },
        );
        s.destroy();
        child = new Promise((resolve, reject) => {
          let out = '';
          p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
          p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`fd-child exited with ${code}: ${out}`))));
        });
      },
      { pauseOnConnect: true },
    );
    const c = net.connect(srv.port, '127.0.0.1');
    c.on('error', () => {});
    await new Promise<void>((res) => c.once('connect', () => res()));
    await writePattern(c, TAPE, total);
    const out = JSON.parse(await within(child, 30_000, 'fd child')) as { bytes: number; bad: number; error: string | null; freed: boolean };
    c.destroy();
    await srv.close();
    expect(out).toMatchObject({ bytes: total, bad: -1, error: null, freed: true });
  }, 40_000);
});
