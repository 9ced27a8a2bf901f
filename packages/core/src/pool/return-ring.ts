/**
 * Returns from other threads: the kernel's ptr_ring for puts from other
 * CPUs, for worker_threads. A buffer's handle (and the domain's shared page
 * storage) can be handed to a worker; the worker gives the pp reference
 * back by writing the handle into a single-producer ring in a
 * SharedArrayBuffer, and the pool's owner drains the ring on its slow path
 * (when the alloc cache runs empty) or when asked. Drained returns go to
 * the pool's ptr_ring, never its alloc cache: only the pool's own context
 * recycles directly.
 *
 * The owner knows what each worker holds (`handOut` counts it), so a worker
 * that exits or crashes with buffers held loses none: `reclaim` returns
 * them all. A return of something the worker was never handed is skipped
 * and counted, never a double free.
 *
 * Memory strategy: the ring is an Int32Array over the SharedArrayBuffer
 * (head and tail words on cache lines of their own, then the entries); the
 * producer publishes its tail once per batch and reads the owner's head only
 * when its cached copy says the ring is full, and the owner publishes its
 * head once per drain and wakes the producer only when it said it waits, so
 * Atomics run once per batch, not per buffer, and the two threads do not
 * pass one cache line back and forth. What each worker holds is one
 * Uint16Array count per descriptor of the domain, on the owner's side.
 */
import { E } from '../base/validate.js';
import { makeHandle } from '../netmem/handle.js';
import { internals, type PoolInternals } from './state.js';
import type { PagePool } from './types.js';

/** Int32 slots before the entries: head, tail and the constants each on a 64-byte line of its own. */
const HEADER = 48;
/** The owner's drain position (written by the owner). */
const HEAD = 0;
/** The producer's publish position (written by the producer). */
const TAIL = 16;
const CAP = 32;
const CLOSED = 33;
/** Set by a producer about to wait for room: the owner's drain wakes it only then. */
const WAITING = 34;

/**
 * The bytes a ring of `capacity` entries needs.
 * @category Pool
 */
export function returnRingBytes(capacity: number): number {
  return (HEADER + capacity) * 4;
}

/**
 * Figures of one return ring.
 * @category Pool
 */
export interface ReturnRingStats {
  /** Buffers handed to the worker and not yet returned. */
  held: number;
  /** Returns drained into the pool. */
  returned: number;
  /** Entries skipped: not a buffer this worker holds (bad handle, or returned twice). */
  skipped: number;
  /** Buffers given back by {@link ReturnRing.reclaim} (the worker was gone). */
  reclaimed: number;
}

/**
 * The owner's side of one worker's return ring: hand buffers out, drain
 * what comes back, reclaim what a vanished worker held. Make it with
 * {@link attachReturnRing}.
 * @category Pool
 */
export class ReturnRing {
  /** The memory to send to the worker (build a {@link ReturnRingProducer} over it there). */
  readonly buffer: SharedArrayBuffer;
  /** Entries the ring holds (a power of two). */
  readonly capacity: number;
  private readonly i32: Int32Array;
  private readonly mask: number;
  /** Pp references held by the worker, per descriptor (up to the highest handed out: grown in handOut). */
  private held: Uint16Array;
  private readonly pool: PoolInternals;
  private head = 0;
  private heldCount = 0;
  private returned = 0;
  private skipped = 0;
  private reclaimed = 0;

  /** @internal Use {@link attachReturnRing}. */
  constructor(pool: PagePool, capacity: number) {
    E.int(capacity, 'return ring capacity', 1, 1 << 24);
    if ((capacity & (capacity - 1)) !== 0) E.expected('a return ring capacity must be a power of two', capacity);
    this.pool = internals(pool);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.buffer = new SharedArrayBuffer(returnRingBytes(capacity));
    this.i32 = new Int32Array(this.buffer);
    this.i32[CAP] = capacity;
    this.held = new Uint16Array(pool.domain.table.capacity);
  }

  /**
   * Records that the worker now holds one pp reference of `nm` (call it
   * when you post the handle to the worker). The buffer must be out of the
   * pool (handed out by it); EINVAL otherwise.
   */
  handOut(nm: number): void {
    const p = this.pool;
    const d = (nm >>> 1) & 0xfffff;
    if ((nm | 0) !== nm || nm <= 0 || p.ppTab[d] !== p.id || p.placeTab[d] < 3 /* FIRST_OUT_PLACE */) {
      E.expected(`handOut needs a buffer pool ${p.id} handed out`, nm);
    }
    if (d >= this.held.length) this.growHeld();
    if (this.held[d] === 0xffff) E.fail('EINVAL', `netmem ${nm} is handed to this worker 65535 times already`);
    this.held[d]++;
    this.heldCount++;
    const ledger = p.domain.ledger;
    if (ledger.checked) ledger.record(nm, 7 /* Place.USER */);
  }

  /**
   * Drains what the worker returned: each valid entry drops one pp
   * reference (the last one recycles the buffer into the pool's ptr_ring,
   * or releases it when the ring is full). Returns how many were returned.
   */
  drain(): number {
    const i32 = this.i32;
    const tail = Atomics.load(i32, TAIL);
    let head = this.head;
    if (head === tail) return 0;
    const p = this.pool;
    const held = this.held;
    let n = 0;
    let first: unknown;
    for (; head !== tail; head = (head + 1) | 0) {
      const nm = i32[HEADER + (head & this.mask)];
      const d = (nm >>> 1) & 0xfffff;
      if ((nm | 0) !== nm || nm <= 0 || d >= held.length || held[d] === 0 || p.ppTab[d] !== p.id) {
        this.skipped++;
        continue;
      }
      held[d]--;
      this.heldCount--;
      n++;
      try {
        p.putRemote(nm);
      } catch (e) {
        first ??= e; // a strict IOMMU fault: every entry is still consumed
      }
    }
    this.head = head;
    Atomics.store(i32, HEAD, head);
    // Only a producer that said it waits needs the wake-up (a futex call saved per drain otherwise).
    if (Atomics.load(i32, WAITING) !== 0) {
      Atomics.store(i32, WAITING, 0);
      Atomics.notify(i32, HEAD);
    }
    this.returned += n;
    if (first !== undefined) throw first;
    return n;
  }

  /**
   * The worker is gone (exited or crashed): first drains what it did
   * return, then gives back every reference it still held, as if it had
   * returned them. Returns how many were reclaimed.
   */
  reclaim(): number {
    this.drain();
    Atomics.store(this.i32, CLOSED, 1);
    const p = this.pool;
    const held = this.held;
    let n = 0;
    for (let d = 1; d < held.length && this.heldCount > 0; d++) {
      while (held[d] > 0) {
        held[d]--;
        this.heldCount--;
        n++;
        p.putRemote(makeHandle(d, d > p.lastPage, p.domain.table.gen[d]));
      }
    }
    this.reclaimed += n;
    return n;
  }

  /** The domain's table grew past `held`: as large as the table now. */
  private growHeld(): void {
    const h = new Uint16Array(this.pool.domain.table.capacity);
    h.set(this.held);
    this.held = h;
  }

  /** The ring's figures. */
  stats(): ReturnRingStats {
    return { held: this.heldCount, returned: this.returned, skipped: this.skipped, reclaimed: this.reclaimed };
  }
}

/**
 * The worker's side of a return ring: `put` a handle to return one pp
 * reference, `flush` to publish a batch (one Atomics store). Needs only the
 * SharedArrayBuffer, so a worker can build it from what it was sent.
 * @category Pool
 */
export class ReturnRingProducer {
  private readonly i32: Int32Array;
  private readonly mask: number;
  private tail: number;
  /** The owner's head as last read: reloaded only when it says the ring is full. */
  private headSeen: number;
  private unpublished = 0;

  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER * 4)
      E.expected("a return ring producer needs the ring's SharedArrayBuffer", buffer);
    this.i32 = new Int32Array(buffer);
    const cap = this.i32[CAP];
    if (cap < 1 || (cap & (cap - 1)) !== 0 || buffer.byteLength < returnRingBytes(cap)) E.expected('the buffer of a return ring', buffer);
    this.mask = cap - 1;
    this.tail = Atomics.load(this.i32, TAIL);
    this.headSeen = Atomics.load(this.i32, HEAD);
  }

  /** Queues a return; false when the ring is full (flush, then wait for the owner to drain). */
  put(nm: number): boolean {
    const i32 = this.i32;
    if (((this.tail - this.headSeen) | 0) > this.mask) {
      this.headSeen = Atomics.load(i32, HEAD);
      if (((this.tail - this.headSeen) | 0) > this.mask) return false;
    }
    i32[HEADER + (this.tail & this.mask)] = nm;
    this.tail = (this.tail + 1) | 0;
    this.unpublished++;
    return true;
  }

  /** Publishes the queued returns to the owner (one Atomics store). */
  flush(): void {
    if (this.unpublished === 0) return;
    Atomics.store(this.i32, TAIL, this.tail);
    this.unpublished = 0;
  }

  /** Waits (Atomics.wait, worker threads only) until the owner has drained something or `ms` passed; false on timeout. */
  waitForRoom(ms: number): boolean {
    this.flush();
    const i32 = this.i32;
    // Say we wait before looking again: the owner either sees the flag (and wakes us) or we see its new head.
    Atomics.store(i32, WAITING, 1);
    const head = (this.headSeen = Atomics.load(i32, HEAD));
    if (((this.tail - head) | 0) <= this.mask) return true;
    return Atomics.wait(i32, HEAD, head, ms) !== 'timed-out';
  }

  /** True once the owner reclaimed this worker's buffers (returns after that are skipped). */
  get closed(): boolean {
    return Atomics.load(this.i32, CLOSED) === 1;
  }
}

/**
 * Attaches a return ring of `capacity` entries (a power of two) to `pool`:
 * the pool drains it whenever its alloc cache runs empty, and at each
 * destroy attempt. Send `ring.buffer` to the worker; it returns buffers
 * through a {@link ReturnRingProducer} over it.
 *
 * @example
 * ```ts
 * import { Worker } from 'node:worker_threads';
 * import { MemoryDomain, attachReturnRing, createPagePool } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const domain = new MemoryDomain({ pages: 1024 });
 * const pool = createPagePool({ domain, poolSize: 256, provider: pagesProvider() });
 * const worker = new Worker('./checker.js');   // opens a ReturnRingProducer over the ring's buffer
 * const ring = attachReturnRing(pool, 1024);
 * worker.postMessage({ storage: domain.storage.buffer, ring: ring.buffer });
 * const nm = pool.allocNetmems();
 * ring.handOut(nm);
 * worker.postMessage(nm);            // the worker: producer.put(nm); producer.flush()
 * worker.on('exit', () => ring.reclaim());
 * ```
 * @category Pool
 */
export function attachReturnRing(pool: PagePool, capacity: number): ReturnRing {
  const p = internals(pool);
  if (p.destroying) E.fail('EINVAL', `pool ${p.id} is being destroyed: no new return ring`);
  const ring = new ReturnRing(pool, capacity);
  p.remoteRings.push(ring);
  return ring;
}

/**
 * Detaches a return ring (after draining it); its worker must be done returning.
 * @category Pool
 */
export function detachReturnRing(pool: PagePool, ring: ReturnRing): void {
  const p = internals(pool);
  const i = p.remoteRings.indexOf(ring);
  if (i < 0) E.expected(`a return ring attached to pool ${p.id}`, ring);
  ring.drain();
  p.remoteRings.splice(i, 1);
}
