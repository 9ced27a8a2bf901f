/**
 * io_uring zero-copy receive, after the kernel's iou-zcrx selftest: an ifq
 * on rx queue 1 of a netdev with header split, a TCP stream of the pattern
 * 'a' + i % 26 received with RECV_ZC straight into the user's area, and a
 * worker_thread that reads every CQE's bytes from the area, checks them and
 * returns the buffers through the shared refill ring (keeping the latest 32
 * as a slow reader would). The ring then exits while the worker still holds
 * those: scrub takes them back, the queue returns to normal pages, and every
 * buffer ends up back on the area freelist.
 *
 *   node --conditions=@netmem/source --import tsx examples/iouring-zcrx/main.ts
 */
import { MemoryDomain, NetNamespace, VirtualClock, controlPlane } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import {
  IORING_SETUP_CQE32,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IoUring,
  ZCRX_USER_BASE,
  ZW_BAD,
  ZW_FINALS,
  ZW_HELD,
  ZW_KIB,
  spawnZcrxWorker,
  type ZcrxIfqReg,
} from '@netmem/provider-iouring';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';

const HDR = 66; // Ethernet + IPv4 + TCP with timestamps
const PAYLOAD = 16384; // per packet: 4 buffers
const PACKETS = 8192; // 128 MiB
const AREA_PAGES = 256;
const HOLD_BACK = 32;

export function main(): ExampleResult {
  const c = new Checks('iouring-zcrx');
  console.log('iouring-zcrx: RECV_ZC into a user area, buffers returned by a worker_thread');

  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: 4096, netIovs: 4096, clock, onWarn: false });
  observe(domain);
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true, ringSize: 64 });
  const drv = ns.driver(nd);
  const ring = new IoUring(ns, { entries: 512, flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 });

  // The area is ordinary user memory; the refill ring lives in a region the kernel sizes.
  const mem = new SharedArrayBuffer(AREA_PAGES * 4096);
  const reg: ZcrxIfqReg = {
    ifIdx: nd.ifindex,
    ifRxq: 1,
    rqEntries: 200,
    area: { addr: ZCRX_USER_BASE, len: mem.byteLength, memory: mem },
    region: { size: 64 + 16 * 256 },
  };
  const ifq = ring.registerZcrxIfq(reg);
  console.log(
    `  ifq ${reg.zcrxId} on ${nd.name} rx queue ${reg.ifRxq}: ${ifq.area.count} buffers, refill ring ${reg.rqEntries} entries (asked 200), area token ${reg.area.rqAreaToken}`,
  );
  console.log(`  queue info: ${JSON.stringify(controlPlane(ns).queueGet({ ifindex: nd.ifindex, id: 1, type: 'rx' }))}`);

  const sk = ns.socket();
  const req = ring.recvZc(sk, { userData: 0x2a });
  const worker = spawnZcrxWorker(ring, ifq, { holdBack: HOLD_BACK, checkPattern: true });

  // The sender: one packet per phase of the pattern, reused (a payload starts at stream offset pos).
  const packets: Uint8Array[] = [];
  for (let phase = 0; phase < 26; phase++) {
    const p = new Uint8Array(HDR + PAYLOAD).fill(0x45, 0, HDR);
    for (let i = 0; i < PAYLOAD; i++) p[HDR + i] = 97 + ((phase + i) % 26);
    packets.push(p);
  }

  const t0 = performance.now();
  let pos = 0;
  let retransmits = 0;
  for (let n = 0; n < PACKETS; n++) {
    // No posted buffer (the worker has them all): the NIC drops, TCP retransmits once buffers are back.
    while (!drv.receive(1, packets[pos % 26], HDR, sk)) {
      retransmits++;
      // The drop's ring refill may already have found returned buffers; else wait for the worker.
      if (drv.posted(1).payload * 4096 < PAYLOAD) worker.waitRefill(1);
    }
    pos += PAYLOAD;
    while (req.issue() === 'requeue');
    worker.kick();
  }
  const posted = ifq.stats.zcFrags + ifq.stats.copyBufs;
  while (worker.consumed < posted) worker.waitRefill(1);
  const secs = (performance.now() - t0) / 1000;
  const mib = (PACKETS * PAYLOAD) / 2 ** 20;
  console.log(
    `  received ${mib} MiB in ${posted} buffers: ${(mib / secs).toFixed(0)} MiB/s, ${(posted / secs / 1e6).toFixed(2)} M buffers/s (${retransmits} retransmits)`,
  );
  console.log(
    `  refill ring: ${ifq.stats.rqConsumed} entries consumed, ${ifq.stats.rqRecycled} buffers back to the pool's cache; ${ifq.stats.copyBufs} copy-fallback buffers`,
  );

  // Exit with the worker still holding its latest buffers.
  const pool = drv.pool(1)!;
  const pending = ifq.refillPending; // returned by the worker, not yet read by the kernel side
  ring.exit();
  const stopped = worker.stop();
  const ctl = worker.control;
  console.log(`  ring exit: scrub took back ${ifq.stats.scrubbed} buffers: ${ctl[ZW_HELD]} the worker still held + ${pending} in the refill ring`);
  sk.close();
  clock.advance(1000);

  c.expect(stopped, 'worker stopped');
  c.equal(ctl[ZW_BAD], 0, 'pattern mismatches seen by the worker');
  c.equal(ctl[ZW_KIB], (PACKETS * PAYLOAD) / 1024, 'KiB the worker read');
  c.equal(ctl[ZW_FINALS], 1, 'final CQEs (the armed request cancelled at exit)');
  c.equal(ifq.stats.scrubbed, HOLD_BACK + pending, 'buffers scrub took back (held + returned but unread)');
  c.equal(ctl[ZW_HELD], HOLD_BACK, 'buffers the worker held at exit');
  c.equal(ifq.stats.rqBad + ifq.stats.rqNoUserRef, 0, 'refill entries skipped');
  c.expect(pool.isFreed, 'the zcrx pool is freed');
  c.expect(ifq.freed, 'the ifq is freed (no pool uses it)');
  c.equal(ifq.area.freeCount, ifq.area.count, 'buffers back on the area freelist');
  c.equal(nd.rxQueues[1].mp, null, 'queue 1 provider after exit');
  c.equal(nd.dev!.faultCount, 0, 'IOMMU faults');
  c.equal(domain.leaks, 0, 'page_pool leaks');
  c.equal(checkDomainInvariants(domain).length, 0, 'domain invariant violations');
  console.log(`  final: ${ifq.area.freeCount}/${ifq.area.count} buffers on the freelist, faults ${nd.dev!.faultCount}, leaks ${domain.leaks}`);
  return c.result(`${mib} MiB at ${(posted / secs / 1e6).toFixed(2)} M buffers/s, ${HOLD_BACK} scrubbed at exit`);
}

runIfMain(import.meta.url, main);
