/**
 * A checkable byte stream for tests, benchmarks and examples: byte `p` of
 * the stream is a function of `p`, so a receiver can verify every byte it
 * gets, in any chunking, without a copy of what was sent. The stream is
 * periodic with a period of 4 × 65537 bytes (a prime number of words, so
 * the period never lines up with power-of-two buffer sizes): a buffer lost,
 * repeated or delivered out of order shows up as wrong bytes, and the byte
 * count catches the rest.
 *
 * Memory strategy: one tape of the period plus `extra` bytes, so any range
 * of up to `extra` bytes is one contiguous view (the sender writes views of
 * it, never new data); the checker keeps the tape at its eight byte
 * alignments and compares a buffer 8 bytes at a time (Float64Array loads,
 * the fastest wide compare V8 offers, with an exact integer compare where
 * two words are equal only as numbers).
 */
import type { Socket } from 'node:net';
import { E } from './errors.js';

/** Words in one period of the pattern (a prime). */
const PERIOD_WORDS = 65537;

/** Bytes in one period of the pattern. */
export const PATTERN_PERIOD = PERIOD_WORDS * 4;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The pattern's word `k` (little-endian bytes `4k .. 4k+3` of the period). */
function word(k: number, seed: number): number {
  let x = Math.imul(k ^ seed, 0x9e3779b1);
  x ^= x >>> 15;
  return Math.imul(x, 0x85ebca77) ^ (x >>> 13);
}

/** The pattern: a tape to send from and a word-at-a-time verifier. */
export class PatternTape {
  /** The tape: stream byte `p` is `bytes[p % PATTERN_PERIOD]`, and the tape runs `extra` bytes past one period. */
  readonly bytes: Uint8Array;
  /** Longest range {@link slice} returns and a checker checks in one step. */
  readonly extra: number;
  /** The seed the words are derived from. */
  readonly seed: number;
  private readonly shifted: { f64: Float64Array; u32: Uint32Array }[] = [];

  /**
   * @param seed any 32-bit integer; sender and receiver must agree on it. Default 0x5eed.
   * @param extra bytes past one period, at least 4096 (a multiple of 4). Default 1 MiB.
   */
  constructor(seed = 0x5eed, extra = 1 << 20) {
    E.int(seed, 'pattern seed', -0x80000000, 0xffffffff);
    E.int(extra, 'pattern extra bytes', 4096, 1 << 28);
    if (extra % 4 !== 0) E.expected('pattern extra bytes must be a multiple of 4', extra);
    this.seed = seed | 0;
    this.extra = extra;
    const words = new Uint32Array((PATTERN_PERIOD + extra) / 4);
    for (let i = 0; i < words.length; i++) words[i] = word(i % PERIOD_WORDS, this.seed);
    this.bytes = new Uint8Array(words.buffer);
    if (!LITTLE_ENDIAN) {
      // Define the stream by little-endian words on every host.
      for (let i = 0; i < words.length; i++) {
        const w = word(i % PERIOD_WORDS, this.seed);
        this.bytes[4 * i] = w;
        this.bytes[4 * i + 1] = w >>> 8;
        this.bytes[4 * i + 2] = w >>> 16;
        this.bytes[4 * i + 3] = w >>> 24;
      }
    }
  }

  /** Stream byte `p`. */
  byteAt(p: number): number {
    return this.bytes[p % PATTERN_PERIOD];
  }

  /** The stream's bytes `[offset, offset + length)` as a view of the tape (`length` ≤ {@link extra}). */
  slice(offset: number, length: number): Uint8Array {
    E.int(offset, 'pattern offset', 0, Number.MAX_SAFE_INTEGER);
    E.int(length, 'pattern slice length', 0, this.extra);
    const q = offset % PATTERN_PERIOD;
    return this.bytes.subarray(q, q + length);
  }

  /**
   * A checker over `memory` (a page storage, or any buffer): its views are
   * made once, so checking a buffer allocates nothing.
   */
  checker(memory: ArrayBufferLike): PatternChecker {
    return new PatternChecker(this, memory);
  }

  /** @internal The tape from byte `r` (0..7) on, as 8-byte words and as 4-byte words (built on first use). */
  shiftedBy(r: number): { f64: Float64Array; u32: Uint32Array } {
    let t = this.shifted[r];
    if (t === undefined) {
      const n = Math.floor((this.bytes.length - r) / 8);
      const copy = new Uint8Array(n * 8);
      copy.set(this.bytes.subarray(r, r + n * 8));
      t = { f64: new Float64Array(copy.buffer), u32: new Uint32Array(copy.buffer) };
      this.shifted[r] = t;
    }
    return t;
  }
}

/**
 * Checks ranges of one memory against a {@link PatternTape}'s stream,
 * 8 bytes at a time where the range starts 8-byte aligned (a pool buffer
 * does). Made by {@link PatternTape.checker}.
 */
export class PatternChecker {
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;

  /** @internal Use {@link PatternTape.checker}. */
  constructor(
    /** The tape checked against. */
    readonly tape: PatternTape,
    memory: ArrayBufferLike,
  ) {
    this.u8 = new Uint8Array(memory);
    this.u32 = new Uint32Array(memory, 0, memory.byteLength >>> 2);
    this.f64 = new Float64Array(memory, 0, memory.byteLength >>> 3);
  }

  /**
   * Checks `length` bytes from byte `at` of the memory against the stream
   * from `streamOffset`: -1 when every byte is right, else the index (from
   * `at`) of the first wrong byte. Exact: words that compare equal as
   * numbers but may differ in bits (zeros, NaNs) are compared as integers.
   */
  check(at: number, length: number, streamOffset: number): number {
    if (!(at >= 0 && length >= 0 && at + length <= this.u8.length) || (at | 0) !== at || (length | 0) !== length) {
      E.expected(`a range inside the memory (${this.u8.length} bytes)`, `${at}+${length}`);
    }
    const extra = this.tape.extra;
    let done = 0;
    while (done < length) {
      const n = Math.min(length - done, extra);
      const bad = this.piece(at + done, n, streamOffset + done);
      if (bad >= 0) return done + bad;
      done += n;
    }
    return -1;
  }

  private piece(at: number, n: number, streamOffset: number): number {
    const q = streamOffset % PATTERN_PERIOD;
    let from = 0;
    if (LITTLE_ENDIAN && (at & 7) === 0 && n >= 8) {
      const r = q & 7;
      const { f64: t64, u32: t32 } = this.tape.shiftedBy(r);
      const base = (q - r) >>> 3;
      const w0 = at >>> 3;
      const m64 = this.f64;
      const m32 = this.u32;
      const words = n >>> 3;
      for (let i = 0; i < words; i++) {
        const x = m64[w0 + i];
        if (x !== t64[base + i] || x === 0) {
          // Unequal, or equal only as numbers (±0, NaN): compare the bits.
          const a = (w0 + i) << 1;
          const b = (base + i) << 1;
          if (m32[a] !== t32[b] || m32[a + 1] !== t32[b + 1]) return this.firstBadByte(at + 8 * i, 8, q + 8 * i) + 8 * i;
        }
      }
      from = words * 8;
    }
    const bad = this.firstBadByte(at + from, n - from, q + from);
    return bad < 0 ? -1 : from + bad;
  }

  private firstBadByte(at: number, n: number, q: number): number {
    const tape = this.tape.bytes;
    const mem = this.u8;
    for (let j = 0; j < n; j++) if (mem[at + j] !== tape[q + j]) return j;
    return -1;
  }
}

/**
 * Writes `total` bytes of the pattern to `socket` from stream offset
 * `from` (default 0) in chunks of `chunk` bytes (≤ the tape's extra),
 * honouring backpressure, then ends the socket (unless `end` is false).
 * Resolves when everything was handed to the socket; rejects when the
 * socket fails first.
 */
export function writePattern(socket: Socket, tape: PatternTape, total: number, opts: { chunk?: number; from?: number; end?: boolean } = {}): Promise<void> {
  E.int(total, 'pattern bytes', 0, Number.MAX_SAFE_INTEGER);
  const chunk = E.int(opts.chunk ?? Math.min(1 << 20, tape.extra), 'pattern chunk', 1, tape.extra);
  const from = opts.from ?? 0;
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    const fail = (e: Error): void => {
      socket.off('drain', pump);
      reject(e);
    };
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(chunk, total - sent);
        const ok = socket.write(tape.slice(from + sent, n));
        sent += n;
        if (!ok) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.off('error', fail);
      if (opts.end !== false) socket.end();
      resolve();
    };
    socket.once('error', fail);
    pump();
  });
}
