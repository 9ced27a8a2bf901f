/**
 * netdevsim's receive path: what the NIC and the driver's NAPI poll do
 * together. The device writes the packet through posted buffers' IOVAs
 * (the IOMMU model checks every write): with header split, the first
 * `split` bytes into a header buffer and the rest into the queue's
 * buffers; without it, everything into the queue's buffers. The driver
 * builds an skb over them, the stack pulls the protocol headers (`pull`
 * bytes, independent of the NIC's split: payload may stay in the linear
 * part) and queues it on the socket; then the poll refills the rings.
 *
 * Memory strategy: rings are Int32Arrays; skbs come from the SkbFactory's
 * cache; nothing is allocated per packet.
 */
import { E } from '../base/validate.js';
import type { DmaDevice } from '../dma/device.js';
import { DMA_FROM_DEVICE } from '../dma/direction.js';
import { PAGE_SIZE } from '../base/units.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { isNetIov } from '../netmem/handle.js';
import { Place } from '../netmem/ledger.js';
import { internals } from '../pool/state.js';
import type { PagePool } from '../pool/types.js';
import type { NetDevice } from './netdev.js';
import { C_ALLOC_FAIL, C_BYTES, C_DROPPED, C_PACKETS, type QueueMem, type QueueState } from './queue-mem.js';
import type { SkbFactory } from './skb.js';
import { MAX_SKB_FRAGS, type SkBuff } from './skbuff.js';
import { TcpSocket } from './socket.js';

/**
 * Where a received packet's bytes go. `pull`: protocol header bytes the
 * stack pulls off the linear part. `split` (header split only): bytes the
 * NIC writes into the header buffer; by default the headers (`pull`), or
 * the whole packet when it is at or below the device's hds-thresh and fits
 * the header buffer. `pull ≤ split ≤ header buffer size` (the model's stack
 * pulls from the linear part only).
 * @category Stack model
 */
export interface RxLayout {
  /** Protocol header bytes the stack pulls. */
  pull: number;
  /** Header-split point: bytes the NIC puts in the header buffer. */
  split?: number;
}

/** The receive path of one netdevsim device. */
export class NetdevsimRx {
  /** Split and pull of the last checked layout (per call; JavaScript runs one receive at a time). */
  private split = 0;
  private pull = 0;

  constructor(
    private readonly netdev: NetDevice,
    private readonly domain: MemoryDomain,
    private readonly skbs: SkbFactory,
    private readonly hdrBufSize: number,
  ) {}

  /** Checks a receive's arguments before anything is touched; sets {@link split} and {@link pull}. */
  check(q: QueueState, packet: Uint8Array, layout: number | RxLayout, to: TcpSocket): void {
    if (!(packet instanceof Uint8Array)) E.expected('receive takes the packet as a Uint8Array', packet);
    let pull: number;
    let split: number | undefined;
    if (typeof layout === 'number') pull = layout;
    else {
      E.options(layout, 'receive layout', ['pull', 'split'], false);
      pull = layout.pull;
      split = layout.split;
    }
    if ((pull | 0) !== pull || pull < 0 || pull > packet.length)
      E.expected(`the header length to pull must be an integer 0..${packet.length} (the packet's length)`, pull);
    if (!(to instanceof TcpSocket) || to.skbs !== this.skbs) E.expected(`receive delivers to a socket of ${this.netdev.name}'s namespace`, to);
    const m = q.mem;
    if (m !== null ? m.hdrPool !== null : this.netdev.headerSplit) {
      // Header split: the NIC's split point (hds-thresh: small packets stay whole in the header buffer).
      const nd = this.netdev;
      if (split === undefined) split = packet.length <= nd.hdsThresh && packet.length <= this.hdrBufSize ? packet.length : pull;
      if ((split | 0) !== split || split < pull || split > packet.length || split > this.hdrBufSize) {
        E.expected(`the split point must be an integer ${pull}..${Math.min(packet.length, this.hdrBufSize)} (pull..min(packet, header buffer))`, split);
      }
    } else {
      if (split !== undefined) E.expected('a split point needs header split on (tcp-data-split)', split);
      split = 0;
      if (m !== null && pull > (PAGE_SIZE << m.pool.order) - m.pool.offset) E.fail('EINVAL', `header length ${pull} exceeds the rx buffer`);
    }
    this.split = split;
    this.pull = pull;
  }

  /** The NIC writes the packet checked last, the driver builds the skb and hands it to `to`; false when dropped. */
  rxOne(q: QueueState, packet: Uint8Array, to: TcpSocket): boolean {
    const m = q.mem;
    // A device that is gone (hot unplug without a stop) cannot DMA: drop before touching the ring.
    if (!m || !this.netdev.up || this.netdev.dev!.removed) {
      q.counters[C_DROPPED]++;
      return false;
    }
    const pool = m.pool;
    const bufCap = (PAGE_SIZE << pool.order) - pool.offset;
    const isSplit = m.hdrPool !== null;
    const split = this.split;
    const payloadLen = packet.length - split;
    const nBufs = payloadLen > bufCap ? Math.ceil(payloadLen / bufCap) : payloadLen > 0 ? 1 : isSplit ? 0 : 1;
    if (m.ring.count < nBufs || (isSplit && m.hdr.count < 1) || nBufs > MAX_SKB_FRAGS + (isSplit ? 0 : 1)) {
      q.counters[C_DROPPED]++;
      return false;
    }
    const skb = this.build(m, packet, split, nBufs, bufCap);
    q.counters[C_PACKETS]++;
    q.counters[C_BYTES] += packet.length;
    skb.pull(this.pull);
    to.enqueue(skb);
    return true;
  }

  /**
   * The device writes the packet into posted buffers and the driver builds
   * the skb over them. Each buffer joins the skb as it leaves its ring, so
   * a DMA fault (strict IOMMU) part-way frees the skb and with it every
   * buffer taken.
   */
  private build(m: QueueMem, packet: Uint8Array, split: number, nBufs: number, bufCap: number): SkBuff {
    const dev = this.netdev.dev!;
    const skbs = this.skbs;
    const pool = m.pool;
    let skb: SkBuff | null = null;
    let pos = 0;
    try {
      if (m.hdrPool !== null) {
        const hnm = m.hdr.take();
        const hoff = m.hdr.takenOff;
        skb = skbs.build(hnm, hoff, this.hdrBufSize, split, true);
        this.dmaIn(dev, m.hdrPool, hnm, hoff, packet, 0, split, true);
        pos = split;
      }
      for (let i = 0; i < nBufs; i++) {
        const nm = m.ring.take();
        const n = Math.min(bufCap, packet.length - pos);
        if (skb === null) skb = skbs.build(nm, pool.offset, bufCap, n, true);
        else skbs.addFrag(skb, nm, pool.offset, n);
        this.dmaIn(dev, pool, nm, pool.offset, packet, pos, n, !isNetIov(nm) || this.domain.isReadable(nm));
        pos += n;
      }
    } catch (e) {
      if (skb !== null) skbs.free(skb);
      throw e;
    }
    return skb!;
  }

  /**
   * The device writes `n` bytes of `packet` at `pos` into buffer `nm` at `off`, then (`sync`) the driver
   * syncs them for the CPU. By page number and offset: a net_iov area's byte address is a double that V8
   * boxes when it passes a call it did not inline (DmaDevice.writePage).
   */
  private dmaIn(dev: DmaDevice, pool: PagePool, nm: number, off: number, packet: Uint8Array, pos: number, n: number, sync: boolean): void {
    const page = internals(pool).dmaPage(nm);
    if (page >= 0) {
      dev.writePage(page, off, packet, pos, n);
      if (sync) dev.syncForCpuPage(page, off, n);
      return;
    }
    const iova = pool.dmaAddr(nm);
    dev.write(iova + off, packet, pos, n);
    if (sync) dev.syncForCpu(iova, off, n, DMA_FROM_DEVICE);
  }

  /** Posts buffers until the rings are full or the pools run dry (each failure counted as allocFail). */
  refill(q: QueueState): void {
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
