/**
 * Baselines measured in the same process as the pool cases: what the pool's
 * fast path and ring path are compared against (a bare typed-array freelist
 * and a bare typed-array ring, written the way one would write them without
 * a framework: an object holding an Int32Array and its indices, with the
 * empty/full checks), the same two with the least a structure must add to
 * refuse a handle it does not own (one owner word per buffer, checked on
 * every return), and what a program does without a pool (a fresh
 * 4096-byte buffer per operation).
 */
import type { BenchCase, BenchInstance } from '../types.js';

const PAGE_BYTES = 4096;

/** A LIFO stack of handles on an Int32Array (the shape of the pool's alloc cache). */
class Freelist {
  private readonly stack: Int32Array;
  private top = 0;

  constructor(capacity: number) {
    this.stack = new Int32Array(capacity);
  }

  /** Pops a handle; 0 when empty. */
  alloc(): number {
    if (this.top > 0) return this.stack[--this.top];
    return 0;
  }

  /** Pushes a handle; false when full. */
  free(h: number): boolean {
    if (this.top === this.stack.length) return false;
    this.stack[this.top++] = h;
    return true;
  }
}

/** A FIFO circle of handles on an Int32Array (the shape of the pool's ptr_ring). */
class Ring {
  private readonly buf: Int32Array;
  private head = 0;
  private tail = 0;
  private count = 0;

  constructor(size: number) {
    this.buf = new Int32Array(size);
  }

  /** Appends a handle; false when full. */
  produce(h: number): boolean {
    if (this.count === this.buf.length) return false;
    this.buf[this.tail] = h;
    this.tail = this.tail + 1 === this.buf.length ? 0 : this.tail + 1;
    this.count++;
    return true;
  }

  /** Takes the oldest handle; 0 when empty. */
  consume(): number {
    if (this.count === 0) return 0;
    const h = this.buf[this.head];
    this.head = this.head + 1 === this.buf.length ? 0 : this.head + 1;
    this.count--;
    return h;
  }
}

/** Owner words of the checked baselines: owner id × 4 + where the buffer is. */
const OWNER = 7;
const IN_STORE = OWNER * 4 + 1;
const OUT = OWNER * 4 + 3;

/**
 * One owner word per buffer (the shape of the pool's ownership tables, folded
 * into one Int32Array): set to "out" when a handle leaves the store, checked
 * and set to "in" when it comes back. A put of anything else throws.
 */
class OwnerWords {
  readonly words: Int32Array;

  constructor(buffers: number) {
    this.words = new Int32Array(buffers + 1).fill(IN_STORE);
  }

  /** Throws unless `h` is a handle of this store that is out. */
  checkOut(h: number): number {
    const d = h >>> 1;
    if ((h | 0) !== h || h <= 0 || d >= this.words.length || this.words[d] !== OUT) throw new Error(`not a handle out of this store: ${h}`);
    return d;
  }
}

/** The freelist plus its owner words: what a stack that refuses foreign handles costs at the least. */
class CheckedFreelist extends OwnerWords {
  private readonly stack: Int32Array;
  private top = 0;

  constructor(capacity: number, buffers: number) {
    super(buffers);
    this.stack = new Int32Array(capacity);
  }

  alloc(): number {
    if (this.top === 0) return 0;
    const h = this.stack[--this.top];
    this.words[h >>> 1] = OUT;
    return h;
  }

  free(h: number): boolean {
    const d = this.checkOut(h);
    if (this.top === this.stack.length) return false;
    this.stack[this.top++] = h;
    this.words[d] = IN_STORE;
    return true;
  }
}

/** The ring plus its owner words. */
class CheckedRing extends OwnerWords {
  private readonly buf: Int32Array;
  private head = 0;
  private tail = 0;
  private count = 0;

  constructor(size: number, buffers: number) {
    super(buffers);
    this.buf = new Int32Array(size);
  }

  produce(h: number): boolean {
    const d = this.checkOut(h);
    if (this.count === this.buf.length) return false;
    this.buf[this.tail] = h;
    this.tail = this.tail + 1 === this.buf.length ? 0 : this.tail + 1;
    this.count++;
    this.words[d] = IN_STORE;
    return true;
  }

  consume(): number {
    if (this.count === 0) return 0;
    const h = this.buf[this.head];
    this.head = this.head + 1 === this.buf.length ? 0 : this.head + 1;
    this.count--;
    this.words[h >>> 1] = OUT;
    return h;
  }
}

/** Throws `msg` unless `put` throws (the checked baselines must refuse what they do not hold out). */
function expectRefused(put: () => void, msg: string): void {
  try {
    put();
  } catch {
    return;
  }
  throw new Error(msg);
}

/** Handles as the pool makes them: even numbers (page bit 0 clear), never 0. */
function handle(i: number): number {
  return (i + 1) << 1;
}

/** baseline_freelist: pop + push on a 128-entry stack prefilled with 64 handles. */
export const baselineFreelist: BenchCase = {
  name: 'baseline_freelist',
  title: 'Int32Array stack pop + push (bare freelist)',
  setup(): BenchInstance {
    const fl = new Freelist(128);
    for (let i = 0; i < 64; i++) fl.free(handle(i));
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const h = fl.alloc();
          acc = (acc + h) | 0;
          fl.free(h);
        }
        return acc;
      },
      verify() {
        // Still exactly the 64 prefilled handles: nothing lost, nothing added.
        let n = 0;
        while (fl.alloc() !== 0) n++;
        if (n !== 64) throw new Error(`freelist holds ${n} handles, expected 64`);
      },
    };
  },
};

/** baseline_ring: consume + produce on a 1024-entry ring prefilled with 64 handles. */
export const baselineRing: BenchCase = {
  name: 'baseline_ring',
  title: 'Int32Array ring consume + produce (bare ring)',
  setup(): BenchInstance {
    const ring = new Ring(1024);
    for (let i = 0; i < 64; i++) ring.produce(handle(i));
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const h = ring.consume();
          acc = (acc + h) | 0;
          ring.produce(h);
        }
        return acc;
      },
      verify() {
        let n = 0;
        while (ring.consume() !== 0) n++;
        if (n !== 64) throw new Error(`ring holds ${n} handles, expected 64`);
      },
    };
  },
};

/** baseline_checked_freelist: baseline_freelist with an owner word checked on every push. */
export const baselineCheckedFreelist: BenchCase = {
  name: 'baseline_checked_freelist',
  title: 'the bare freelist + one owner word per buffer, checked on push',
  setup(): BenchInstance {
    const fl = new CheckedFreelist(128, 64);
    for (let i = 0; i < 64; i++) {
      fl.words[handle(i) >>> 1] = OUT; // as if handed out, so the prefill passes the check
      fl.free(handle(i));
    }
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const h = fl.alloc();
          acc = (acc + h) | 0;
          fl.free(h);
        }
        return acc;
      },
      verify() {
        let n = 0;
        while (fl.alloc() !== 0) n++;
        if (n !== 64) throw new Error(`checked freelist holds ${n} handles, expected 64`);
        fl.free(handle(0));
        expectRefused(() => fl.free(handle(0)), 'the checked freelist took a handle back twice');
      },
    };
  },
};

/** baseline_checked_ring: baseline_ring with an owner word checked on every produce. */
export const baselineCheckedRing: BenchCase = {
  name: 'baseline_checked_ring',
  title: 'the bare ring + one owner word per buffer, checked on produce',
  setup(): BenchInstance {
    const ring = new CheckedRing(1024, 64);
    for (let i = 0; i < 64; i++) {
      ring.words[handle(i) >>> 1] = OUT;
      ring.produce(handle(i));
    }
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const h = ring.consume();
          acc = (acc + h) | 0;
          ring.produce(h);
        }
        return acc;
      },
      verify() {
        let n = 0;
        while (ring.consume() !== 0) n++;
        if (n !== 64) throw new Error(`checked ring holds ${n} handles, expected 64`);
        ring.produce(handle(0));
        expectRefused(() => ring.produce(handle(0)), 'the checked ring took a handle back twice');
      },
    };
  },
};

/**
 * Keeps the last few buffers reachable and reads them, so the allocation
 * escapes and cannot be elided; 16 × 4 KiB stay alive at most.
 */
const KEEP = 16;

/** baseline_alloc_u8: `new Uint8Array(4096)` per operation (zero-filled, left to the GC). */
export const baselineAllocU8: BenchCase = {
  name: 'baseline_alloc_u8',
  // ~1-2 µs per op: fewer ops keep the whole run near a minute.
  ops: 1 << 17,
  title: 'new Uint8Array(4096) per op, left to the GC',
  setup(): BenchInstance {
    const keep: Uint8Array[] = new Array<Uint8Array>(KEEP).fill(new Uint8Array(0));
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const b = new Uint8Array(PAGE_BYTES);
          b[0] = i;
          keep[i & (KEEP - 1)] = b;
          acc = (acc + b.length + b[0]) | 0;
        }
        return acc;
      },
    };
  },
};

/** baseline_alloc_buffer: `Buffer.allocUnsafe(4096)` per operation (not pooled at this size). */
export const baselineAllocBuffer: BenchCase = {
  name: 'baseline_alloc_buffer',
  // ~1-2 µs per op: fewer ops keep the whole run near a minute.
  ops: 1 << 17,
  title: 'Buffer.allocUnsafe(4096) per op, left to the GC',
  setup(): BenchInstance {
    const keep: Buffer[] = new Array<Buffer>(KEEP).fill(Buffer.alloc(0));
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const b = Buffer.allocUnsafe(PAGE_BYTES);
          b[0] = i;
          keep[i & (KEEP - 1)] = b;
          acc = (acc + b.length + b[0]) | 0;
        }
        return acc;
      },
    };
  },
};

/** The fast/ring baselines (non-allocating), bare and checked. */
export const baselineCases: readonly BenchCase[] = [baselineFreelist, baselineRing, baselineCheckedFreelist, baselineCheckedRing];

/** The per-op allocation baselines. */
export const allocBaselineCases: readonly BenchCase[] = [baselineAllocU8, baselineAllocBuffer];
