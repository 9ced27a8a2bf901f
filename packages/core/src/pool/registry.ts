/**
 * The page pools of a memory domain (the kernel's page_pools xarray): ids,
 * lookup by id and by netmem (netmem_get_pp), add / change / del
 * notifications for the control plane, and the domain's tracepoint hooks.
 * The memory layer knows nothing of pools; this registry is keyed by domain.
 *
 * Memory strategy: a Map by id and a one-entry cache for poolOf (traffic
 * returns to the same pool over and over); registries sit in a WeakMap, so
 * a domain nobody holds takes its registry with it.
 */
import { EventEmitter } from 'eventemitter3';
import type { MemoryDomain } from '../netmem/domain.js';
import { descOf } from '../netmem/handle.js';
import type { PagePool, PagePoolTracer } from './types.js';

/** Notifications of a {@link PoolRegistry}. */
export interface PoolRegistryEvents {
  /** A pool was listed (created). */
  add: (pool: PagePool) => void;
  /** A listed pool changed (detached, orphaned). */
  change: (pool: PagePool) => void;
  /** A pool was unlisted (freed). */
  del: (pool: PagePool) => void;
}

/** The live page pools of one domain. */
export class PoolRegistry extends EventEmitter<PoolRegistryEvents> {
  /** Tracepoint hooks for every pool of the domain (null: tracing off). */
  tracer: PagePoolTracer | null = null;
  private readonly pools = new Map<number, PagePool>();
  private nextId = 1;
  private lastId = -1;
  private lastPool: PagePool | undefined = undefined;
  private readonly pp: Uint32Array;

  constructor(
    /** The domain whose pools these are. */
    readonly domain: MemoryDomain,
  ) {
    super();
    this.pp = domain.table.pp;
  }

  /** @internal Lists a pool and gives it an id (cyclic, never 0, not reused at once). */
  list(pool: PagePool): number {
    let id = this.nextId;
    while (this.pools.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    this.pools.set(id, pool);
    return id;
  }

  /** @internal Unlists a pool. */
  unlist(pool: PagePool): void {
    if (this.pools.get(pool.id) === pool) this.pools.delete(pool.id);
    if (this.lastPool === pool) {
      this.lastId = -1;
      this.lastPool = undefined;
    }
  }

  /** The live pool with this id. */
  byId(id: number): PagePool | undefined {
    return this.pools.get(id);
  }

  /** Every live pool (including detached ones), in id order. */
  all(): PagePool[] {
    return [...this.pools.values()].sort((a, b) => a.id - b.id);
  }

  /** Live pools. */
  get size(): number {
    return this.pools.size;
  }

  /** netmem_get_pp: the live pool a pool netmem belongs to. */
  poolOf(nm: number): PagePool | undefined {
    const id = this.pp[descOf(nm)];
    if (id === this.lastId) return this.lastPool;
    const pool = this.pools.get(id);
    if (pool !== undefined) {
      this.lastId = id;
      this.lastPool = pool;
    }
    return pool;
  }
}

const registries = new WeakMap<MemoryDomain, PoolRegistry>();
// Programs use one domain: a one-entry cache saves the WeakMap lookup on puts.
let lastDomain: MemoryDomain | null = null;
let lastRegistry: PoolRegistry | null = null;

/** The page pools of `domain` (made on first use). */
export function poolRegistry(domain: MemoryDomain): PoolRegistry {
  if (domain === lastDomain) return lastRegistry!;
  let r = registries.get(domain);
  if (r === undefined) {
    r = new PoolRegistry(domain);
    registries.set(domain, r);
  }
  lastDomain = domain;
  lastRegistry = r;
  return r;
}

/** The live pool with id `id` in `domain`. */
export function poolById(domain: MemoryDomain, id: number): PagePool | undefined {
  return poolRegistry(domain).byId(id);
}

/** Every live pool of `domain` (detached ones included), in id order. */
export function allPools(domain: MemoryDomain): PagePool[] {
  return poolRegistry(domain).all();
}

/** netmem_get_pp: the live pool `nm` belongs to, if any. */
export function poolOf(domain: MemoryDomain, nm: number): PagePool | undefined {
  return poolRegistry(domain).poolOf(nm);
}

/** Sets (or with null, clears) the page_pool tracepoint hooks for every pool of `domain`. */
export function setPagePoolTracer(domain: MemoryDomain, tracer: PagePoolTracer | null): void {
  poolRegistry(domain).tracer = tracer;
}
