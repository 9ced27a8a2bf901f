/**
 * The page pool its users get (page_pool_create and the pool's public
 * face): creation with the provider's init, the frag helpers, destroy and
 * the deferred release, introspection. The state and fast paths are in
 * pool-core.ts; see {@link PagePool} for what each member does.
 */
import type { DmaFault } from '../dma/device-types.js';
import { ERRNO, NetmemError } from '../base/errors.js';
import type { LeakReport } from '../netmem/domain.js';
import { GFP_ATOMIC } from './constants.js';
import { poolSettings } from './create.js';
import { FragCache } from './frag.js';
import './hot-literals.js';
import { poolInfo, poolPlaces, poolSnapshot } from './introspect.js';
import { badPut, badPutArgs, badRefCount, ppRefUnderflow } from './misuse.js';
import { PoolCore } from './pool-core.js';
import { PoolLifecycle } from './release.js';
import type { PoolInternals } from './state.js';
import * as S from './stats.js';
import type { PagePoolStats } from './stats.js';
import type { PagePool, PagePoolInfo, PagePoolParams, PoolNetdev, PoolSnapshot } from './types.js';

/**
 * page_pool_create: a new pool. Throws a NetmemError (and leaves nothing
 * behind) on bad parameters or when the provider's init refuses.
 *
 * @example
 * ```ts
 * import { MemoryDomain, createPagePool, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const domain = new MemoryDomain({ pages: 4096 });
 * const pool = createPagePool({
 *   domain, dev: domain.createDevice('nic0'), order: 0, poolSize: 1024, maxLen: 4096, dmaDir: 'from-device',
 *   flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, provider: pagesProvider(),
 * });
 * ```
 * @category Pool
 */
export function createPagePool(params: PagePoolParams): PagePool {
  return new PagePoolImpl(params);
}

/** A pool as its users see it. */
class PagePoolImpl extends PoolCore implements PoolInternals {
  readonly frag: FragCache;
  readonly life: PoolLifecycle;
  private readonly onDevFault: (f: DmaFault) => void;
  private readonly onLeak: (r: LeakReport) => void;

  constructor(p: PagePoolParams) {
    const s = poolSettings(p);
    super(s);
    const domain = s.domain;
    const provider = s.provider;
    this.frag = new FragCache(this, s.fragAlign);
    this.life = new PoolLifecycle(this);
    this.onDevFault = (f) => this.emit('fault', f);
    this.onLeak = (r) => {
      if (r.poolId === this.id) this.emit('leak', r);
    };
    try {
      provider.init(this);
    } catch (e) {
      this.registry.untrack(this);
      const code = e instanceof NetmemError ? e.code : 'EINVAL';
      domain.warn('mem-provider-init', `mem-provider init failed: ${provider.name}: ${(e as Error).message} (${code})`, {
        provider: provider.name,
        code,
        errno: -ERRNO[code],
      });
      throw e;
    }
    (this as { id: number }).id = this.registry.list(this);
    this.dev?.on('fault', this.onDevFault);
    domain.on('leak', this.onLeak);
    s.netdev?.poolAttached?.(this);
    this.registry.emit('add', this);
  }

  allocFrag(size: number, gfp = GFP_ATOMIC): number {
    return this.frag.alloc(size, gfp);
  }

  allocNetmem(size?: number, gfp = GFP_ATOMIC): number {
    return this.frag.allocNetmem(size, gfp);
  }

  allocVa(size: number, gfp = GFP_ATOMIC): number {
    return this.frag.allocVa(size, gfp);
  }

  // ---- puts, references and addresses (the fast paths are PoolCore's; literals: hot-literals.ts) ----

  putPage(nm: number, dmaSyncSize = -1, allowDirect = false): void {
    this.putNetmem(nm, dmaSyncSize, allowDirect);
  }

  putFullPage(nm: number, allowDirect = false): void {
    this.putNetmem(nm, -1, allowDirect);
  }

  freeVa(va: number, allowDirect = false): void {
    this.putNetmem(this.domain.vaToNetmem(va), -1, allowDirect);
  }

  putUnrefedNetmem(nm: number, dmaSyncSize = -1, allowDirect = false): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if ((dmaSyncSize !== -1 && ((dmaSyncSize | 0) !== dmaSyncSize || dmaSyncSize < 0)) || (allowDirect !== true && allowDirect !== false))
      badPutArgs(this.self, dmaSyncSize, allowDirect);
    this.checkPut(nm);
    this.putUnrefed(nm, d, dmaSyncSize, allowDirect);
  }

  /** EINVAL unless `nm` is this pool's and out of the pool (handed out, in an skb, with a user); ESTALE for an old handle in checked mode. */
  checkPut(nm: number): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if ((nm | 0) !== nm || nm <= 0 || this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || (nm & 1) !== (d > this.lastPage ? 1 : 0))
      badPut(this.self, nm, d);
    if (this.checked) this.domain.checkStale(nm);
  }

  unrefNetmem(nm: number, n: number): number {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    this.checkPut(nm);
    if ((n | 0) !== n || n < 1) badRefCount(this.self, nm, n, 'drop');
    return this.unref(nm, d, n);
  }

  refNetmem(nm: number, n = 1): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    this.checkPut(nm);
    const r = this.ppRefTab[d];
    if ((n | 0) !== n || n < 1 || r + n > 0x7fffffff) badRefCount(this.self, nm, n, 'take');
    this.ppRefTab[d] = r + n;
  }

  owns(nm: number): boolean {
    return nm !== 0 && this.ppTab[(nm >>> 1) & 0xfffff /* DESC_MASK */] === this.id;
  }

  dmaAddr(nm: number): number {
    const d = (nm >>> 1) & 0xfffff; /* DESC_MASK */
    const p = this.dmaTab[d];
    // IOVA >> PAGE_SHIFT (NetmemTable.dma); DMA_SPILL, or a descriptor past the table, asks the table.
    return p < 0xffffffff /* DMA_SPILL */ ? p * 4096 /* PAGE_SIZE */ : this.domain.table.dmaOf(d);
  }

  /**
   * @internal dmaAddr ÷ PAGE_SIZE for the device's *Page entries (a small integer where the address may be a
   * boxed double); 0 when unmapped, -1 when the address is no whole page number (use dmaAddr then).
   */
  dmaPage(nm: number): number {
    const p = this.dmaTab[(nm >>> 1) & 0xfffff /* DESC_MASK */];
    return p < 0xffffffff /* DMA_SPILL */ ? p : -1;
  }

  // ---- returns from other threads (return-ring.ts) ----------------------------

  /** Drains every attached return ring (workers' returns go to the ptr_ring). */
  drainRemote(): number {
    let n = 0;
    for (const r of this.remoteRings) n += r.drain();
    return n;
  }

  putRemote(nm: number): void {
    const d = (nm >>> 1) & 0xfffff /* DESC_MASK */;
    if ((nm | 0) !== nm || nm <= 0 || this.ppTab[d] !== this.id || this.placeTab[d] < 3 /* FIRST_OUT_PLACE */ || (nm & 1) !== (d > this.lastPage ? 1 : 0))
      badPut(this.self, nm, d);
    const r = this.ppRefTab[d];
    if (r !== 1) {
      this.ppRefTab[d] = r - 1;
      if (r < 1) ppRefUnderflow(this.self, nm, r - 1);
      return;
    }
    // Another thread's return is never direct: the cache belongs to the pool's own context.
    const keep = this.recycleCandidate(nm, d, -1, false);
    if (keep === 0) return;
    if (this.ringCount < this.ringSize) {
      this.ringProduce(nm, d);
      this.st[8 /* S_RING */]++;
      if (this.syncDev) this.syncForDevice(d, -1);
      return;
    }
    this.st[9 /* S_RING_FULL */]++;
    this.releaseSynced(nm, d, -1);
  }

  // ---- lifecycle (release.ts) ----------------------------------------------

  unhook(): void {
    this.dev?.off('fault', this.onDevFault);
    this.domain.off('leak', this.onLeak);
  }

  freeFrag(): void {
    this.frag.free();
  }

  get detachedAt(): number {
    return this.life.detachedAt;
  }

  get(): void {
    this.life.get();
  }

  destroy(): void {
    this.life.destroy();
  }

  updateNid(nid: number): void {
    this.life.updateNid(nid);
  }

  orphan(loopback: PoolNetdev | null): void {
    this.netdevRef = loopback;
    this.registry.emit('change', this);
  }

  // ---- introspection (introspect.ts) ---------------------------------------

  get inflight(): number {
    return (this.holdCnt - this.releaseCnt) | 0;
  }

  get holdCount(): number {
    return this.holdCnt;
  }

  get releaseCount(): number {
    return this.releaseCnt;
  }

  get cacheSize(): number {
    return this.cacheCount;
  }

  get ringLength(): number {
    return this.ringCount;
  }

  get destroyStarted(): boolean {
    return this.destroying;
  }

  get isFreed(): boolean {
    return this.life.freed;
  }

  get isDetached(): boolean {
    return this.destroying && !this.life.freed;
  }

  get currentFragPage(): number {
    return this.frag.page;
  }

  bytes(nm: number): Uint8Array {
    return this.domain.bytes(nm);
  }

  stats(): PagePoolStats {
    return S.statsFromCounters(this.st);
  }

  info(): PagePoolInfo {
    return poolInfo(this);
  }

  places(): Record<string, number> {
    return poolPlaces(this);
  }

  snapshot(): PoolSnapshot {
    return poolSnapshot(this);
  }
}
