/**
 * The page pool's core (net/core/page_pool.c, the part every buffer goes
 * through): its state, the alloc and put fast paths, the cache and ring,
 * recycling, and a netmem leaving the pool. The pool users get
 * (page-pool.ts) adds creation, the put wrappers, pp references, DMA
 * addresses, returns from other threads, lifecycle and introspection on
 * top; beside them, as the kernel splits page_pool.c and its headers: create.ts
 * (page_pool_init's checks), frag.ts (frag and va helpers), release.ts
 * (destroy, scrub, deferred release), introspect.ts (stats, info, netlink
 * fill), dma.ts (mapping), accounting.ts (pp info, hold count), types.ts.
 *
 * Memory strategy: the alloc cache is an Int32Array stack of 128 handles, the
 * ptr_ring an Int32Array circle, statistics a Float64Array, and per-netmem
 * state the domain's typed-array tables (the pool keeps direct references to
 * them, reloaded when the tables grow). alloc and put allocate nothing; the
 * provider is called only when both cache and ring are empty, or when a
 * netmem leaves the pool.
 */
import { EventEmitter } from 'eventemitter3';
import { NetmemError } from '../base/errors.js';
import type { DmaDevice } from '../dma/device.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { GFP_ATOMIC, PP_ALLOC_CACHE_SIZE, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_FLAG_SYSTEM_POOL } from './constants.js';
import { clearPpInfo } from './accounting.js';
import type { PoolSettings } from './create.js';
import { createDmaTracker, type DmaTracker } from './dma-tracking.js';
import { badGfp, badPut, badPutArgs, ppRefUnderflow } from './misuse.js';
import { currentNapi, type Napi } from './napi.js';
import { poolRegistry, type PoolRegistry } from './registry.js';
import * as S from './stats.js';
import type { PoolInternals } from './state.js';
import type { MemoryProviderOps, PagePoolEvents, PoolNetdev } from './types.js';

// The pool records its own ledger transitions (handed out, cache, ring,
// none) with plain stores into the place table: these are the ledger's
// always-on writes (see netmem/ledger.ts); a call through an imported
// writer costs a module-cell load per use on the fast path.
// The hot paths use constants as literals (DESC_MASK as 0xfffff, Place codes, stat slots): V8 loads an
// imported binding from its module cell and hole-checks it on every use. hot-literals.ts checks them at load.
import './hot-literals.js';

/** The state and fast paths of a pool; see {@link PagePool} for what each public member does. */
export abstract class PoolCore extends EventEmitter<PagePoolEvents> {
  declare readonly id: number;
  declare readonly domain: MemoryDomain;
  declare readonly provider: MemoryProviderOps;
  declare readonly dev: DmaDevice | null;
  declare readonly order: number;
  declare readonly flags: number;
  declare readonly dmaDirCode: number;
  declare readonly maxLen: number;
  declare readonly offset: number;
  declare readonly ringSize: number;
  declare readonly queueIdx: number;
  declare readonly napiId: number;
  declare readonly tracker: DmaTracker;
  declare readonly dmaMap: boolean;
  lastOffset = 0;
  lastSize = 0;

  // Hot state: own fields, so alloc/put touch only this object and the tables.
  // The pool's sibling files reach them through PoolInternals.
  declare nidPref: number;
  declare netdevRef: PoolNetdev | null;
  declare syncDev: boolean;
  readonly cache = new Int32Array(PP_ALLOC_CACHE_SIZE);
  cacheCount = 0;
  declare readonly ring: Int32Array;
  ringHead = 0;
  ringTail = 0;
  ringCount = 0;
  readonly st = new Float64Array(S.S_COUNT);
  holdCnt = 0;
  releaseCnt = 0;
  declare napi: Napi | null;
  declare systemPool: boolean;
  destroying = false;
  readonly remoteRings: { drain(): number }[] = [];
  readonly warnedOnce = new Set<string>();
  declare readonly checked: boolean;
  declare readonly registry: PoolRegistry;
  // The domain's table arrays, kept here for the fast paths; replaced when the table grows (reloadTables).
  declare ppTab: Uint32Array;
  declare ppRefTab: Int32Array;
  declare pageRefTab: Int32Array;
  declare flagsTab: Uint8Array;
  declare placeTab: Uint8Array;
  declare dmaTab: Uint32Array;
  declare magicTab: Int32Array;
  /** Last page descriptor of the domain: a handle's kind bit must agree with its descriptor. */
  declare readonly lastPage: number;

  constructor(s: PoolSettings) {
    super();
    const domain = s.domain;
    this.domain = domain;
    this.provider = s.provider;
    this.dev = s.dev;
    this.order = s.order;
    this.flags = s.flags;
    this.dmaDirCode = s.dirCode;
    this.maxLen = s.maxLen;
    this.offset = s.offset;
    this.ringSize = s.ringSize;
    this.ring = new Int32Array(s.ringSize);
    this.nidPref = s.nid;
    this.netdevRef = s.netdev;
    this.queueIdx = s.queueIdx;
    this.napi = s.napi;
    this.napiId = s.napi?.id ?? 0;
    this.systemPool = (s.flags & PP_FLAG_SYSTEM_POOL) !== 0;
    this.dmaMap = (s.flags & PP_FLAG_DMA_MAP) !== 0;
    this.syncDev = (s.flags & PP_FLAG_DMA_SYNC_DEV) !== 0;
    this.checked = domain.checked;
    this.registry = poolRegistry(domain);
    this.reloadTables();
    this.registry.track(this);
    this.lastPage = domain.pages;
    this.tracker = createDmaTracker(s.tracking, domain.table);
  }

  /** @internal Takes the domain's table arrays again (at creation, and when the table grew: the registry calls it). */
  reloadTables(): void {
    const t = this.domain.table;
    this.ppTab = t.pp;
    this.ppRefTab = t.ppRef;
    this.pageRefTab = t.pageRef;
    this.flagsTab = t.flags;
    this.placeTab = t.place;
    this.dmaTab = t.dma;
    this.magicTab = t.magic;
  }

  /** This pool as the pool layer's files see it (the concrete pool class is a PoolInternals). */
  protected get self(): PoolInternals {
    return this as unknown as PoolInternals;
  }

  get nid(): number {
    return this.nidPref;
  }

  get netdev(): PoolNetdev | null {
    return this.netdevRef;
  }

  get dmaSync(): boolean {
    return this.syncDev;
  }

  // ---- allocation --------------------------------------------------------

  allocNetmems(gfp = GFP_ATOMIC): number {
    if (gfp >>> 0 !== gfp) badGfp(this.self, gfp); // one compare, so a malformed call fails on the fast path too
    if (this.cacheCount > 0) {
      const nm = this.cache[--this.cacheCount];
      this.st[0 /* S_FAST */]++;
      this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 3 /* Place.HANDED_OUT */;
      return nm;
    }
    return this.allocSlow(gfp);
  }

  /** Drains every attached return ring into the ptr_ring (page-pool.ts). */
  abstract drainRemote(): number;

  private allocSlow(gfp: number): number {
    if (this.destroying) throw new NetmemError('EINVAL', `alloc from pool ${this.id} after destroy`);
    if (this.remoteRings.length !== 0) this.drainRemote();
    let nm = this.refillAllocCache();
    if (nm === 0) nm = this.provider.alloc(this.self, gfp);
    if (nm !== 0) this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 3 /* Place.HANDED_OUT */;
    return nm;
  }

  private refillAllocCache(): number {
    if (this.ringCount === 0) {
      this.st[3 /* S_EMPTY */]++;
      return 0;
    }
    const pref = this.nidPref < 0 ? this.domain.currentNode : this.nidPref;
    const nid = this.domain.table.nid;
    do {
      const nm = this.ringConsume();
      if (nm === 0) break;
      if ((nm & 1) === 1 || nid[(nm >>> 1) & 0xfffff /* DESC_MASK */] === pref) {
        this.cache[this.cacheCount++] = nm;
        this.placeTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] = 1 /* Place.CACHE */;
      } else {
        // NUMA mismatch: release one page and let the provider allocate locally.
        this.returnNetmem(nm);
        this.st[5 /* S_WAIVE */]++;
        break;
      }
    } while (this.cacheCount < 64 /* PP_ALLOC_CACHE_REFILL */);
    if (this.cacheCount === 0) return 0;
    this.st[4 /* S_REFILL */]++;
    return this.cache[--this.cacheCount];
  }

  // The common cases are complete here, in few bytecodes: a valid handle of this pool with its last pp
  // reference and a recyclable page, no sync, no checked mode, going to a cache with room (direct) or a
  // ring with room. Everything else takes putChecked, which is the reference: the same outcome, counters
  // included. Why so short: V8 charges a callee's already-optimized inlined size to its caller's inlining
  // budget, so a long put chain was inlined into the caller's loop or not depending on which function the
  // JIT happened to compile first, and the fast path ran at one of two speeds per process.
  putNetmem(nm: number, dmaSyncSize = -1, allowDirect = false): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if (
      dmaSyncSize === -1 &&
      (nm | 0) === nm &&
      nm > 0 &&
      this.ppTab[d] === this.id &&
      this.placeTab[d] >= 3 /* FIRST_OUT_PLACE */ &&
      (nm & 1) === (d > this.lastPage ? 1 : 0) &&
      this.ppRefTab[d] === 1 &&
      !this.checked &&
      !this.syncDev &&
      this.canRecycle(nm, d)
    ) {
      if (allowDirect === true || (allowDirect === false && this.napiLocal())) {
        if (this.cacheCount < 128 /* PP_ALLOC_CACHE_SIZE */ && !this.destroying) {
          this.cache[this.cacheCount++] = nm;
          this.placeTab[d] = 1 /* Place.CACHE */;
          this.st[6 /* S_CACHED */]++;
          return;
        }
      } else if (allowDirect === false && this.ringCount < this.ringSize) {
        this.ringProduce(nm, d);
        this.st[8 /* S_RING */]++;
        return;
      }
    }
    this.putChecked(nm, d, dmaSyncSize, allowDirect);
  }

  /** putNetmem with every check and every branch: bad arguments, checked mode, extra references, sync, full cache or ring. */
  private putChecked(nm: number, d: number, dmaSyncSize: number, allowDirect: boolean): void {
    if ((dmaSyncSize !== -1 && ((dmaSyncSize | 0) !== dmaSyncSize || dmaSyncSize < 0)) || (allowDirect !== true && allowDirect !== false))
      badPutArgs(this.self, dmaSyncSize, allowDirect);
    if ((nm | 0) !== nm || nm <= 0 || this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || (nm & 1) !== (d > this.lastPage ? 1 : 0))
      badPut(this.self, nm, d);
    if (this.checked) this.domain.checkStale(nm);
    const r = this.ppRefTab[d];
    if (r !== 1) {
      this.ppRefTab[d] = r - 1;
      if (r < 1) ppRefUnderflow(this.self, nm, r - 1); // the kernel WARNs and leaves the count negative
      return;
    }
    this.putUnrefed(nm, d, dmaSyncSize, allowDirect);
  }

  recycleDirect(nm: number): void {
    this.putNetmem(nm, -1, true);
  }

  // Syncs for the device happen after the netmem is placed (cache or ring): a strict IOMMU that
  // throws on the sync (a device that is gone) then leaves the pool's books consistent.
  protected putUnrefed(nm: number, d: number, dmaSyncSize: number, allowDirect: boolean): void {
    const keep = this.recycleCandidate(nm, d, dmaSyncSize, allowDirect || this.napiLocal());
    if (keep === 0) return;
    if (this.ringCount < this.ringSize) {
      this.ringProduce(nm, d);
      this.st[8 /* S_RING */]++;
      if (this.syncDev) this.syncForDevice(d, dmaSyncSize);
      return;
    }
    this.st[9 /* S_RING_FULL */]++;
    this.releaseSynced(nm, d, dmaSyncSize);
  }

  recycleCandidate(nm: number, d: number, dmaSyncSize: number, direct: boolean): number {
    if (this.canRecycle(nm, d)) {
      if (direct && !this.destroying) {
        if (this.cacheCount < 128 /* PP_ALLOC_CACHE_SIZE */) {
          this.cache[this.cacheCount++] = nm;
          this.placeTab[d] = 1 /* Place.CACHE */;
          this.st[6 /* S_CACHED */]++;
          if (this.syncDev) this.syncForDevice(d, dmaSyncSize);
          return 0;
        }
        this.st[7 /* S_CACHE_FULL */]++;
      }
      return nm; // for the ring: the caller syncs once it is there
    }
    this.st[10 /* S_RELEASED_REFCNT */]++;
    this.returnNetmem(nm);
    return 0;
  }

  /** A recyclable netmem the ring had no room for: synced (as the kernel does before trying the ring), then released. */
  protected releaseSynced(nm: number, d: number, dmaSyncSize: number): void {
    if (!this.syncDev) return this.returnNetmem(nm);
    try {
      this.syncForDevice(d, dmaSyncSize);
    } finally {
      this.returnNetmem(nm);
    }
  }

  recycleRingBulk(list: Int32Array, from: number, n: number): void {
    let i = 0;
    for (; i < n; i++) {
      if (this.ringCount === this.ringSize) {
        this.st[9 /* S_RING_FULL */]++;
        break;
      }
      const nm = list[from + i];
      this.ringProduce(nm, (nm >>> 1) & 0xfffff /* DESC_MASK */);
    }
    this.st[8 /* S_RING */] += i;
    // Every netmem is placed or released even if a strict IOMMU throws on one: the first error surfaces after.
    let first: unknown;
    if (this.syncDev) {
      for (let j = 0; j < i; j++) {
        try {
          this.syncForDevice((list[from + j] >>> 1) & 0xfffff /* DESC_MASK */, -1);
        } catch (e) {
          first ??= e;
        }
      }
    }
    for (; i < n; i++) {
      try {
        this.releaseSynced(list[from + i], (list[from + i] >>> 1) & 0xfffff /* DESC_MASK */, -1);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  /**
   * page_pool_unref_netmem: drops `n` pp references of `nm` (descriptor `d`);
   * returns what is left. Exactly `n` left resets the count to 1. Below
   * zero the kernel WARNs and returns the negative count: so does this
   * (a `pp-ref-underflow` warning carrying the netmem and the value).
   */
  unref(nm: number, d: number, n: number): number {
    const r = this.ppRefTab[d];
    if (r === n) {
      this.ppRefTab[d] = 1;
      return 0;
    }
    const left = r - n;
    this.ppRefTab[d] = left;
    if (left < 0) ppRefUnderflow(this.self, nm, left);
    return left;
  }

  canRecycle(nm: number, d: number): boolean {
    return (nm & 1) === 1 || (this.pageRefTab[d] === 1 && (this.flagsTab[d] & 1) /* NM_PFMEMALLOC */ === 0);
  }

  napiLocal(): boolean {
    return this.systemPool || (this.napi !== null && currentNapi() === this.napi);
  }

  protected ringProduce(nm: number, d: number): void {
    this.ring[this.ringTail] = nm;
    this.ringTail = this.ringTail + 1 === this.ringSize ? 0 : this.ringTail + 1;
    this.ringCount++;
    this.placeTab[d] = 2 /* Place.RING */;
  }

  ringConsume(): number {
    if (this.ringCount === 0) return 0;
    const nm = this.ring[this.ringHead];
    this.ringHead = this.ringHead + 1 === this.ringSize ? 0 : this.ringHead + 1;
    this.ringCount--;
    return nm;
  }

  // ---- entering and leaving the pool -------------------------------------

  returnNetmem(nm: number): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    const put = this.provider.release(this.self, nm);
    this.releaseCnt = (this.releaseCnt + 1) | 0;
    const tr = this.registry.tracer;
    if (tr !== null && tr.stateRelease !== undefined) tr.stateRelease(this.self, nm, this.releaseCnt >>> 0);
    this.placeTab[d] = 0 /* Place.NONE */;
    if (put) {
      clearPpInfo(this.self, d);
      this.domain.putPage(nm);
    }
  }

  // ---- DMA ---------------------------------------------------------------

  syncForDevice(d: number, size: number): void {
    this.syncBytesForDevice(d, size < 0 || size > this.maxLen ? this.maxLen : size);
  }

  /** @internal Syncs `len` bytes of `d` from the pool's offset for the device, by page number when the table keeps one (no boxed address). */
  syncBytesForDevice(d: number, len: number): void {
    const p = this.dmaTab[d];
    if (p === 0) return;
    if (p < 0xffffffff /* DMA_SPILL */) this.dev!.syncForDevicePage(p, this.offset, len);
    else this.dev!.syncForDevice(this.domain.table.dmaOf(d), this.offset, len, this.dmaDirCode);
  }
}
