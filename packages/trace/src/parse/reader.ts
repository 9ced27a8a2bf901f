/**
 * Streaming: bytes in, page_pool events out, in bounded memory. A file is
 * read in fixed chunks into one reused buffer (`readTraceFileSync`), a
 * stream chunk by chunk (`readTraceStream`); lines are cut out of the chunk
 * where they lie, and only a line that straddles two chunks is copied (into
 * a carry buffer that grows to the longest such line, at most
 * {@link MAX_LINE} bytes). CRLF endings are accepted. A last line without a
 * newline is treated as cut short by the capture (reported, not used).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { BadLine, ParseSummary, TraceEvent } from '../types.js';
import { latin1, LineKind, LineParser } from './line-parser.js';

/**
 * Longest line accepted; longer ones are reported as malformed.
 * @category Reading traces
 */
export const MAX_LINE = 64 * 1024;
/**
 * Bytes read per chunk.
 * @category Reading traces
 */
export const CHUNK = 1 << 20;
const KEEP_BAD = 100;
const KEEP_OTHER_NAMES = 20;

/**
 * Receives each page_pool event (the event object is reused: copy what you keep).
 * @category Reading traces
 */
export type EventSink = (ev: TraceEvent, parser: LineParser) => void;

/**
 * Called now and then with bytes read so far (for a progress display).
 * @category Reading traces
 */
export type ProgressFn = (bytes: number, events: number) => void;

/**
 * Turns chunks into lines and lines into events; counts everything else.
 * @category Reading traces
 */
export class TraceReader {
  /** The line parser (its `comms` names the events' tasks). */
  readonly parser = new LineParser();
  private readonly summary: ParseSummary = {
    format: 'unknown',
    lines: 0,
    bytes: 0,
    events: { hold: 0, release: 0, poolRelease: 0, updateNid: 0 },
    otherEvents: 0,
    otherEventNames: {},
    headerLines: 0,
    malformed: 0,
    malformedLines: [],
    tracerLost: [],
    firstTime: null,
    lastTime: null,
  };
  private carry: Uint8Array = Buffer.alloc(4096);
  private carryLen = 0;
  private skipping = false;
  private line = 0;
  private events = 0;
  private firstUs = -1;
  private lastUs = -1;

  constructor(
    private readonly sink: EventSink,
    private readonly progress: ProgressFn | null = null,
  ) {}

  /** Feeds the next chunk (it may be reused by the caller after this returns). A Buffer is fastest: its indexOf is memchr. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    this.summary.bytes += n;
    let s = 0;
    if (this.carryLen > 0 || this.skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.stash(chunk, 0, n);
        return;
      }
      this.stash(chunk, 0, nl);
      if (this.skipping) {
        this.skipping = false;
        this.carryLen = 0;
        this.line++;
      } else {
        this.lineAt(this.carry, 0, this.carryLen);
        this.carryLen = 0;
      }
      s = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(10, s);
      if (nl < 0) break;
      this.lineAt(chunk, s, nl);
      s = nl + 1;
    }
    if (s < n) this.stash(chunk, s, n);
    this.progress?.(this.summary.bytes, this.events);
  }

  /** Ends the input: a pending last line without a newline is reported as truncated. */
  end(): ParseSummary {
    if (this.carryLen > 0 || this.skipping) {
      this.line++;
      const text = this.skipping ? '' : latin1(this.carry, 0, Math.min(this.carryLen, 200));
      if (text.trim() !== '') this.malformed('last line has no newline: the capture was cut short (line not used)', text);
      this.carryLen = 0;
      this.skipping = false;
    }
    const s = this.summary;
    s.lines = this.line;
    s.format = this.parser.format;
    s.firstTime = this.firstUs < 0 ? null : this.firstUs / 1e6;
    s.lastTime = this.lastUs < 0 ? null : this.lastUs / 1e6;
    return s;
  }

  private stash(chunk: Uint8Array, s: number, e: number): void {
    if (this.skipping) return;
    const need = this.carryLen + (e - s);
    if (need > MAX_LINE) {
      this.line++;
      this.malformed(`line longer than ${MAX_LINE} bytes`, latin1(this.carry, 0, Math.min(this.carryLen, 200)));
      this.line--; // counted again when its newline arrives
      this.skipping = true;
      this.carryLen = 0;
      return;
    }
    if (need > this.carry.length) {
      const bigger = Buffer.alloc(Math.min(MAX_LINE, Math.max(need, this.carry.length * 2)));
      bigger.set(this.carry.subarray(0, this.carryLen));
      this.carry = bigger;
    }
    this.carry.set(chunk.subarray(s, e), this.carryLen);
    this.carryLen = need;
  }

  private lineAt(buf: Uint8Array, s: number, e: number): void {
    const line = ++this.line;
    if (e > s && buf[e - 1] === 13) e--;
    const p = this.parser;
    const kind = p.parse(buf, s, e, line);
    const sum = this.summary;
    if (kind === LineKind.EVENT) {
      const ev = p.ev;
      const ec = sum.events;
      if (ev.kind === 0) ec.hold++;
      else if (ev.kind === 1) ec.release++;
      else if (ev.kind === 2) ec.poolRelease++;
      else ec.updateNid++;
      this.events++;
      if (this.firstUs < 0) this.firstUs = ev.timeUs;
      this.lastUs = ev.timeUs;
      this.sink(ev, p);
      return;
    }
    if (kind === LineKind.OTHER) {
      sum.otherEvents++;
      const names = sum.otherEventNames;
      const name = latin1(buf, p.otherStart, p.otherEnd);
      if (names[name] !== undefined) names[name]++;
      else if (Object.keys(names).length < KEEP_OTHER_NAMES) names[name] = 1;
      return;
    }
    if (kind === LineKind.HEADER || kind === LineKind.BLANK) {
      sum.headerLines++;
      return;
    }
    const text = latin1(buf, s, Math.min(e, s + 200));
    if (kind === LineKind.LOST) {
      if (sum.tracerLost.length < KEEP_BAD) sum.tracerLost.push({ line, reason: p.reason, text });
      return;
    }
    this.malformed(p.reason, text);
  }

  private malformed(reason: string, text: string): void {
    const sum = this.summary;
    sum.malformed++;
    if (sum.malformedLines.length < KEEP_BAD) sum.malformedLines.push({ line: this.line, reason, text } satisfies BadLine);
  }
}

/**
 * Reads a trace file in chunks (never the whole file at once) and feeds `reader`.
 * @category Reading traces
 */
export function readTraceFileSync(path: string, reader: TraceReader, chunkBytes = CHUNK): ParseSummary {
  const fd = openSync(path, 'r');
  try {
    // A Buffer: its indexOf is memchr (a typed array's is a slower loop).
    const buf = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n <= 0) break;
      reader.push(n === chunkBytes ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return reader.end();
}

/**
 * Size of a file in bytes (for progress), or 0 when it is not a regular file.
 * @category Reading traces
 */
export function fileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    return st.isFile() ? st.size : 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a stream (stdin, a pipe, a socket) chunk by chunk and feeds `reader`.
 * @category Reading traces
 */
export async function readTraceStream(stream: AsyncIterable<Uint8Array | string>, reader: TraceReader): Promise<ParseSummary> {
  for await (const chunk of stream) reader.push(asBuffer(chunk));
  return reader.end();
}

/**
 * Parses a whole string (tests, small inputs).
 * @category Reading traces
 */
export function readTraceText(text: string, reader: TraceReader): ParseSummary {
  reader.push(Buffer.from(text, 'utf8'));
  return reader.end();
}

/** A chunk as a Buffer, without copying bytes (Buffer.indexOf is memchr). */
function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
