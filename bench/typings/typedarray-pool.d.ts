/** The parts of typedarray-pool 1.2.0 (CommonJS, untyped) the peer benchmark uses. */
declare module 'typedarray-pool' {
  const pool: {
    /** A Uint8Array of n elements over a pooled ArrayBuffer (rounded up to a power of two). */
    mallocUint8(n: number): Uint8Array;
    /** Returns a typed array's buffer to the pool. */
    freeUint8(a: Uint8Array): void;
    /** Generic entry: dispatches on dtype. */
    malloc(n: number, dtype?: string): ArrayBuffer | ArrayBufferView | Buffer | null;
    /** Generic entry: dispatches on the array's kind. */
    free(a: ArrayBuffer | ArrayBufferView | Buffer): void;
    /** Empties every size class. */
    clearCache(): void;
  };
  export = pool;
}
