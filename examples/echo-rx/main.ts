/**
 * echo-rx: the receive path end to end. A netdevsim NIC with two rx queues
 * and header split on receives a stream of TCP segments (headers land in
 * small header buffers, payload in whole page-pool pages); a socket reads
 * them with recvmsg and every payload byte is checked against the pattern
 * that was sent. Then the device is unregistered while data is still queued
 * on the socket: its pools are orphaned, not freed, and the ownership
 * ledger shows exactly where their pages are (in the socket). The socket
 * reads the rest — the bytes are still good — and closes; one release
 * retry later every pool is gone and every page is back.
 *
 *   node --conditions=@netmem/source --import tsx examples/echo-rx/main.ts
 */
import { MemoryDomain, NetNamespace, VirtualClock, allPools, controlPlane, ledgerSummary, type PagePoolInfo } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';

/** Segments sent. */
const PACKETS = 2000;
/** Of those, the last ones are still queued on the socket when the device unregisters. */
const LEFT_QUEUED = 60;
/** Ethernet + IPv4 + TCP header bytes of every segment. */
const HDR = 54;

/** Byte `i` of segment `seq`. */
function patternByte(seq: number, i: number): number {
  return (seq * 131 + i * 7 + (i >>> 9)) & 0xff;
}

/** Segment sizes vary from tiny to a 9000-byte jumbo frame. */
function segmentLength(seq: number): number {
  return HDR + 1 + (((seq * 2654435761) >>> 0) % 8946);
}

function fill(buf: Uint8Array, seq: number, len: number): Uint8Array {
  const p = buf.subarray(0, len);
  for (let i = 0; i < len; i++) p[i] = patternByte(seq, i);
  return p;
}

function poolLine(i: PagePoolInfo): string {
  const where = i.places
    ? Object.entries(i.places)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : '';
  return `    pool ${i.id}: ifindex ${i.ifindex ?? '- (orphaned)'}, inflight ${i.inflight}${i.detachTime !== undefined ? ', detached' : ''}${where ? ` [${where}]` : ''}`;
}

export function main(): ExampleResult {
  const c = new Checks('echo-rx');
  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: 8192, clock, checked: true, onWarn: false });
  observe(domain);
  const freeAtStart = domain.freePages;
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nl = controlPlane(ns);
  const notes: string[] = [];
  nl.on('page-pool-change', (i) => notes.push(`change ${i.id}${i.ifindex === undefined ? ' (orphaned)' : ''}`));
  nl.on('page-pool-del', (i) => notes.push(`del ${i.id}`));

  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true, ringSize: 128 });
  const drv = ns.driver(nd);
  const sk = ns.socket();
  console.log(`echo-rx: ${nd.name} (ifindex ${nd.ifindex}), ${nd.realNumRxQueues} rx queues, header split on; ${PACKETS} segments of ${HDR + 1}..9000 bytes`);

  // The reader: every byte recvmsg hands out must be the next payload byte of the stream.
  const user = new Uint8Array(64 * 1024);
  let rSeq = 0;
  let rOff = HDR;
  let verified = 0;
  let mismatches = 0;
  const read = (): void => {
    for (let n = sk.recvmsg(user); n > 0; n = sk.recvmsg(user)) {
      for (let i = 0; i < n; i++) {
        if (user[i] !== patternByte(rSeq, rOff)) mismatches++;
        verified++;
        if (++rOff === segmentLength(rSeq)) {
          rSeq++;
          rOff = HDR;
        }
      }
    }
  };

  const wire = new Uint8Array(9000);
  let sentPayload = 0;
  let dropped = 0;
  for (let seq = 0; seq < PACKETS; seq++) {
    const len = segmentLength(seq);
    // RSS: the flow hash picks the queue.
    if (drv.receive(seq & 1, fill(wire, seq, len), HDR, sk)) sentPayload += len - HDR;
    else dropped++;
    if (seq % 50 === 49 && seq < PACKETS - LEFT_QUEUED) read();
  }
  const queuedBytes = sk.pendingBytes;
  console.log(
    `  received ${PACKETS - dropped} segments (${dropped} dropped), ${sk.coalesced} coalesced; read and verified ${verified} bytes, ${queuedBytes} bytes still queued`,
  );

  const printState = (title: string): void => {
    console.log(`  ${title}:`);
    for (const s of nl.pagePoolStatsDump()) {
      const a = s.alloc;
      const r = s.recycle;
      console.log(
        `    pool ${s.info.id} stats: alloc fast ${a.fast} slow ${a.slow} refill ${a.refill} empty ${a.empty}; recycle cached ${r.cached} ring ${r.ring} ringFull ${r.ringFull} released ${r.releasedRefcnt}`,
      );
    }
    for (const i of nl.pagePoolDump()) console.log(poolLine(i));
    const summary = [...ledgerSummary(domain)].map(
      ([id, p]) =>
        `${id}: ${
          Object.entries(p)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'empty'
        }`,
    );
    console.log(`    ownership: ${summary.join(' | ') || 'no pools'}`);
  };
  printState('before unregister');
  const pools = allPools(domain);
  c.equal(pools.length, 4, 'pools while up (payload + header pool per queue)');

  nd.unregister();
  printState('after unregister, data still queued');
  const orphans = allPools(domain);
  c.expect(orphans.length > 0, 'pools holding queued data survive unregister');
  c.expect(
    orphans.every((p) => p.info().ifindex === undefined),
    'surviving pools are orphaned (no ifindex)',
  );
  c.expect(
    orphans.every((p) => (p.info().places?.socket ?? 0) + (p.info().places?.['handed-out'] ?? 0) === p.inflight),
    'the ledger places every in-flight page in the socket',
  );
  c.expect(
    notes.some((n) => n.endsWith('(orphaned)')),
    'orphaned pools reported with a change notification',
  );

  // The queued data is still good after the device is gone.
  read();
  c.equal(verified, sentPayload, 'payload bytes read and verified');
  c.equal(mismatches, 0, 'payload bytes that differ from what was sent');
  c.equal(sk.pendingBytes, 0, 'bytes left on the socket');
  sk.close();
  clock.advance(1000);
  printState('after the socket closed and one release retry');

  c.equal(allPools(domain).length, 0, 'pools left');
  c.expect(
    pools.every((p) => p.isFreed),
    'every pool freed',
  );
  c.equal(notes.filter((n) => n.startsWith('del')).length, 4, 'del notifications');
  c.equal(domain.freePages, freeAtStart, 'free pages back to the start');
  c.equal(domain.leaks, 0, 'page_pool leaks');
  c.equal(ns.skbs.live, 0, 'skbs alive');
  c.equal(nd.dev!.faultCount, 0, 'IOMMU faults');
  c.equal(nd.dev!.liveMappings, 0, 'DMA mappings left');
  c.equal(dropped, 0, 'segments dropped');
  return c.result(`${PACKETS} segments, ${verified} payload bytes verified, ${queuedBytes} bytes survived unregister, 0 faults`);
}

runIfMain(import.meta.url, main);
