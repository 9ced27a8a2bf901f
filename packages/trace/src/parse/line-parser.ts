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

/** What a line turned out to be. */
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

/** One of the {@link LineKind} codes. */
export type LineKindCode = (typeof LineKind)[keyof typeof LineKind];

const SP = 32;
const COLON = 58;
const DASH = 45;
const DOT = 46;
const LBR = 91;
const RBR = 93;
const EQ = 61;
const COMMA = 44;
const HASH = 35;
const TAB = 9;

// Field bits.
const F_POOL = 1;
const F_NETMEM = 2;
const F_NETIOV = 4;
const F_PFN = 8;
const F_HOLD = 16;
const F_RELEASE = 32;
const F_INFLIGHT = 64;
const F_CNT = 128;
const F_OLDNID = 256;
const F_NEWNID = 512;
const NEED = [
  F_POOL | F_NETMEM | F_NETIOV | F_PFN | F_HOLD,
  F_POOL | F_NETMEM | F_NETIOV | F_PFN | F_RELEASE,
  F_POOL | F_INFLIGHT | F_HOLD | F_RELEASE | F_CNT,
  F_POOL | F_OLDNID | F_NEWNID,
];

/** Hex digit value of a byte, -1 when it is not one. */
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses trace lines; keeps the format it saw first. */
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
  /** Format of the first event line (any tracepoint). */
  format: TraceFormat = 'unknown';
  /** Why the last MALFORMED line was rejected. */
  reason = '';
  /** Byte range of the last OTHER line's event name. */
  otherStart = 0;
  /** See {@link otherStart}. */
  otherEnd = 0;

  // Scratch results of the number readers (so they return positions, not objects).
  private hi = 0;
  private lo = 0;
  private num = 0;

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
    const got = this.fields(buf, i, end, kind);
    if (got < 0) return LineKind.MALFORMED;
    if ((got & NEED[kind]) !== NEED[kind]) return this.bad('missing fields (truncated line?)');
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

  /** Reads `key=value` fields into `ev`; returns the bits of the fields found, or -1. */
  private fields(buf: Uint8Array, i: number, end: number, kind: number): number {
    const ev = this.ev;
    let got = 0;
    while (i < end) {
      while (i < end && (buf[i] === SP || buf[i] === COMMA || buf[i] === TAB)) i++;
      if (i === end) break;
      const ks = i;
      while (i < end && buf[i] !== EQ && buf[i] !== SP) i++;
      if (i === end || buf[i] !== EQ) {
        this.reason = 'a field without a value (truncated line?)';
        return -1;
      }
      const kl = i - ks;
      const k0 = buf[ks];
      const vs = ++i;
      while (i < end && buf[i] !== SP && buf[i] !== COMMA) i++;
      const ve = i;
      if (ve === vs) {
        this.reason = 'an empty field value (truncated line?)';
        return -1;
      }
      let ok = true;
      switch (kl) {
        case 9: // page_pool
          if (k0 !== 112) break;
          ok = this.pointer(buf, vs, ve);
          ev.poolHi = this.hi;
          ev.poolLo = this.lo;
          ev.poolDigits = this.num;
          ev.ptrPrefix = buf[vs] === 48 && ve - vs > 2 && buf[vs + 1] === 120;
          got |= F_POOL;
          break;
        case 6: // netmem
          if (k0 !== 110) break;
          ok = this.pointer(buf, vs, ve);
          ev.netmemHi = this.hi;
          ev.netmemLo = this.lo;
          ev.netmemDigits = this.num;
          got |= F_NETMEM;
          break;
        case 10: // is_net_iov
          if (k0 !== 105) break;
          ok = this.decimal(buf, vs, ve);
          ev.netIov = this.num !== 0;
          got |= F_NETIOV;
          break;
        case 3: // pfn | cnt
          ok = this.decimal(buf, vs, ve);
          if (k0 === 112) {
            ev.pfn = this.num;
            got |= F_PFN;
          } else if (k0 === 99) {
            ev.cnt = this.num;
            got |= F_CNT;
          }
          break;
        case 4: // hold
          if (k0 !== 104) break;
          ok = this.decimal(buf, vs, ve);
          if (kind === EventKind.HOLD) ev.counter = this.num;
          else ev.hold = this.num;
          got |= F_HOLD;
          break;
        case 7: // release | new_nid
          ok = this.decimal(buf, vs, ve);
          if (k0 === 114) {
            if (kind === EventKind.RELEASE) ev.counter = this.num;
            else ev.release = this.num;
            got |= F_RELEASE;
          } else if (k0 === 110) {
            ev.newNid = this.num;
            got |= F_NEWNID;
          }
          break;
        case 8: // inflight | pool_nid
          ok = this.decimal(buf, vs, ve);
          if (k0 === 105) {
            ev.inflight = this.num;
            got |= F_INFLIGHT;
          } else if (k0 === 112) {
            ev.oldNid = this.num;
            got |= F_OLDNID;
          }
          break;
        default:
          break; // a field this tool does not use
      }
      if (!ok) {
        this.reason = 'a field value that is not a number (truncated line?)';
        return -1;
      }
    }
    return got;
  }

  /** A hex pointer (`0x` optional) into hi/lo; digit count in `num`. */
  private pointer(buf: Uint8Array, s: number, e: number): boolean {
    if (e - s > 2 && buf[s] === 48 && buf[s + 1] === 120) s += 2;
    if (e - s > 16) return false;
    let hi = 0;
    let lo = 0;
    for (let k = s; k < e; k++) {
      const d = hexVal(buf[k]);
      if (d < 0) return false;
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    this.num = e - s;
    return true;
  }

  /** A decimal (optionally negative) or `0x` hex number into `num`. */
  private decimal(buf: Uint8Array, s: number, e: number): boolean {
    let v = 0;
    if (e - s > 2 && buf[s] === 48 && buf[s + 1] === 120) {
      for (let k = s + 2; k < e; k++) {
        const d = hexVal(buf[k]);
        if (d < 0) return false;
        v = v * 16 + d;
      }
      this.num = v;
      return true;
    }
    const neg = buf[s] === DASH;
    if (neg) s++;
    if (s === e) return false;
    for (let k = s; k < e; k++) {
      const c = buf[k];
      if (c < 48 || c > 57) return false;
      v = v * 10 + c - 48;
    }
    this.num = neg ? -v : v;
    return true;
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
