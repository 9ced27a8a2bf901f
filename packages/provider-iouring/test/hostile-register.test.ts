/**
 * Hostile input to zcrx registration: the ifq, area and region fields, failures part-way, areas and ifqs built by hand.
 *
 * Hostile and careless input for provider-iouring: every public entry point
 * refuses bad arguments with a NetmemError carrying the kernel's errno,
 * before it changes anything; multi-step operations (registration, ring
 * exit with several ifqs) complete or leave state exactly as it was.
 */
import { describe, expect, it } from 'vitest';
import { Dmabuf, MemoryDomain, allPools, type TcpSocket } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import {
  IORING_SETUP_CLAMP,
  IORING_SETUP_CQE32,
  IORING_ZCRX_AREA_DMABUF,
  IoUring,
  ZCRX_MAX_REGION,
  ZcrxArea,
  ZcrxIfq,
  registerZcrxIfq,
  type ZcrxIfqReg,
} from '../src/index.js';
import { PAGES, assertZcrx, makeNet } from './helpers.js';
import { BASE_FLAGS, code, firstDescriptorsFree, goodReg, netState, refused, type Any, type Net } from './hostile-helpers.js';

describe('D17: registration fields must be valid unsigned integers of their width', () => {
  it('rqEntries 2^32, -0.5, 1.5, NaN, "64" are EINVAL, not one entry', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    for (const v of [2 ** 32, -0.5, 1.5, NaN, '64', -1, Infinity, null] as Any[]) refused(n, ring, (r) => (r.rqEntries = v), 'EINVAL');
    // With CLAMP too: 2^32 is not a u32 to clamp.
    const clamp = new IoUring(n.ns, { flags: BASE_FLAGS | IORING_SETUP_CLAMP });
    refused(n, clamp, (r) => ((r.rqEntries = 2 ** 32), (r.region.size = 1 << 20)), 'EINVAL');
    firstDescriptorsFree(n);
  });

  it('userBase NaN (and other bad user addresses) is EINVAL, not an area at offset NaN', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    for (const v of [NaN, -4096, 1.5, 4095, '65536', 2 ** 64, null] as Any[]) refused(n, ring, (r) => (r.area.userBase = v), 'EINVAL');
    firstDescriptorsFree(n);
  });

  it('every numeric field of the ifq, area and region structs: wrong type or width is EINVAL', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    const bad = [NaN, 1.5, -2, '1', 2 ** 64, Infinity] as Any[];
    for (const v of bad) {
      refused(n, ring, (r) => (r.ifIdx = v), 'EINVAL');
      refused(n, ring, (r) => (r.ifRxq = v), 'EINVAL');
      refused(n, ring, (r) => (r.flags = v), 'EINVAL');
      refused(n, ring, (r) => (r.zcrxId = v), 'EINVAL');
      refused(n, ring, (r) => (r.resv2 = v), 'EINVAL');
      refused(n, ring, (r) => (r.area.addr = v), 'EINVAL');
      refused(n, ring, (r) => (r.area.len = v), 'EINVAL');
      refused(n, ring, (r) => (r.area.flags = v), 'EINVAL');
      refused(n, ring, (r) => (r.area.dmabufFd = v), 'EINVAL');
      refused(n, ring, (r) => (r.area.rqAreaToken = v), 'EINVAL');
      refused(n, ring, (r) => (r.region.size = v), 'EINVAL');
    }
    for (const v of [[NaN], [1.5], ['0'], 'abc', 5, { length: 1, 0: 1 }] as Any[]) {
      refused(n, ring, (r) => (r.resv = v), 'EINVAL');
      refused(n, ring, (r) => (r.area.resv2 = v), 'EINVAL');
    }
    refused(n, ring, (r) => (r.resv = [0, 0, 0, 0]), 'EINVAL');
    refused(n, ring, (r) => (r.area.resv2 = [0, 0, 0]), 'EINVAL');
    // A valid u64 region size the kernel would have to allocate: 4 GiB is past the locked-memory limit.
    refused(n, ring, (r) => (r.region.size = 2 ** 32), 'ENOMEM');
    refused(n, ring, (r) => (r.region.size = ZCRX_MAX_REGION + 1), 'ENOMEM');
    refused(n, ring, (r) => (r.region.size = 2 ** 44), 'E2BIG');
    // Unknown keys (a typo) are refused.
    refused(n, ring, (r) => ((r as Any).rqEntrys = 64), 'EINVAL');
    refused(n, ring, (r) => ((r.area as Any).adr = 1), 'EINVAL');
    refused(n, ring, (r) => ((r.region as Any).sise = 1), 'EINVAL');
    // The structs themselves are user memory: not an object is EFAULT.
    refused(n, ring, (r) => ((r as Any).area = null), 'EFAULT');
    refused(n, ring, (r) => ((r as Any).area = 5), 'EFAULT');
    refused(n, ring, (r) => ((r as Any).region = undefined), 'EFAULT');
    refused(n, ring, (r) => ((r as Any).region = 'x'), 'EFAULT');
    refused(n, ring, (r) => (r.area.memory = new ArrayBuffer(16 * 4096) as Any), 'EFAULT');
    refused(n, ring, (r) => (r.region.memory = new ArrayBuffer(4096) as Any), 'EFAULT');
    refused(n, ring, (r) => ((r.area.flags = IORING_ZCRX_AREA_DMABUF), (r.area.addr = 0), (r.area.dmabuf = {} as Any)), 'EINVAL');
    refused(n, ring, (r) => (r.area.dmabuf = {} as Any), 'EINVAL');
    expect(code(() => ring.registerZcrxIfq(null as Any))).toBe('EFAULT');
    expect(code(() => ring.registerZcrxIfq(7 as Any))).toBe('EFAULT');
    expect(ring.ifqs.size).toBe(0);
    firstDescriptorsFree(n);
  });

  it('the kernel order still holds for valid-typed input; EPERM and the ring checks come before the struct is read', () => {
    const n = makeNet();
    expect(code(() => new IoUring(n.ns, { flags: BASE_FLAGS, admin: false }).registerZcrxIfq(null as Any))).toBe('EPERM');
    expect(code(() => new IoUring(n.ns, { flags: IORING_SETUP_CQE32 }).registerZcrxIfq({ rqEntries: NaN } as Any))).toBe('EINVAL');
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    // A valid u32 rqEntries above the limit without CLAMP is still EINVAL; with it, clamped.
    refused(n, ring, (r) => ((r.rqEntries = 0xffffffff), (r.region.size = 1 << 20)), 'EINVAL');
    const clamp = new IoUring(n.ns, { flags: BASE_FLAGS | IORING_SETUP_CLAMP });
    const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096), 0xffffffff);
    reg.region.size = 64 + 16 * 32768;
    clamp.registerZcrxIfq(reg);
    expect(reg.rqEntries).toBe(32768);
    clamp.exit();
    // ifRxq 0xffffffff is the u32 spelling of -1.
    refused(n, ring, (r) => (r.ifRxq = 0xffffffff), 'EINVAL');
  });

  it('registerZcrxIfq (the function) checks its ring context and id', () => {
    const n = makeNet();
    const mem = new SharedArrayBuffer(16 * 4096);
    const ctx = { flags: BASE_FLAGS, admin: true, ns: n.ns };
    const reg = () => goodReg(n.nd.ifindex, mem);
    expect(code(() => registerZcrxIfq(null as Any, reg(), 0))).toBe('EINVAL');
    expect(code(() => registerZcrxIfq({ ...ctx, ns: {} } as Any, reg(), 0))).toBe('EINVAL');
    expect(code(() => registerZcrxIfq({ ...ctx, flags: NaN }, reg(), 0))).toBe('EINVAL');
    expect(code(() => registerZcrxIfq({ ...ctx, admin: 1 } as Any, reg(), 0))).toBe('EINVAL');
    for (const id of [-1, 1.5, NaN, '0', 2 ** 32] as Any[]) expect(code(() => registerZcrxIfq(ctx, reg(), id))).toBe('EINVAL');
    expect(n.nd.rxQueues[1].mp).toBeNull();
    const ifq = registerZcrxIfq(ctx, reg(), 3);
    expect(ifq.id).toBe(3);
    ifq.release();
    expect(checkDomainInvariants(n.domain)).toEqual([]);
  });
});

describe('registration that fails part-way leaves nothing behind', () => {
  const cases: { name: string; code: string; net?: Parameters<typeof makeNet>[0]; setup(n: Net, reg: ZcrxIfqReg): void }[] = [
    {
      name: 'the descriptor space runs out',
      code: 'ENOMEM',
      setup: (_n, r) => {
        r.area.memory = new SharedArrayBuffer(9000 * 4096);
        r.area.len = 8200 * 4096;
      },
    },
    {
      name: 'a dmabuf segment fails to map',
      code: 'ENOMEM',
      setup: (n, r) => {
        r.area = {
          addr: 0,
          len: 16 * 4096,
          flags: IORING_ZCRX_AREA_DMABUF,
          dmabuf: new Dmabuf({ pages: 16, segmentPages: 4 }),
        };
        n.nd.dev!.failMapEvery = 3;
      },
    },
    {
      name: 'the device goes away between two dmabuf segment mappings',
      code: 'ENODEV',
      setup: (n, r) => {
        r.area = { addr: 0, len: 16 * 4096, flags: IORING_ZCRX_AREA_DMABUF, dmabuf: new Dmabuf({ pages: 16, segmentPages: 4 }) };
        const dev = n.nd.dev!;
        dev.strict = true;
        const map = dev.map.bind(dev);
        let k = 0;
        dev.map = (...a: Parameters<typeof dev.map>) => {
          const iova = map(...a);
          if (++k === 2) dev.remove();
          return iova;
        };
      },
    },
    {
      name: 'the area fails to map at the first pool init',
      code: 'ENOMEM',
      setup: (n) => {
        n.nd.dev!.failMapEvery = 1;
      },
    },
    {
      name: 'the rx queue fails to start',
      code: 'EIO',
      setup: (n) => {
        n.drv.failNextQueueStart = true;
      },
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, () => {
      const n = makeNet(c.net);
      const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
      const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096));
      const before = netState(n, ring);
      const dev = n.nd.dev!;
      const live = dev.liveMappings;
      c.setup(n, reg);
      const token = reg.area.rqAreaToken;
      expect(code(() => ring.registerZcrxIfq(reg))).toBe(c.code);
      dev.failMapEvery = 0;
      expect(ring.ifqs.size).toBe(0);
      expect(reg.offsets).toBeUndefined();
      expect(reg.rqEntries).toBe(64);
      expect(reg.area.rqAreaToken).toBe(token);
      expect(dev.faultCount).toBe(0);
      expect(allPools(n.domain).length).toBe(before.pools);
      expect(n.nd.rxQueues[1].mp).toBeNull();
      expect(checkDomainInvariants(n.domain)).toEqual([]);
      if (!dev.removed) {
        expect(dev.liveMappings).toBe(live);
        firstDescriptorsFree(n);
      }
    });
  }
});

describe('areas and ifqs built by hand', () => {
  it('ZcrxArea and ZcrxIfq.create check the domain, device, memory and sizes before taking descriptors or mappings', () => {
    const n = makeNet();
    const dev = n.nd.dev!;
    const sab = new SharedArrayBuffer(8 * 4096);
    const mem = { buffer: sab, offset: 0, len: 8 * 4096 };
    const other = new MemoryDomain({ pages: 16, netIovs: 16, onWarn: false });
    const gone = n.domain.createDevice('gone');
    gone.remove();
    const live = dev.liveMappings;
    expect(code(() => new ZcrxArea({} as Any, dev, mem))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, {} as Any, mem))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, other.createDevice('x'), mem))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, gone, mem))).toBe('ENODEV');
    expect(code(() => new ZcrxArea(n.domain, dev, null as Any))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, dev, { ...mem, buffer: new ArrayBuffer(8 * 4096) } as Any))).toBe('EFAULT');
    expect(code(() => new ZcrxArea(n.domain, dev, { ...mem, offset: NaN }))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, dev, { ...mem, offset: 4096 }))).toBe('EFAULT');
    expect(code(() => new ZcrxArea(n.domain, dev, { ...mem, len: 100 }))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, dev, { ...mem, len: 0 }))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, dev, { dmabuf: {} as Any, len: 4096 }))).toBe('EINVAL');
    expect(code(() => new ZcrxArea(n.domain, dev, { dmabuf: new Dmabuf({ pages: 2 }), len: 4096 }))).toBe('EINVAL');
    const p = { domain: n.domain, dev, area: mem, rqEntries: 8 };
    expect(code(() => ZcrxIfq.create(null as Any))).toBe('EINVAL');
    expect(code(() => ZcrxIfq.create({ ...p, rqEntries: 6 }))).toBe('EINVAL');
    expect(code(() => ZcrxIfq.create({ ...p, rqEntries: NaN }))).toBe('EINVAL');
    expect(code(() => ZcrxIfq.create({ ...p, rqEntries: 65536 }))).toBe('EINVAL');
    expect(code(() => ZcrxIfq.create({ ...p, id: -1 }))).toBe('EINVAL');
    expect(code(() => ZcrxIfq.create({ ...p, rqBuffer: new SharedArrayBuffer(8) }))).toBe('EINVAL');
    expect(code(() => ZcrxIfq.create({ ...p, rqBuffer: new ArrayBuffer(4096) as Any }))).toBe('EFAULT');
    expect(code(() => ZcrxIfq.create({ ...p, extra: 1 } as Any))).toBe('EINVAL');
    expect(dev.liveMappings).toBe(live);
    expect(gone.faultCount).toBe(0);
    // Nothing taken: a good ifq gets the first descriptors.
    const ifq = ZcrxIfq.create(p);
    expect(ifq.area.nia.baseDesc).toBe(PAGES + 1);
    const a = ifq.area;
    for (const bad of [-1, 8, 1.5, NaN, '0'] as Any[]) {
      expect(code(() => a.niov(bad))).toBe('EINVAL');
      expect(code(() => a.pushFree(bad))).toBe('EINVAL');
    }
    for (const bad of [0, 1.5, NaN, -1, '1'] as Any[]) expect(a.indexOf(bad)).toBe(-1);
    expect(code(() => ifq.returnNiov(a.niov(0), 1))).toBe('EINVAL');
    expect(code(() => ifq.returnNiov(1.5, 0))).toBe('EINVAL');
    expect(a.freeCount).toBe(8);
    assertZcrx(ifq);
    ifq.release();
    expect(ifq.freed).toBe(true);
    ifq.release();
    expect(checkDomainInvariants(n.domain)).toEqual([]);
  });
});

void (null as unknown as TcpSocket);
