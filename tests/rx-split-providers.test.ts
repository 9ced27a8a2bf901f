/**
 * Payload in the linear part reaching the providers' receive paths: the NIC
 * splits past the protocol headers ({ pull, split }), so the head holds
 * payload that devmem reports as an SCM_DEVMEM_LINEAR message and zcrx
 * copies into an area buffer, each before the frag payload, every byte
 * checked against the sent packet.
 */
import { describe, expect, it } from 'vitest';
import { Dmabuf, NetNamespace } from '@netmem/core';
import { checkDomainInvariants, errnoOf, quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { DevmemCmsgBuffer, NetdevNlSocket, SCM_DEVMEM_DMABUF, SCM_DEVMEM_LINEAR, checkDevmemInvariants, devmemRecvmsg } from '@netmem/provider-devmem';
import { CqConsumer, IORING_CQE_F_MORE, IoUring, ZCRX_USER_BASE, checkZcrxInvariants } from '@netmem/provider-iouring';
import { packet } from './rx-fixture.js';

const PULL = 66;
const SPLIT = 200;

function net(queues: number) {
  const { domain } = quietWorld({ pages: 2048, netIovs: 8192, checked: true });
  const ns = new NetNamespace(domain, { pageProvider: pagesProvider() });
  const nd = ns.createNetdevsim({ name: 'eth0', rxQueues: queues, headerSplit: true, hdrBufSize: 256, ringSize: 16 });
  return { domain, ns, nd, drv: ns.driver(nd) };
}

describe('devmem recvmsg with payload in the head', () => {
  it('the head payload comes first as a linear cmsg, then the frags as dmabuf cmsgs; byte counts and bytes exact', () => {
    const { domain, ns, nd, drv } = net(1);
    const nl = new NetdevNlSocket(ns);
    const id = nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 256, segmentPages: 64 }), queues: [{ id: 0, type: 'rx' }] });
    const b = nl.binding(id)!;
    const sk = ns.socket({ coalesce: false });
    const p = packet(7, 6000);
    expect(drv.receive(0, p, { pull: PULL, split: SPLIT }, sk)).toBe(true);
    expect(sk.peek()!.headLen).toBe(SPLIT - PULL);
    expect(sk.peek()!.unreadable).toBe(true);

    const buf = new Uint8Array(8192);
    const cm = new DevmemCmsgBuffer(8);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(6000 - PULL);
    expect(cm.count).toBe(3); // linear, then the 4096 + 1704 payload frags
    expect([cm.type[0], cm.fragSize[0], cm.type[1], cm.fragSize[1], cm.type[2], cm.fragSize[2]]).toEqual([
      SCM_DEVMEM_LINEAR,
      SPLIT - PULL,
      SCM_DEVMEM_DMABUF,
      4096,
      SCM_DEVMEM_DMABUF,
      6000 - SPLIT - 4096,
    ]);
    expect(buf.subarray(0, SPLIT - PULL)).toEqual(p.subarray(PULL, SPLIT));
    const view = b.dmabuf.ownerView();
    let at = SPLIT;
    for (let i = 1; i < 3; i++) {
      expect(view.subarray(cm.fragOffset[i], cm.fragOffset[i] + cm.fragSize[i])).toEqual(p.subarray(at, at + cm.fragSize[i]));
      at += cm.fragSize[i];
    }
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    expect(checkDomainInvariants(domain)).toEqual([]);
    sk.close();
  });

  it('a packet that fits the header buffer lands whole in it: a readable skb, copied as by plain recvmsg with no cmsg, no dmabuf buffer used; hds-thresh must stay 0 while bound', () => {
    const { ns, nd, drv } = net(1);
    nd.setHeaderSplit(true, 512);
    const nl = new NetdevNlSocket(ns);
    const bind = () => nl.bindRx({ ifindex: nd.ifindex, dmabuf: new Dmabuf({ pages: 256, segmentPages: 64 }), queues: [{ id: 0, type: 'rx' }] });
    expect(errnoOf(bind)).toBe('EINVAL'); // ethtool's rule: a provider needs hds-thresh 0
    nd.setHeaderSplit(true, 0);
    const id = bind();
    expect(errnoOf(() => nd.setHeaderSplit(true, 512))).toBe('EINVAL');
    expect(nd.hdsThresh).toBe(0);
    const sk = ns.socket({ coalesce: false });
    const posted = drv.posted(0).payload;
    const p = packet(8, 180);
    expect(drv.receive(0, p, { pull: PULL, split: 180 }, sk)).toBe(true);
    expect(drv.posted(0).payload).toBe(posted);
    const buf = new Uint8Array(512);
    const cm = new DevmemCmsgBuffer(4);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(180 - PULL);
    expect(cm.count).toBe(0); // tcp_recvmsg_locked copies readable skbs even under MSG_SOCK_DEVMEM
    expect(buf.subarray(0, 180 - PULL)).toEqual(p.subarray(PULL));
    expect(checkDevmemInvariants(nl.binding(id)!, [sk]).violations).toEqual([]);
    sk.close();
  });
});

describe('zcrx RECV_ZC with payload in the head', () => {
  function zcrx(areaPages: number) {
    const n = net(2);
    const ring = new IoUring(n.ns, { entries: 64 });
    const mem = new SharedArrayBuffer(areaPages * 4096);
    const ifq = ring.registerZcrxIfq({
      ifIdx: n.nd.ifindex,
      ifRxq: 1,
      rqEntries: 64,
      area: { addr: ZCRX_USER_BASE, len: areaPages * 4096, memory: mem },
      region: { size: 64 + 16 * 64 },
    });
    return { ...n, ring, ifq, mem, cq: new CqConsumer(ring.cq.buffer), sk: n.ns.socket({ coalesce: false }) };
  }

  it('the head payload is copied into a free area buffer and its CQE comes before the frag CQEs; every byte right', () => {
    const w = zcrx(256); // the pool's first refill takes 64 buffers, the rest stay free for copies
    const p = packet(9, 5000);
    expect(w.drv.receive(1, p, { pull: PULL, split: SPLIT }, w.sk)).toBe(true);
    const free = w.ifq.area.freeCount;
    const req = w.ring.recvZc(w.sk, { userData: 3 });
    expect(req.issue()).toBe('retry');
    const n = w.cq.begin();
    const got: number[][] = [];
    for (let i = 0; i < n; i++) got.push([w.cq.res(i), w.cq.flags(i), w.cq.userData(i)]);
    expect(got).toEqual([
      [SPLIT - PULL, IORING_CQE_F_MORE, 3],
      [4096, IORING_CQE_F_MORE, 3],
      [5000 - SPLIT - 4096, IORING_CQE_F_MORE, 3],
    ]);
    let at = PULL;
    for (let i = 0; i < n; i++) {
      const off = w.cq.off(i) % 2 ** 48;
      expect(new Uint8Array(w.mem, off, w.cq.res(i))).toEqual(p.subarray(at, at + w.cq.res(i)));
      at += w.cq.res(i);
    }
    w.cq.end(n);
    expect(at).toBe(5000);
    expect(w.ifq.area.freeCount).toBe(free - 1); // one buffer taken for the copy
    expect(w.ifq.stats.copyBufs).toBe(1);
    expect(w.ifq.stats.zcFrags).toBe(2);
    expect(checkZcrxInvariants(w.ifq)).toEqual([]);
    expect(checkDomainInvariants(w.domain)).toEqual([]);
    w.ring.exit();
  });
});
