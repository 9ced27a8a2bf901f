/**
 * A network namespace: its net devices by ifindex, the loopback device that
 * orphaned pools move to, and the skb factory of its stack. Creating a
 * netdevsim device here wires a NetDevice, its DMA device and its driver
 * together. The control plane stands above it: `controlPlane(ns)`.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import type { DmaDevice } from '../dma/device.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { LOOPBACK_IFINDEX } from '../pool/constants.js';
import type { DmaTracking } from '../pool/dma-tracking.js';
import { internals } from '../pool/state.js';
import type { MemoryProviderOps } from '../pool/types.js';
import { NetdevsimDriver, type NetdevsimOptions } from './driver.js';
import { NetDevice } from './netdev.js';
import { SkbFactory } from './skb.js';
import { TcpSocket, type TcpSocketOptions } from './socket.js';

/**
 * Options for {@link NetNamespace}.
 * @category Stack model
 */
export interface NetNamespaceOptions {
  /** The provider for queues without a memory provider (`pagesProvider()`). */
  pageProvider: MemoryProviderOps;
}

/**
 * Options for {@link NetNamespace.createNetdevsim}.
 * @category Stack model
 */
export interface NetdevsimDeviceOptions extends Partial<Omit<NetdevsimOptions, 'pageProvider'>> {
  /** Interface name. Default `eniN`. */
  name?: string;
  /** Rx queues. Default 1. */
  rxQueues?: number;
  /** Most rx queues. Default max(rxQueues, 8). */
  maxRxQueues?: number;
  /** Header split on. Default false. */
  headerSplit?: boolean;
  /** IOMMU faults throw. Default false. */
  strictIommu?: boolean;
  /** An existing DMA device of the namespace's domain to use (several netdevs may share one, as PFs of one NIC). Default: a new device named like the netdev. */
  dev?: DmaDevice;
  /** Bring the device up at once. Default true. */
  up?: boolean;
  /** DMA tracking of the driver's pools. */
  dmaTracking?: DmaTracking;
}

/** Every key of {@link NetdevsimDeviceOptions}. */
const NETDEVSIM_KEYS = [
  'name',
  'rxQueues',
  'maxRxQueues',
  'headerSplit',
  'strictIommu',
  'up',
  'dmaTracking',
  'ringSize',
  'hdrBufSize',
  'poolSize',
  'supportsUnreadable',
  'dev',
];

/** The namespace each device lives in (weak: a dropped device takes its entry with it). */
const homes = new WeakMap<NetDevice, NetNamespace>();

/** @internal The namespace `nd` is (or was) a device of, loopback included. */
export function namespaceOf(nd: unknown): NetNamespace | undefined {
  return homes.get(nd as NetDevice);
}

/**
 * A network namespace: devices, loopback, the stack's skbs.
 *
 * @example
 * ```ts
 * import { MemoryDomain, NetNamespace } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const ns = new NetNamespace(new MemoryDomain({ pages: 4096 }), { pageProvider: pagesProvider() });
 * const eth0 = ns.createNetdevsim({ name: 'eth0', rxQueues: 2 });
 * const sk = ns.socket();
 * const packet = new Uint8Array(1500).fill(7);
 * ns.driver(eth0).receive(0, packet, 54, sk);   // NIC write, skb, socket queue (54 header bytes)
 * console.log(sk.recvmsg(new Uint8Array(2048)));  // the 1446 payload bytes, copied out
 * ```
 * @category Stack model
 */
export class NetNamespace {
  /** The loopback device (ifindex 1). */
  readonly loopback: NetDevice;
  /** The stack's skb factory. */
  readonly skbs: SkbFactory;
  private readonly devices = new Map<number, NetDevice>();
  /** Weak: a device that was unregistered and dropped takes its driver with it. */
  private readonly drivers = new WeakMap<NetDevice, NetdevsimDriver>();
  private nextIfindex = LOOPBACK_IFINDEX + 1;

  constructor(
    /** The memory domain. */
    readonly domain: MemoryDomain,
    /** Namespace options. */
    readonly opts: NetNamespaceOptions,
  ) {
    E.options(opts, 'new NetNamespace', ['pageProvider'], false);
    if (!opts.pageProvider) E.expected('a namespace needs a pageProvider (pagesProvider() from @netmem/provider-pages)', opts.pageProvider);
    this.loopback = new NetDevice({ name: 'lo', ifindex: LOOPBACK_IFINDEX });
    this.loopback.up = true;
    this.devices.set(LOOPBACK_IFINDEX, this.loopback);
    homes.set(this.loopback, this);
    this.skbs = new SkbFactory(domain);
  }

  /**
   * Creates a netdevsim port: DMA device, NetDevice and driver; up unless `up: false`.
   *
   * @example
   * ```ts
   * import { MemoryDomain, NetNamespace } from '@netmem/core';
   * import { pagesProvider } from '@netmem/provider-pages';
   *
   * const ns = new NetNamespace(new MemoryDomain({ pages: 4096 }), { pageProvider: pagesProvider() });
   * const eth1 = ns.createNetdevsim({ name: 'eth1', rxQueues: 4, headerSplit: true, ringSize: 128 });
   * const drv = ns.driver(eth1);                  // each queue has its own pool and NAPI context
   * console.log(eth1.ifindex, drv.pool(0)?.info());
   * ```
   */
  createNetdevsim(o: NetdevsimDeviceOptions = {}): NetDevice {
    E.options(o, 'createNetdevsim', NETDEVSIM_KEYS);
    const ifindex = this.nextIfindex;
    const name = o.name ?? `eni${ifindex}`;
    if (typeof name !== 'string' || !/^[^\s/:]{1,15}$/.test(name)) E.expected('a netdev name is 1..15 characters without spaces, "/" or ":"', name);
    for (const d of this.devices.values()) if (d.name === name) throw new NetmemError('EEXIST', `netdev ${name} exists`);
    for (const k of ['headerSplit', 'strictIommu', 'up', 'supportsUnreadable'] as const) if (o[k] !== undefined) E.bool(o[k], k);
    // Everything is built and checked first; the device is registered only once it is up (or left down as asked).
    if (o.dev !== undefined) {
      if (!this.domain.ownsDevice(o.dev)) E.expected(`the DMA device must be one of this namespace's domain (domain.createDevice)`, o.dev);
      if (o.dev.removed) E.fail('ENODEV', `DMA device ${o.dev.name} was removed`);
      if (o.strictIommu !== undefined) E.fail('EINVAL', 'strictIommu belongs to the device: set it on the device given as dev');
    }
    const dev = o.dev ?? this.domain.createDevice(name, { strict: o.strictIommu ?? false });
    const nd = new NetDevice({ name, ifindex, rxQueues: o.rxQueues ?? 1, maxRxQueues: o.maxRxQueues, dev, headerSplit: o.headerSplit ?? false });
    const drv = new NetdevsimDriver(nd, this.domain, this.skbs, {
      pageProvider: this.opts.pageProvider,
      ringSize: o.ringSize,
      hdrBufSize: o.hdrBufSize,
      poolSize: o.poolSize,
      supportsUnreadable: o.supportsUnreadable,
      dmaTracking: o.dmaTracking,
    });
    nd.setHooks({ unregistering: (n) => this.unregistered(n) });
    this.devices.set(ifindex, nd);
    this.drivers.set(nd, drv);
    homes.set(nd, this);
    try {
      if (o.up ?? true) nd.open(); // all queues or none: a failure leaves nothing started
    } catch (e) {
      // Not half built: the device was never announced (no ifindex taken), and it is dropped again.
      this.devices.delete(ifindex);
      this.drivers.delete(nd);
      homes.delete(nd);
      throw e;
    }
    this.nextIfindex++;
    return nd;
  }

  /** The driver of a netdevsim device. */
  driver(nd: NetDevice): NetdevsimDriver {
    const d = this.drivers.get(nd as NetDevice);
    if (!d) throw new NetmemError('ENODEV', `${nd.name} has no netdevsim driver`);
    return d;
  }

  /** A registered device by ifindex. */
  deviceByIfindex(ifindex: number): NetDevice | undefined {
    return this.devices.get(ifindex);
  }

  /** Registered devices (loopback first). */
  allDevices(): NetDevice[] {
    return [...this.devices.values()];
  }

  /** A TCP-like socket on this namespace's stack. */
  socket(opts?: TcpSocketOptions): TcpSocket {
    return new TcpSocket(this.skbs, opts);
  }

  /** True when `nd` is (or was) one of this namespace's devices, loopback included. */
  owns(nd: unknown): boolean {
    return homes.get(nd as NetDevice) === this;
  }

  private unregistered(nd: NetDevice): void {
    this.devices.delete(nd.ifindex);
    // page_pool_unreg_netdev: pools still alive move to loopback.
    for (const pool of [...nd.pools]) {
      nd.pools.delete(pool);
      this.loopback.pools.add(pool);
      internals(pool).orphan(this.loopback);
    }
  }
}
