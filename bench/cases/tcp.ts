/**
 * Real TCP over loopback, in this process: a server streams the checkable
 * pattern and a client reads it. One operation is one byte received, so the
 * table's Mops/s column reads as MB/s. Each round is one connection of
 * `ops` bytes (64 MiB); the client asks for the bytes (length and stream
 * offset) in a tiny request, so the pattern runs on across rounds.
 *
 * - tcp_plain: the default 'data' path (Node allocates a Buffer per read).
 * - tcp_pooled: PooledReader (onread into 64 KiB pool buffers), each buffer
 *   touched and put back at once.
 * - tcp_pooled_worker: PooledReader, every buffer handed to a PoolWorker
 *   that checks every byte against the pattern and returns it through the
 *   pool's return ring.
 */
import net from 'node:net';
import { MemoryDomain, VirtualClock, createPagePool, type PagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { PATTERN_PERIOD, PatternTape, PoolWorker, PooledReader, writePattern } from '@netmem/io';
import type { BenchCase, BenchInstance } from '../types.js';

/** Bytes per round. */
const ROUND = 64 << 20;
/** Pool buffers: order 4 (64 KiB), 32 of them. */
const ORDER = 4;
const BUFFERS = 32;
const SEED = 0x7c9;

interface Rig {
  /** Resolves with the server's port once it listens. */
  port: Promise<number>;
  close(): void;
}

/** A loopback server: each connection sends 8 bytes (length, stream offset mod the period) and gets that much pattern. */
function patternServer(tape: PatternTape): Rig {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', (req: Buffer) => {
      writePattern(s, tape, req.readUInt32LE(0), { from: req.readUInt32LE(4) }).catch(() => {});
    });
  });
  const port = new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
  return {
    port,
    close() {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

function request(bytes: number, from: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(bytes, 0);
  b.writeUInt32LE(from % PATTERN_PERIOD, 4);
  return b;
}

function makePool(): PagePool {
  const domain = new MemoryDomain({ pages: BUFFERS << ORDER, netIovs: 0, clock: new VirtualClock(), onWarn: false });
  return createPagePool({ domain, order: ORDER, poolSize: 256, provider: pagesProvider() });
}

function check(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

/** tcp_plain. */
export const tcpPlain: BenchCase = {
  name: 'tcp_plain',
  title: "one byte received over loopback TCP, Node's default 'data' path (MB/s = Mops/s)",
  ops: ROUND,
  setup(): BenchInstance {
    const rig = patternServer(new PatternTape(SEED));
    let total = 0;
    return {
      async run(ops) {
        const port = await rig.port;
        return new Promise<number>((resolve, reject) => {
          let got = 0;
          let acc = 0;
          const s = net.connect({ host: '127.0.0.1', port }, () => s.write(request(ops, total)));
          s.on('data', (d: Buffer) => {
            acc = (acc + d[0]) | 0;
            got += d.length;
          });
          s.on('error', reject);
          s.on('close', () => {
            total += got;
            if (got !== ops) reject(new Error(`received ${got} of ${ops} bytes`));
            else resolve(acc);
          });
        });
      },
      verify(totalOps) {
        check(total === totalOps, `received ${total} bytes, expected ${totalOps}`);
        return `${(total / 2 ** 20).toFixed(0)} MiB`;
      },
      teardown: () => rig.close(),
    };
  },
};

/** tcp_pooled. */
export const tcpPooled: BenchCase = {
  name: 'tcp_pooled',
  title: 'one byte received over loopback TCP, PooledReader into 64 KiB pool buffers (MB/s = Mops/s)',
  ops: ROUND,
  setup(): BenchInstance {
    const rig = patternServer(new PatternTape(SEED));
    const pool = makePool();
    let total = 0;
    let reads = 0;
    return {
      async run(ops) {
        const port = await rig.port;
        return new Promise<number>((resolve, reject) => {
          let acc = 0;
          const reader: PooledReader = PooledReader.connect(
            pool,
            { host: '127.0.0.1', port },
            {
              onRead(nm, bytes) {
                acc = (acc + bytes[0]) | 0;
                reader.put(nm);
              },
              onClose(error) {
                const got = reader.stats().bytes;
                total += got;
                reads += reader.stats().reads;
                if (error) reject(error);
                else if (got !== ops) reject(new Error(`received ${got} of ${ops} bytes`));
                else resolve(acc);
              },
            },
          );
          reader.socket!.once('connect', () => reader.socket!.write(request(ops, total)));
        });
      },
      verify(totalOps) {
        check(total === totalOps, `received ${total} bytes, expected ${totalOps}`);
        const s = pool.stats();
        check(s.alloc.slowHighOrder <= BUFFERS, `${s.alloc.slowHighOrder} buffers came from the page allocator, expected at most ${BUFFERS}`);
        check(pool.inflight === pool.cacheSize + pool.ringLength, `${pool.inflight - pool.cacheSize - pool.ringLength} buffers still out`);
        return `${(total / 2 ** 20).toFixed(0)} MiB in ${reads} reads, ${s.alloc.slowHighOrder} page allocations`;
      },
      teardown() {
        rig.close();
        pool.destroy();
      },
    };
  },
};

/** tcp_pooled_worker. */
export const tcpPooledWorker: BenchCase = {
  name: 'tcp_pooled_worker',
  title: 'one byte received over loopback TCP into pool buffers, checked in a worker, returned via the return ring',
  ops: ROUND,
  setup(): BenchInstance {
    const tape = new PatternTape(SEED);
    const rig = patternServer(tape);
    const pool = makePool();
    const stats = new SharedArrayBuffer(12);
    const worker = PoolWorker.start(pool, new URL('./tcp-verify-worker.ts', import.meta.url), { workerData: { seed: SEED, stats }, capacity: 64 });
    let total = 0;
    let pw: PoolWorker | null = null;
    return {
      async run(ops) {
        const port = await rig.port;
        const w = (pw ??= await worker);
        return new Promise<number>((resolve, reject) => {
          const reader: PooledReader = PooledReader.connect(
            pool,
            { host: '127.0.0.1', port },
            {
              onRead(nm, _bytes, length) {
                if (!w.send(nm, length)) reject(new Error('hand-out refused'));
              },
              waitForBuffers: () => w.whenReturned(20),
              onClose(error) {
                const got = reader.stats().bytes;
                total += got;
                if (error) reject(error);
                else if (got !== ops) reject(new Error(`received ${got} of ${ops} bytes`));
                else resolve(reader.stats().reads);
              },
            },
          );
          reader.socket!.once('connect', () => reader.socket!.write(request(ops, total)));
        }).then(async (reads) => {
          // The round ends when the worker has checked and returned every buffer.
          while (w.stats().held > 0) await w.whenReturned(20);
          return reads;
        });
      },
      verify(totalOps) {
        const w = pw!;
        const out = new Int32Array(stats);
        check(total === totalOps, `received ${total} bytes, expected ${totalOps}`);
        check(out[1] === 0, `${out[1]} buffers failed the pattern check in the worker`);
        check(out[2] === w.stats().handedOut, `the worker checked ${out[2]} of ${w.stats().handedOut} buffers`);
        check(out[0] === (totalOps | 0), `the worker checked ${out[0]} bytes (mod 2^32), expected ${totalOps | 0}`);
        const s = w.stats();
        return `${(total / 2 ** 20).toFixed(0)} MiB, ${s.handedOut} buffers checked by the worker, ${s.returned} returned via the ring, ${pool.stats().recycle.cached} direct recycles`;
      },
      teardown() {
        rig.close();
        void pw?.stop().then(() => pool.destroy());
      },
    };
  },
};

/** The TCP cases, in report order. */
export const tcpCases: readonly BenchCase[] = [tcpPlain, tcpPooled, tcpPooledWorker];
