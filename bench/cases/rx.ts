/**
 * End-to-end receive: one operation is one 1500-byte packet through the
 * whole path — the NIC DMA-writes it into a posted buffer, the driver's NAPI
 * poll builds an skb and queues it on a TCP-like socket and refills its rx
 * ring from the page pool, the user reads it with recvmsg (a copy into its
 * own buffer), and the consumed skb is freed, its buffer going back to the
 * pool.
 *
 * baseline_rx_alloc runs the same steps with the buffer source swapped: a
 * fresh `new Uint8Array(4096)` per packet (what a program without a pool
 * does) instead of the pool, with plain objects for the skb and the queue.
 * It skips everything else the framework does per packet (IOMMU checks,
 * NAPI context, DMA sync, refcounts, ledger places), so the ratio between
 * the two understates the pool's advantage rather than overstating it.
 */
import { MemoryDomain, NetNamespace, VirtualClock, type NetDevice, type NetdevsimDriver, type TcpSocket } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import type { BenchCase, BenchInstance } from '../types.js';

/** Packet size on the wire. */
const PKT = 1500;
/** Ethernet + IPv4 + TCP headers the stack pulls. */
const HDR = 54;
/** Payload bytes the user reads per packet. */
const PAYLOAD = PKT - HDR;
/** Rx descriptors per ring. */
const RING = 256;

function makePacket(): Uint8Array {
  const p = new Uint8Array(PKT);
  for (let i = 0; i < PKT; i++) p[i] = (i * 7 + 3) & 0xff;
  return p;
}

function expect(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

interface RxRig {
  domain: MemoryDomain;
  ns: NetNamespace;
  nd: NetDevice;
  drv: NetdevsimDriver;
  sk: TcpSocket;
}

function makeRig(sharedMemory = true): RxRig {
  const domain = new MemoryDomain({ pages: 4096, netIovs: 0, clock: new VirtualClock(), onWarn: false, sharedMemory });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ name: 'bench0', rxQueues: 1, ringSize: RING });
  const drv = ns.driver(nd);
  const sk = ns.socket({ coalesce: false });
  return { domain, ns, nd, drv, sk };
}

/** rx_e2e: driver refill → DMA write of a 1500-byte packet → skb → socket → recvmsg copy → free. */
export const rxE2e: BenchCase = rxCase('rx_e2e', '1500-byte packet: NIC DMA write, NAPI rx + refill, skb, socket, recvmsg copy, free', true, false);

/**
 * rx_e2e_domain_buffers: the same loop with the wire packet and the user's
 * recvmsg buffer in pages of the domain (user memory is machine memory):
 * both copies stay inside the storage and run as wasm memory.copy.
 */
export const rxE2eDomainBuffers: BenchCase = rxCase(
  'rx_e2e_domain_buffers',
  'rx_e2e with the packet and the user buffer in domain pages (copies stay inside the storage)',
  true,
  true,
);

/** rx_e2e_private_memory: the same loop with page bytes in a plain ArrayBuffer (sharedMemory: false). */
export const rxE2ePrivate: BenchCase = rxCase(
  'rx_e2e_private_memory',
  'rx_e2e with page bytes in a plain ArrayBuffer (domain sharedMemory: false)',
  false,
  false,
);

function rxCase(name: string, title: string, sharedMemory: boolean, domainBuffers: boolean): BenchCase {
  // ~0.3-1 µs per packet: fewer ops keep the whole run near a minute.
  return { name, title, ops: 1 << 18, setup: () => rxInstance(sharedMemory, domainBuffers) };
}

/** A buffer of `len` bytes in a page of the domain (what a process's own memory is in the model). */
function domainBuffer(domain: MemoryDomain, len: number): Uint8Array {
  return domain.bytes(domain.allocPages(0)).subarray(0, len);
}

function rxInstance(sharedMemory: boolean, domainBuffers: boolean): BenchInstance {
  {
    const rig = makeRig(sharedMemory);
    const { drv, sk, domain, nd } = rig;
    const pkt = domainBuffers ? domainBuffer(domain, PKT) : new Uint8Array(PKT);
    pkt.set(makePacket());
    const user = domainBuffers ? domainBuffer(domain, 2048) : new Uint8Array(2048);
    const pool = drv.pool(0)!;
    // Prime: the first refill after the ring was filled takes one bulk allocation; steady state starts after it.
    for (let i = 0; i < 2 * RING; i++) {
      drv.receive(0, pkt, HDR, sk);
      sk.recvmsg(user);
    }
    const primed = drv.counters(0).packets;
    const free0 = domain.freePages;
    const maps0 = nd.dev!.counters().maps;
    const slow0 = pool.stats().alloc.slow;
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          drv.receive(0, pkt, HDR, sk);
          acc = (acc + sk.recvmsg(user) + user[i & 1023]) | 0;
        }
        return acc;
      },
      verify(total) {
        const c = drv.counters(0);
        expect(c.packets === total + primed && c.dropped === 0 && c.allocFail === 0, `counters ${JSON.stringify(c)}, expected ${total} packets, no drops`);
        expect(sk.copiedBytes === (total + primed) * PAYLOAD, `copied ${sk.copiedBytes}, expected ${(total + primed) * PAYLOAD}`);
        expect(sk.queueLength === 0 && rig.ns.skbs.live === 0, `queue ${sk.queueLength}, live skbs ${rig.ns.skbs.live}`);
        // Steady state: no page left the pool and none was allocated after setup.
        const st = pool.stats();
        expect(st.recycle.releasedRefcnt === 0 && st.recycle.ringFull === 0, `released ${st.recycle.releasedRefcnt}, ringFull ${st.recycle.ringFull}`);
        expect(domain.freePages === free0 && nd.dev!.counters().maps === maps0 && st.alloc.slow === slow0, 'pages were allocated or mapped during the run');
        expect(nd.dev!.faultCount === 0, `${nd.dev!.faultCount} IOMMU faults`);
        for (let i = 0; i < PAYLOAD; i++) expect(user[i] === pkt[HDR + i], `user byte ${i} is ${user[i]}, sent ${pkt[HDR + i]}`);
        return `${total} packets, ring ${st.recycle.ring}, cached ${st.recycle.cached}, 0 slow allocs`;
      },
      teardown() {
        sk.close();
        nd.unregister();
      },
    };
  }
}

/** A receive buffer without a pool: a fresh Uint8Array and a plain object per packet. */
interface PlainSkb {
  buf: Uint8Array;
  off: number;
  len: number;
}

/** baseline_rx_alloc: the same loop, a new Uint8Array(4096) per packet instead of the pool. */
export const baselineRxAlloc: BenchCase = {
  name: 'baseline_rx_alloc',
  // ~1-2 µs per op: fewer ops keep the whole run near a minute.
  ops: 1 << 17,
  title: 'same loop with new Uint8Array(4096) per packet (no pool)',
  setup(): BenchInstance {
    const pkt = makePacket();
    const user = new Uint8Array(2048);
    const queue: PlainSkb[] = [];
    let packets = 0;
    let copied = 0;
    return {
      run(ops) {
        let acc = 0;
        for (let i = 0; i < ops; i++) {
          // "DMA write" into a freshly allocated buffer, skb over it, headers pulled, queued.
          const buf = new Uint8Array(4096);
          buf.set(pkt, 0);
          queue.push({ buf, off: HDR, len: PAYLOAD });
          packets++;
          // recvmsg: copy the payload out, drop the skb and its buffer (left to the GC).
          const skb = queue.shift()!;
          user.set(skb.buf.subarray(skb.off, skb.off + skb.len), 0);
          copied += skb.len;
          acc = (acc + skb.len + user[i & 1023]) | 0;
        }
        return acc;
      },
      verify(total) {
        expect(packets === total && copied === total * PAYLOAD && queue.length === 0, `packets ${packets}, copied ${copied}, queue ${queue.length}`);
        return `${total} packets`;
      },
    };
  },
};

/** Every receive-path case, in report order. */
export const rxCases: readonly BenchCase[] = [rxE2e, rxE2eDomainBuffers, rxE2ePrivate, baselineRxAlloc];
