/**
 * devmem_tokens: the devmem TCP token path on one core. Each operation is one
 * payload frag going through the whole loop: the NIC writes it into a dmabuf
 * net_iov (driver NAPI receive, 16 frags per packet), recvmsg(MSG_SOCK_DEVMEM)
 * reports it as a dmabuf cmsg and takes a token, and the application gives
 * the token back with SO_DEVMEM_DONTNEED in batches of 128 entries. The
 * check afterwards proves every operation issued exactly one token, every
 * token came back, no packet was dropped and no allocation failed.
 * Target: ≥ 2,000,000 tokens/s (≤ 500 ns/op).
 */
import { Dmabuf, MemoryDomain, NetNamespace, VirtualClock } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { DevmemCmsgBuffer, MAX_DONTNEED_TOKENS, NetdevNlSocket, devmemRecvmsg, devmemTokens, setsockoptDontneed } from '@netmem/provider-devmem';
import type { BenchCase, BenchInstance } from '../types.js';

/** Payload frags per packet (full 4096-byte buffers). */
const FRAGS = 16;
const HDR = 64;

/** devmem_tokens: receive → recvmsg → DONTNEED (batches of 128), per token. */
export const devmemTokensCase: BenchCase = {
  name: 'devmem_tokens',
  // ~1-2 µs per op: fewer ops keep the whole run near a minute.
  ops: 1 << 17,
  title: 'devmem token: NIC rx into dmabuf + recvmsg cmsg + DONTNEED (batch 128)',
  setup(): BenchInstance {
    const domain = new MemoryDomain({ pages: 4096, clock: new VirtualClock(), onWarn: false });
    const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
    const nd = ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 256 });
    const drv = ns.driver(nd);
    const nl = new NetdevNlSocket(ns);
    const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 4096, segmentPages: 512 }), queues: [{ id: 0, type: 'rx' }] });
    const binding = nl.binding(id)!;
    const sk = ns.socket();
    // One packet per frag count, so a round can end on an exact operation count.
    const packets: Uint8Array[] = [];
    for (let k = 0; k <= FRAGS; k++) packets.push(new Uint8Array(HDR + k * 4096).map((_, i) => i & 0xff));
    const buf = new Uint8Array(HDR + FRAGS * 4096);
    const opts = { cmsgs: new DevmemCmsgBuffer(64) };
    const batch = new Uint32Array(2 * MAX_DONTNEED_TOKENS);
    for (let i = 0; i < MAX_DONTNEED_TOKENS; i++) batch[2 * i + 1] = 1;
    let inBatch = 0;
    let freed = 0;
    let tokens = 0;
    return {
      run(ops) {
        let acc = 0;
        let done = 0;
        while (done < ops) {
          const k = Math.min(FRAGS, ops - done);
          drv.receive(0, packets[k], HDR, sk);
          devmemRecvmsg(sk, buf, opts);
          const cm = opts.cmsgs;
          for (let i = 0; i < cm.count; i++) {
            const t = cm.token[i];
            acc = (acc + t) | 0;
            batch[2 * inBatch] = t;
            if (++inBatch === MAX_DONTNEED_TOKENS) {
              freed += setsockoptDontneed(sk, batch);
              inBatch = 0;
            }
          }
          tokens += cm.count;
          done += k;
        }
        if (inBatch > 0) {
          freed += setsockoptDontneed(sk, batch, 8 * inBatch);
          inBatch = 0;
        }
        return acc;
      },
      verify(total) {
        const t = devmemTokens(sk)!;
        const c = drv.counters(0);
        const bad: string[] = [];
        if (tokens !== total) bad.push(`${tokens} tokens for ${total} ops`);
        if (t.issued !== total) bad.push(`socket issued ${t.issued} tokens`);
        if (freed !== total || t.held !== 0) bad.push(`DONTNEED freed ${freed}, ${t.held} still held`);
        if (c.dropped !== 0 || c.allocFail !== 0) bad.push(`dropped ${c.dropped}, allocFail ${c.allocFail}`);
        // Working set: the 256 posted buffers plus at most one DONTNEED batch and one packet held by the user.
        if (binding.allocs > 256 + MAX_DONTNEED_TOKENS + FRAGS) bad.push(`binding handed out ${binding.allocs} net_iovs: buffers are not being recycled`);
        if (bad.length > 0) throw new Error(bad.join('; '));
        return `${total} tokens issued and returned, ${c.packets} packets`;
      },
      teardown() {
        sk.close();
        nl.close();
      },
    };
  },
};

/**
 * devmem_tokens_stack: the same token loop without the NIC's byte copy: the
 * "receive" builds each skb over 16 net_iovs taken from the dmabuf pool (as
 * the driver's rx ring hands them over) and queues it on the socket, so the
 * figure is the stack's share: skb + recvmsg cmsg/token + DONTNEED.
 */
export const devmemTokensStackCase: BenchCase = {
  name: 'devmem_tokens_stack',
  title: 'devmem token without the NIC copy: skb over dmabuf net_iovs + recvmsg + DONTNEED (batch 128)',
  setup(): BenchInstance {
    const domain = new MemoryDomain({ pages: 4096, clock: new VirtualClock(), onWarn: false });
    const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
    const nd = ns.createNetdevsim({ rxQueues: 1, headerSplit: true, ringSize: 16 });
    const drv = ns.driver(nd);
    const nl = new NetdevNlSocket(ns);
    const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 1024, segmentPages: 512 }), queues: [{ id: 0, type: 'rx' }] });
    const binding = nl.binding(id)!;
    const pool = drv.pool(0)!;
    const skbs = ns.skbs;
    const sk = ns.socket();
    const buf = new Uint8Array(FRAGS * 4096);
    const opts = { cmsgs: new DevmemCmsgBuffer(64) };
    const batch = new Uint32Array(2 * MAX_DONTNEED_TOKENS);
    for (let i = 0; i < MAX_DONTNEED_TOKENS; i++) batch[2 * i + 1] = 1;
    let inBatch = 0;
    let freed = 0;
    let tokens = 0;
    let noBuffer = 0;
    return {
      run(ops) {
        let acc = 0;
        let done = 0;
        while (done < ops) {
          const k = Math.min(FRAGS, ops - done);
          const skb = skbs.build(0, 0, 0, 0, true);
          for (let i = 0; i < k; i++) {
            const nm = pool.allocNetmems();
            if (nm === 0) noBuffer++;
            else skbs.addFrag(skb, nm, 0, 4096);
          }
          sk.enqueue(skb);
          devmemRecvmsg(sk, buf, opts);
          const cm = opts.cmsgs;
          for (let i = 0; i < cm.count; i++) {
            const t = cm.token[i];
            acc = (acc + t) | 0;
            batch[2 * inBatch] = t;
            if (++inBatch === MAX_DONTNEED_TOKENS) {
              freed += setsockoptDontneed(sk, batch);
              inBatch = 0;
            }
          }
          tokens += cm.count;
          done += k;
        }
        if (inBatch > 0) {
          freed += setsockoptDontneed(sk, batch, 8 * inBatch);
          inBatch = 0;
        }
        return acc;
      },
      verify(total) {
        const t = devmemTokens(sk)!;
        const bad: string[] = [];
        if (noBuffer !== 0) bad.push(`${noBuffer} allocations failed`);
        if (tokens !== total || t.issued !== total) bad.push(`${tokens} tokens (socket issued ${t.issued}) for ${total} ops`);
        if (freed !== total || t.held !== 0) bad.push(`DONTNEED freed ${freed}, ${t.held} still held`);
        if (binding.allocs > 16 + MAX_DONTNEED_TOKENS + FRAGS) bad.push(`binding handed out ${binding.allocs} net_iovs: buffers are not being recycled`);
        if (bad.length > 0) throw new Error(bad.join('; '));
        return `${total} tokens issued and returned`;
      },
      teardown() {
        sk.close();
        nl.close();
      },
    };
  },
};

/** The devmem cases. */
export const devmemCases: readonly BenchCase[] = [devmemTokensCase, devmemTokensStackCase];
