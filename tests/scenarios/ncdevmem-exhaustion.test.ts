/**
 * ncdevmem (selftests/drivers/net/hw/ncdevmem.c) receiving until the dmabuf
 * runs dry, step by step through public calls: a 16-page dmabuf bound to
 * queue 0 of an 8-descriptor ring; the user reads with MSG_SOCK_DEVMEM and
 * keeps every token, so the driver drops once all 16 buffers are in user
 * hands; SO_DEVMEM_DONTNEED gives them back, a NAPI poll refills the ring,
 * and traffic resumes. Every payload byte is checked where the dmabuf
 * cmsgs say it is, as ncdevmem's validation does.
 */
import { describe, expect, it } from 'vitest';
import { Dmabuf, controlPlane } from '@netmem/core';
import { DevmemCmsgBuffer, NetdevNlSocket, SCM_DEVMEM_DMABUF, checkDevmemInvariants, devmemRecvmsg, devmemTokens, dontneed } from '@netmem/provider-devmem';
import { packet, patternByte, rig } from '../rx-fixture.js';
import { stepper } from './steps.js';

const HDR = 66;
const PAYLOAD = 4096;
const DMABUF_PAGES = 16;
const RING = 8;

describe('ncdevmem: exhaustion and recovery', () => {
  it('tokens out until the pool is empty (drops), DONTNEED, poll, traffic resumes with every byte where the cmsgs say', () => {
    const r = rig({ checked: true });
    const nd = r.ns.createNetdevsim({ name: 'eth0', rxQueues: 1, headerSplit: true, ringSize: RING });
    const drv = r.ns.driver(nd);
    const nl = new NetdevNlSocket(r.ns);
    const sk = r.ns.socket({ coalesce: false });
    const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: DMABUF_PAGES, segmentPages: DMABUF_PAGES }), queues: [{ id: 0, type: 'rx' }] });
    const b = nl.binding(id)!;
    const step = stepper(r.domain, () => checkDevmemInvariants(b, [sk]).violations);
    const view = b.dmabuf.ownerView();
    const buf = new Uint8Array(1 << 16);
    const cm = new DevmemCmsgBuffer(64);
    let seq = 0;
    const validated: number[] = [];

    /** recvmsg(MSG_SOCK_DEVMEM) of everything queued; checks each dmabuf frag's bytes; returns the tokens. */
    const readAll = (): number[] => {
      const tokens: number[] = [];
      while (sk.queueLength > 0) {
        devmemRecvmsg(sk, buf, { cmsgs: cm });
        for (let i = 0; i < cm.count; i++) {
          expect(cm.type[i]).toBe(SCM_DEVMEM_DMABUF);
          expect(cm.fragSize[i]).toBe(PAYLOAD);
          const s = validated.length;
          const bytes = view.subarray(cm.fragOffset[i], cm.fragOffset[i] + PAYLOAD);
          for (let j = 0; j < PAYLOAD; j++) if (bytes[j] !== patternByte(s, HDR + j)) throw new Error(`packet ${s} byte ${j} wrong`);
          validated.push(s);
          tokens.push(cm.token[i]);
        }
      }
      return tokens;
    };
    const receive = () => drv.receive(0, packet(seq, HDR + PAYLOAD), HDR, sk) && ++seq > 0;

    // The bind restarted the queue: the ring holds 8 net_iovs, the binding's allocator the other 8.
    expect(drv.posted(0).payload).toBe(RING);

    // Traffic until the dmabuf is exhausted: 16 packets land, the 17th is dropped.
    let landed = 0;
    step('receive until a drop', () => {
      while (receive()) landed++;
    });
    expect(landed).toBe(DMABUF_PAGES);
    expect(drv.counters(0)).toMatchObject({ packets: DMABUF_PAGES, dropped: 1 });

    // The user reads everything and keeps every token: the pool stays empty.
    const held = step('recvmsg, keep the tokens', readAll);
    expect(held).toEqual(Array.from({ length: DMABUF_PAGES }, (_, i) => i + 1));
    expect(devmemTokens(sk)!.held).toBe(DMABUF_PAGES);
    expect(step('poll with every buffer in user hands', () => drv.poll(0))).toBe(0);
    expect(step('receive while exhausted', receive)).toBe(false);
    expect(drv.counters(0).dropped).toBe(2);
    expect(controlPlane(r.ns).pagePoolGet({ id: drv.pool(0)!.id })).toMatchObject({ inflight: DMABUF_PAGES });

    // SO_DEVMEM_DONTNEED gives them all back to the pool; the descriptor ring is still empty.
    expect(step('DONTNEED all', () => dontneed(sk, [{ tokenStart: 1, tokenCount: DMABUF_PAGES }]))).toBe(DMABUF_PAGES);
    expect(devmemTokens(sk)!.held).toBe(0);
    expect(drv.posted(0).payload).toBe(0);

    // A NAPI poll posts buffers again; the next packets land, tokens are reused lowest first.
    expect(step('poll', () => drv.poll(0))).toBe(RING);
    let resumed = 0;
    step('traffic resumes', () => {
      while (resumed < DMABUF_PAGES && receive()) resumed++;
    });
    expect(resumed).toBe(DMABUF_PAGES);
    expect(drv.counters(0)).toMatchObject({ packets: 2 * DMABUF_PAGES, dropped: 2 });
    const again = step('recvmsg after recovery', readAll);
    expect(again).toEqual(Array.from({ length: DMABUF_PAGES }, (_, i) => i + 1));
    expect(validated).toHaveLength(2 * DMABUF_PAGES);

    // ncdevmem's loop: one DONTNEED per token; the socket closes with nothing held.
    step('DONTNEED one by one', () => {
      for (const t of again) expect(dontneed(sk, [{ tokenStart: t, tokenCount: 1 }])).toBe(1);
    });
    step('close', () => sk.close());
    step('unbind', () => nl.close());
  });
});
