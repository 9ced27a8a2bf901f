/**
 * io_uring zcrx cases: buffers per second through RECV_ZC and the refill
 * ring. One operation is one 4 KiB buffer: the NIC side fills the zcrx pool's
 * buffers into 16 KiB skbs (4 frags; the device's DMA write is not modelled
 * here, as in the kernel it is not CPU work), RECV_ZC posts one CQE per frag
 * (pp ref + user ref), the user reads the CQE, touches the area byte and
 * returns the buffer through the shared refill ring, and the provider's
 * alloc drains that ring back into the pool's cache.
 *
 * - zcrx_same_thread: the user side runs on the same thread after each pass.
 * - zcrx_worker: a worker_thread reaps the shared CQ and fills the refill
 *   ring with Atomics while this thread runs the kernel side. The worker
 *   handles CQEs in batches and, when the CQ is empty, sleeps until a
 *   quarter of the area's buffers wait in it (or ~0.3 ms); this thread's
 *   kick() after each pass is one load while the worker runs, one futex
 *   wake per sleep; it waits only when every buffer of the area is out.
 * - zcrx_nic: for context, the full netdevsim receive (4 KiB DMA writes per
 *   buffer, header split) with the same-thread user.
 */
import { MemoryDomain, NetNamespace, VirtualClock, type NetdevsimDriver, type TcpSocket } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import {
  CqConsumer,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IoUring,
  RefillProducer,
  ZCRX_USER_BASE,
  spawnZcrxWorker,
  type RecvZcRequest,
  type ZcrxIfq,
  type ZcrxIfqStats,
  type ZcrxIfqReg,
} from '@netmem/provider-iouring';
import type { BenchCase, BenchInstance } from '../types.js';

const AREA = 2048;
const RQ = 2048;
const FRAGS = 4;

interface Rig {
  ns: NetNamespace;
  drv: NetdevsimDriver;
  ring: IoUring;
  ifq: ZcrxIfq;
  sk: TcpSocket;
  req: RecvZcRequest;
  cq: CqConsumer;
  rq: RefillProducer;
}

function makeRig(): Rig {
  const domain = new MemoryDomain({ pages: 4096, netIovs: AREA, clock: new VirtualClock(), onWarn: false });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ rxQueues: 2, headerSplit: true, ringSize: 256 });
  const drv = ns.driver(nd);
  // CQ larger than the area: outstanding CQEs never exceed buffers out, so the CQ never fills.
  const ring = new IoUring(ns, {
    flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE,
    cqEntries: 2 * AREA,
  });
  const mem = new SharedArrayBuffer(AREA * 4096);
  const reg: ZcrxIfqReg = {
    ifIdx: nd.ifindex,
    ifRxq: 1,
    rqEntries: RQ,
    area: { addr: ZCRX_USER_BASE, len: mem.byteLength, memory: mem },
    region: { size: 64 + 16 * RQ },
  };
  const ifq = ring.registerZcrxIfq(reg);
  const sk = ns.socket({ coalesce: false });
  const req = ring.recvZc(sk);
  return { ns, drv, ring, ifq, sk, req, cq: new CqConsumer(ring.cq.buffer), rq: new RefillProducer(ifq.rqBuffer, reg.offsets!, RQ) };
}

/** The user side on this thread: read every CQE, touch its first byte, return the buffer. */
function reapAndRefill(r: Rig, area: Uint8Array): number {
  const cq = r.cq;
  const n = cq.begin();
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const lo = cq.offLo(i);
    acc = (acc + cq.res(i) + area[lo]) | 0;
    r.rq.push(lo - (lo & 0xfff), cq.offHi(i));
  }
  cq.end(n);
  r.rq.commit();
  return acc;
}

function snapshot(s: ZcrxIfqStats): ZcrxIfqStats {
  return { ...s };
}

function verifyStats(before: ZcrxIfqStats, after: ZcrxIfqStats, total: number): string {
  const frags = after.zcFrags - before.zcFrags;
  const recycled = after.rqRecycled - before.rqRecycled;
  const bad: string[] = [];
  if (frags !== total) bad.push(`zero-copy CQEs +${frags}, expected +${total}`);
  if (after.copyBufs !== before.copyBufs) bad.push('copy fallback used');
  if (after.rqBad + after.rqNoUserRef !== 0) bad.push(`refill entries skipped: bad ${after.rqBad}, no user ref ${after.rqNoUserRef}`);
  // Every buffer after the first pass over the area came back through the refill ring.
  if (recycled < total - AREA) bad.push(`recycled via the refill ring +${recycled}, expected ≥ ${total - AREA}`);
  if (bad.length) throw new Error(bad.join('; '));
  return `CQEs ${frags}, refill-ring recycles ${recycled}, freelist allocs ${after.freelistAllocs}`;
}

/** zcrx_same_thread. */
export const zcrxSameThread: BenchCase = {
  name: 'zcrx_same_thread',
  title: 'buffer through RECV_ZC + refill ring, returned on the same thread',
  setup(): BenchInstance {
    const r = makeRig();
    const pool = r.drv.pool(1)!;
    const napi = r.drv.napi(1);
    const skbs = r.ns.skbs;
    const area = new Uint8Array(r.ifq.area.region.buffer);
    const before = snapshot(r.ifq.stats);
    let frags = FRAGS;
    const rx = (): void => {
      const skb = skbs.build(0, 0, 0, 0, true);
      for (let f = 0; f < frags; f++) skbs.addFrag(skb, pool.allocNetmems(), 0, 4096);
      r.sk.enqueue(skb);
    };
    return {
      run(ops) {
        let acc = 0;
        for (let done = 0; done < ops; done += frags) {
          frags = ops - done < FRAGS ? ops - done : FRAGS;
          napi.poll(rx);
          while (r.req.issue() === 'requeue');
          acc = (acc + reapAndRefill(r, area)) | 0;
        }
        return acc;
      },
      verify: (total) => verifyStats(before, r.ifq.stats, total),
      teardown() {
        r.sk.close();
        r.ring.exit();
      },
    };
  },
};

/** zcrx_worker. */
export const zcrxWorker: BenchCase = {
  name: 'zcrx_worker',
  title: 'buffer through RECV_ZC + refill ring, returned by a worker_thread',
  setup(): BenchInstance {
    const r = makeRig();
    const pool = r.drv.pool(1)!;
    const napi = r.drv.napi(1);
    const skbs = r.ns.skbs;
    const w = spawnZcrxWorker(r.ring, r.ifq);
    const before = snapshot(r.ifq.stats);
    let frags = FRAGS;
    let waits = 0;
    const rx = (): void => {
      const skb = skbs.build(0, 0, 0, 0, true);
      for (let f = 0; f < frags; f++) {
        let nm = pool.allocNetmems();
        while (nm === 0) {
          // Every buffer is with the worker: sleep until it publishes refill entries.
          waits++;
          w.waitRefill(1);
          nm = pool.allocNetmems();
        }
        skbs.addFrag(skb, nm, 0, 4096);
      }
      r.sk.enqueue(skb);
    };
    return {
      run(ops) {
        for (let done = 0; done < ops; done += frags) {
          frags = ops - done < FRAGS ? ops - done : FRAGS;
          napi.poll(rx);
          while (r.req.issue() === 'requeue');
          w.kick();
        }
        return w.consumed;
      },
      verify: (total) => `${verifyStats(before, r.ifq.stats, total)}, worker consumed ${w.consumed}, producer waits ${waits}`,
      teardown() {
        w.stop();
        r.sk.close();
        r.ring.exit();
      },
    };
  },
};

/** zcrx_nic. */
export const zcrxNic: BenchCase = {
  name: 'zcrx_nic',
  // ~1-2 µs per op: fewer ops keep the whole run near a minute.
  ops: 1 << 17,
  title: 'buffer through netdevsim receive (4 KiB DMA write) + RECV_ZC + refill ring',
  setup(): BenchInstance {
    const r = makeRig();
    const area = new Uint8Array(r.ifq.area.region.buffer);
    const packet = new Uint8Array(66 + FRAGS * 4096).fill(97);
    const small: Uint8Array[] = [];
    for (let f = 1; f < FRAGS; f++) small.push(packet.subarray(0, 66 + f * 4096));
    const before = snapshot(r.ifq.stats);
    return {
      run(ops) {
        let acc = 0;
        for (let done = 0; done < ops; done += FRAGS) {
          const left = ops - done;
          r.drv.receive(1, left < FRAGS ? small[left - 1] : packet, 66, r.sk);
          while (r.req.issue() === 'requeue');
          acc = (acc + reapAndRefill(r, area)) | 0;
        }
        return acc;
      },
      verify: (total) => verifyStats(before, r.ifq.stats, total),
      teardown() {
        r.sk.close();
        r.ring.exit();
      },
    };
  },
};

/** The zcrx cases, in report order. */
export const zcrxCases: readonly BenchCase[] = [zcrxSameThread, zcrxWorker, zcrxNic];
