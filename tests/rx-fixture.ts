/**
 * Shared setup for the receive-path tests (tests/rx-*.test.ts): a namespace
 * on a quiet virtual-clock domain, packets with a known byte pattern, and a
 * small net_iov memory provider (an area of device or user memory mapped
 * once per pool) standing in for devmem / zcrx where a test needs a real
 * provider on a queue.
 */
import { DMA_FROM_DEVICE, NetNamespace, type MemoryDomain, type VirtualClock } from '@netmem/core';
import {
  makeRegion,
  mpClearPool,
  mpDisableDmaSync,
  mpSetDmaAddr,
  mpSetPool,
  type MemoryProviderOps,
  type NetIovArea,
  type PagePool,
  type ProviderRxQueue,
} from '@netmem/core/provider';
import { quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';

export interface Rig {
  clock: VirtualClock;
  domain: MemoryDomain;
  ns: NetNamespace;
}

/** A domain of `pages` pages (virtual clock, silent warnings) and a namespace on it. */
export function rig(opts: { pages?: number; checked?: boolean; netIovs?: number } = {}): Rig {
  const { clock, domain } = quietWorld({ pages: opts.pages ?? 2048, netIovs: opts.netIovs ?? 1024, checked: opts.checked ?? false });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  return { clock, domain, ns };
}

/** Byte `i` of packet `seq`: a pattern that differs per packet and per position. */
export function patternByte(seq: number, i: number): number {
  return (seq * 31 + i * 7 + (i >>> 8)) & 0xff;
}

/** A packet of `len` bytes filled with {@link patternByte}. */
export function packet(seq: number, len: number): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i++) p[i] = patternByte(seq, i);
  return p;
}

/** The test provider: counters a test can read besides the ops. */
export interface IovProvider extends MemoryProviderOps {
  /** net_iovs on the freelist. */
  readonly free: number;
  /** The area (after the first init). */
  readonly area: NetIovArea | null;
  /** Pools initialised / destroyed. */
  inits: number;
  destroys: number;
  /** Queues uninstalled (unregister). */
  uninstalled: ProviderRxQueue[];
}

/**
 * A memory provider over `count` net_iovs of one area (`readable` false:
 * dmabuf device memory; true: io_uring user memory). Each pool maps the
 * area once; release keeps the buffer (answers false).
 */
export function iovProvider(count: number, readable = false): IovProvider {
  let area: NetIovArea | null = null;
  const freelist: number[] = [];
  const iovaOf = new Map<PagePool, number>();
  const p: IovProvider = {
    name: readable ? 'test-iouring' : 'test-dmabuf',
    inits: 0,
    destroys: 0,
    uninstalled: [],
    get free() {
      return freelist.length;
    },
    get area() {
      return area;
    },
    init(pool) {
      if (pool.order !== 0) throw Object.assign(new Error('order 0 only'), { code: 'E2BIG' });
      if (!area) {
        const region = makeRegion('test-area', new SharedArrayBuffer(count * 4096));
        area = pool.domain.createArea(readable ? 'io_uring' : 'dmabuf', count, region, 0, readable, null);
        for (let i = count - 1; i >= 0; i--) freelist.push(i);
      }
      const iova = pool.dev!.map(area.region, 0, count * 4096, DMA_FROM_DEVICE);
      iovaOf.set(pool, iova);
      mpDisableDmaSync(pool);
      p.inits++;
    },
    destroy(pool) {
      pool.dev!.unmap(iovaOf.get(pool)!, DMA_FROM_DEVICE);
      iovaOf.delete(pool);
      p.destroys++;
    },
    alloc(pool) {
      const i = freelist.pop();
      if (i === undefined || !area) return 0;
      const nm = area.niov(i);
      mpSetPool(pool, nm);
      mpSetDmaAddr(pool.domain, nm, iovaOf.get(pool)! + i * 4096);
      return nm;
    },
    release(pool, nm) {
      mpClearPool(pool, nm);
      freelist.push(area!.indexOf(nm));
      return false;
    },
    nlFill(_pool, rxq) {
      return rxq ? { testMp: p.name } : { testMpPool: p.name };
    },
    uninstall(rxq) {
      p.uninstalled.push(rxq);
    },
  };
  return p;
}
