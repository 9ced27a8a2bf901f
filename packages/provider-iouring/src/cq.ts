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
import { CQ_CQES_OFF, CQ_ENTRIES, CQ_HEAD, CQ_MASK, CQ_OVERFLOW, CQ_TAIL, CQE_SIZE } from './constants.js';

/** A completion waiting for room (the CQ overflow list). */
interface OverflowCqe {
  userData: number;
  res: number;
  flags: number;
}

/** The kernel side of an io_uring completion queue (shared memory; see the file header). */
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

  constructor(entries: number) {
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
    if (((this.tail - this.cachedHead) >>> 0) < this.entries) return true;
    this.cachedHead = Atomics.load(this.i32, CQ_HEAD);
    return ((this.tail - this.cachedHead) >>> 0) < this.entries;
  }

  /**
   * Writes one big CQE (io_defer_get_uncommited_cqe + fill). False when the
   * CQ is full. `offLo`/`offHi` are big_cqe[0]; big_cqe[1] is zero.
   */
  post(userData: number, res: number, flags: number, offLo: number, offHi: number): boolean {
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
   * when the CQ is full (flushed by {@link commit}).
   */
  complete(userData: number, res: number, flags: number): void {
    if (!this.post(userData, res, flags, 0, 0)) {
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
  }
}
