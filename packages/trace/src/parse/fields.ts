/**
 * The fields of a page_pool event line (`page_pool=… netmem=… is_net_iov=0,
 * pfn=0x… hold=N`, …) into the parser's reusable event. The kernel prints
 * them in a fixed order, so a fast path reads them at the positions the
 * format strings put them, checking one or two bytes of each key; any line
 * that does not fit goes through a generic `key=value` reader (unknown
 * fields ignored). Numbers are read byte by byte, hex through a lookup
 * table; nothing is allocated.
 */
import { EventKind, type TraceEvent } from '../types.js';

const SP = 32;
const COMMA = 44;
const DASH = 45;
const EQ = 61;
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

/** Hex digit values by byte (-1: not a hex digit). */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

/** Reads the fields of one event line into `ev`. */
export class FieldReader {
  /** Why the last line was rejected. */
  reason = '';
  private hi = 0;
  private lo = 0;
  private num = 0;
  private at = 0;

  constructor(private readonly ev: TraceEvent) {}

  /** Reads the fields in `buf[i, end)` of an event of `kind`; false (with {@link reason}) when they are incomplete or bad. */
  read(buf: Uint8Array, i: number, end: number, kind: number): boolean {
    if (this.fast(buf, i, end, kind)) return true;
    const got = this.generic(buf, i, end, kind);
    if (got < 0) return false;
    if ((got & NEED[kind]) !== NEED[kind]) {
      this.reason = 'missing fields (truncated line?)';
      return false;
    }
    return true;
  }

  /** The kernel's own field order and spelling; false when the line differs in any way. */
  private fast(buf: Uint8Array, i: number, end: number, kind: number): boolean {
    const ev = this.ev;
    while (i < end && buf[i] === SP) i++;
    // page_pool=
    if (buf[i] !== 112 || buf[i + 9] !== EQ || !this.hexTo(buf, i + 10, end)) return false;
    ev.poolHi = this.hi;
    ev.poolLo = this.lo;
    ev.poolDigits = this.num;
    ev.ptrPrefix = buf[i + 10] === 48 && buf[i + 11] === 120;
    i = this.at;
    if (kind === EventKind.HOLD || kind === EventKind.RELEASE) {
      // ` netmem=`, ` is_net_iov=N[,]`, ` pfn=0x…`, ` hold=N` | ` release=N`
      if (buf[i] !== SP || buf[i + 1] !== 110 || buf[i + 7] !== EQ || !this.hexTo(buf, i + 8, end)) return false;
      ev.netmemHi = this.hi;
      ev.netmemLo = this.lo;
      ev.netmemDigits = this.num;
      i = this.at;
      if (buf[i] !== SP || buf[i + 1] !== 105 || buf[i + 11] !== EQ) return false;
      const d = buf[i + 12] - 48;
      if (d < 0 || d > 9) return false;
      ev.netIov = d !== 0;
      i += 13;
      if (buf[i] === COMMA) i++;
      if (buf[i] !== SP || buf[i + 1] !== 112 || buf[i + 4] !== EQ || buf[i + 5] !== 48 || buf[i + 6] !== 120) return false;
      let pfn = 0;
      let k = i + 7;
      for (; k < end; k++) {
        const h = HEX[buf[k]];
        if (h < 0) break;
        pfn = pfn * 16 + h;
      }
      if (k === i + 7 || buf[k] !== SP) return false;
      ev.pfn = pfn;
      i = k;
      const keyLen = kind === EventKind.HOLD ? 4 : 7;
      if (buf[i + 1] !== (kind === EventKind.HOLD ? 104 : 114) || buf[i + 1 + keyLen] !== EQ || !this.dec(buf, i + 2 + keyLen, end)) return false;
      ev.counter = this.num;
      return this.at === end;
    }
    if (kind === EventKind.POOL_RELEASE) {
      // ` inflight=N hold=N release=N cnt=N`
      if (buf[i + 1] !== 105 || buf[i + 9] !== EQ || !this.dec(buf, i + 10, end)) return false;
      ev.inflight = this.num;
      i = this.at;
      if (buf[i + 1] !== 104 || buf[i + 5] !== EQ || !this.dec(buf, i + 6, end)) return false;
      ev.hold = this.num;
      i = this.at;
      if (buf[i + 1] !== 114 || buf[i + 8] !== EQ || !this.dec(buf, i + 9, end)) return false;
      ev.release = this.num;
      i = this.at;
      if (buf[i + 1] !== 99 || buf[i + 4] !== EQ || !this.dec(buf, i + 5, end)) return false;
      ev.cnt = this.num;
      return this.at === end;
    }
    return false;
  }

  /** A hex pointer at `s` (`0x` optional) up to a space or `end`: hi/lo, digits in `num`, end in `at`. */
  private hexTo(buf: Uint8Array, s: number, end: number): boolean {
    if (buf[s] === 48 && buf[s + 1] === 120) s += 2;
    let hi = 0;
    let lo = 0;
    let k = s;
    for (; k < end; k++) {
      const d = HEX[buf[k]];
      if (d < 0) break;
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
    }
    if (k === s || k - s > 16 || (k < end && buf[k] !== SP)) return false;
    this.hi = hi;
    this.lo = lo;
    this.num = k - s;
    this.at = k;
    return true;
  }

  /** A decimal at `s` (optionally negative) up to a space or `end`: value in `num`, end in `at`. */
  private dec(buf: Uint8Array, s: number, end: number): boolean {
    const neg = buf[s] === DASH;
    let k = neg ? s + 1 : s;
    const first = k;
    let v = 0;
    for (; k < end; k++) {
      const c = buf[k] - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (k === first || (k < end && buf[k] !== SP)) return false;
    this.num = neg ? -v : v;
    this.at = k;
    return true;
  }

  /** Reads `key=value` fields into `ev`; returns the bits of the fields found, or -1. */
  private generic(buf: Uint8Array, i: number, end: number, kind: number): number {
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
      const d = HEX[buf[k]];
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
        const d = HEX[buf[k]];
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
}
