/**
 * Memory growth per cycle, for the long-run leak tests. Run under
 * `--expose-gc` (the `leaks` vitest project passes it): after a warm-up
 * (so one-time costs — compiled code, inline caches, grown tables — are
 * paid before the first reading), gc() runs several times, heapUsed and
 * external are read, the cycles run, gc() again, and the growth is divided
 * by the number of cycles; twice, and the smaller round counts.
 *
 * What a leak looks like in these numbers (64-bit V8, pointer compression):
 * one small object kept per cycle — `{ id }` pushed on an array, or an
 * entry in a Map or Set that is never deleted — costs 20–40 bytes of heap
 * per cycle; a kept net device with its queues, driver and NAPI contexts
 * costs kilobytes; a kept dmabuf (its region and SharedArrayBuffer) costs
 * its size in external memory, 4096 bytes for one page. The bounds below
 * (16 bytes per cycle of heap, 16 of external) sit under the smallest of
 * those, and well above the noise of a clean run (a few bytes per cycle
 * either way over 10,000 cycles once warmed up), so one leaked object per
 * cycle fails the test and a clean run does not. The calibration test
 * checks both ends.
 */

/** Bytes per cycle a cycle may leave behind (see the file header for why). */
export const HEAP_BOUND = 16;
export const EXTERNAL_BOUND = 16;

export interface Growth {
  /** Cycles per measured round (after the warm-up). */
  cycles: number;
  /** Heap growth per cycle, bytes, of each of the two rounds (may be slightly negative). */
  heapRounds: [number, number];
  /** External growth per cycle (ArrayBuffer / SharedArrayBuffer backing stores, wasm memories), bytes, of each round. */
  externalRounds: [number, number];
  /** The smaller round of each: a leak grows memory in every round, warm-up noise (late JIT code, grown tables) in one at most. */
  heapPerCycle: number;
  externalPerCycle: number;
  /** Milliseconds per measured round. */
  ms: number;
}

type Gc = () => void;

function gcFn(): Gc {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== 'function') throw new Error('the leak tests need --expose-gc (run them through the `leaks` vitest project)');
  return gc;
}

/** Full collections until heapUsed stops falling (at most 10). */
export function settle(): NodeJS.MemoryUsage {
  const gc = gcFn();
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 1024) break;
    last = used;
  }
  gc();
  return process.memoryUsage();
}

/**
 * Runs `cycle` `warmup` times, then two measured rounds of `cycles` each.
 * The first rounds after start-up can grow by tens of bytes per cycle
 * without any leak (optimised code and feedback are heap objects), so each
 * round is measured on its own and the smaller growth is the figure: a
 * leak shows in both.
 */
export function measure(cycles: number, warmup: number, cycle: (i: number) => void): Growth {
  // (`cycles` per round: a scenario of 10,000 cycles is two rounds of 5,000 after its warm-up.)
  let i = 0;
  for (; i < warmup; i++) cycle(i);
  const heap: number[] = [];
  const ext: number[] = [];
  let ms = 0;
  for (let round = 0; round < 2; round++) {
    const m0 = settle();
    const t0 = performance.now();
    for (const end = i + cycles; i < end; i++) cycle(i);
    ms += performance.now() - t0;
    const m1 = settle();
    heap.push((m1.heapUsed - m0.heapUsed) / cycles);
    ext.push((m1.external - m0.external) / cycles);
  }
  return {
    cycles,
    heapRounds: [heap[0], heap[1]],
    externalRounds: [ext[0], ext[1]],
    heapPerCycle: Math.min(heap[0], heap[1]),
    externalPerCycle: Math.min(ext[0], ext[1]),
    ms: ms / 2,
  };
}

/** One line for the test log. */
export function describeGrowth(what: string, g: Growth): string {
  const r = (x: number[]): string => x.map((v) => v.toFixed(2)).join(' / ');
  return `${what}: 2 rounds of ${g.cycles} cycles, ${g.ms.toFixed(0)} ms each; heap ${r(g.heapRounds)} B/cycle, external ${r(g.externalRounds)} B/cycle`;
}
