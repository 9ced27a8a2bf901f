import { describe, expect, it } from 'vitest';
import { Dmabuf, allPools, controlPlane, type ErrnoCode } from '@netmem/core';
import { errnoOf } from '@netmem/core/testing';
import {
  IORING_SETUP_CLAMP,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_ZCRX_AREA_DMABUF,
  IoUring,
  ZCRX_USER_BASE,
  type IoUringOptions,
  type ZcrxIfqReg,
} from '../src/index.js';
import { PAGES, makeNet } from './helpers.js';

const BASE_FLAGS = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32;

function goodReg(ifIdx: number, mem: SharedArrayBuffer, entries = 64): ZcrxIfqReg {
  return {
    ifIdx,
    ifRxq: 1,
    rqEntries: entries,
    area: { addr: ZCRX_USER_BASE, len: 16 * 4096, memory: mem },
    region: { size: 64 + 16 * entries },
  };
}

const code = errnoOf;

interface Case {
  name: string;
  code: ErrnoCode;
  ring?: IoUringOptions;
  net?: Parameters<typeof makeNet>[0];
  edit(reg: ZcrxIfqReg, n: ReturnType<typeof makeNet>): void;
}

const dmabufMem = new SharedArrayBuffer(16 * 4096);

const CASES: Case[] = [
  { name: 'not admin', code: 'EPERM', ring: { admin: false }, edit: () => {} },
  { name: 'no DEFER_TASKRUN', code: 'EINVAL', ring: { flags: IORING_SETUP_CQE32 }, edit: () => {} },
  { name: 'no big CQEs', code: 'EINVAL', ring: { flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER }, edit: () => {} },
  { name: 'reserved field', code: 'EINVAL', edit: (r) => (r.resv = [0, 1, 0]) },
  { name: 'resv2', code: 'EINVAL', edit: (r) => (r.resv2 = 1) },
  { name: 'zcrx_id set', code: 'EINVAL', edit: (r) => (r.zcrxId = 2) },
  { name: 'rx queue -1', code: 'EINVAL', edit: (r) => (r.ifRxq = -1) },
  { name: 'zero entries', code: 'EINVAL', edit: (r) => (r.rqEntries = 0) },
  { name: 'unknown flags', code: 'EINVAL', edit: (r) => (r.flags = 1) },
  { name: 'entries > 32768 without CLAMP', code: 'EINVAL', edit: (r) => ((r.rqEntries = 32769), (r.region.size = 1 << 20)) },
  { name: 'region too small for the rounded entries', code: 'EINVAL', edit: (r) => ((r.rqEntries = 100), (r.region.size = 64 + 16 * 100)) },
  { name: 'unknown netdev', code: 'ENODEV', edit: (r) => (r.ifIdx = 99) },
  { name: 'netdev without a DMA device (loopback)', code: 'EOPNOTSUPP', edit: (r) => (r.ifIdx = 1) },
  { name: 'unknown area flags', code: 'EINVAL', edit: (r) => (r.area.flags = 2) },
  { name: 'area token set', code: 'EINVAL', edit: (r) => (r.area.rqAreaToken = 1) },
  { name: 'area reserved', code: 'EINVAL', edit: (r) => (r.area.resv2 = [0, 1]) },
  { name: 'area length 0', code: 'EFAULT', edit: (r) => (r.area.len = 0) },
  { name: 'area above 1 GiB', code: 'EFAULT', edit: (r) => (r.area.len = 2 ** 30 + 4096) },
  { name: 'area address not page aligned', code: 'EINVAL', edit: (r) => (r.area.addr += 8) },
  { name: 'area length not page aligned', code: 'EINVAL', edit: (r) => (r.area.len -= 1) },
  { name: 'null area address', code: 'EFAULT', edit: (r) => (r.area.addr = 0) },
  { name: 'dmabuf fd with user memory', code: 'EINVAL', edit: (r) => (r.area.dmabufFd = 3) },
  { name: 'area past the mapped memory', code: 'EFAULT', edit: (r) => (r.area.len = 32 * 4096) },
  {
    name: 'dmabuf at a non-zero offset',
    code: 'EINVAL',
    edit: (r) => ((r.area.flags = IORING_ZCRX_AREA_DMABUF), (r.area.dmabuf = Dmabuf.import(dmabufMem)), (r.area.addr = 4096)),
  },
  {
    name: 'dmabuf size mismatch',
    code: 'EINVAL',
    edit: (r) => ((r.area.flags = IORING_ZCRX_AREA_DMABUF), (r.area.dmabuf = Dmabuf.import(dmabufMem)), (r.area.addr = 0), (r.area.len = 8 * 4096)),
  },
  { name: 'rx queue out of range (mpOpenRxq)', code: 'ERANGE', edit: (r) => (r.ifRxq = 2) },
  { name: 'header split off (mpOpenRxq)', code: 'EINVAL', net: { headerSplit: false }, edit: () => {} },
  { name: 'XDP attached (mpOpenRxq)', code: 'EEXIST', edit: (_r, n) => n.nd.setXdp(true) },
  { name: 'driver ignores the provider (mpOpenRxq)', code: 'ENODATA', net: { supportsUnreadable: false }, edit: () => {} },
];

describe('IORING_REGISTER_ZCRX_IFQ error table', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.code}, nothing left behind`, () => {
      const n = makeNet(c.net);
      const ring = new IoUring(n.ns, { flags: BASE_FLAGS, ...c.ring });
      const mem = new SharedArrayBuffer(16 * 4096);
      const reg = goodReg(n.nd.ifindex, mem);
      c.edit(reg, n);
      const pools = allPools(n.domain).length;
      const live = n.nd.dev!.liveMappings;
      const token = reg.area.rqAreaToken;
      expect(code(() => ring.registerZcrxIfq(reg))).toBe(c.code);
      expect(ring.ifqs.size).toBe(0);
      expect(allPools(n.domain).length).toBe(pools);
      expect(n.nd.dev!.liveMappings).toBe(live);
      expect(n.nd.rxQueues[1].mp).toBeNull();
      expect(n.nd.dev!.faultCount).toBe(0);
      expect(reg.offsets).toBeUndefined();
      expect(reg.area.rqAreaToken).toBe(token);
      // No net_iov descriptors leaked: a good registration gets the first ones.
      if (c.code !== 'EPERM' && c.ring === undefined && c.net === undefined) {
        n.nd.setXdp(false);
        const ok = new IoUring(n.ns, { flags: BASE_FLAGS });
        const ifq = ok.registerZcrxIfq(goodReg(n.nd.ifindex, mem));
        expect(ifq.area.nia.baseDesc).toBe(PAGES + 1);
        expect(ifq.area.mappings).toBe(1);
      }
    });
  }

  it('checks run in the kernel order', () => {
    const n = makeNet();
    const mem = new SharedArrayBuffer(16 * 4096);
    const mk = (e: (r: ZcrxIfqReg) => void) => {
      const r = goodReg(n.nd.ifindex, mem);
      e(r);
      return r;
    };
    const bad = (r: ZcrxIfqReg) => ((r.ifRxq = -1), (r.ifIdx = 99), (r.area.addr = 0));
    expect(code(() => new IoUring(n.ns, { flags: IORING_SETUP_CQE32, admin: false }).registerZcrxIfq(mk(bad)))).toBe('EPERM');
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    expect(code(() => ring.registerZcrxIfq(mk(bad)))).toBe('EINVAL');
    expect(code(() => ring.registerZcrxIfq(mk((r) => ((r.region.size = 10), (r.ifIdx = 99)))))).toBe('EINVAL');
    expect(code(() => ring.registerZcrxIfq(mk((r) => ((r.ifIdx = 99), (r.area.addr = 1)))))).toBe('ENODEV');
    expect(code(() => ring.registerZcrxIfq(mk((r) => ((r.area.len = 4095), (r.area.addr = 0)))))).toBe('EINVAL');
    expect(code(() => ring.registerZcrxIfq(mk((r) => (r.area.addr = 0))))).toBe('EFAULT');
  });
});

describe('registration success', () => {
  it('rounds entries up, writes back offsets, id and the area token, and installs the provider', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE_MIXED });
    const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096), 100);
    reg.region.size = 64 + 16 * 128;
    const ifq = ring.registerZcrxIfq(reg);
    expect(reg.rqEntries).toBe(128);
    expect(reg.offsets).toEqual({ head: 0, tail: 4, rqes: 64 });
    expect(reg.zcrxId).toBe(0);
    expect(reg.area.rqAreaToken).toBe(0); // one area per ifq: area id 0, token 0 << 48
    expect(ifq.rqEntries).toBe(128);
    expect(ifq.rqBuffer.byteLength).toBe(64 + 16 * 128);
    expect(n.nd.rxQueues[1].mp).toBe(ifq.ops);
    const pool = n.drv.pool(1)!;
    expect(pool.provider).toBe(ifq.ops);
    expect(ifq.area.isMapped).toBe(true);
    // Area mapped once (one mapping), however many pools init on it.
    const maps = n.nd.dev!.counters().maps;
    expect(ifq.area.mappings).toBe(1);
    n.nd.close();
    n.nd.open();
    expect(ifq.area.mappings).toBe(1);
    expect(n.drv.pool(1)!.provider).toBe(ifq.ops);
    expect(n.nd.dev!.counters().maps - maps).toBe(3 * 64); // page pools only: q0 payload + both header pools, 64 each
    const netlink = controlPlane(n.ns);
    expect(netlink.queueGet({ ifindex: n.nd.ifindex, id: 1, type: 'rx' }).ioUring).toEqual({});
    expect(netlink.pagePoolGet({ id: n.drv.pool(1)!.id }).ioUring).toEqual({});
    expect(netlink.queueGet({ ifindex: n.nd.ifindex, id: 0, type: 'rx' }).ioUring).toBeUndefined();
    // Same queue again: EEXIST from mpOpenRxq, second ifq fully undone.
    const again = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096));
    const live = n.nd.dev!.liveMappings;
    expect(code(() => ring.registerZcrxIfq(again))).toBe('EEXIST');
    expect(n.nd.dev!.liveMappings).toBe(live);
    expect(ring.ifqs.size).toBe(1);
    ring.exit();
  });

  it('entries above 32768 are clamped with IORING_SETUP_CLAMP', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS | IORING_SETUP_CLAMP });
    const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096), 40000);
    reg.region.size = 64 + 16 * 32768;
    ring.registerZcrxIfq(reg);
    expect(reg.rqEntries).toBe(32768);
    ring.exit();
  });

  it('a dmabuf area is unreadable and mapped at import, per segment', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    const live = n.nd.dev!.liveMappings;
    const buf = new SharedArrayBuffer(32 * 4096);
    const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(4096));
    reg.area = {
      addr: 0,
      len: 16 * 4096,
      flags: IORING_ZCRX_AREA_DMABUF,
      dmabuf: Dmabuf.import(buf, [
        { offset: 0, length: 8 * 4096 },
        { offset: 16 * 4096, length: 8 * 4096 },
      ]),
    };
    const ifq = ring.registerZcrxIfq(reg);
    expect(ifq.area.isDmabuf).toBe(true);
    expect(ifq.area.mappings).toBe(2);
    expect(code(() => n.domain.bytes(ifq.area.niov(0)))).toBe('EFAULT');
    ring.exit();
    n.clock.advance(1000);
    expect(ifq.freed).toBe(true);
    expect(n.nd.dev!.liveMappings).toBe(live);
    expect(n.nd.dev!.faultCount).toBe(0);
  });
});

describe('io_uring_setup', () => {
  it('rejects bad setups with EINVAL and sizes the CQ', () => {
    const n = makeNet();
    expect(code(() => new IoUring(n.ns, { flags: 1 << 30 }))).toBe('EINVAL');
    expect(code(() => new IoUring(n.ns, { flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE32 }))).toBe('EINVAL');
    expect(code(() => new IoUring(n.ns, { flags: BASE_FLAGS | IORING_SETUP_CQE_MIXED }))).toBe('EINVAL');
    expect(code(() => new IoUring(n.ns, { entries: 0 }))).toBe('EINVAL');
    expect(code(() => new IoUring(n.ns, { entries: 40000 }))).toBe('EINVAL');
    expect(new IoUring(n.ns, { entries: 40000, flags: BASE_FLAGS | IORING_SETUP_CLAMP }).sqEntries).toBe(32768);
    expect(new IoUring(n.ns, { entries: 5 }).cq.entries).toBe(16);
  });
});
