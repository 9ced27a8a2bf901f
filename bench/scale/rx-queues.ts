/**
 * Receive throughput with Q rx queues on one netdevsim device: the
 * `rx_e2e` loop of bench/cases/rx.ts (one 1500-byte packet: NIC DMA write,
 * NAPI rx + ring refill, skb, TCP-like socket, recvmsg copy of the 1446
 * payload bytes, skb free and the buffer back to its pool), with packet `i`
 * arriving on queue `i mod Q` (RSS spreading flows round-robin). Each queue
 * has its own NAPI context and page pool, so consecutive packets come from,
 * and return to, different pools.
 */
import { MemoryDomain, NetNamespace, VirtualClock } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { expect, fail, peakRssMiB, timeRounds, type Spread } from './common.js';

/** Packet size on the wire. */
const PKT = 1500;
/** Ethernet + IPv4 + TCP headers the stack pulls. */
const HDR = 54;
/** Payload bytes the user reads per packet. */
const PAYLOAD = PKT - HDR;
/** Rx descriptors per ring (the default). */
const RING = 256;

/** One queue-count measurement. */
export interface RxQueuesConfig {
  /** Rx queues on the device (a power of two: the round-robin is a mask). */
  queues: number;
  /**
   * Rx descriptors per queue (default 256). 256/Q keeps the buffers posted
   * over all queues, and so the memory the NIC writes into, the same as
   * with one queue: what is left of the difference is the queue count itself.
   */
  ringSize?: number;
  /** Packets per round (a multiple of the queue count). */
  ops: number;
  /** Untimed rounds. */
  warmup: number;
  /** Timed rounds. */
  rounds: number;
}

/** The result of {@link runRxQueues}. */
export interface RxQueuesResult {
  queues: number;
  /** Rx descriptors per queue. */
  ringSize: number;
  ops: number;
  rounds: number;
  /** ns per packet: median and range over the timed rounds. */
  nsPerOp: Spread;
  /** Packets every queue received (all equal). */
  packetsPerQueue: number;
  /** Peak RSS of the process, MiB. */
  peakRssMiB: number;
  /** Folded results (kept so the loop cannot be optimised away). */
  sink: number;
}

/**
 * Times packets round-robin over Q queues and checks the bookkeeping: every
 * queue received its share with no drop or allocation failure, every payload
 * byte was copied, no skb is left, no page left a pool or was mapped during
 * the run, no IOMMU fault; after unregister every pool is freed and every
 * page is back.
 */
export function runRxQueues(cfg: RxQueuesConfig): RxQueuesResult {
  const { queues: q, ops } = cfg;
  const ring = cfg.ringSize ?? RING;
  expect(q >= 1 && (q & (q - 1)) === 0, `queues must be a power of two, got ${q}`);
  expect(ops % q === 0, `ops (${ops}) must be a multiple of the queue count (${q})`);
  // Per queue: its posted ring plus the pool's cache and ring; 1024 pages each is ample.
  const domain = new MemoryDomain({ pages: q * 1024 + 4096, netIovs: 0, clock: new VirtualClock(), onWarn: false });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ name: 'scale0', rxQueues: q, maxRxQueues: Math.max(q, 8), ringSize: ring });
  const drv = ns.driver(nd);
  const sk = ns.socket({ coalesce: false });
  const pkt = new Uint8Array(PKT);
  for (let i = 0; i < PKT; i++) pkt[i] = (i * 7 + 3) & 0xff;
  const user = new Uint8Array(2048);
  const mask = q - 1;
  const round = (count: number): number => {
    let acc = 0;
    for (let i = 0; i < count; i++) {
      drv.receive(i & mask, pkt, HDR, sk);
      acc = (acc + sk.recvmsg(user) + user[i & 1023]) | 0;
    }
    return acc;
  };
  // Prime: two rings' worth per queue (at least 128 packets), so every pool has made its bulk allocations and the steady state begins.
  const primed = Math.max(2 * ring, 128);
  round(primed * q);
  const pools = Array.from({ length: q }, (_, i) => drv.pool(i) ?? fail(`queue ${i} has no pool`));
  const dev = nd.dev ?? fail('the netdevsim has no DMA device');
  const free0 = domain.freePages;
  const maps0 = dev.counters().maps;
  const slow0 = pools.map((p) => p.stats().alloc.slow);

  const t = timeRounds(round, ops, cfg.warmup, cfg.rounds);

  const perQueue = (ops / q) * (cfg.warmup + cfg.rounds) + primed;
  for (let i = 0; i < q; i++) {
    const c = drv.counters(i);
    expect(c.packets === perQueue && c.dropped === 0 && c.allocFail === 0, `queue ${i}: ${JSON.stringify(c)}, expected ${perQueue} packets, no drops`);
    const st = pools[i].stats();
    expect(
      st.alloc.slow === slow0[i] && st.recycle.releasedRefcnt === 0 && st.recycle.ringFull === 0,
      `queue ${i}'s pool allocated or released pages during the run`,
    );
  }
  expect(sk.copiedBytes === perQueue * q * PAYLOAD, `copied ${sk.copiedBytes}, expected ${perQueue * q * PAYLOAD}`);
  expect(sk.queueLength === 0 && ns.skbs.live === 0, `queue ${sk.queueLength}, live skbs ${ns.skbs.live}`);
  expect(domain.freePages === free0 && dev.counters().maps === maps0, 'pages were allocated or mapped during the run');
  expect(dev.faultCount === 0, `${dev.faultCount} IOMMU faults`);
  for (let i = 0; i < PAYLOAD; i++) expect(user[i] === pkt[HDR + i], `user byte ${i} is ${user[i]}, sent ${pkt[HDR + i]}`);
  sk.close();
  nd.unregister();
  expect(pools.every((p) => p.isFreed) && domain.freePages === domain.pages, 'after unregister: a pool not freed or pages missing');
  return { queues: q, ringSize: ring, ops, rounds: cfg.rounds, nsPerOp: t.nsPerOp, packetsPerQueue: perQueue, peakRssMiB: peakRssMiB(), sink: t.sink };
}
