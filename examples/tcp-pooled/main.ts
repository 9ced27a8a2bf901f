/**
 * Real sockets, real threads: a loopback TCP server (127.0.0.1 only)
 * streams a checkable pattern; the client reads it twice, first with Node's
 * plain 'data' path, then with a PooledReader whose every read lands in a
 * 64 KiB buffer of a page pool (Node's `onread`, no Buffer per read). Each
 * pooled buffer goes to a worker thread that checks every byte in place, in
 * the domain's shared page storage, and returns the buffer through the
 * pool's return ring; when the pool runs dry reading pauses until returns
 * come back. Prints throughput, reads, GC events and the pool's figures for
 * both runs; exits non-zero unless every byte is right and every buffer is
 * back.
 *
 *   node --conditions=@netmem/source --import tsx examples/tcp-pooled/main.ts [--bytes N] [--timeout-ms N]
 */
import net from 'node:net';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { MemoryDomain, createPagePool } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { PATTERN_PERIOD, PatternTape, PoolWorker, PooledReader, writePattern } from '@netmem/io';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';

/** Options of {@link main}. */
export interface TcpPooledOptions {
  /** Bytes streamed per run. Default 256 MiB. */
  bytes?: number;
  /** The whole run fails after this long. Default 60 s. */
  timeoutMs?: number;
}

const SEED = 0x2b0b;
const ORDER = 4; // 64 KiB buffers
const BUFFERS = 64;

/** GC entries, by start time on the performance timeline. */
const gcStarts: number[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcStarts.push(e.startTime);
});

async function gcEventsBetween(t0: number, t1: number): Promise<number> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 5));
  for (const e of gcObserver.takeRecords()) gcStarts.push(e.startTime);
  return gcStarts.filter((t) => t >= t0 && t <= t1).length;
}

/** Rejects after `ms`: the bound on every phase. */
function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p.finally(() => clearTimeout(timer)), t]);
}

interface Run {
  bytes: number;
  reads: number;
  ms: number;
  gc: number;
}

/** The request for `bytes` bytes of the stream from `from`. */
function request(bytes: number, from: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(bytes, 0);
  b.writeUInt32LE(from % PATTERN_PERIOD, 4);
  return b;
}

/** The plain path: Node allocates a Buffer for every read. */
function plainRun(port: number, total: number): Promise<Omit<Run, 'gc' | 'ms'>> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let reads = 0;
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(request(total, 0)));
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      reads++;
    });
    s.on('error', reject);
    s.on('close', () => resolve({ bytes, reads }));
  });
}

export async function main(opts: TcpPooledOptions = {}): Promise<ExampleResult> {
  const total = opts.bytes ?? 256 << 20;
  const warmup = Math.min(8 << 20, Math.max(1, total >>> 2)); // a short connection first on each path, not counted
  const until = performance.now() + (opts.timeoutMs ?? 60_000);
  const left = (): number => Math.max(1, Math.round(until - performance.now())); // one bound for the whole run
  const c = new Checks('tcp-pooled');
  const mib = total / 2 ** 20;
  console.log(`tcp-pooled: ${mib} MiB over loopback TCP, plain 'data' path vs PooledReader + a worker checking every byte`);
  gcObserver.observe({ entryTypes: ['gc'] });

  const tape = new PatternTape(SEED);
  const sockets = new Set<net.Socket>();
  // Each connection asks for its bytes: 4-byte length, 4-byte stream offset (the pattern runs on across connections).
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', (req: Buffer) => writePattern(s, tape, req.readUInt32LE(0), { from: req.readUInt32LE(4) }).catch(() => {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;

  const domain = new MemoryDomain({ pages: BUFFERS << ORDER, onWarn: false });
  observe(domain);
  const pool = createPagePool({ domain, order: ORDER, poolSize: 256, provider: pagesProvider() });
  const counters = new SharedArrayBuffer(16);
  const out = new Int32Array(counters);
  let worker: PoolWorker | null = null;
  let reader: PooledReader | null = null;
  try {
    // 1. The plain path (after a short warm-up connection, as the pooled path gets one).
    await deadline(plainRun(port, warmup), left(), 'plain warm-up');
    let t0 = performance.now();
    const p = await deadline(plainRun(port, total), left(), 'plain run');
    let t1 = performance.now();
    const plain: Run = { ...p, ms: t1 - t0, gc: await gcEventsBetween(t0, t1) };
    c.equal(plain.bytes, total, 'bytes on the plain path');

    // 2. The pooled path: reads land in pool buffers, a worker checks and returns them.
    worker = await deadline(
      PoolWorker.start(pool, new URL('./verify-worker.ts', import.meta.url), { workerData: { seed: SEED, counters }, capacity: 128 }),
      left(),
      'worker start',
    );
    const w = worker;
    /** One pooled connection of `bytes` from stream offset `from`, to its close and until the worker gave every buffer back. */
    const pooledRun = async (bytes: number, from: number): Promise<{ reader: PooledReader; error: Error | null }> => {
      let rd!: PooledReader;
      const closed = new Promise<Error | null>((resolve) => {
        rd = PooledReader.connect(
          pool,
          { host: '127.0.0.1', port },
          {
            onRead(nm, _bytes, length) {
              if (!w.send(nm, length)) throw new Error('the worker refused a buffer');
            },
            waitForBuffers: () => w.whenReturned(20), // dry: wake when the worker returns some
            onClose: resolve,
          },
        );
        rd.socket!.once('connect', () => rd.socket!.write(request(bytes, from)));
      });
      reader = rd;
      const error = await deadline(closed, left(), 'pooled run');
      while (w.stats().held > 0) await deadline(w.whenReturned(20), left(), 'worker returns'); // every buffer checked and back
      return { reader: rd, error };
    };
    const warm = await pooledRun(warmup, 0); // the worker's checker gets compiled here
    t0 = performance.now();
    const { reader: rd, error } = await pooledRun(total, warmup);
    t1 = performance.now();
    const r = rd.stats();
    const pooled: Run = { bytes: r.bytes, reads: r.reads, ms: t1 - t0, gc: await gcEventsBetween(t0, t1) };
    const exit = await deadline(w.stop(), left(), 'worker stop');
    worker = null;

    const mbps = (x: Run): string => (x.bytes / x.ms / 1000).toFixed(0);
    console.log(`  plain 'data':  ${mbps(plain)} MB/s, ${plain.reads} reads (a Buffer each), ${plain.gc} GC events`);
    console.log(
      `  pooled:        ${mbps(pooled)} MB/s, ${pooled.reads} reads into ${BUFFERS} buffers of 64 KiB, ${pooled.gc} GC events, ${r.pauses} pauses for want of buffers`,
    );
    console.log(`                 ${(plain.ms / pooled.ms).toFixed(2)}× the plain path's throughput, every byte checked in the worker`);
    const ws = w.stats();
    console.log(
      `  worker:        ${ws.taken} buffers taken (warm-up included), ${ws.put} returned through the return ring (${ws.returned} drained by the pool), ${out[1]} bad`,
    );
    console.log(`  pool stats:    ${JSON.stringify(pool.stats())}`);

    c.expect(error === null && warm.error === null, `the pooled connections ended cleanly (${(error ?? warm.error)?.message})`);
    c.equal(pooled.bytes, total, 'bytes on the pooled path');
    c.equal(out[2], ws.handedOut, 'buffers the worker checked');
    c.equal(out[0], (total + warmup) | 0, 'bytes the worker checked, warm-up included (mod 2^32)');
    c.equal(out[1], 0, `buffers with a wrong byte (first at stream offset ${out[3]})`);
    c.equal(exit.code, 0, 'worker exit code');
    c.equal(exit.reclaimed, 0, 'buffers the worker still held at exit');
    c.equal(ws.held, 0, 'buffers with the worker after the run');
    c.equal(ws.skipped, 0, 'return entries skipped');
    const st = pool.stats();
    c.expect(st.recycle.ring >= ws.returned, `returns from the worker went to the ptr_ring (${st.recycle.ring} ring recycles, ${ws.returned} returns)`);
    c.expect(st.recycle.cached <= 4, `only the two readers' own buffers (2 each) were recycled into the alloc cache (got ${st.recycle.cached})`);
    c.equal(pool.inflight, pool.cacheSize + pool.ringLength, 'buffers out of the pool');
    c.equal(checkDomainInvariants(domain).length, 0, 'domain invariant violations');
    pool.destroy();
    c.expect(pool.isFreed, 'the pool is freed at destroy (nothing in flight)');
    c.equal(domain.leaks, 0, 'page_pool leaks');
    console.log(`  final: pool ${pool.isFreed ? 'freed' : 'NOT freed'}, ${pool.inflight} in flight, leaks ${domain.leaks}`);
    return c.result(`${mib} MiB pooled ${mbps(pooled)} MB/s vs plain ${mbps(plain)} MB/s, GC ${pooled.gc} vs ${plain.gc}, every byte checked in a worker`);
  } catch (e) {
    c.expect(false, e instanceof Error ? e.message : String(e));
    return c.result('failed');
  } finally {
    (reader as PooledReader | null)?.close(); // after a failure: nothing is left reading
    if (worker !== null) await (worker as PoolWorker).terminate();
    for (const s of sockets) s.destroy();
    server.close();
    gcObserver.disconnect();
  }
}

/** `--bytes N` and `--timeout-ms N` from the command line. */
function cliOptions(argv: string[]): TcpPooledOptions {
  const o: TcpPooledOptions = {};
  for (let i = 0; i < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${argv[i]} needs a positive integer, got ${argv[i + 1]}`);
    if (argv[i] === '--bytes') o.bytes = v;
    else if (argv[i] === '--timeout-ms') o.timeoutMs = v;
    else throw new Error(`unknown argument ${argv[i]} (known: --bytes N, --timeout-ms N)`);
  }
  return o;
}

runIfMain(import.meta.url, () => main(cliOptions(process.argv.slice(2))));
