/**
 * Peer libraries doing the same job in the same process: handing out a
 * 4096-byte buffer and taking it back.
 */
import tap from 'typedarray-pool';
import type { BenchCase, BenchInstance } from '../types.js';

const PAGE_BYTES = 4096;

/**
 * peer_typedarray_pool: typedarray-pool's malloc + free of 4096 bytes,
 * through the typed entry points its README recommends for speed
 * (mallocUint8 / freeUint8; the generic malloc/free add a dispatch). Its
 * ArrayBuffers are recycled, but each malloc wraps one in a new Uint8Array.
 */
export const peerTypedarrayPool: BenchCase = {
  name: 'peer_typedarray_pool',
  title: 'typedarray-pool mallocUint8(4096) + freeUint8',
  setup(): BenchInstance {
    tap.clearCache();
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          const a = tap.mallocUint8(PAGE_BYTES);
          acc = (acc + a.length + i) | 0;
          tap.freeUint8(a);
        }
        return acc;
      },
      verify() {
        // After a warm-up the pool must be serving one recycled buffer, not allocating:
        // two consecutive mallocs (nothing freed in between) return the pooled one first.
        const a = tap.mallocUint8(PAGE_BYTES);
        const b = tap.mallocUint8(PAGE_BYTES);
        const distinct = a.buffer !== b.buffer;
        tap.freeUint8(b);
        tap.freeUint8(a);
        const c = tap.mallocUint8(PAGE_BYTES);
        const reused = c.buffer === a.buffer;
        tap.freeUint8(c);
        if (!distinct || !reused) throw new Error('typedarray-pool did not recycle its buffer');
      },
      teardown: () => tap.clearCache(),
    };
  },
};

/** Every peer case. */
export const peerCases: readonly BenchCase[] = [peerTypedarrayPool];
