/**
 * A net device (struct net_device) as the memory-provider code sees it: rx
 * queues with their provider parameters, header-split settings, XDP and
 * AF_XDP state, up/down, register/unregister, and the list of page pools
 * created for it. The queue-management ops come from its driver.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import type { DmaDevice } from '../dma/device.js';
import type { MemoryProviderOps, PagePool, PoolNetdev, ProviderRxQueue } from '../pool/types.js';
import type { SkBuff } from './skbuff.js';

/**
 * Queue-management ops a driver provides (netdev_queue_mgmt_ops).
 * @category Stack model
 */
export interface QueueMgmtOps {
  /** ndo_queue_mem_alloc: builds new queue memory (pools, ring) for queue `idx`. */
  queueMemAlloc(idx: number): unknown;
  /** ndo_queue_mem_free. */
  queueMemFree(mem: unknown): void;
  /** ndo_queue_start: brings queue `idx` up on `mem`. */
  queueStart(idx: number, mem: unknown): void;
  /** ndo_queue_stop: stops queue `idx`; returns its memory. */
  queueStop(idx: number): unknown;
  /** ndo_open: starts every live queue. */
  open(): void;
  /** ndo_stop: stops every queue and frees its memory. */
  stop(): void;
  /** Transmits (or drops) an skb and frees it; true when sent. Optional. */
  transmit?(skb: SkBuff): boolean;
}

/**
 * Largest hds-thresh netdevsim takes (NSIM_HDS_THRESHOLD_MAX); above it ethtool answers ERANGE.
 * @category Stack model
 */
export const HDS_THRESH_MAX = 1024;

/**
 * One rx queue (struct netdev_rx_queue).
 * @category Stack model
 */
export class RxQueue implements ProviderRxQueue {
  /** Memory provider bound to the queue (mp_params), or null. */
  mp: MemoryProviderOps | null = null;
  /** AF_XDP socket pool bound to the queue. */
  xsk = false;

  constructor(
    /** The netdev. */
    readonly netdev: NetDevice,
    /** Queue index. */
    readonly index: number,
  ) {}

  /** ifindex of the netdev. */
  get ifindex(): number {
    return this.netdev.ifindex;
  }
}

/** Most rx queues a model netdev has (the model allocates a queue object per queue up front). */
export const MAX_RX_QUEUES = 1024;

/**
 * Registration state.
 * @category Stack model
 */
export type NetdevRegState = 'registered' | 'unregistered';

/**
 * Options for a net device.
 * @category Stack model
 */
export interface NetDeviceOptions {
  /** Interface name. */
  name: string;
  /** ifindex (given by the namespace). */
  ifindex: number;
  /** Rx queues (real_num_rx_queues). Default 1. */
  rxQueues?: number;
  /** Most rx queues the device supports (num_rx_queues). Default max(rxQueues, 8). */
  maxRxQueues?: number;
  /** The DMA device behind the netdev. */
  dev?: DmaDevice | null;
  /** Header split on. Default false. */
  headerSplit?: boolean;
  /** Header-split threshold. Default 0. */
  hdsThresh?: number;
}

/** Netdev events a namespace listens to. */
export interface NetdevHooks {
  /** The netdev is unregistering: orphan its pools. */
  unregistering(netdev: NetDevice): void;
}

/**
 * A net device: rx queues with their provider parameters, header split, up
 * and down, register and unregister, and the pools created for it. Make one
 * with {@link NetNamespace.createNetdevsim}; its driver does the receiving.
 * @category Stack model
 */
export class NetDevice implements PoolNetdev {
  /** Interface name. */
  readonly name: string;
  /** Interface index. */
  readonly ifindex: number;
  /** DMA device (netdevsim has one per port). */
  readonly dev: DmaDevice | null;
  /** All rx queues up to the maximum; the first realNumRxQueues are live. */
  readonly rxQueues: RxQueue[];
  /** real_num_rx_queues. */
  realNumRxQueues: number;
  /** tcp-data-split (header split) on. */
  headerSplit: boolean;
  /** hds-thresh. */
  hdsThresh: number;
  /** An XDP program is attached. */
  xdp = false;
  /** netif_running. */
  up = false;
  /** Registration state. */
  regState: NetdevRegState = 'registered';
  /** Queue-management ops (the driver). */
  ops: QueueMgmtOps | null = null;
  /** Pools created for this netdev and not yet freed (netdev->page_pools). */
  readonly pools = new Set<PagePool>();
  /** Packets dropped on transmit because they were unreadable. */
  txDroppedUnreadable = 0;
  /** Packets transmitted. */
  txPackets = 0;
  /** Bytes transmitted. */
  txBytes = 0;
  /** Packets dropped on transmit for another reason (device down). */
  txDropped = 0;
  private hooks: NetdevHooks | null = null;

  constructor(opts: NetDeviceOptions) {
    const n = E.int(opts.rxQueues ?? 1, 'rxQueues', 1, MAX_RX_QUEUES);
    const max = E.int(opts.maxRxQueues ?? Math.max(n, 8), 'maxRxQueues', n, MAX_RX_QUEUES);
    if (opts.hdsThresh !== undefined) E.int(opts.hdsThresh, 'hdsThresh', 0, 0x7fffffff);
    this.name = opts.name;
    this.ifindex = opts.ifindex;
    this.dev = opts.dev ?? null;
    this.realNumRxQueues = n;
    this.rxQueues = Array.from({ length: max }, (_, i) => new RxQueue(this, i));
    this.headerSplit = opts.headerSplit ?? false;
    this.hdsThresh = opts.hdsThresh ?? 0;
  }

  /** @internal Set by the namespace. */
  setHooks(h: NetdevHooks): void {
    this.hooks = h;
  }

  /** The live rx queue `idx` (ERANGE outside real_num_rx_queues). */
  rxQueue(idx: number): RxQueue {
    if (!Number.isInteger(idx) || idx < 0 || idx >= this.realNumRxQueues) {
      throw new NetmemError('ERANGE', `${this.name}: rx queue ${idx} out of range (0..${this.realNumRxQueues - 1})`);
    }
    return this.rxQueues[idx];
  }

  /** PoolNetdev: the provider bound to queue `idx`. */
  rxQueueProvider(idx: number): MemoryProviderOps | null {
    return this.rxQueues[idx]?.mp ?? null;
  }

  /** PoolNetdev: a pool was created for this netdev. */
  poolAttached(pool: PagePool): void {
    this.pools.add(pool);
  }

  /** PoolNetdev: a pool was freed. */
  poolDetached(pool: PagePool): void {
    this.pools.delete(pool);
  }

  /** The highest queue index bound to a provider, or -1. */
  maxBoundQueue(): number {
    for (let i = this.realNumRxQueues - 1; i >= 0; i--) if (this.rxQueues[i].mp) return i;
    return -1;
  }

  /**
   * ethtool -L: changes the rx channel count. It cannot drop below a
   * provider-bound queue (EINVAL). Queues added or removed are started or
   * stopped through the driver when the device is up.
   */
  setChannels(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.rxQueues.length) {
      throw new NetmemError('EINVAL', `${this.name}: ${n} rx channels (max ${this.rxQueues.length})`);
    }
    const bound = this.maxBoundQueue();
    if (n <= bound) throw new NetmemError('EINVAL', `${this.name}: requested channel count ${n} is too low for the memory provider on queue ${bound}`);
    const wasUp = this.up;
    if (wasUp) this.close();
    this.realNumRxQueues = n;
    if (wasUp) this.open();
  }

  /**
   * ethtool -G tcp-data-split / hds-thresh (a u32, EINVAL; at most
   * {@link HDS_THRESH_MAX}, ERANGE). Refused (EINVAL) while a
   * provider needs them. A running device is reconfigured (its queues are
   * restarted) when split turns on or off, so every queue's buffers follow
   * the new setting.
   */
  setHeaderSplit(on: boolean, thresh = this.hdsThresh): void {
    E.bool(on, 'tcp-data-split');
    if (typeof thresh !== 'number' || thresh >>> 0 !== thresh) E.expected(`${this.name}: hds-thresh must be a u32 byte count`, thresh);
    if (thresh > HDS_THRESH_MAX) throw new NetmemError('ERANGE', `${this.name}: hds-thresh ${thresh} is greater than the max ${HDS_THRESH_MAX}`);
    if (this.maxBoundQueue() >= 0 && (!on || thresh !== 0)) {
      throw new NetmemError('EINVAL', `${this.name}: a memory provider needs header split on with threshold 0`);
    }
    const restart = this.up && on !== this.headerSplit;
    if (restart) this.close();
    this.headerSplit = on;
    this.hdsThresh = thresh;
    if (restart) this.open();
  }

  /**
   * Binds an AF_XDP socket to rx queue `idx` (xsk_bind): EINVAL outside the
   * real rx queues, EBUSY when the queue already has an AF_XDP socket or a
   * memory provider. While bound, installing a provider on it is EBUSY.
   */
  bindXsk(idx: number): void {
    if (!Number.isInteger(idx) || idx < 0 || idx >= this.realNumRxQueues)
      E.expected(`${this.name}: an AF_XDP queue id must be an integer 0..${this.realNumRxQueues - 1}`, idx);
    const q = this.rxQueues[idx];
    if (q.xsk) throw new NetmemError('EBUSY', `${this.name}: rx queue ${idx} already has an AF_XDP socket`);
    if (q.mp) throw new NetmemError('EBUSY', `${this.name}: rx queue ${idx} has memory provider ${q.mp.name}`);
    q.xsk = true;
  }

  /** Closes the AF_XDP socket of rx queue `idx` (nothing when none is bound). */
  unbindXsk(idx: number): void {
    this.rxQueue(idx).xsk = false;
  }

  /** Attaches or detaches an XDP program. Refused while a provider is bound (EBUSY). */
  setXdp(on: boolean): void {
    E.bool(on, 'xdp');
    if (on && this.maxBoundQueue() >= 0) throw new NetmemError('EBUSY', `${this.name}: XDP with a memory provider bound`);
    this.xdp = on;
  }

  /**
   * dev_queue_xmit: hands `skb` to the driver, which sends it or drops it
   * (unreadable data is always dropped) and frees it. EOPNOTSUPP without a
   * driver that transmits.
   */
  transmit(skb: SkBuff): boolean {
    if (!this.ops?.transmit) throw new NetmemError('EOPNOTSUPP', `${this.name} cannot transmit`);
    return this.ops.transmit(skb);
  }

  /** dev_open: starts every queue through the driver. */
  open(): void {
    if (this.regState !== 'registered') throw new NetmemError('ENODEV', `${this.name} is unregistered`);
    if (this.up) return;
    this.ops?.open();
    this.up = true;
  }

  /** dev_close: stops every queue through the driver (pools destroyed). */
  close(): void {
    if (!this.up) return;
    this.ops?.stop();
    this.up = false;
  }

  /**
   * unregister_netdevice: closes the device, lets each bound provider go
   * of device resources (uninstall), and orphans the pools still alive.
   */
  unregister(): void {
    if (this.regState !== 'registered') return;
    this.close();
    for (let i = 0; i < this.realNumRxQueues; i++) {
      const q = this.rxQueues[i];
      if (!q.mp) continue;
      q.mp.uninstall?.(q);
      // The queue is gone with the device; a later unbind finds nothing to close.
      q.mp = null;
    }
    this.regState = 'unregistered';
    this.hooks?.unregistering(this);
  }
}
