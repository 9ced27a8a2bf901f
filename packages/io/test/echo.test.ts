/**
 * Zero-copy echo and forward: a pooled reader's buffers written to a socket
 * with ZeroCopyWriter. Every byte comes back right, and no buffer is
 * recycled before its write callback: at every read the ledger shows each
 * buffer still being written as the user's with a pp reference, and the
 * buffer just read is never one of them. The peer stalls at first, so
 * writes queue up, the pool runs dry and reading pauses.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { whereIs } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { PATTERN_PERIOD, PooledReader, ZeroCopyWriter, writePattern } from '../src/index.js';
import { TAPE, allBack, server, within, world, type World } from './helpers.js';

/** A socket's incoming bytes checked against the pattern; resolves with the count at EOF. */
function sinkChecked(s: net.Socket, stallMs: number): Promise<{ bytes: number; bad: number }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let bad = -1;
    s.pause();
    setTimeout(() => s.resume(), stallMs); // let the echoed writes back up first
    s.on('data', (chunk: Buffer) => {
      const t = TAPE.bytes;
      for (let i = 0; i < chunk.length && bad < 0; i++) if (chunk[i] !== t[(bytes + i) % PATTERN_PERIOD]) bad = bytes + i;
      bytes += chunk.length;
    });
    s.on('end', () => resolve({ bytes, bad }));
    s.on('error', reject);
  });
}

interface Proof {
  reads: number;
  pendingSeen: number;
  violations: string[];
}

/**
 * Reads a connection to `port` and writes every buffer to `to` (null: back
 * on the same socket), checking the ownership rule at each read. With
 * `pauseOnFull` reading pauses when the socket says so ('drain' resumes it);
 * without, the pool is the only bound: buffers held by writes in flight run
 * it dry and the reader pauses until write callbacks put them back.
 */
function relay(w: World, port: number, to: net.Socket | null, pauseOnFull: boolean): Promise<{ reader: PooledReader; writer: ZeroCopyWriter; proof: Proof }> {
  const proof: Proof = { reads: 0, pendingSeen: 0, violations: [] };
  return new Promise((resolve) => {
    let writer: ZeroCopyWriter;
    const reader: PooledReader = PooledReader.connect(
      w.pool,
      { host: '127.0.0.1', port },
      {
        onRead(nm, _bytes, length) {
          proof.reads++;
          if (writer.isPending(nm)) proof.violations.push(`read into ${nm} while its write was pending`);
          proof.pendingSeen = Math.max(proof.pendingSeen, writer.pending);
          // Every buffer still being written: the user's (held by the writer), with its reference.
          for (const p of writer.pendingBuffers()) {
            const where = whereIs(w.domain, p);
            if (where.place !== 'user' || where.ppRef < 1 || where.poolId !== w.pool.id) proof.violations.push(`pending ${p} is ${JSON.stringify(where)}`);
          }
          if (!writer.write(nm, length) && pauseOnFull) {
            reader.pause();
            writer.socket.once('drain', () => reader.resume());
          }
        },
        onEnd: () => writer.socket.end(),
        onClose: () => resolve({ reader, writer, proof }),
      },
    );
    writer = new ZeroCopyWriter(w.pool, to ?? reader.socket!);
  });
}

async function settle(w: World, writer: ZeroCopyWriter): Promise<void> {
  for (let i = 0; i < 200 && writer.pending > 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(writer.pending).toBe(0);
  expect(allBack(w.pool)).toBe(true);
  expect(checkDomainInvariants(w.domain)).toEqual([]);
  w.pool.destroy();
  expect(w.pool.isFreed).toBe(true);
}

describe('zero-copy echo and forward', () => {
  it('echo: 16 MiB read into pool buffers and written back on the same socket, byte-exact; buffers held until their write callbacks', async () => {
    const w = world({ buffers: 24, checked: true });
    const total = 16 << 20;
    let echoed!: Promise<{ bytes: number; bad: number }>;
    const srv = await server((s) => {
      echoed = sinkChecked(s, 150);
      writePattern(s, TAPE, total).catch(() => {});
    });
    const r = await within(relay(w, srv.port, null, false), 20_000, 'echo');
    const e = await within(echoed, 5_000, 'echo sink');
    await srv.close();
    expect(e).toEqual({ bytes: total, bad: -1 });
    expect(r.proof.violations).toEqual([]);
    expect(r.proof.pendingSeen).toBeGreaterThan(1); // writes really were in flight while reading went on
    expect(r.reader.stats().pauses).toBeGreaterThan(0); // the held buffers ran the pool dry
    expect(r.writer.stats()).toMatchObject({ writes: r.reader.stats().reads, bytes: total, errors: 0 });
    await settle(w, r.writer);
  }, 30_000);

  it('forward: buffers read from one connection are written to another, byte-exact', async () => {
    const w = world({ buffers: 16, checked: true });
    const total = 8 << 20;
    const src = await server((s) => {
      s.resume();
      writePattern(s, TAPE, total).catch(() => {});
    });
    let forwarded!: Promise<{ bytes: number; bad: number }>;
    const dst = await server((s) => {
      forwarded = sinkChecked(s, 100);
    });
    const out = net.connect({ host: '127.0.0.1', port: dst.port });
    out.on('error', () => {});
    await new Promise<void>((res) => out.once('connect', () => res()));
    const r = await within(relay(w, src.port, out, true), 20_000, 'forward');
    const f = await within(forwarded, 5_000, 'forward sink');
    await src.close();
    await dst.close();
    expect(f).toEqual({ bytes: total, bad: -1 });
    expect(r.proof.violations).toEqual([]);
    await settle(w, r.writer);
  }, 30_000);

  it('control: putting a buffer before its write callback (the wrong way) is caught by the same check', async () => {
    const w = world({ buffers: 8, checked: true });
    const total = 8 << 20;
    const srv = await server((s) => {
      sinkChecked(s, 150).catch(() => {});
      writePattern(s, TAPE, total).catch(() => {});
    });
    const inFlight = new Set<number>();
    let violations = 0;
    await within(
      new Promise<void>((resolve) => {
        const reader: PooledReader = PooledReader.connect(
          w.pool,
          { host: '127.0.0.1', port: srv.port },
          {
            onRead(nm, bytes, length) {
              if (inFlight.has(nm)) violations++; // the kernel may still be reading this buffer
              inFlight.add(nm);
              reader.socket!.write(bytes.subarray(0, length), () => inFlight.delete(nm));
              reader.put(nm); // wrong: the write may not have happened yet
            },
            onEnd: () => reader.socket!.end(),
            onClose: () => resolve(),
          },
        );
      }),
      20_000,
      'control',
    );
    await srv.close();
    expect(violations).toBeGreaterThan(0);
    w.pool.destroy();
  }, 30_000);

  it('a destination destroyed with writes in flight: every callback still fires and puts its buffer', async () => {
    const w = world({ buffers: 16 });
    const dst = await server((s) => s.pause()); // never reads
    const out = net.connect({ host: '127.0.0.1', port: dst.port });
    out.on('error', () => {});
    await new Promise<void>((res) => out.once('connect', () => res()));
    const writer = new ZeroCopyWriter(w.pool, out);
    for (let n = 0; n < 12; n++) {
      const nm = w.pool.allocNetmems();
      w.pool.bytes(nm).fill(n);
      writer.write(nm, 65536);
    }
    expect(writer.pending).toBeGreaterThan(0);
    out.destroy();
    await dst.close();
    for (let i = 0; i < 200 && writer.pending > 0; i++) await new Promise((res) => setTimeout(res, 5));
    expect(writer.pending).toBe(0);
    expect(allBack(w.pool)).toBe(true);
    w.pool.destroy();
    expect(w.pool.isFreed).toBe(true);
  }, 20_000);
});
