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
import { DMA_FROM_DEVICE } from '../dma/direction.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { isNetIov } from '../netmem/handle.js';
import { Place } from '../netmem/ledger.js';
import { PP_FLAG_ALLOW_UNREADABLE_NETMEM, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV } from '../pool/constants.js';
import { DMA_TRACKING_KINDS, type DmaTracking } from '../pool/dma-tracking.js';
import { Napi } from '../pool/napi.js';
import { createPagePool } from '../pool/page-pool.js';
import type { MemoryProviderOps, PagePool } from '../pool/types.js';
import { DescRing } from './desc-ring.js';
import type { NetDevice, QueueMgmtOps } from './netdev.js';
import { MAX_SKB_FRAGS, type SkBuff, type SkbFactory } from './skb.js';
import { TcpSocket } from './socket.js';

/** Options for {@link NetdevsimDriver}. */
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

/** Descriptors posted on a queue. */
export interface PostedCounts {
  /** Payload buffers. */
  payload: number;
  /** Header frags (header split). */
  header: number;
}

/** Per-queue counters. */
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

// Indexes of a queue's counters.
const C_PACKETS = 0;
const C_BYTES = 1;
const C_DROPPED = 2;
const C_ALLOC_FAIL = 3;

/** The memory of one queue incarnation (what ndo_queue_mem_alloc builds). */
export class QueueMem {
  /** @internal Payload descriptors: buffers of the queue's pool. */
  readonly ring: DescRing;
  /** @internal Header descriptors (header split): frags of the header pool; empty without split. */
  readonly hdr: DescRing;
  constructor(
    /** Queue index. */
    readonly idx: number,
    /** The queue's pool (payload buffers; the provider's memory). */
    readonly pool: PagePool,
    /** Header pool (normal pages), with header split. */
    readonly hdrPool: PagePool | null,
    ringSize: number,
  ) {
    this.ring = new DescRing(ringSize);
    this.hdr = new DescRing(hdrPool ? ringSize : 0);
  }
}

interface QueueState {
  napi: Napi;
  mem: QueueMem | null;
  /** packets, bytes, dropped, allocFail (C_* indexes): doubles from the start, so byte counts past 2^31 do not deoptimise the poll. */
  counters: Float64Array;
}

export class NetdevsimDriver implements QueueMgmtOps {
  /** Fails the next queue start (restart rollback tests). */
  failNextQueueStart = false;
  private readonly ringSize: number;
  private readonly hdrBufSize: number;
  private readonly queues: QueueState[];

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
    netdev.ops = this;
  }

  // ---- queue management ops ----------------------------------------------

  queueMemAlloc(idx: number): QueueMem {
    const nd = this.netdev;
    const napi = this.queues[idx].napi;
    const flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | (this.opts.supportsUnreadable === false ? 0 : PP_FLAG_ALLOW_UNREADABLE_NETMEM);
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
    q.napi.poll(() => this.refill(q));
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
   * The NIC receives `packet` on queue `idx`; its first `hdrLen` bytes are
   * protocol headers. Runs the NAPI poll: DMA-writes the packet into posted
   * buffers, builds an skb, pulls the headers and queues it on `to`, then
   * refills the ring. Returns false when the packet was dropped.
   */
  receive(idx: number, packet: Uint8Array, hdrLen: number, to: TcpSocket): boolean {
    const live = this.netdev.realNumRxQueues;
    if (!(idx >= 0 && idx < live && (idx | 0) === idx)) E.expected(`${this.netdev.name}: rx queue must be an integer 0..${live - 1}`, idx, 'ERANGE');
    const q = this.queues[idx];
    if (!(packet instanceof Uint8Array)) E.expected('receive takes the packet as a Uint8Array', packet);
    if ((hdrLen | 0) !== hdrLen || hdrLen < 0 || hdrLen > packet.length) E.expected(`the header length must be an integer 0..${packet.length} (the packet's length)`, hdrLen);
    if (!(to instanceof TcpSocket) || to.skbs !== this.skbs) E.expected(`receive delivers to a socket of ${this.netdev.name}'s namespace`, to);
    // The headers must fit the buffer they land in (header buffer, or the first payload buffer).
    const m = q.mem;
    if (m !== null && hdrLen > (m.hdrPool !== null ? this.hdrBufSize : (PAGE_SIZE << m.pool.order) - m.pool.offset)) {
      throw new NetmemError('EINVAL', `header length ${hdrLen} exceeds the ${m.hdrPool !== null ? 'header' : 'rx'} buffer`);
    }
    // One NAPI poll: receive the packet, then refill the ring (entered by hand: no closure per packet).
    const prev = q.napi.enter();
    try {
      const ok = this.rxOne(q, packet, hdrLen, to);
      this.refill(q);
      return ok;
    } finally {
      q.napi.exit(prev);
    }
  }

  private rxOne(q: QueueState, packet: Uint8Array, hdrLen: number, to: TcpSocket): boolean {
    const m = q.mem;
    // A device that is gone (hot unplug without a stop) cannot DMA: drop before touching the ring.
    if (!m || !this.netdev.up || this.netdev.dev!.removed) {
      q.counters[C_DROPPED]++;
      return false;
    }
    const pool = m.pool;
    const bufCap = (PAGE_SIZE << pool.order) - pool.offset;
    const split = m.hdrPool !== null;
    const payloadLen = packet.length - (split ? hdrLen : 0);
    const nBufs = payloadLen > bufCap ? Math.ceil(payloadLen / bufCap) : payloadLen > 0 ? 1 : split ? 0 : 1;
    if (m.ring.count < nBufs || (split && m.hdr.count < 1) || nBufs > MAX_SKB_FRAGS + (split ? 0 : 1)) {
      q.counters[C_DROPPED]++;
      return false;
    }
    const dev = this.netdev.dev!;
    const domain = this.domain;
    const skbs = this.skbs;
    let skb: SkBuff | null = null;
    let pos = 0;
    // Each buffer joins the skb as soon as it leaves the ring, so a DMA fault (strict IOMMU) part-way
    // frees the skb and every buffer taken goes back to its pool.
    try {
      if (split) {
        const hnm = m.hdr.take();
        const hoff = m.hdr.takenOff;
        skb = skbs.build(hnm, hoff, this.hdrBufSize, hdrLen, true);
        const iova = m.hdrPool!.dmaAddr(hnm);
        dev.write(iova + hoff, packet, 0, hdrLen);
        dev.syncForCpu(iova, hoff, hdrLen, DMA_FROM_DEVICE);
        pos = hdrLen;
      }
      for (let i = 0; i < nBufs; i++) {
        const nm = m.ring.take();
        const n = Math.min(bufCap, packet.length - pos);
        if (skb === null) skb = skbs.build(nm, pool.offset, bufCap, n, true);
        else skbs.addFrag(skb, nm, pool.offset, n);
        const iova = pool.dmaAddr(nm);
        dev.write(iova + pool.offset, packet, pos, n);
        if (!isNetIov(nm) || domain.isReadable(nm)) dev.syncForCpu(iova, pool.offset, n, DMA_FROM_DEVICE);
        pos += n;
      }
    } catch (e) {
      if (skb !== null) skbs.free(skb);
      throw e;
    }
    q.counters[C_PACKETS]++;
    q.counters[C_BYTES] += packet.length;
    skb!.pull(hdrLen);
    to.enqueue(skb!);
    return true;
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

  /** Posts buffers until the ring is full or the pool runs dry (counted as allocFail). */
  private refill(q: QueueState): void {
    const m = q.mem;
    if (!m) return;
    const ledger = this.domain.ledger;
    const ring = m.ring;
    while (!ring.full) {
      const nm = m.pool.allocNetmems();
      if (nm === 0) {
        q.counters[C_ALLOC_FAIL]++;
        break;
      }
      ring.post(nm, 0);
      ledger.record(nm, Place.DRIVER_RING);
    }
    const hp = m.hdrPool;
    if (!hp) return;
    const hdr = m.hdr;
    while (!hdr.full) {
      const nm = hp.allocFrag(this.hdrBufSize);
      if (nm === 0) {
        q.counters[C_ALLOC_FAIL]++;
        break;
      }
      hdr.post(nm, hp.lastOffset);
      ledger.record(nm, Place.DRIVER_RING);
    }
  }
}
