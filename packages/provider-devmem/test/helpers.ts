/** Shared set-up for the devmem tests: a namespace with a header-split netdevsim, a control socket and a dmabuf. */
import {
  Dmabuf,
  NetNamespace,
  type MemoryDomain,
  type NetDevice,
  type NetdevsimDriver,
  type NetmemWarning,
  type TcpSocket,
  type VirtualClock,
} from '@netmem/core';
import { quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { NetdevNlSocket, type DmabufBinding } from '../src/index.js';

export interface World {
  domain: MemoryDomain;
  clock: VirtualClock;
  ns: NetNamespace;
  nd: NetDevice;
  drv: NetdevsimDriver;
  nl: NetdevNlSocket;
  warns: NetmemWarning[];
  /** A new dmabuf. */
  dmabuf(pages?: number, segmentPages?: number): Dmabuf;
  /** bind-rx of a new dmabuf to queue 0; returns the binding. */
  bind(pages?: number, segmentPages?: number, queues?: number[]): DmabufBinding;
}

export interface WorldOptions {
  pages?: number;
  checked?: boolean;
  rxQueues?: number;
  headerSplit?: boolean;
  ringSize?: number;
  strictIommu?: boolean;
  netIovs?: number;
}

export function world(o: WorldOptions = {}): World {
  // The quiet world gives the domain (virtual clock, warnings captured); the namespace's netdevsim brings its own DMA device.
  const { domain, clock, warnings: warns } = quietWorld({ pages: o.pages ?? 2048, netIovs: o.netIovs ?? 65536, checked: o.checked ?? false });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({
    rxQueues: o.rxQueues ?? 2,
    headerSplit: o.headerSplit ?? true,
    ringSize: o.ringSize ?? 64,
    strictIommu: o.strictIommu ?? true,
  });
  const drv = ns.driver(nd);
  const nl = new NetdevNlSocket(ns);
  const w: World = {
    domain,
    clock,
    ns,
    nd,
    drv,
    nl,
    warns,
    dmabuf: (pages = 256, segmentPages = 64) => new Dmabuf({ pages, segmentPages }),
    bind(pages = 256, segmentPages = 64, queues = [0]) {
      const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: w.dmabuf(pages, segmentPages), queues: queues.map((id) => ({ id, type: 'rx' as const })) });
      return nl.binding(id)!;
    },
  };
  return w;
}

export { errnoOf as codeOf } from '@netmem/core/testing';

/** A packet: `hdr` header bytes then `payload` bytes; byte i is (seed + i) & 0xff. */
export function packet(hdr: number, payload: number, seed = 0): Uint8Array {
  const p = new Uint8Array(hdr + payload);
  for (let i = 0; i < p.length; i++) p[i] = (seed + i) & 0xff;
  return p;
}

/** Receives `n` packets of `frags` full 4096-byte payload frags on queue `q`; returns how many were not dropped. */
export function receiveN(w: World, sk: TcpSocket, n: number, frags = 1, q = 0): number {
  const p = packet(64, frags * 4096);
  let ok = 0;
  for (let i = 0; i < n; i++) if (w.drv.receive(q, p, 64, sk)) ok++;
  return ok;
}
