import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ByteStorage, MemoryDomain, NetmemError } from '../src/index.js';
import { RangeViews } from './helpers/internal.js';

/** Fills `a` with a position-dependent pattern so misplaced bytes show. */
function pattern(a: Uint8Array, seed: number): void {
  for (let i = 0; i < a.length; i++) a[i] = (i * 31 + seed) & 0xff;
}

/** One copy the property test performs, against storage and a plain mirror of it. */
type Op =
  | { kind: 'move'; to: number; from: number; n: number }
  | { kind: 'out'; from: number; at: number; n: number; dstOff: number }
  | { kind: 'in'; to: number; from: number; n: number; srcOff: number; whole: boolean };

const SIZE = 3 * 4096 + 100;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('move' as const), to: fc.nat(SIZE), from: fc.nat(SIZE), n: fc.nat(9000) }),
  fc.record({ kind: fc.constant('out' as const), from: fc.nat(SIZE), at: fc.nat(64), n: fc.nat(9000), dstOff: fc.nat(15) }),
  fc.record({ kind: fc.constant('in' as const), to: fc.nat(SIZE), from: fc.nat(64), n: fc.nat(9000), srcOff: fc.nat(15), whole: fc.boolean() }),
);

describe('ByteStorage', () => {
  it.each([true, false])('shared=%s: a SharedArrayBuffer only when shared, wasm-backed, zeroed, sized as asked', (shared) => {
    const s = new ByteStorage(10_000, shared);
    expect(s.buffer instanceof SharedArrayBuffer).toBe(shared);
    expect(s.fast).toBe(true);
    expect(s.shared).toBe(shared);
    expect(s.u8.length).toBe(10_000);
    expect(s.u8.every((b) => b === 0)).toBe(true);
  });

  it('a worker thread handed the shared buffer sees and writes the same bytes', async () => {
    const s = new ByteStorage(65536, true);
    s.u8[100] = 42;
    const w = new Worker(
      "const { parentPort } = require('node:worker_threads');" +
        "parentPort.once('message', (b) => { const u = new Uint8Array(b); u[101] = u[100] + 1; parentPort.postMessage(b instanceof SharedArrayBuffer); });",
      { eval: true },
    );
    try {
      w.postMessage(s.buffer);
      const shared = await new Promise((resolve) => w.once('message', resolve));
      expect(shared).toBe(true);
      expect(s.u8[101]).toBe(43);
    } finally {
      await w.terminate();
    }
  });

  it('rejects a bad size with EINVAL', () => {
    expect(() => new ByteStorage(-1, true)).toThrow(NetmemError);
    expect(() => new ByteStorage(1.5, true)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('holds() tells its own views from outside arrays', () => {
    const s = new ByteStorage(8192, true);
    expect(s.holds(s.u8.subarray(10, 20))).toBe(true);
    expect(s.holds(new Uint8Array(10))).toBe(false);
    expect(s.holds(new Uint8Array(new SharedArrayBuffer(16)))).toBe(false);
  });

  it('the fallback without wasm keeps the same buffer kinds', () => {
    const s = new ByteStorage(10_000, true, false);
    expect([s.fast, s.buffer instanceof SharedArrayBuffer, s.u8.length]).toEqual([false, true, 10_000]);
  });

  it.each([
    [true, true],
    [false, true],
    [true, false],
    [false, false],
  ])('shared=%s wasm=%s: every copy kind matches a plain reference (model test)', (shared, useWasm) => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 12 }), (ops) => {
        const s = new ByteStorage(SIZE, shared, useWasm);
        pattern(s.u8, 7);
        const ref = s.u8.slice();
        const inside = s.u8.subarray(4096, 4096 + 5000); // an inside array, for copies that stay inside
        for (const op of ops) {
          if (op.kind === 'move') {
            const n = Math.min(op.n, SIZE - op.to, SIZE - op.from);
            s.move(op.to, op.from, n);
            ref.copyWithin(op.to, op.from, op.from + n);
          } else if (op.kind === 'out') {
            const n = Math.min(op.n, SIZE - op.from);
            const backing = new Uint8Array(op.dstOff + op.at + n + 3);
            pattern(backing, 99);
            const dst = backing.subarray(op.dstOff);
            const want = dst.slice();
            want.set(ref.subarray(op.from, op.from + n), op.at);
            s.copyOut(op.from, dst, op.at, n);
            expect(Buffer.compare(dst, want)).toBe(0);
          } else {
            const n = Math.min(op.n, SIZE - op.to);
            const backing = new Uint8Array(op.srcOff + op.from + n + 5);
            pattern(backing, 55);
            let src = backing.subarray(op.srcOff);
            let from = op.from;
            if (op.whole) {
              src = src.subarray(from, from + n);
              from = 0;
            }
            s.copyIn(op.to, src, from, n);
            ref.set(src.subarray(from, from + n), op.to);
          }
          expect(Buffer.compare(s.u8, ref)).toBe(0);
        }
        // Copies between two views of the storage itself take the memmove path.
        const n = 1446;
        s.copyOut(54, inside, 3, n);
        ref.copyWithin(4096 + 3, 54, 54 + n);
        s.copyIn(9000, inside, 1, n);
        ref.copyWithin(9000, 4096 + 1, 4096 + 1 + n);
        expect(Buffer.compare(s.u8, ref)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('a reused outside array is read afresh each time (cached views are live, keyed by range)', () => {
    const s = new ByteStorage(8192, true);
    const pkt = new Uint8Array(1500);
    pattern(pkt, 1);
    s.copyIn(101, pkt, 54, 1446); // misaligned sub-range: bounce + cached range view
    expect(Buffer.compare(s.u8.subarray(101, 101 + 1446), pkt.subarray(54))).toBe(0);
    pattern(pkt, 2); // the sender rewrites its buffer
    s.copyIn(101, pkt, 54, 1446);
    expect(Buffer.compare(s.u8.subarray(101, 101 + 1446), pkt.subarray(54))).toBe(0);
    s.copyIn(3001, pkt, 60, 1440); // same array, another range
    expect(Buffer.compare(s.u8.subarray(3001, 3001 + 1440), pkt.subarray(60))).toBe(0);
    const user = new Uint8Array(2048);
    s.copyOut(101, user, 0, 1446);
    s.copyOut(3001, user, 0, 1440); // same length class, other source: nothing stale
    expect(Buffer.compare(user.subarray(0, 1440), pkt.subarray(60))).toBe(0);
  });

  it('a domain keeps its pages in its storage; outside and inside buffers read the same bytes', () => {
    const d = new MemoryDomain({ pages: 16, netIovs: 0, onWarn: false });
    expect(d.pageRegion.buffer).toBe(d.storage.buffer);
    expect(d.pageRegion.storage).toBe(d.storage);
    const pg = d.allocPages(0);
    const v = d.bytes(pg);
    expect(d.storage.holds(v)).toBe(true);
    pattern(v, 3);
    const outside = new Uint8Array(4096);
    d.storage.copyOut(v.byteOffset + 5, outside, 0, 4000);
    expect(Buffer.compare(outside.subarray(0, 4000), v.subarray(5, 4005))).toBe(0);
    d.putPage(pg);
    expect(d.freePages).toBe(16);
  });
});

describe('RangeViews', () => {
  it('hands back the same live view for the same array and range, a right one otherwise', () => {
    const r = new RangeViews();
    const a = new Uint8Array(70_000);
    const b = new Uint8Array(70_000);
    pattern(a, 1);
    const v1 = r.get(a, 64, 4096);
    expect(r.get(a, 64, 4096)).toBe(v1); // hit: no new object
    expect([v1.byteOffset, v1.length, v1[0]]).toEqual([64, 4096, a[64]]);
    a[64] = 200;
    expect(r.get(a, 64, 4096)[0]).toBe(200); // the view is live
    const vb = r.get(b, 64, 4096); // same range, other array
    expect(vb).not.toBe(v1);
    expect(vb.buffer).toBe(b.buffer);
    const vn = r.get(a, 64, 4000); // same start, other length
    expect(vn.length).toBe(4000);
    r.get(a, 64, 4096);
    const vs = r.get(a, 64, 4096 + 64); // same slot as the 4096-byte view: the length must not match it
    expect([vs.byteOffset, vs.length]).toEqual([64, 4160]);
    r.get(a, 0, 100);
    const vf = r.get(a, 64, 100); // same slot as offset 0: the offset must not match it
    expect([vf.byteOffset, vf.length]).toEqual([64, 100]);
    // Many ranges, including ones that share a slot: every answer is the asked range.
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 16; i++) {
        const from = 64 + i * 4096;
        const v = r.get(a, from, 4096);
        expect([v.byteOffset, v.length, v[5]]).toEqual([from, 4096, a[from + 5]]);
      }
    }
  });
});
