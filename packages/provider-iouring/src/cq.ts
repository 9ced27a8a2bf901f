/**
 * The completion queue, kernel side: a fixed number of 32-byte CQEs in a
 * SharedArrayBuffer, laid out like the kernel's (user_data u64, res s32,
 * flags u32, big_cqe[2] u64) after a 64-byte header (head, tail, mask,
 * entries, overflow). The producer writes CQEs and publishes the tail once
 * per batch ({@link commit}); the consumer ({@link CqConsumer}) owns head.
 *
 * Memory strategy: one SharedArrayBuffer made at setup; posts write typed
 * arrays and allocate nothing. Completion CQEs that find the CQ full wait on
 * a small overflow list (rare path), as the kernel's overflow list; zcrx data
 * CQEs never overflow: they fail (ENOSPC).
 */
import { CQ_CQES_OFF, CQ_ENTRIES, CQ_HEAD, CQ_MASK, CQ_OVERFLOW, CQ_TAIL, CQE_SIZE, IORING_MAX_CQ_ENTRIES } from './constants.js';
import { E } from './errors.js';
import { isPow2, isU32 } from './user-errors.js';

/** user_data is a u64; as a number it stays exact up to 2^53 − 1. */
function isUserData(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** res is an s32. */
function isS32(v: unknown): v is number {
  return typeof v === 'number' && (v | 0) === v;
}

/** Names the first bad CQE field (rare path). */
function badCqe(userData: number, res: number, flags: number, offLo = 0, offHi = 0): never {
  if (!isUserData(userData)) E.expected('CQE user_data must be an integer 0..2^53-1', userData);
  if (!isS32(res)) E.expected('CQE res must be an s32', res);
  if (!isU32(flags)) E.expected('CQE flags must be a u32', flags);
  if (!isU32(offLo)) E.expected('CQE offLo must be a u32', offLo);
  return E.expected('CQE offHi must be a u32', offHi);
}

/** Free CQ slots claimed ahead of the tail at each commit (two per 64-byte line). */
const CLAIM_AHEAD = 8;

/** A completion waiting for room (the CQ overflow list). */
interface OverflowCqe {
  userData: number;
  res: number;
  flags: number;
}

/**
 * The kernel side of an io_uring completion queue (shared memory; see the file header).
 * @category Ring
 */
export class CompletionQueue {
  /** The shared buffer (send it to a consumer thread). */
  readonly buffer: SharedArrayBuffer;
  /** Capacity in CQEs (a power of two). */
  readonly entries: number;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly mask: number;
  private tail = 0;
  private cachedHead = 0;
  private readonly overflow: OverflowCqe[] = [];

  /** A CQ of `entries` CQEs: a power of two 1..65536 (EINVAL otherwise). */
  constructor(entries: number) {
    if (!isPow2(entries, IORING_MAX_CQ_ENTRIES)) E.expected(`CQ entries must be a power of two 1..${IORING_MAX_CQ_ENTRIES}`, entries);
    this.entries = entries;
    this.mask = entries - 1;
    this.buffer = new SharedArrayBuffer(CQ_CQES_OFF + entries * CQE_SIZE);
    this.i32 = new Int32Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.i32[CQ_MASK] = this.mask;
    this.i32[CQ_ENTRIES] = entries;
  }

  /** CQEs posted and not yet consumed (reads the consumer's head). */
  get ready(): number {
    return (this.tail - Atomics.load(this.i32, CQ_HEAD)) >>> 0;
  }

  /** Completions waiting on the overflow list. */
  get overflowed(): number {
    return this.overflow.length;
  }

  /** True when one more CQE fits (reloads head only when the cached one says full). */
  private hasRoom(): boolean {
    if ((this.tail - this.cachedHead) >>> 0 < this.entries) return true;
    this.cachedHead = Atomics.load(this.i32, CQ_HEAD);
    return (this.tail - this.cachedHead) >>> 0 < this.entries;
  }

  /**
   * Writes one big CQE (io_defer_get_uncommited_cqe + fill). False when the
   * CQ is full. `offLo`/`offHi` are big_cqe[0]; big_cqe[1] is zero. EINVAL
   * unless userData is an integer 0..2^53-1, res an s32, and flags, offLo,
   * offHi u32s.
   */
  post(userData: number, res: number, flags: number, offLo: number, offHi: number): boolean {
    if (!isUserData(userData) || !isS32(res) || !isU32(flags) || !isU32(offLo) || !isU32(offHi)) badCqe(userData, res, flags, offLo, offHi);
    return this.write(userData, res, flags, offLo, offHi);
  }

  /** @internal {@link post} for callers that checked the fields once (RECV_ZC: per request, not per CQE). */
  write(userData: number, res: number, flags: number, offLo: number, offHi: number): boolean {
    if (this.overflow.length > 0 || !this.hasRoom()) return false;
    const w = (CQ_CQES_OFF + (this.tail & this.mask) * CQE_SIZE) >>> 2;
    const u = this.u32;
    u[w] = userData >>> 0;
    u[w + 1] = Math.floor(userData / 0x100000000) >>> 0;
    this.i32[w + 2] = res;
    u[w + 3] = flags;
    u[w + 4] = offLo;
    u[w + 5] = offHi;
    u[w + 6] = 0;
    u[w + 7] = 0;
    this.tail = (this.tail + 1) | 0;
    return true;
  }

  /**
   * Posts a request's completion: never lost, it waits on the overflow list
   * when the CQ is full (flushed by {@link commit}). The fields are checked
   * as {@link post} checks them.
   */
  complete(userData: number, res: number, flags: number): void {
    if (!isUserData(userData) || !isS32(res) || !isU32(flags)) badCqe(userData, res, flags);
    if (!this.write(userData, res, flags, 0, 0)) {
      this.overflow.push({ userData, res, flags });
      this.i32[CQ_OVERFLOW]++;
    }
  }

  /** Flushes the overflow list as room allows, then publishes the tail (one atomic store). */
  commit(): void {
    while (this.overflow.length > 0 && this.hasRoom()) {
      const o = this.overflow.shift()!;
      const w = (CQ_CQES_OFF + (this.tail & this.mask) * CQE_SIZE) >>> 2;
      this.u32[w] = o.userData >>> 0;
      this.u32[w + 1] = Math.floor(o.userData / 0x100000000) >>> 0;
      this.i32[w + 2] = o.res;
      this.u32[w + 3] = o.flags;
      this.u32.fill(0, w + 4, w + 8);
      this.tail = (this.tail + 1) | 0;
    }
    Atomics.store(this.i32, CQ_TAIL, this.tail);
    this.claimAhead();
  }

  /**
   * Writes big_cqe[1]'s high word (0 in every CQE, and unread until posted)
   * of the next free slots, as a prefetch for writing: the lines were last
   * read on the consumer's core, and taking them back now, while the caller
   * goes on, keeps that transfer out of the next commit's fence (a
   * seq-cst store waits for every earlier store to land).
   */
  private claimAhead(): void {
    const room = this.entries - ((this.tail - this.cachedHead) >>> 0);
    const n = room < CLAIM_AHEAD ? room : CLAIM_AHEAD;
    for (let i = 0; i < n; i += 2) this.u32[((CQ_CQES_OFF + ((this.tail + i) & this.mask) * CQE_SIZE) >>> 2) + 7] = 0;
  }
}
