/** devmem recvmsg: cmsgs, tokens, pp references, the byte budget, readability boundaries, errors. */
import { describe, expect, it } from 'vitest';
import { MSG_SOCK_DEVMEM, Place, whereIs, type PagePool, type SkBuff } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import {
  DevmemCmsgBuffer,
  SCM_DEVMEM_DMABUF,
  SCM_DEVMEM_LINEAR,
  checkDevmemInvariants,
  devmemRecvmsg,
  devmemRecvmsgObjects,
  devmemTokens,
  dontneed,
} from '../src/index.js';
import { codeOf, world, type World } from './helpers.js';

/** Frag layout of the hand-built packet: (offset in net_iov, length). */
const FRAGS: [number, number][] = [
  [0, 4096],
  [100, 1000],
  [0, 2048],
];

/**
 * Builds "header + 3 frags" as a header-split driver would: 100 bytes in a
 * header page (40 protocol header bytes pulled, 60 linear payload bytes left)
 * and three dmabuf frags written by the device through their IOVAs.
 */
function headerPlus3(w: World): { skb: SkBuff; nms: number[]; data: Uint8Array[]; linear: Uint8Array } {
  const hp = w.drv.hdrPool(0)!;
  const pool = w.drv.pool(0)!;
  const page = hp.allocNetmems();
  const head = w.domain.bytes(page);
  for (let i = 0; i < 100; i++) head[i] = 200 + (i % 50);
  const skb = w.ns.skbs.build(page, 0, 4096, 100, true);
  skb.pull(40);
  const nms: number[] = [];
  const data: Uint8Array[] = [];
  for (let f = 0; f < FRAGS.length; f++) {
    const [off, len] = FRAGS[f];
    const nm = pool.allocNetmems();
    const bytes = new Uint8Array(len).map((_, i) => (f * 31 + i) & 0xff);
    expect(w.nd.dev!.write(inspectNetmem(w.domain, nm).dma + off, bytes)).toBe(true);
    w.ns.skbs.addFrag(skb, nm, off, len);
    nms.push(nm);
    data.push(bytes);
  }
  expect(skb.unreadable).toBe(true);
  return { skb, nms, data, linear: head.slice(40, 100) };
}

describe('devmem recvmsg', () => {
  it('header + 3 frags: a linear cmsg with the copied bytes, then one dmabuf cmsg per frag with tokens 1..3', () => {
    const w = world({ checked: true });
    const b = w.bind();
    const pool = w.drv.pool(0)!;
    const sk = w.ns.socket();
    const { skb, nms, data, linear } = headerPlus3(w);
    sk.enqueue(skb);
    const buf = new Uint8Array(65536);
    const cm = new DevmemCmsgBuffer(16);
    const n = devmemRecvmsg(sk, buf, { cmsgs: cm });
    expect(n).toBe(60 + 4096 + 1000 + 2048);
    expect(cm.count).toBe(4);
    expect(cm.toArray()).toEqual([
      { type: 'linear', fragOffset: 0, fragSize: 60, token: 0, dmabufId: 0 },
      { type: 'dmabuf', fragOffset: b.virtualAddr(nms[0]), fragSize: 4096, token: 1, dmabufId: b.id },
      { type: 'dmabuf', fragOffset: b.virtualAddr(nms[1]) + 100, fragSize: 1000, token: 2, dmabufId: b.id },
      { type: 'dmabuf', fragOffset: b.virtualAddr(nms[2]), fragSize: 2048, token: 3, dmabufId: b.id },
    ]);
    expect(cm.type[0]).toBe(SCM_DEVMEM_LINEAR);
    expect(cm.type[1]).toBe(SCM_DEVMEM_DMABUF);
    expect(buf.subarray(0, 60)).toEqual(linear);
    // The payload never went through the CPU side: the dmabuf's owner sees it where the cmsgs say.
    const view = b.dmabuf.ownerView();
    for (let i = 1; i < 4; i++) expect(view.subarray(cm.fragOffset[i], cm.fragOffset[i] + cm.fragSize[i])).toEqual(data[i - 1]);
    // The skb is consumed: each frag's one pp reference is now the token's; the header page went back.
    expect(sk.queueLength).toBe(0);
    for (const nm of nms) expect(whereIs(w.domain, nm)).toEqual({ poolId: pool.id, place: 'user', ppRef: 1 });
    expect(devmemTokens(sk)!.held).toBe(3);
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    expect(sk.copiedBytes).toBe(n);
    // Tokens are per socket and reused lowest first.
    expect(dontneed(sk, [{ tokenStart: 2, tokenCount: 1 }])).toBe(1);
    const again = headerPlus3(w);
    sk.enqueue(again.skb);
    devmemRecvmsg(sk, buf, { cmsgs: cm });
    expect(Array.from(cm.token.subarray(1, 4))).toEqual([2, 4, 5]);
    const other = w.ns.socket();
    const third = headerPlus3(w);
    other.enqueue(third.skb);
    expect(devmemRecvmsgObjects(other, buf).cmsgs.map((c) => c.token)).toEqual([0, 1, 2, 3]);
    sk.close();
    other.close();
    expect(checkDevmemInvariants(b, []).census.user).toBe(0);
  });

  it('the byte budget counts linear and dmabuf bytes; the next call resumes inside a frag', () => {
    const w = world();
    const b = w.bind();
    const sk = w.ns.socket();
    const { skb, nms } = headerPlus3(w);
    sk.enqueue(skb);
    const buf = new Uint8Array(65536);
    const cm = new DevmemCmsgBuffer(16);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm, len: 60 + 4096 + 500 })).toBe(4656);
    expect(cm.toArray().map((c) => [c.fragOffset, c.fragSize, c.token])).toEqual([
      [0, 60, 0],
      [b.virtualAddr(nms[0]), 4096, 1],
      [b.virtualAddr(nms[1]) + 100, 500, 2],
    ]);
    expect(sk.headOffset).toBe(4656);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm, len: 30 })).toBe(30);
    expect(cm.toArray().map((c) => [c.fragOffset, c.fragSize, c.token])).toEqual([[b.virtualAddr(nms[1]) + 600, 30, 3]]);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(470 + 2048);
    expect(cm.toArray().map((c) => [c.fragOffset, c.fragSize, c.token])).toEqual([
      [b.virtualAddr(nms[1]) + 630, 470, 4],
      [b.virtualAddr(nms[2]), 2048, 5],
    ]);
    // nms[1] is named by three tokens: three pp references.
    expect(inspectNetmem(w.domain, nms[1]).ppRef).toBe(3);
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(0);
    sk.close();
  });

  it('a full control buffer stops the call after what fit', () => {
    const w = world();
    w.bind();
    const sk = w.ns.socket();
    sk.enqueue(headerPlus3(w).skb);
    const buf = new Uint8Array(65536);
    const cm = new DevmemCmsgBuffer(2);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(60 + 4096);
    expect(Array.from(cm.token.subarray(0, 2))).toEqual([0, 1]);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(1000 + 2048);
    expect(Array.from(cm.token.subarray(0, 2))).toEqual([2, 3]);
    sk.close();
  });

  it('unreadable data without MSG_SOCK_DEVMEM is EFAULT (here and on the plain copy path); nothing is consumed', () => {
    const w = world();
    w.bind();
    const sk = w.ns.socket();
    sk.enqueue(headerPlus3(w).skb);
    const buf = new Uint8Array(65536);
    const cm = new DevmemCmsgBuffer(8);
    expect(codeOf(() => devmemRecvmsg(sk, buf, { cmsgs: cm, flags: 0 }))).toBe('EFAULT');
    expect(codeOf(() => sk.recvmsg(buf))).toBe('EFAULT');
    expect(sk.queueLength).toBe(1);
    expect(devmemTokens(sk)).toBeUndefined();
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm, flags: MSG_SOCK_DEVMEM })).toBe(7204);
    sk.close();
    expect(codeOf(() => devmemRecvmsg(sk, buf, { cmsgs: cm }))).toBe('EBADF');
  });

  it('one call never mixes readable and unreadable skbs', () => {
    const w = world();
    w.bind();
    const sk = w.ns.socket();
    const hp: PagePool = w.drv.hdrPool(0)!;
    const readable = (fill: number) => {
      const page = hp.allocNetmems();
      w.domain.bytes(page).fill(fill, 0, 500);
      return w.ns.skbs.build(page, 0, 4096, 500, true);
    };
    sk.enqueue(readable(7));
    sk.enqueue(headerPlus3(w).skb);
    sk.enqueue(readable(9));
    const buf = new Uint8Array(65536);
    const cm = new DevmemCmsgBuffer(8);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(500);
    expect(cm.count).toBe(0);
    expect(buf[499]).toBe(7);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(7204);
    expect(cm.count).toBe(4);
    expect(devmemRecvmsg(sk, buf, { cmsgs: cm })).toBe(500);
    expect(cm.count).toBe(0);
    expect(buf[0]).toBe(9);
    sk.close();
  });

  it('a frag that is not a dmabuf net_iov in an unreadable skb is EFAULT, and no token is taken', () => {
    const w = world();
    w.bind();
    const sk = w.ns.socket();
    const hp = w.drv.hdrPool(0)!;
    const skb = w.ns.skbs.build(0, 0, 0, 0, true);
    w.ns.skbs.addFrag(skb, hp.allocNetmems(), 0, 100);
    skb.unreadable = true;
    sk.enqueue(skb);
    expect(codeOf(() => devmemRecvmsg(sk, new Uint8Array(4096), { cmsgs: new DevmemCmsgBuffer(4) }))).toBe('EFAULT');
    expect(devmemTokens(sk)!.held).toBe(0);
    sk.close();
  });

  it('driver-received packets: one dmabuf cmsg per 4096-byte buffer, payload checked through the owner view', () => {
    const w = world({ checked: true });
    const b = w.bind();
    const sk = w.ns.socket();
    const pkt = new Uint8Array(64 + 3 * 4096 + 10).map((_, i) => (i * 7) & 0xff);
    expect(w.drv.receive(0, pkt, 64, sk)).toBe(true);
    const { bytes, cmsgs } = devmemRecvmsgObjects(sk, new Uint8Array(1 << 16));
    expect(bytes).toBe(3 * 4096 + 10);
    expect(cmsgs.map((c) => [c.type, c.fragSize, c.token])).toEqual([
      ['dmabuf', 4096, 1],
      ['dmabuf', 4096, 2],
      ['dmabuf', 4096, 3],
      ['dmabuf', 10, 4],
    ]);
    const view = b.dmabuf.ownerView();
    let at = 64;
    for (const c of cmsgs) for (let i = 0; i < c.fragSize; i++) expect(view[c.fragOffset + i]).toBe(pkt[at++]);
    expect(w.drv.pool(0)!.info().places).toEqual({ 'driver-ring': 64, user: 4 });
    expect(checkDevmemInvariants(b, [sk]).violations).toEqual([]);
    expect(Place.USER).toBe(7);
    sk.close();
  });
});
