/**
 * What Node 20 lets a server do with onread, measured. An accepted socket
 * cannot get onread (net.createServer ignores the option), so a server's
 * reads can land in pool buffers only in two ways: the receiving side
 * connects out (it is the client of the TCP connection), or the accepted
 * connection's fd is handed to a process that wraps it with
 * `new net.Socket({ fd, onread })` (PooledReader.fromFd). This script runs
 * each, 127.0.0.1 only, with the same sender, and prints MB/s measured by
 * the receiving side from its first byte to EOF.
 *
 *   node --conditions=@netmem/source --import tsx examples/tcp-pooled/server-side.ts [--bytes N]
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { MemoryDomain, createPagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { PatternTape, PooledReader, writePattern } from '@netmem/io';

const arg = process.argv.indexOf('--bytes');
const TOTAL = arg > 0 ? Number(process.argv[arg + 1]) : 256 << 20;
if (!Number.isInteger(TOTAL) || TOTAL <= 0) throw new Error('--bytes needs a positive integer');
const tape = new PatternTape(5);
const TIMEOUT = 120_000;

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: timed out`)), TIMEOUT))),
  ]);
}

async function listen(srv: net.Server): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

/** A client that sends TOTAL pattern bytes to `port`. */
function send(port: number): void {
  const c = net.connect(port, '127.0.0.1', () => writePattern(c, tape, TOTAL).catch(() => {}));
  c.on('error', () => {});
}

/** 1: an accepted socket read with 'data' (Node's only read path for accepted sockets). */
async function acceptedData(): Promise<number> {
  let t0 = 0;
  let bytes = 0;
  const done = new Promise<number>((resolve) => {
    const srv = net.createServer((s) => {
      s.on('data', (d: Buffer) => {
        if (t0 === 0) t0 = performance.now();
        bytes += d.length;
      });
      s.on('end', () => {
        resolve(bytes / (performance.now() - t0) / 1000);
        s.end();
        srv.close();
      });
    });
    void listen(srv).then(send);
  });
  return bounded(done, 'accepted data');
}

/** 2: createServer({ onread }): does the callback ever run? */
async function createServerOnread(): Promise<{ calls: number; dataBytes: number }> {
  let calls = 0;
  let dataBytes = 0;
  const done = new Promise<{ calls: number; dataBytes: number }>((resolve) => {
    const opts = {
      onread: {
        buffer: new Uint8Array(65536),
        callback: () => {
          calls++;
          return true;
        },
      },
    } as net.ServerOpts;
    const srv = net.createServer(opts, (s) => {
      s.on('data', (d: Buffer) => (dataBytes += d.length));
      s.on('end', () => {
        resolve({ calls, dataBytes });
        s.end();
        srv.close();
      });
    });
    void listen(srv).then((port) => {
      const c = net.connect(port, '127.0.0.1', () => c.end(tape.slice(0, 1 << 20)));
    });
  });
  return bounded(done, 'createServer onread');
}

/** 3: the receiving side connects out: a PooledReader on the client socket, the sender listens. */
async function connectOut(): Promise<number> {
  const domain = new MemoryDomain({ pages: 16 * 32, onWarn: false });
  const pool = createPagePool({ domain, order: 4, poolSize: 64, provider: pagesProvider() });
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    writePattern(s, tape, TOTAL).catch(() => {});
  });
  const port = await listen(srv);
  let t0 = 0;
  const done = new Promise<number>((resolve) => {
    const reader: PooledReader = PooledReader.connect(
      pool,
      { host: '127.0.0.1', port },
      {
        onRead(nm) {
          if (t0 === 0) t0 = performance.now();
          reader.put(nm);
        },
        onClose: () => resolve(reader.stats().bytes / (performance.now() - t0) / 1000),
      },
    );
  });
  const mbps = await bounded(done, 'connect out');
  srv.close();
  pool.destroy();
  return mbps;
}

/** 4: an accepted connection's fd handed to a child process that reads it (`pooled`: fromFd with onread, or `data`). */
async function fdToChild(mode: 'pooled' | 'data'): Promise<number> {
  const child = new URL('./fd-reader.ts', import.meta.url).pathname;
  const done = new Promise<number>((resolve, reject) => {
    const srv = net.createServer({ pauseOnConnect: true }, (s) => {
      const p = spawn(process.execPath, ['--conditions=@netmem/source', '--import', 'tsx', child, mode], { stdio: ['ignore', 'pipe', 'inherit', s] });
      s.destroy(); // the child has its own copy of the descriptor
      srv.close();
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as { mbps: number }).mbps) : reject(new Error(`fd-reader exited with ${code}`))));
    });
    void listen(srv).then(send);
  });
  return bounded(done, `fd to child (${mode})`);
}

const mib = TOTAL / 2 ** 20;
console.log(`server-side onread on Node ${process.version}: ${mib} MiB per run over 127.0.0.1`);
const o = await createServerOnread();
console.log(`  net.createServer({ onread }):                 onread callback ran ${o.calls} times; ${o.dataBytes} bytes came as 'data' events (ignored)`);
console.log(`  accepted socket, 'data' path:                 ${(await acceptedData()).toFixed(0)} MB/s`);
console.log(`  receiver connects out, PooledReader:          ${(await connectOut()).toFixed(0)} MB/s`);
console.log(`  accepted fd → child, 'data' path:             ${(await fdToChild('data')).toFixed(0)} MB/s`);
console.log(`  accepted fd → child, PooledReader.fromFd:     ${(await fdToChild('pooled')).toFixed(0)} MB/s`);
