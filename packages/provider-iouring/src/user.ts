/**
 * The user-space side of zcrx: reading CQEs from the shared completion
 * queue and returning buffers through the shared refill ring. These classes
 * touch only SharedArrayBuffers (no @netmem/core import), so a worker_thread
 * can use them on buffers it was sent while the kernel side runs elsewhere.
 *
 * Memory strategy: typed-array views made once; reap and push allocate
 * nothing. Atomics are used only on the indices another thread publishes or
 * reads (CQ head/tail, refill head/tail), once per batch.
 */
import {
  CQ_CQES_OFF,
  CQ_ENTRIES,
  CQ_HEAD,
  CQ_MASK,
  CQ_TAIL,
  CQE_SIZE,
  IO_RQ_MAX_ENTRIES,
  IORING_MAX_CQ_ENTRIES,
  ZCRX_RQE_SIZE,
  USER_PAGE_SIZE,
} from './constants.js';
import { isPow2, isU32, userExpected } from './user-errors.js';

/**
 * Offsets of the refill ring inside its region (io_uring_zcrx_offsets).
 * @category User space
 */
export interface ZcrxRqOffsets {
  /** Byte offset of the kernel-owned head. */
  head: number;
  /** Byte offset of the user-owned tail. */
  tail: number;
  /** Byte offset of the first 16-byte entry. */
  rqes: number;
}

/**
 * Reads CQEs from a completion-queue buffer (the consumer side). Call
 * {@link begin}, read entries `0..count-1` with the field getters, then
 * {@link end} to publish the new head.
 * @category User space
 */
export class CqConsumer {
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly mask: number;
  private head = 0;
  private avail = 0;
  private seenTail = 0;

  /**
   * EINVAL unless `buffer` is a SharedArrayBuffer laid out as a CQ: a
   * header whose entry count is a power of two up to 65536 with the
   * matching mask, and room for that many CQEs.
   */
  constructor(
    /** The CQ buffer (IoUring.cq.buffer). */
    readonly buffer: SharedArrayBuffer,
  ) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < CQ_CQES_OFF) {
      userExpected(`a CQ consumer needs the CQ's SharedArrayBuffer (at least ${CQ_CQES_OFF} bytes)`, buffer);
    }
    const i32 = new Int32Array(buffer);
    const entries = i32[CQ_ENTRIES];
    if (!isPow2(entries, IORING_MAX_CQ_ENTRIES) || i32[CQ_MASK] !== entries - 1 || buffer.byteLength < CQ_CQES_OFF + entries * CQE_SIZE) {
      userExpected(
        `a CQ buffer's header must give a power-of-two entry count up to ${IORING_MAX_CQ_ENTRIES}, its mask, and fit the buffer (${buffer.byteLength} bytes); entries`,
        entries,
      );
    }
    this.i32 = i32;
    this.u32 = new Uint32Array(buffer);
    this.mask = entries - 1;
  }

  /** CQ capacity. */
  get entries(): number {
    return this.i32[CQ_ENTRIES];
  }

  /** Loads head and tail once; returns how many CQEs are ready. */
  begin(): number {
    this.head = this.i32[CQ_HEAD];
    this.seenTail = Atomics.load(this.i32, CQ_TAIL);
    this.avail = (this.seenTail - this.head) >>> 0;
    return this.avail;
  }

  /** The tail {@link begin} saw (wait on this value, not a fresh load, or a post in between is missed). */
  get tailSeen(): number {
    return this.seenTail;
  }

  /**
   * Reads one word of each 64-byte line the first `n` ready CQEs span (at
   * most what {@link begin} found), before they are handled. The lines come
   * from the producer's core; these loads do not depend on each other, so
   * their cache misses overlap instead of coming one per line as the
   * handling loop reaches them. Returns a value made from them (keep it, so
   * the loads stay).
   */
  warm(n: number): number {
    if (!(n <= this.avail)) n = this.avail;
    let acc = 0;
    for (let i = 0; i < n; i += 2) acc ^= this.u32[this.at(i) + 3];
    return acc;
  }

  /** Word index of the `i`-th ready CQE. */
  private at(i: number): number {
    return (CQ_CQES_OFF + ((this.head + i) & this.mask) * CQE_SIZE) >>> 2;
  }

  /** user_data of the `i`-th ready CQE (low 53 bits). */
  userData(i: number): number {
    const w = this.at(i);
    return this.u32[w] + this.u32[w + 1] * 0x100000000;
  }

  /** res of the `i`-th ready CQE. */
  res(i: number): number {
    return this.i32[this.at(i) + 2];
  }

  /** flags of the `i`-th ready CQE. */
  flags(i: number): number {
    return this.u32[this.at(i) + 3];
  }

  /** Low 32 bits of the zcrx offset (big_cqe[0]) of the `i`-th ready CQE. */
  offLo(i: number): number {
    return this.u32[this.at(i) + 4];
  }

  /** High 32 bits of the zcrx offset of the `i`-th ready CQE. */
  offHi(i: number): number {
    return this.u32[this.at(i) + 5];
  }

  /** The zcrx offset of the `i`-th ready CQE as a number (areaId << 48 | index << 12 | inPage). */
  off(i: number): number {
    const w = this.at(i);
    return this.u32[w + 4] + this.u32[w + 5] * 0x100000000;
  }

  /** Marks `n` CQEs consumed (an integer 0..the ready count; EINVAL otherwise) and publishes the head (one atomic store). */
  end(n = this.avail): void {
    if (!isU32(n) || n > this.avail) userExpected(`CQEs consumed must be an integer 0..${this.avail} (what begin() found ready)`, n);
    this.head = (this.head + n) | 0;
    this.avail -= n;
    Atomics.store(this.i32, CQ_HEAD, this.head);
  }
}

/**
 * Writes refill entries (the producer side of the refill ring). {@link push}
 * fills entries locally; {@link commit} publishes them with one atomic store
 * of the tail.
 * @category User space
 */
export class RefillProducer {
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly headIdx: number;
  private readonly tailIdx: number;
  private readonly rqesWord: number;
  private readonly mask: number;
  private tail: number;
  private cachedHead: number;

  /**
   * EINVAL unless `buffer` is a SharedArrayBuffer, `entries` a power of two
   * up to 32768, and `offsets` ({head, tail, rqes}: 4-byte aligned) place
   * head, tail and the entries inside the buffer.
   */
  constructor(
    /** The refill-ring region buffer. */
    readonly buffer: SharedArrayBuffer,
    /** Offsets written back by registration. */
    offsets: ZcrxRqOffsets,
    /** Entry count (a power of two, as registration rounded it). */
    readonly entries: number,
  ) {
    if (!(buffer instanceof SharedArrayBuffer)) userExpected('a refill producer needs the refill region (a SharedArrayBuffer)', buffer);
    if (!isPow2(entries, IO_RQ_MAX_ENTRIES)) userExpected(`refill entries must be a power of two 1..${IO_RQ_MAX_ENTRIES}`, entries);
    checkRqOffsets(offsets, buffer.byteLength, entries);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.headIdx = offsets.head >>> 2;
    this.tailIdx = offsets.tail >>> 2;
    this.rqesWord = offsets.rqes >>> 2;
    this.mask = entries - 1;
    this.tail = Atomics.load(this.i32, this.tailIdx);
    this.cachedHead = Atomics.load(this.i32, this.headIdx);
  }

  /** Free entries (reloads the kernel's head only when the cached value says full). */
  space(): number {
    let free = this.entries - ((this.tail - this.cachedHead) >>> 0);
    if (free <= 0) {
      this.cachedHead = Atomics.load(this.i32, this.headIdx);
      free = this.entries - ((this.tail - this.cachedHead) >>> 0);
    }
    return free;
  }

  /**
   * Queues one entry: `offLo`/`offHi` are the two halves of the CQE's
   * offset, `pad` must be 0 for the kernel to take it. False when full.
   */
  push(offLo: number, offHi: number, len = USER_PAGE_SIZE, pad = 0): boolean {
    // u32 fields of struct io_uring_zcrx_rqe: one integer test each, nothing written for a bad one.
    if (!isU32(offLo) || !isU32(offHi) || !isU32(len) || !isU32(pad)) badRqe(offLo, offHi, len, pad);
    if (this.space() <= 0) return false;
    const w = this.rqesWord + (this.tail & this.mask) * (ZCRX_RQE_SIZE >>> 2);
    this.u32[w] = offLo;
    this.u32[w + 1] = offHi;
    this.u32[w + 2] = len;
    this.u32[w + 3] = pad;
    this.tail = (this.tail + 1) | 0;
    return true;
  }

  /** Queues an entry from a whole offset number (areaId << 48 | index << 12 | inPage; an integer 0..2^53-1, EINVAL otherwise). */
  pushOff(off: number, len = USER_PAGE_SIZE, pad = 0): boolean {
    if (!Number.isSafeInteger(off) || off < 0) userExpected('a refill offset must be an integer 0..2^53-1', off);
    return this.push(off >>> 0, Math.floor(off / 0x100000000) >>> 0, len, pad);
  }

  /** Publishes queued entries (one atomic store of the tail). */
  commit(): void {
    Atomics.store(this.i32, this.tailIdx, this.tail);
  }

  /** Entries queued but not yet consumed by the kernel side. */
  get pending(): number {
    return (this.tail - Atomics.load(this.i32, this.headIdx)) >>> 0;
  }
}

/** Which push argument was bad (the rare path, out of line). */
function badRqe(offLo: number, offHi: number, len: number, pad: number): never {
  const [name, v] = !isU32(offLo) ? ['offLo', offLo] : !isU32(offHi) ? ['offHi', offHi] : !isU32(len) ? ['len', len] : ['pad', pad];
  return userExpected(`a refill entry's ${name} must be a u32 (an integer 0..0xffffffff)`, v);
}

/** The refill offsets fit the region: 4-byte aligned head and tail inside it, the entries after `rqes` too. */
function checkRqOffsets(o: ZcrxRqOffsets, bytes: number, entries: number): void {
  if (typeof o !== 'object' || o === null) userExpected('refill offsets must be an object {head, tail, rqes}', o);
  for (const k of Object.keys(o))
    if (k !== 'head' && k !== 'tail' && k !== 'rqes') userExpected('refill offsets take head, tail and rqes only; unknown key', k);
  const ok = (v: unknown, room: number): boolean => isU32(v) && v % 4 === 0 && v + room <= bytes;
  if (!ok(o.head, 4)) userExpected(`the refill head offset must be 4-byte aligned inside the ${bytes}-byte region`, o.head);
  if (!ok(o.tail, 4)) userExpected(`the refill tail offset must be 4-byte aligned inside the ${bytes}-byte region`, o.tail);
  if (!ok(o.rqes, entries * ZCRX_RQE_SIZE))
    userExpected(`the refill entries (${entries} × ${ZCRX_RQE_SIZE} bytes) must start 4-byte aligned inside the ${bytes}-byte region; rqes`, o.rqes);
}

/**
 * Index of the buffer an offset names (bits 12..47); EINVAL unless both halves are u32.
 * @category User space
 */
export function zcrxIndexOf(offLo: number, offHi: number): number {
  if (!isU32(offLo) || !isU32(offHi)) userExpected('offset halves must be u32 (integers 0..0xffffffff)', isU32(offLo) ? offHi : offLo);
  return (offHi & 0xffff) * 0x100000 + (offLo >>> 12);
}

/**
 * Area id an offset names (bits 48..63); EINVAL unless `offHi` is a u32.
 * @category User space
 */
export function zcrxAreaOf(offHi: number): number {
  if (!isU32(offHi)) userExpected('the high offset half must be a u32 (an integer 0..0xffffffff)', offHi);
  return offHi >>> 16;
}
