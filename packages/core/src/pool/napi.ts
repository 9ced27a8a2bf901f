/**
 * NAPI contexts. A put that runs inside the pool's own NAPI poll is "napi
 * local" and may recycle straight into the alloc cache, because only that
 * context ever touches the cache. JavaScript runs one context at a time, so
 * "which NAPI is polling now" is one module variable.
 */
let current: Napi | null = null;
let nextNapiId = 1;

/**
 * A NAPI context: the one consumer context of the pools bound to it.
 * @category Stack model
 */
export class Napi {
  /** NAPI id, reported in pool info. */
  readonly id: number;

  constructor(
    /** Name for messages, e.g. `eth0-rx1`. */
    readonly name = 'napi',
  ) {
    this.id = nextNapiId++;
  }

  /** Runs `fn` as this NAPI's poll: puts to pools bound to it inside `fn` are napi-local. */
  poll<T>(fn: () => T): T {
    const prev = current;
    current = this;
    try {
      return fn();
    } finally {
      current = prev;
    }
  }

  /**
   * Starts a poll by hand (for hot loops that cannot afford a closure per
   * call); returns what {@link exit} must restore. Pair it with exit in a
   * finally block.
   */
  enter(): Napi | null {
    const prev = current;
    current = this;
    return prev;
  }

  /** Ends a poll started with {@link enter}: restores what enter returned. */
  exit(prev: Napi | null): void {
    current = prev;
  }

  /** True while this NAPI is polling. */
  get running(): boolean {
    return current === this;
  }
}

/**
 * The NAPI polling right now, if any.
 * @category Stack model
 */
export function currentNapi(): Napi | null {
  return current;
}
