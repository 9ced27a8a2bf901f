/**
 * A netdevsim-like NIC driver. Each rx queue owns a NAPI context, a page pool
 * created with the queue's provider (normal pages when none), and an rx
 * descriptor ring of posted buffers. With header split on, a second pool of
 * normal pages supplies small header buffers (frags) and the payload lands
 * in the queue's buffers, which may be unreadable device memory.
 *
 * "Receive" is what the NIC and the driver's NAPI poll do together: the
 * device writes the packet through the buffers' IOVAs (the IOMMU model
 * checks every write), the driver builds an skb over them and hands it to
 * the stack, then refills the ring from the pool.
 *
 * Memory strategy: rings are Int32Arrays; skbs come from the SkbFactory's
 * cache; nothing is allocated per packet.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import { PAGE_SIZE } from '../base/units.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { PP_FLAG_ALLOW_UNREADABLE_NETMEM, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV } from '../pool/constants.js';
import { DMA_TRACKING_KINDS, type DmaTracking } from '../pool/dma-tracking.js';
import { Napi } from '../pool/napi.js';
import { createPagePool } from '../pool/page-pool.js';
import type { MemoryProviderOps, PagePool } from '../pool/types.js';
import type { NetDevice, QueueMgmtOps } from './netdev.js';
import { C_ALLOC_FAIL, C_BYTES, C_DROPPED, C_PACKETS, QueueMem, type QueueState } from './queue-mem.js';
import { NetdevsimRx, type RxLayout } from './rx-path.js';
import type { SkbFactory } from './skb.js';
import type { SkBuff } from './skbuff.js';
import type { TcpSocket } from './socket.js';

/**
 * Options for {@link NetdevsimDriver}.
 * @category Stack model
 */
export interface NetdevsimOptions {
  /** Provider for queues without a memory provider (normal pages). */
  pageProvider: MemoryProviderOps;
  /** Descriptors per rx ring. Default 256. */
  ringSize?: number;
  /** Header buffer bytes (header split). Default 256. */
  hdrBufSize?: number;
  /** Pool ring size. Default 0 (1024). */
  poolSize?: number;
  /** Whether the driver passes PP_FLAG_ALLOW_UNREADABLE_NETMEM (takes queue providers). Default true. */
  supportsUnreadable?: boolean;
  /** DMA-tracking strategy of the driver's pools. Default xarray. */
  dmaTracking?: DmaTracking;
}

/**
 * Descriptors posted on a queue.
 * @category Stack model
 */
export interface PostedCounts {
  /** Payload buffers. */
  payload: number;
  /** Header frags (header split). */
  header: number;
}

/**
 * Per-queue counters.
 * @category Stack model
 */
export interface RxQueueCounters {
  /** Packets handed to the stack. */
  packets: number;
  /** Bytes handed to the stack. */
  bytes: number;
  /** Packets dropped: no posted buffer, queue down, or too many frags. */
  dropped: number;
  /** Buffer allocations that failed during refill. */
  allocFail: number;
}

/** Most descriptors in a netdevsim rx ring. */
export const MAX_RING_SIZE = 65536;

/**
 * A netdevsim-like NIC driver: per rx queue a NAPI context, a page pool
 * built on the queue's provider and a ring of posted buffers.
 * {@link NetdevsimDriver.receive} plays the NIC's DMA write and the NAPI
 * poll that builds the skb and refills the ring.
 * @category Stack model
 */
export class NetdevsimDriver implements QueueMgmtOps {
  /** Fails the next queue start (restart rollback tests). */
  failNextQueueStart = false;
  private readonly ringSize: number;
  private readonly hdrBufSize: number;
  private readonly queues: QueueState[];
  private readonly rx: NetdevsimRx;
  private unreadableOk: boolean;
  private held = 0;
  private heldPool: PagePool | null = null;

  constructor(
    /** The netdev driven. */
    readonly netdev: NetDevice,
    /** Its domain. */
    readonly domain: MemoryDomain,
    /** The skb factory the stack uses. */
    readonly skbs: SkbFactory,
    /** Driver options. */
    readonly opts: NetdevsimOptions,
  ) {
    if (!netdev.dev) throw new NetmemError('EINVAL', `${netdev.name}: netdevsim needs a DMA device`);
    E.options(opts, 'NetdevsimDriver', ['pageProvider', 'ringSize', 'hdrBufSize', 'poolSize', 'supportsUnreadable', 'dmaTracking'], false);
    this.ringSize = E.int(opts.ringSize ?? 256, 'ringSize', 1, MAX_RING_SIZE);
    this.hdrBufSize = E.int(opts.hdrBufSize ?? 256, 'hdrBufSize', 64, PAGE_SIZE);
    if (opts.poolSize !== undefined) E.int(opts.poolSize, 'poolSize', 0, 0xffffffff);
    if (opts.supportsUnreadable !== undefined) E.bool(opts.supportsUnreadable, 'supportsUnreadable');
    if (opts.dmaTracking !== undefined) E.oneOf(opts.dmaTracking, 'dmaTracking', DMA_TRACKING_KINDS);
    if (typeof opts.pageProvider?.alloc !== 'function') E.expected('a netdevsim driver needs a pageProvider', opts.pageProvider);
    this.queues = netdev.rxQueues.map((q) => ({
      napi: new Napi(`${netdev.name}-rx${q.index}`),
      mem: null,
      counters: new Float64Array(4),
    }));
    this.rx = new NetdevsimRx(netdev, domain, skbs, this.hdrBufSize);
    this.unreadableOk = opts.supportsUnreadable ?? true;
    netdev.ops = this;
  }

  // ---- queue management ops ----------------------------------------------

  queueMemAlloc(idx: number): QueueMem {
    const nd = this.netdev;
    const napi = this.queues[idx].napi;
    const flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | (this.unreadableOk ? PP_FLAG_ALLOW_UNREADABLE_NETMEM : 0);
    const pool = createPagePool({
      domain: this.domain,
      provider: this.opts.pageProvider,
      dev: nd.dev,
      flags,
      maxLen: PAGE_SIZE,
      poolSize: this.opts.poolSize ?? 0,
      napi,
      netdev: nd,
      queueIdx: idx,
      dmaTracking: this.opts.dmaTracking ?? 'xarray',
    });
    let hdrPool: PagePool | null = null;
    if (nd.headerSplit) {
      try {
        hdrPool = createPagePool({
          domain: this.domain,
          provider: this.opts.pageProvider,
          dev: nd.dev,
          flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
          maxLen: PAGE_SIZE,
          napi,
          netdev: nd,
          queueIdx: idx,
          dmaTracking: this.opts.dmaTracking ?? 'xarray',
        });
      } catch (e) {
        pool.destroy();
        throw e;
      }
    }
    return new QueueMem(idx, pool, hdrPool, this.ringSize);
  }

  queueMemFree(mem: unknown): void {
    const m = mem as QueueMem;
    // Posted buffers go back to their pools, then the pools are destroyed.
    const ledger = this.domain.ledger;
    this.queues[m.idx].napi.poll(() => {
      for (let nm = m.ring.take(); nm !== 0; nm = m.ring.take()) m.pool.putNetmem(nm, -1, true);
      for (let nm = m.hdr.take(); nm !== 0; nm = m.hdr.take()) {
        m.hdrPool!.putNetmem(nm, -1, true);
        ledger.holderLeft(nm);
      }
    });
    m.pool.destroy();
    m.hdrPool?.destroy();
  }

  queueStart(idx: number, mem: unknown): void {
    if (this.failNextQueueStart) {
      this.failNextQueueStart = false;
      throw new NetmemError('EIO', `${this.netdev.name}: rx queue ${idx} failed to start`);
    }
    const q = this.queues[idx];
    q.mem = mem as QueueMem;
    q.napi.poll(() => this.rx.refill(q));
  }

  queueStop(idx: number): QueueMem {
    const q = this.queues[idx];
    const mem = q.mem;
    if (!mem) throw new NetmemError('EINVAL', `${this.netdev.name}: rx queue ${idx} is not running`);
    q.mem = null;
    return mem;
  }

  open(): void {
    // All queues or none: a failure stops and frees the queues already started.
    let i = 0;
    try {
      for (; i < this.netdev.realNumRxQueues; i++) {
        const mem = this.queueMemAlloc(i);
        try {
          this.queueStart(i, mem);
        } catch (e) {
          this.queueMemFree(mem);
          throw e;
        }
      }
    } catch (e) {
      for (let j = 0; j < i; j++) this.queueMemFree(this.queueStop(j));
      throw e;
    }
  }

  /** ndo_stop: stops every running queue and frees its memory. */
  stop(): void {
    for (let i = 0; i < this.queues.length; i++) {
      if (this.queues[i].mem) this.queueMemFree(this.queueStop(i));
    }
  }

  // ---- knobs --------------------------------------------------------------

  /**
   * Whether the driver passes PP_FLAG_ALLOW_UNREADABLE_NETMEM when it makes
   * a queue's pool (so the pool takes the queue's memory provider). Set it
   * false to model a driver that ignores the provider: installing one then
   * fails with ENODATA. Takes effect at the next queue restart.
   */
  get supportsUnreadable(): boolean {
    return this.unreadableOk;
  }

  /** Switches it at run time (the next queue restart uses the new setting). */
  set supportsUnreadable(on: boolean) {
    this.unreadableOk = E.bool(on, 'supportsUnreadable');
  }

  /**
   * netdevsim's `pp_hold` debugfs knob: `true` takes one page from queue 0's
   * pool and holds it (ENETDOWN when the device is down), `false` puts it
   * back. Writing the state it already has does nothing, as in netdevsim.
   */
  ppHold(on: boolean): void {
    E.bool(on, 'pp_hold');
    if (on === (this.held !== 0)) return;
    if (on) {
      const pool = this.queues[0].mem?.pool;
      if (!this.netdev.up || pool === undefined) throw new NetmemError('ENETDOWN', `${this.netdev.name} is down: pp_hold needs queue 0 running`);
      const nm = pool.allocNetmems();
      if (nm === 0) throw new NetmemError('ENOMEM', `${this.netdev.name}: pp_hold found queue 0's pool empty`);
      this.held = nm;
      this.heldPool = pool;
      return;
    }
    const pool = this.heldPool!;
    const nm = this.held;
    this.held = 0;
    this.heldPool = null;
    pool.putFullPage(nm, false);
  }

  /** The page pp_hold holds (0: none). */
  get ppHeld(): number {
    return this.held;
  }

  // ---- data path ----------------------------------------------------------

  /** The queue's current pool (null when the queue is not running). */
  pool(idx: number): PagePool | null {
    return this.queues[idx]?.mem?.pool ?? null;
  }

  /** The queue's header pool (header split), or null. */
  hdrPool(idx: number): PagePool | null {
    return this.queues[idx]?.mem?.hdrPool ?? null;
  }

  /** The queue's NAPI context. */
  napi(idx: number): Napi {
    return this.queues[idx].napi;
  }

  /** Counters of queue `idx`. */
  counters(idx: number): RxQueueCounters {
    const c = this.queues[idx].counters;
    return { packets: c[C_PACKETS], bytes: c[C_BYTES], dropped: c[C_DROPPED], allocFail: c[C_ALLOC_FAIL] };
  }

  /** Descriptors posted on queue `idx` (payload, header). */
  posted(idx: number): PostedCounts {
    const m = this.queues[idx].mem;
    return { payload: m?.ring.count ?? 0, header: m?.hdr.count ?? 0 };
  }

  /**
   * The NIC receives `packet` on queue `idx` and the driver's NAPI poll
   * runs: the device writes the packet into posted buffers, the driver
   * builds an skb, the stack pulls the protocol headers and queues it on
   * `to`, then the rings are refilled. `layout` is the protocol header
   * length the stack pulls, or `{ pull, split }` to set the NIC's
   * header-split point apart from it (header split only; see
   * {@link RxLayout}). Returns false when the packet was dropped (no posted
   * buffer, queue or device down).
   */
  receive(idx: number, packet: Uint8Array, layout: number | RxLayout, to: TcpSocket): boolean {
    const q = this.queue(idx);
    this.rx.check(q, packet, layout, to);
    // One NAPI poll: receive the packet, then refill the ring (entered by hand: no closure per packet).
    const prev = q.napi.enter();
    try {
      const ok = this.rx.rxOne(q, packet, to);
      this.rx.refill(q);
      return ok;
    } finally {
      q.napi.exit(prev);
    }
  }

  /**
   * A NAPI poll without a packet: refills queue `idx`'s rings from its
   * pools (buffers that came back are posted again, so the next packet is
   * received). Returns the descriptors posted; 0 on a queue that is not
   * running.
   */
  poll(idx: number): number {
    const q = this.queue(idx);
    const m = q.mem;
    if (m === null) return 0;
    const before = m.ring.count + m.hdr.count;
    const prev = q.napi.enter();
    try {
      this.rx.refill(q);
    } finally {
      q.napi.exit(prev);
    }
    return m.ring.count + m.hdr.count - before;
  }

  /** A live rx queue's state; ERANGE outside the device's real rx queues. */
  private queue(idx: number): QueueState {
    const live = this.netdev.realNumRxQueues;
    if (!(idx >= 0 && idx < live && (idx | 0) === idx)) E.expected(`${this.netdev.name}: rx queue must be an integer 0..${live - 1}`, idx, 'ERANGE');
    return this.queues[idx];
  }

  /**
   * Transmit (dev_queue_xmit → ndo_start_xmit → tx completion): an
   * unreadable skb, whose frags the CPU side of the stack may not touch, is
   * dropped and counted (`txDroppedUnreadable`, validate_xmit_unreadable_skb);
   * on a device that is down it is dropped (`txDropped`); otherwise it is
   * counted as sent. Either way the skb is freed, its buffers going back to
   * their pools. Returns true when sent.
   */
  transmit(skb: SkBuff): boolean {
    this.skbs.checkLoose(skb, this.netdev.name, 'transmit');
    const nd = this.netdev;
    let sent = false;
    if (skb.unreadable) nd.txDroppedUnreadable++;
    else if (!nd.up) nd.txDropped++;
    else {
      nd.txPackets++;
      nd.txBytes += skb.len;
      sent = true;
    }
    this.skbs.free(skb);
    return sent;
  }
}
