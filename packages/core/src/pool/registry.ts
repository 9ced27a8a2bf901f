/**
 * The page pools of a memory domain (the kernel's page_pools xarray): ids,
 * lookup by id and by netmem (netmem_get_pp), a netmem's way back to its
 * own pool (the one implementation every holder outside the pool uses:
 * skb free, devmem tokens, zcrx refill, bulk put), add / change / del
 * notifications for the control plane, and the domain's tracepoint hooks.
 * The memory layer knows nothing of pools; this registry is keyed by domain.
 * Code that puts often (the skb factory, a socket's token table) keeps the
 * registry at hand instead of looking it up per put.
 *
 * Memory strategy: a Map by id, and in front of it for poolOf a one-entry
 * cache (traffic returns to the same pool over and over) and a
 * direct-mapped table by id, at least twice as many slots as live pools
 * (ids are handed out in sequence, so live pools rarely share a slot; code
 * that interleaves many pools then finds each with two loads instead of a
 * Map lookup). Registries sit in a WeakMap, so a domain nobody holds takes
 * its registry with it.
 */
import { EventEmitter } from 'eventemitter3';
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import { MemoryDomain } from '../netmem/domain.js';
import { descOf } from '../netmem/handle.js';
import { PP_SIGNATURE } from '../netmem/netmem-table.js';
import type { PagePool, PagePoolTracer } from './types.js';

/**
 * Notifications of a {@link PoolRegistry}.
 * @category Pool
 */
export interface PoolRegistryEvents {
  /** A pool was listed (created). */
  add: (pool: PagePool) => void;
  /** A listed pool changed (detached, orphaned). */
  change: (pool: PagePool) => void;
  /** A pool was unlisted (freed). */
  del: (pool: PagePool) => void;
}

/** poolOf's table: 16 slots to start, grown to stay at least twice the live pools, up to 4096. */
const MIN_SLOTS = 16;
const MAX_SLOTS = 4096;

/**
 * The live page pools of one domain.
 * @category Pool
 */
export class PoolRegistry extends EventEmitter<PoolRegistryEvents> {
  /** Tracepoint hooks for every pool of the domain (null: tracing off). */
  tracer: PagePoolTracer | null = null;
  private readonly pools = new Map<number, PagePool>();
  private nextId = 1;
  private lastId = -1;
  private lastPool: PagePool | undefined = undefined;
  /** poolOf's direct-mapped table: slot id & mask holds that id's pool (id 0, never a pool's: empty). */
  private slotIds = new Uint32Array(MIN_SLOTS);
  private slotPools: (PagePool | undefined)[] = new Array<PagePool | undefined>(MIN_SLOTS).fill(undefined);
  private slotMask = MIN_SLOTS - 1;
  private pp: Uint32Array;
  private magic: Int32Array;
  /** Pools made on the domain and not freed: they keep table arrays in fields, reloaded when the table grows. */
  private readonly tableUsers = new Set<object>();

  constructor(
    /** The domain whose pools these are. */
    readonly domain: MemoryDomain,
  ) {
    super();
    const t = domain.table;
    this.pp = t.pp;
    this.magic = t.magic;
    t.onGrow(() => {
      this.pp = t.pp;
      this.magic = t.magic;
      for (const p of this.tableUsers) (p as { reloadTables(): void }).reloadTables();
    });
  }

  /** @internal A pool being made: its cached table arrays follow the table's growth until it is freed (or its init fails). */
  track(pool: { reloadTables(): void }): void {
    this.tableUsers.add(pool);
  }

  /** @internal The pool no longer follows the table (freed, or never made). */
  untrack(pool: object): void {
    this.tableUsers.delete(pool);
  }

  /** @internal Lists a pool and gives it an id (cyclic, never 0, not reused at once). */
  list(pool: PagePool): number {
    let id = this.nextId;
    while (this.pools.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    this.pools.set(id, pool);
    if (this.pools.size * 2 > this.slotIds.length && this.slotIds.length < MAX_SLOTS) this.growSlots();
    return id;
  }

  /** Twice the slots, empty: they fill again as poolOf misses. */
  private growSlots(): void {
    const n = this.slotIds.length * 2;
    this.slotIds = new Uint32Array(n);
    this.slotPools = new Array<PagePool | undefined>(n).fill(undefined);
    this.slotMask = n - 1;
  }

  /** @internal Unlists a pool. */
  unlist(pool: PagePool): void {
    if (this.pools.get(pool.id) === pool) this.pools.delete(pool.id);
    const slot = pool.id & this.slotMask;
    if (this.slotPools[slot] === pool) {
      this.slotIds[slot] = 0;
      this.slotPools[slot] = undefined;
    }
    this.untrack(pool);
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
    const slot = id & this.slotMask; // an id past the table (undefined) lands on slot 0 and misses
    let pool = this.slotIds[slot] === id ? this.slotPools[slot] : undefined;
    if (pool === undefined) {
      pool = this.pools.get(id);
      if (pool === undefined) return undefined;
      this.slotIds[slot] = id;
      this.slotPools[slot] = pool;
    }
    this.lastId = id;
    this.lastPool = pool;
    return pool;
  }

  /**
   * netmem_get_pp for a put: the live pool `nm` belongs to; EINVAL when `nm`
   * is NULL or names no live pool. The pool's own put checks the rest (a
   * double free is EALREADY, a stale handle ESTALE in checked mode).
   */
  owner(nm: number, what: string): PagePool {
    const pool = nm === 0 ? undefined : this.poolOf(nm);
    if (pool === undefined) throw new NetmemError('EINVAL', `${what}: netmem ${nm} belongs to no live page pool`);
    return pool;
  }

  /**
   * napi_pp_put_page: drops one pp reference of a pool netmem and, when it
   * was the last, recycles it into its pool (directly only when the put runs
   * in the pool's NAPI, or `allowDirect`). Returns false, changing nothing,
   * when `nm` is not a pool netmem (the caller then drops a page reference).
   */
  napiPpPutPage(nm: number, allowDirect = false): boolean {
    if ((this.magic[descOf(nm)] & 0xff) !== PP_SIGNATURE) return false;
    this.owner(nm, 'napi_pp_put_page').putNetmem(nm, -1, allowDirect);
    return true;
  }

  /** page_pool_put_unrefed_netmem to `nm`'s own pool: the caller already dropped the last pp reference. */
  putUnrefedNetmem(nm: number, allowDirect = false): void {
    this.owner(nm, 'page_pool_put_unrefed_netmem').putUnrefedNetmem(nm, -1, allowDirect);
  }

  /** page_pool_ref_netmem on `nm`'s own pool: `n` more pp references. */
  refNetmem(nm: number, n = 1): void {
    this.owner(nm, 'page_pool_ref_netmem').refNetmem(nm, n);
  }

  /** page_pool_unref_netmem on `nm`'s own pool: drops `n` pp references, returns what is left (no recycling). */
  unrefNetmem(nm: number, n = 1): number {
    return this.owner(nm, 'page_pool_unref_netmem').unrefNetmem(nm, n);
  }
}

const registries = new WeakMap<MemoryDomain, PoolRegistry>();
// Programs use one domain: a one-entry cache saves the WeakMap lookup on puts.
let lastDomain: MemoryDomain | null = null;
let lastRegistry: PoolRegistry | null = null;

/**
 * The page pools of `domain` (made on first use).
 * @category Pool
 */
export function poolRegistry(domain: MemoryDomain): PoolRegistry {
  if (domain === lastDomain) return lastRegistry!;
  let r = registries.get(domain);
  if (r === undefined) {
    // The one door every domain-taking pool call goes through: a look-alike is refused here, once per call.
    if (!(domain instanceof MemoryDomain)) E.expected('a MemoryDomain', domain);
    r = new PoolRegistry(domain);
    registries.set(domain, r);
  }
  lastDomain = domain;
  lastRegistry = r;
  return r;
}

/**
 * The live pool with id `id` in `domain`.
 * @category Pool
 */
export function poolById(domain: MemoryDomain, id: number): PagePool | undefined {
  return poolRegistry(domain).byId(id);
}

/**
 * Every live pool of `domain` (detached ones included), in id order.
 * @category Pool
 */
export function allPools(domain: MemoryDomain): PagePool[] {
  return poolRegistry(domain).all();
}

/**
 * netmem_get_pp: the live pool `nm` belongs to, if any.
 * @category Pool
 */
export function poolOf(domain: MemoryDomain, nm: number): PagePool | undefined {
  return poolRegistry(domain).poolOf(nm);
}

/**
 * Sets (or with null, clears) the page_pool tracepoint hooks for every pool of `domain`.
 * @category Pool
 */
export function setPagePoolTracer(domain: MemoryDomain, tracer: PagePoolTracer | null): void {
  poolRegistry(domain).tracer = tracer;
}
