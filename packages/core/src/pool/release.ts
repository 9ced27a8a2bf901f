/**
 * The end of a pool's life (page_pool_destroy, page_pool_scrub,
 * page_pool_release, page_pool_release_retry): the last user reference
 * disables direct recycling, lets go of the frag page, scrubs (empties the
 * cache, unmaps every tracked mapping still in flight, empties the ring) and
 * counts what is still in flight. Nothing: the pool is freed. Something:
 * the pool is detached and retried every second until it is; a pool nobody
 * can see warns every minute that its shutdown stalled.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import type { TimerHandle } from '../base/clock.js';
import { DEFER_TIME_MS, DEFER_WARN_INTERVAL_MS } from './constants.js';
import { unmapDesc } from './dma.js';
import type { PoolInternals } from './state.js';

/** A pool's lifecycle state: users, destroy attempts, the retry timer. */
export class PoolLifecycle {
  /** User references (page_pool_get / destroy). */
  users = 1;
  /** Scrubs so far (destroy_cnt: the page_pool_release tracepoint's `cnt`). */
  destroyCnt = 0;
  /** The pool was freed. */
  freed = false;
  /** Domain-clock ms when destroy found netmems in flight (-1: never). */
  detachedAt = -1;
  private deferWarn = 0;
  private retryTimer: TimerHandle | null = null;
  private negativeWarned = false;

  constructor(private readonly pool: PoolInternals) {}

  /** page_pool_get. */
  get(): void {
    if (this.pool.destroying) throw new NetmemError('EINVAL', `pool ${this.pool.id} is being destroyed`);
    this.users++;
  }

  /** page_pool_destroy. */
  destroy(): void {
    const pool = this.pool;
    if (pool.destroying || this.freed) throw new NetmemError('EINVAL', `pool ${pool.id} already destroyed`);
    if (--this.users > 0) return;
    pool.destroying = true;
    pool.napi = null;
    pool.systemPool = false;
    pool.freeFrag();
    if (this.release() === 0) return;
    const now = pool.domain.clock.now();
    this.detachedAt = now;
    this.deferWarn = now + DEFER_WARN_INTERVAL_MS;
    // Arm the retry first: a listener that throws must not leave the pool without one.
    this.retryTimer = pool.domain.clock.setTimeout(this.retry, DEFER_TIME_MS);
    pool.emit('detached', pool);
    if (pool.netdev) pool.registry.emit('change', pool);
  }

  /** Seconds since the pool was detached (0 before). */
  secondsDetached(now: number): number {
    return this.detachedAt < 0 ? 0 : Math.floor((now - this.detachedAt) / 1000);
  }

  /** page_pool_update_nid. */
  updateNid(nid: number): void {
    const pool = this.pool;
    E.int(nid, 'nid', -1, pool.domain.numaNodes - 1);
    const old = pool.nidPref;
    pool.nidPref = nid;
    const tr = pool.registry.tracer;
    if (tr !== null && tr.updateNid !== undefined) tr.updateNid(pool, old, nid);
    while (pool.cacheCount > 0) pool.returnNetmem(pool.cache[--pool.cacheCount]);
  }

  /** page_pool_release_retry: runs every DEFER_TIME until the pool is freed. */
  private readonly retry = (): void => {
    this.retryTimer = null;
    const pool = this.pool;
    const inflight = this.release();
    if (inflight <= 0) return;
    const clock = pool.domain.clock;
    const now = clock.now();
    // Re-arm before anything that might throw (a warning callback, a listener).
    this.retryTimer = clock.setTimeout(this.retry, DEFER_TIME_MS);
    if (now >= this.deferWarn && pool.netdev === null) {
      this.deferWarn = now + DEFER_WARN_INTERVAL_MS;
      const seconds = this.secondsDetached(now);
      const places = pool.places();
      const where = Object.entries(places)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      pool.domain.warn('stalled-pool', `stalled pool shutdown: id ${pool.id}, ${inflight} inflight ${seconds} sec (${where})`, {
        poolId: pool.id,
        inflight,
        seconds,
        places,
      });
      pool.emit('stalled', { id: pool.id, inflight, seconds, places });
    }
  };

  /** page_pool_release: scrub, count what is in flight, free when nothing is. */
  private release(): number {
    const pool = this.pool;
    this.scrub();
    const inflight = (pool.holdCnt - pool.releaseCnt) | 0;
    const tr = pool.registry.tracer;
    if (tr !== null && tr.release !== undefined) tr.release(pool, inflight, pool.holdCnt >>> 0, pool.releaseCnt >>> 0, this.destroyCnt);
    if (inflight < 0 && !this.negativeWarned) {
      this.negativeWarned = true;
      pool.domain.warn('negative-inflight', `pool ${pool.id}: negative (${inflight}) inflight packet-pages`, { poolId: pool.id, inflight });
    }
    if (inflight === 0) this.free();
    return inflight;
  }

  /** page_pool_scrub. */
  private scrub(): void {
    const pool = this.pool;
    pool.provider.scrub?.(pool);
    for (const r of pool.remoteRings) r.drain(); // workers' returns since the last attempt join the ring
    if (this.destroyCnt === 0) {
      while (pool.cacheCount > 0) pool.returnNetmem(pool.cache[--pool.cacheCount]);
    }
    if (this.destroyCnt++ === 0 && pool.dmaMap) {
      // Pre-fix kernels ('none') neither stopped syncing nor unmapped here.
      if (pool.tracker.kind !== 'none') pool.syncDev = false;
      pool.tracker.claimAll((d) => unmapDesc(pool, d));
    }
    const domain = pool.domain;
    for (let nm = pool.ringConsume(); nm !== 0; nm = pool.ringConsume()) {
      if (domain.pageRefCount(nm) !== 1) {
        domain.warn('ring-refcnt', `page_pool refcnt ${domain.pageRefCount(nm)} violation for netmem ${nm} in pool ${pool.id}'s ring`, {
          poolId: pool.id,
          netmem: nm,
          value: domain.pageRefCount(nm),
        });
      }
      pool.returnNetmem(nm);
    }
  }

  /** __page_pool_destroy: unlist, let the provider go, notify. */
  private free(): void {
    const pool = this.pool;
    if (this.retryTimer !== null) pool.domain.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.freed = true;
    pool.registry.unlist(pool);
    pool.provider.destroy(pool);
    pool.unhook();
    pool.netdev?.poolDetached?.(pool);
    pool.registry.emit('del', pool);
    pool.emit('destroyed', pool);
  }
}
