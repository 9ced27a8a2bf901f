/**
 * devmem TCP, modelled on the kernel's ncdevmem selftest: a dmabuf of 16,000
 * pages (GPU memory) is bound to rx queue 1 of a netdev with header split.
 * A sender streams a known byte pattern; the NIC writes the payload straight
 * into the dmabuf. The application receives with MSG_SOCK_DEVMEM, reads the
 * cmsgs, checks every payload byte through the dmabuf's owner view (as the
 * GPU would), and gives the tokens back with DONTNEED in batches of 128. A
 * second socket closes while still holding tokens; then the control socket
 * closes. Prints throughput and the final state, and fails unless every
 * net_iov came back, the binding was freed and the IOMMU saw no fault.
 *
 *   node --conditions=@netmem/source --import tsx examples/devmem-tcp/main.ts
 */
import { Dmabuf, MemoryDomain, NetNamespace, VirtualClock, controlPlane } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import {
  DevmemCmsgBuffer,
  MAX_DONTNEED_TOKENS,
  NetdevNlSocket,
  SCM_DEVMEM_DMABUF,
  checkDevmemInvariants,
  devmemRecvmsg,
  devmemTokens,
  setsockoptDontneed,
} from '@netmem/provider-devmem';
import { Checks, observe, runIfMain, type ExampleResult } from '../lib/example.js';

/** Pages of the dmabuf. */
const DMABUF_PAGES = 16_000;
/** Bytes streamed to the main socket. */
const STREAM_BYTES = 64 * 1024 * 1024;
/** Payload per packet (16 buffers: a GRO-sized segment). */
const PAYLOAD = 16 * 4096;
/** Protocol header bytes per packet (split into the header buffer). */
const HDR = 66;
/** The rx queue the dmabuf is bound to. */
const QUEUE = 1;

/** The stream's byte at position p (a prime period, so a misplaced frag shows). */
function patternByte(p: number): number {
  return p % 251;
}

/** Fills `pkt` with headers and the payload of the stream from position `pos`. */
function fillPacket(pkt: Uint8Array, pos: number, payload: number): void {
  pkt.fill(0xee, 0, HDR);
  let v = pos % 251;
  for (let i = 0; i < payload; i++) {
    pkt[HDR + i] = v;
    v = v === 250 ? 0 : v + 1;
  }
}

export function main(): ExampleResult {
  const c = new Checks('devmem-tcp');
  console.log('devmem-tcp: payload straight into device memory, tokens back with DONTNEED');
  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: 8192, clock, onWarn: false });
  observe(domain);
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true, strictIommu: true, ringSize: 256 });
  const drv = ns.driver(nd);
  const dev = nd.dev!;

  // ncdevmem: create the dmabuf, bind it to the queue through the netdev netlink family.
  const dmabuf = new Dmabuf({ pages: DMABUF_PAGES, segmentPages: 1000, name: 'gpu0' });
  const nl = new NetdevNlSocket(ns);
  const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf, queues: [{ id: QUEUE, type: 'rx' }] });
  const binding = nl.binding(id)!;
  const pool = drv.pool(QUEUE)!;
  const q = controlPlane(ns).queueGet({ ifindex: nd.ifindex, id: QUEUE, type: 'rx' });
  console.log(
    `  bound ${dmabuf.name} (${DMABUF_PAGES} pages, ${dmabuf.segments.length} segments) to ${nd.name} rx ${QUEUE}: binding ${id}, queue info dmabuf=${q.dmabuf}, pool ${pool.id} dmabuf=${pool.info().dmabuf}`,
  );

  // Receive the stream on the main socket.
  const sk = ns.socket();
  const gpu = dmabuf.ownerView();
  const buf = new Uint8Array(1 << 20);
  const cmsgs = new DevmemCmsgBuffer(1024);
  const opts = { cmsgs };
  const batch = new Uint32Array(2 * MAX_DONTNEED_TOKENS);
  let inBatch = 0;
  const pkt = new Uint8Array(HDR + PAYLOAD);
  let sent = 0;
  let received = 0;
  let tokensSeen = 0;
  let returned = 0;
  let badBytes = 0;
  let linear = 0;
  const t0 = performance.now();
  while (received < STREAM_BYTES) {
    if (sent < STREAM_BYTES) {
      const n = Math.min(PAYLOAD, STREAM_BYTES - sent);
      fillPacket(pkt, sent, n);
      if (drv.receive(QUEUE, n === PAYLOAD ? pkt : pkt.subarray(0, HDR + n), HDR, sk)) sent += n;
    }
    const got = devmemRecvmsg(sk, buf, opts);
    for (let i = 0; i < cmsgs.count; i++) {
      const size = cmsgs.fragSize[i];
      if (cmsgs.type[i] !== SCM_DEVMEM_DMABUF) {
        // Linear bytes land in buf; check them too.
        for (let j = 0; j < size; j++) if (buf[linear + j] !== patternByte(received + j)) badBytes++;
        linear += size;
        received += size;
        continue;
      }
      // The GPU reads the frag where the cmsg says it is.
      const off = cmsgs.fragOffset[i];
      let v = received % 251;
      for (let j = 0; j < size; j++) {
        if (gpu[off + j] !== v) badBytes++;
        v = v === 250 ? 0 : v + 1;
      }
      received += size;
      tokensSeen++;
      batch[2 * inBatch] = cmsgs.token[i];
      batch[2 * inBatch + 1] = 1;
      if (++inBatch === MAX_DONTNEED_TOKENS) {
        returned += setsockoptDontneed(sk, batch);
        inBatch = 0;
      }
    }
    linear = 0;
    if (got === 0 && sent >= STREAM_BYTES) break;
  }
  // An empty call would be optlen 0, which sk_setsockopt refuses (EINVAL): only send what is left.
  if (inBatch > 0) returned += setsockoptDontneed(sk, batch, 8 * inBatch);
  const ms = performance.now() - t0;
  const mbps = STREAM_BYTES / 1e6 / (ms / 1e3);
  console.log(
    `  streamed ${(STREAM_BYTES / 2 ** 20).toFixed(0)} MiB in ${ms.toFixed(0)} ms: ${mbps.toFixed(0)} MB/s, ${(((tokensSeen / ms) * 1e3) / 1e6).toFixed(2)} M tokens/s`,
  );
  console.log(`  ${tokensSeen} dmabuf frags, every payload byte checked through the owner view: ${badBytes} bad`);
  c.equal(received, STREAM_BYTES, 'bytes received');
  c.equal(badBytes, 0, 'payload bytes that did not match the pattern');
  c.equal(returned, tokensSeen, 'tokens returned with DONTNEED');
  c.equal(devmemTokens(sk)!.held, 0, 'tokens still held by the main socket');
  c.equal(drv.counters(QUEUE).dropped, 0, 'packets dropped');

  // A second socket receives and closes while still holding its tokens.
  const sk2 = ns.socket();
  for (let i = 0; i < 8; i++) {
    fillPacket(pkt, 0, PAYLOAD);
    drv.receive(QUEUE, pkt, HDR, sk2);
  }
  devmemRecvmsg(sk2, buf, opts);
  const held2 = devmemTokens(sk2)!.held;
  const before = checkDevmemInvariants(binding, [sk, sk2]);
  sk2.close();
  const after = checkDevmemInvariants(binding, [sk]);
  console.log(`  second socket closed holding ${held2} tokens: user-held net_iovs ${before.census.user} -> ${after.census.user}`);
  c.equal(held2, 8 * 16, 'tokens held by the second socket');
  c.equal(after.census.user, 0, 'net_iovs held by users after the second socket closed');
  c.equal(after.violations.length, 0, 'devmem invariant violations');

  // The control socket closes: the queue goes back to pages, the pool drains, the binding is freed.
  sk.close();
  nl.close();
  clock.advance(1000);
  const inflight = pool.inflight;
  console.log(
    `  control socket closed: pool ${pool.id} ${pool.isFreed ? 'freed' : 'NOT freed'} (inflight ${inflight}), binding ${id} ${binding.isFreed ? 'freed' : 'NOT freed'} (leaked ${binding.leaked}), rx ${QUEUE} now on ${drv.pool(QUEUE)!.provider.name}`,
  );
  console.log(`  final: inflight ${inflight}, binding freed ${binding.isFreed}, dmabuf mappings ${binding.mappings}, IOMMU faults ${dev.faultCount}`);
  c.equal(inflight, 0, 'devmem pool inflight');
  c.expect(pool.isFreed, 'devmem pool freed');
  c.expect(binding.isFreed, 'binding freed');
  c.equal(binding.leaked, 0, 'net_iovs leaked at binding free');
  c.equal(binding.chunks.free, DMABUF_PAGES, 'chunks back in the allocator');
  c.equal(dev.faultCount, 0, 'IOMMU faults');
  c.equal(domain.leaks, 0, 'page_pool leaks');
  return c.result(`${(STREAM_BYTES / 2 ** 20).toFixed(0)} MiB at ${mbps.toFixed(0)} MB/s, ${tokensSeen} tokens, binding freed, 0 faults`);
}

runIfMain(import.meta.url, main);
