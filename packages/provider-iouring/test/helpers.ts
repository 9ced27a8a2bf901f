/** A zcrx world for tests: domain, namespace, netdevsim with header split, a ring and an ifq on queue 1. */
import { NetNamespace, type MemoryDomain, type NetDevice, type NetdevsimDriver, type TcpSocket, type VirtualClock } from '@netmem/core';
import { quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { CqConsumer, IoUring, RefillProducer, ZCRX_USER_BASE, checkZcrxInvariants, type IoUringOptions, type ZcrxIfq, type ZcrxIfqReg } from '../src/index.js';

export interface World {
  domain: MemoryDomain;
  clock: VirtualClock;
  ns: NetNamespace;
  nd: NetDevice;
  drv: NetdevsimDriver;
  ring: IoUring;
  ifq: ZcrxIfq;
  reg: ZcrxIfqReg;
  sk: TcpSocket;
  cq: CqConsumer;
  rq: RefillProducer;
  mem: SharedArrayBuffer;
}

export interface WorldOptions {
  /** Area pages. Default 64. */
  areaPages?: number;
  /** Refill entries. Default 64. */
  rqEntries?: number;
  /** Driver ring size. Default 16. */
  ringSize?: number;
  /** Ring options. */
  ring?: IoUringOptions;
  /** Checked domain. Default true. */
  checked?: boolean;
  /** Socket coalescing. Default false (one skb per packet). */
  coalesce?: boolean;
}

export const HDR = 66;

/** Domain pages of a test world (the first net_iov descriptor is PAGES + 1). */
export const PAGES = 2048;

/** The network half of a world: domain, namespace, a 2-queue netdevsim with header split. */
export function makeNet(o: { checked?: boolean; ringSize?: number; supportsUnreadable?: boolean; headerSplit?: boolean } = {}) {
  const { clock, domain } = quietWorld({ pages: PAGES, netIovs: 8192, checked: o.checked ?? true });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({
    name: 'eth0',
    rxQueues: 2,
    headerSplit: o.headerSplit ?? true,
    ringSize: o.ringSize ?? 16,
    supportsUnreadable: o.supportsUnreadable,
  });
  const drv = ns.driver(nd);
  return { clock, domain, ns, nd, drv };
}

export function makeWorld(o: WorldOptions = {}): World {
  const { clock, domain, ns, nd, drv } = makeNet(o);
  const ring = new IoUring(ns, { entries: 64, ...o.ring });
  const pages = o.areaPages ?? 64;
  const mem = new SharedArrayBuffer(pages * 4096);
  const entries = o.rqEntries ?? 64;
  const reg: ZcrxIfqReg = {
    ifIdx: nd.ifindex,
    ifRxq: 1,
    rqEntries: entries,
    area: { addr: ZCRX_USER_BASE, len: pages * 4096, memory: mem },
    region: { size: 64 + 16 * entries },
  };
  const ifq = ring.registerZcrxIfq(reg);
  const sk = ns.socket({ coalesce: o.coalesce ?? false });
  return {
    domain,
    clock,
    ns,
    nd,
    drv,
    ring,
    ifq,
    reg,
    sk,
    mem,
    cq: new CqConsumer(ring.cq.buffer),
    rq: new RefillProducer(ifq.rqBuffer, reg.offsets!, reg.rqEntries),
  };
}

/** A packet of `hdr` header bytes (0xee) then `payload` bytes of the pattern 'a' + (seq + i) % 26. */
export function packet(payload: number, seq = 0, hdr = HDR): Uint8Array {
  const p = new Uint8Array(hdr + payload).fill(0xee, 0, hdr);
  for (let i = 0; i < payload; i++) p[hdr + i] = 97 + ((seq + i) % 26);
  return p;
}

/** One reaped CQE. */
export interface Cqe {
  userData: number;
  res: number;
  flags: number;
  off: number;
}

/** Reaps every ready CQE. */
export function reap(w: World): Cqe[] {
  const n = w.cq.begin();
  const out: Cqe[] = [];
  for (let i = 0; i < n; i++) out.push({ userData: w.cq.userData(i), res: w.cq.res(i), flags: w.cq.flags(i), off: w.cq.off(i) });
  w.cq.end(n);
  return out;
}

/** The area bytes a CQE points at. */
export function cqeBytes(w: World, c: Cqe): Uint8Array {
  const at = (c.off % 2 ** 48) - 0;
  return new Uint8Array(w.mem, at, c.res);
}

/** Returns CQEs' buffers through the refill ring (committed). */
export function giveBack(w: World, cqes: readonly Cqe[]): void {
  for (const c of cqes) if (c.res > 0) w.rq.pushOff(c.off - (c.off % 4096));
  w.rq.commit();
}

/** Throws on any zcrx invariant violation. */
export function assertZcrx(ifq: ZcrxIfq): void {
  const v = checkZcrxInvariants(ifq);
  if (v.length) throw new Error(`zcrx invariants:\n  ${v.join('\n  ')}`);
}
