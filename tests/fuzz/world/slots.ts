/** The model of the fuzzer's world: its per-run configuration and the slots recording what exists and what the user holds. */
import type { DmaDevice, DmaTracking, Napi, NetDevice, NetdevsimDriver, PagePool, TcpSocket } from '@netmem/core';
import type { CqConsumer, IoUring, RecvZcRequest, RefillProducer, ZcrxIfq } from '@netmem/provider-iouring';

/** Per-run configuration (drawn by fast-check). */
export interface WorldConfig {
  /** Checked domain (stale-handle detection, full ledger). */
  checked: boolean;
  /** NUMA nodes (1 or 2). */
  numa: number;
  /** Pages per bulk allocation of the namespace's page provider. */
  bulk: number;
  /** DMA tracking of the first netdev's pools. */
  tracking: DmaTracking;
  /** Coalescing on the first socket. */
  coalesce: boolean;
  /** Providers bound from the start: a dmabuf on eth0 queue 1, a zcrx ifq on queue 2. */
  preset: 'none' | 'devmem' | 'zcrx' | 'both';
}

/** One pp reference the user holds (a frag page appears once per frag). */
export interface Held {
  nm: number;
  /** Set when it came from allocVa: freeVa(va) puts it back. */
  va?: number;
}

/** A standalone pool and what the user holds of it. */
export interface PoolSlot {
  n: number;
  pool: PagePool;
  /** Its own DMA device (removed only after destroy, as a driver unbind does). */
  dev: DmaDevice | null;
  napi: Napi | null;
  held: Held[];
  /** User references still to drop with destroy() (page_pool_get adds one). */
  users: number;
  destroyed: boolean;
  devRemoved: boolean;
  /** 'pages' (normal pages) or 'dmabuf' (a devmem binding's provider: net_iovs, no frags, no extra refs). */
  kind: 'pages' | 'dmabuf';
}

/** A page reference the user holds outside any pool (allocPages, or getPage of a pool page). */
export interface PageRef {
  nm: number;
  refs: number;
}

/** A netdevsim device. */
export interface NdSlot {
  n: number;
  nd: NetDevice;
  drv: NetdevsimDriver;
  dev: DmaDevice;
  hdrBuf: number;
  tracking: DmaTracking;
  unregistered: boolean;
  devRemoved: boolean;
}

/** A socket and the devmem tokens its user holds. */
export interface SkSlot {
  n: number;
  sk: TcpSocket;
  tokens: number[];
}

/** A zcrx ring: the io_uring, its ifq, user-side producer/consumer, armed requests and buffers the user holds. */
export interface RingSlot {
  n: number;
  ring: IoUring;
  ifq: ZcrxIfq;
  rq: RefillProducer;
  cq: CqConsumer;
  reqs: Map<TcpSocket, RecvZcRequest>;
  /** CQE offsets of buffers the user holds (one entry per user reference). */
  held: number[];
  exited: boolean;
}

/** A mapping made directly through the DMA API on the dedicated device. */
export interface RawMapping {
  iova: number;
  nm: number;
  dir: number;
}
