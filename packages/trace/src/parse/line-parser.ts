/**
 * One trace line → one {@link TraceEvent}, by byte index: no regular
 * expression, no string and no object per line (the event object is reused).
 *
 * The three formats share a shape once the CPU column is found:
 *
 *   perf script:      `comm pid [cpu] seconds: page_pool:<event>: fields`
 *   tracefs trace:    `comm-pid [cpu] flags seconds: <event>: fields`
 *   trace-cmd report: `comm-pid [cpu] seconds: <event>: fields`
 *
 * The comm is right-aligned and may contain spaces or dashes, so the parser
 * anchors on ` [NNN] `; the pid is the digits before it, after a space
 * (perf) or the last dash (tracefs, trace-cmd); a flags column is present
 * when the token after the CPU is not a timestamp.
 */
import { EventKind, type TraceEvent, type TraceFormat } from '../types.js';
import { CommTable } from './comm-table.js';
import { FieldReader } from './fields.js';

/**
 * What a line turned out to be.
 * @category Reading traces
 */
export const LineKind = {
  /** A page_pool event: the parser's `ev` holds it. */
  EVENT: 0,
  /** Another tracepoint's event line (skipped). */
  OTHER: 1,
  /** A header or comment line. */
  HEADER: 2,
  /** An empty line. */
  BLANK: 3,
  /** A line that could not be read: `reason` says why. */
  MALFORMED: 4,
  /** The tracer reports lost events or overruns on this line. */
  LOST: 5,
} as const;

/**
 * One of the {@link LineKind} codes.
 * @category Reading traces
 */
export type LineKindCode = (typeof LineKind)[keyof typeof LineKind];

const SP = 32;
const COLON = 58;
const DASH = 45;
const DOT = 46;
const LBR = 91;
const RBR = 93;
const HASH = 35;
const TAB = 9;

/**
 * Parses trace lines; keeps the format it saw first.
 * @category Reading traces
 */
export class LineParser {
  /** The event of the last EVENT line. */
  readonly ev: TraceEvent = {
    kind: EventKind.HOLD,
    line: 0,
    timeUs: 0,
    cpu: 0,
    pid: 0,
    comm: 0,
    poolHi: 0,
    poolLo: 0,
    poolDigits: 0,
    ptrPrefix: false,
    netmemHi: 0,
    netmemLo: 0,
    netmemDigits: 0,
    netIov: false,
    pfn: 0,
    counter: 0,
    inflight: 0,
    hold: 0,
    release: 0,
    cnt: 0,
    oldNid: 0,
    newNid: 0,
  };
  /** Task names seen. */
  readonly comms = new CommTable();

  constructor() {
    this.fieldReader = new FieldReader(this.ev);
  }

  /** Format of the first event line (any tracepoint). */
  format: TraceFormat = 'unknown';
  /** Why the last MALFORMED line was rejected. */
  reason = '';
  /** Byte range of the last OTHER line's event name. */
  otherStart = 0;
  /** See {@link otherStart}. */
  otherEnd = 0;

  // Scratch result of the timestamp reader (so it returns a position, not an object).
  private num = 0;
  private readonly fieldReader: FieldReader;

  /** Parses `buf[start, end)` (no line terminator). */
  parse(buf: Uint8Array, start: number, end: number, line: number): LineKindCode {
    let i = start;
    while (i < end && (buf[i] === SP || buf[i] === TAB)) i++;
    if (i === end) return LineKind.BLANK;
    if (buf[i] === HASH) return this.header(buf, i, end);
    const commStart = i;

    // The CPU column: ` [digits] ` (the comm may contain brackets, spaces and dashes).
    let b = i;
    let cpu = -1;
    let after = 0;
    for (; b < end; b++) {
      if (buf[b] !== LBR || b === commStart || buf[b - 1] !== SP) continue;
      let j = b + 1;
      let v = 0;
      while (j < end && buf[j] >= 48 && buf[j] <= 57) v = v * 10 + buf[j++] - 48;
      if (j > b + 1 && j < end && buf[j] === RBR) {
        cpu = v;
        after = j + 1;
        break;
      }
    }
    if (cpu < 0) return this.noCpu(buf, commStart, end);

    // pid: digits before the spaces before '['; then a dash (tracefs, trace-cmd) or a space (perf).
    let p = b - 1;
    while (p > commStart && buf[p] === SP) p--;
    const pidEnd = p + 1;
    while (p >= commStart && buf[p] >= 48 && buf[p] <= 57) p--;
    if (p + 1 === pidEnd || p < commStart) return this.bad('no pid before the CPU column');
    let pid = 0;
    for (let k = p + 1; k < pidEnd; k++) pid = pid * 10 + buf[k] - 48;
    let commEnd = p;
    const dashed = buf[p] === DASH;
    if (!dashed) while (commEnd > commStart && buf[commEnd - 1] === SP) commEnd--;
    if (commEnd <= commStart && !dashed) return this.bad('no task name');

    // Optional flags column, then `seconds:`.
    i = after;
    while (i < end && buf[i] === SP) i++;
    let flags = false;
    let t = this.timestamp(buf, i, end);
    if (t < 0) {
      while (i < end && buf[i] !== SP) i++;
      while (i < end && buf[i] === SP) i++;
      t = this.timestamp(buf, i, end);
      if (t < 0) return this.bad('no timestamp after the CPU column');
      flags = true;
    }
    const timeUs = this.num;
    i = t;
    while (i < end && buf[i] === SP) i++;

    // Event name up to ':'; perf prefixes the system (`page_pool:`).
    const ns = i;
    while (i < end && buf[i] !== COLON && buf[i] !== SP) i++;
    if (i === end || buf[i] !== COLON) return this.bad('no event name');
    let nameStart = ns;
    let nameEnd = i;
    i++;
    if (i < end && buf[i] !== SP) {
      // `system:event:` (perf).
      nameStart = i;
      while (i < end && buf[i] !== COLON && buf[i] !== SP) i++;
      if (i === end || buf[i] !== COLON) return this.bad('no event name');
      nameEnd = i;
      i++;
    }
    if (this.format === 'unknown') this.format = dashed ? (flags ? 'tracefs' : 'trace-cmd') : 'perf';
    const kind = this.eventKind(buf, nameStart, nameEnd);
    if (kind < 0) {
      this.otherStart = nameStart;
      this.otherEnd = nameEnd;
      return LineKind.OTHER;
    }

    const ev = this.ev;
    const fr = this.fieldReader;
    if (!fr.read(buf, i, end, kind)) return this.bad(fr.reason);
    ev.kind = kind as TraceEvent['kind'];
    ev.line = line;
    ev.timeUs = timeUs;
    ev.cpu = cpu;
    ev.pid = pid;
    ev.comm = this.comms.id(buf, commStart, commEnd);
    return LineKind.EVENT;
  }

  /** Reads `digits.digits:` at i; returns the index after ':' (time in µs in `num`), or -1. */
  private timestamp(buf: Uint8Array, i: number, end: number): number {
    let sec = 0;
    const s = i;
    while (i < end && buf[i] >= 48 && buf[i] <= 57) sec = sec * 10 + buf[i++] - 48;
    if (i === s || i >= end || buf[i] !== DOT) return -1;
    i++;
    let frac = 0;
    let scale = 1;
    const f = i;
    while (i < end && buf[i] >= 48 && buf[i] <= 57) {
      frac = frac * 10 + buf[i++] - 48;
      scale *= 10;
    }
    if (i === f || i >= end || buf[i] !== COLON) return -1;
    this.num = sec * 1e6 + (scale === 1e6 ? frac : (frac * 1e6) / scale);
    return i + 1;
  }

  /** Which page_pool event `buf[s, e)` names; -1 for any other event. */
  private eventKind(buf: Uint8Array, s: number, e: number): number {
    const n = e - s;
    // All four start with "page_pool_"; check it and the distinguishing tail.
    if (n < 17 || buf[s] !== 112 /* p */ || buf[s + 4] !== 95 /* _ */ || buf[s + 9] !== 95) return -1;
    for (let k = 0; k < 10; k++) if (buf[s + k] !== PAGE_POOL_[k]) return -1;
    if (n === 17) return same(buf, s + 10, RELEASE_TAIL) ? EventKind.POOL_RELEASE : -1;
    if (n === 20) {
      if (same(buf, s + 10, HOLD_TAIL)) return EventKind.HOLD;
      if (same(buf, s + 10, NID_TAIL)) return EventKind.UPDATE_NID;
      return -1;
    }
    if (n === 23) return same(buf, s + 10, STATE_RELEASE_TAIL) ? EventKind.RELEASE : -1;
    return -1;
  }

  private bad(reason: string): LineKindCode {
    this.reason = reason;
    return LineKind.MALFORMED;
  }

  /** A `#` line: a header, or tracefs's entries line showing an overrun. */
  private header(buf: Uint8Array, s: number, e: number): LineKindCode {
    const text = latin1(buf, s, Math.min(e, s + 200));
    const m = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/.exec(text);
    if (m !== null && m[1] !== m[2]) {
      this.reason = `the ring buffer kept ${m[1]} of ${m[2]} entries written (${Number(m[2]) - Number(m[1])} overwritten)`;
      return LineKind.LOST;
    }
    return LineKind.HEADER;
  }

  /** A line without a CPU column: a tracer's lost-events note, trace-cmd's header, or garbage. Rare: a regex is fine here. */
  private noCpu(buf: Uint8Array, s: number, e: number): LineKindCode {
    const text = latin1(buf, s, Math.min(e, s + 200));
    if (/LOST\s+\d+\s+EVENTS/i.test(text) || /lost\s+\d+\s+(events|chunks)/i.test(text)) {
      this.reason = text.trim();
      return LineKind.LOST;
    }
    if (/^(cpus=\d+|version\s*=|CPU\s*\d+ is empty|#{3,}|\s*\[.*\]\s*$)/.test(text)) return LineKind.HEADER;
    return this.bad('no [cpu] column');
  }
}

const PAGE_POOL_ = ascii('page_pool_');
const RELEASE_TAIL = ascii('release');
const HOLD_TAIL = ascii('state_hold');
const NID_TAIL = ascii('update_nid');
const STATE_RELEASE_TAIL = ascii('state_release');

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function same(buf: Uint8Array, at: number, what: Uint8Array): boolean {
  for (let k = 0; k < what.length; k++) if (buf[at + k] !== what[k]) return false;
  return true;
}

/** Bytes as a latin-1 string (for messages; never on the event path). */
export function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]);
  return out;
}
