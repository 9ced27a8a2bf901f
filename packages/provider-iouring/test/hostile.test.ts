/**
 * Hostile and careless input for provider-iouring: every public entry point
 * refuses bad arguments with a NetmemError carrying the kernel's errno,
 * before it changes anything; multi-step operations (registration, ring
 * exit with several ifqs) complete or leave state exactly as it was.
 */
import { describe, expect, it, vi } from 'vitest';
import { Dmabuf, MemoryDomain, allPools, isNetmemError, type TcpSocket } from '@netmem/core';
import { checkDomainInvariants, errnoOf } from '@netmem/core/testing';
import {
  CQE_ERR,
  CompletionQueue,
  CqConsumer,
  IORING_SETUP_CLAMP,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_ZCRX_AREA_DMABUF,
  IoUring,
  RecvZcRequest,
  RefillProducer,
  ZCRX_MAX_REGION,
  ZCRX_USER_BASE,
  ZcrxArea,
  ZcrxIfq,
  checkZcrxInvariants,
  registerZcrxIfq,
  zcrxAreaOf,
  zcrxIndexOf,
  zcrxWorkerLoop,
  ZW_CONTROL_BYTES,
  type ZcrxIfqReg,
} from '../src/index.js';
import { HDR, PAGES, assertZcrx, makeNet, makeWorld, packet, reap } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const code = errnoOf;
const BASE_FLAGS = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32;

function goodReg(ifIdx: number, mem: SharedArrayBuffer, entries = 64, rxq = 1): ZcrxIfqReg {
  return {
    ifIdx,
    ifRxq: rxq,
    rqEntries: entries,
    area: { addr: ZCRX_USER_BASE, len: 16 * 4096, memory: mem },
    region: { size: 64 + 16 * entries },
  };
}

type Net = ReturnType<typeof makeNet>;

/** What a refused registration must leave as it was. */
function netState(n: Net, ring: IoUring) {
  const dev = n.nd.dev!;
  return {
    ifqs: ring.ifqs.size,
    pools: allPools(n.domain).length,
    live: dev.liveMappings,
    faults: dev.faultCount,
    mp: n.nd.rxQueues.slice(0, n.nd.realNumRxQueues).map((q) => q.mp),
    invariants: checkDomainInvariants(n.domain),
  };
}

/** A good registration still gets the first net_iov descriptors (nothing leaked). */
function firstDescriptorsFree(n: Net): void {
  const ok = new IoUring(n.ns, { flags: BASE_FLAGS });
  const ifq = ok.registerZcrxIfq(goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096)));
  expect(ifq.area.nia.baseDesc).toBe(PAGES + 1);
  ok.exit();
  n.clock.advance(1000);
  expect(ifq.freed).toBe(true);
}

/** Registers `edit(reg)` and expects `want`, with nothing changed and the reg untouched. */
function refused(n: Net, ring: IoUring, edit: (r: ZcrxIfqReg) => void, want: string): void {
  const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096));
  edit(reg);
  const before = netState(n, ring);
  const entries = reg.rqEntries;
  const token = reg.area?.rqAreaToken;
  expect(
    code(() => ring.registerZcrxIfq(reg)),
    JSON.stringify(reg, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v instanceof SharedArrayBuffer ? 'SAB' : v)),
  ).toBe(want);
  expect(netState(n, ring)).toEqual(before);
  expect(reg.rqEntries).toBe(entries);
  expect(reg.offsets).toBeUndefined();
  expect(reg.area?.rqAreaToken).toBe(token);
}

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

describe('D17: io_uring_setup options', () => {
  it('flags NaN or 2^32, entries and cqEntries that are not u32, admin not a boolean, unknown keys: EINVAL', () => {
    const n = makeNet();
    const bads: Any[] = [
      { flags: NaN },
      { flags: 2 ** 32 },
      { flags: 2 ** 32 + BASE_FLAGS },
      { flags: -1 },
      { flags: 1.5 },
      { flags: '0' },
      { entries: NaN },
      { entries: 1.5 },
      { entries: -1 },
      { entries: 2 ** 32 },
      { entries: '64' },
      { flags: BASE_FLAGS | IORING_SETUP_CQSIZE, cqEntries: 1.5 },
      { flags: BASE_FLAGS | IORING_SETUP_CQSIZE, cqEntries: NaN },
      { flags: BASE_FLAGS | IORING_SETUP_CQSIZE, cqEntries: 2 ** 32 },
      { cqEntries: -5 },
      { admin: 1 },
      { admin: 'yes' },
      { entry: 64 },
      null,
      5,
    ];
    for (const o of bads)
      expect(
        code(() => new IoUring(n.ns, o)),
        JSON.stringify(o),
      ).toBe('EINVAL');
    expect(code(() => new IoUring({} as Any))).toBe('EINVAL');
    expect(code(() => new IoUring(undefined as Any))).toBe('EINVAL');
    // Valid spellings still work.
    expect(new IoUring(n.ns, { flags: BASE_FLAGS | IORING_SETUP_CQSIZE, cqEntries: 100 }).cq.entries).toBe(128);
    expect(new IoUring(n.ns, { entries: 0xffffffff, flags: BASE_FLAGS | IORING_SETUP_CLAMP }).sqEntries).toBe(32768);
    expect(new IoUring(n.ns, undefined).sqEntries).toBe(64);
  });
});

describe('RECV_ZC options and requests', () => {
  it('ifq, len, flags, userData must be valid integers of their width, the socket a socket, no unknown keys', () => {
    const w = makeWorld();
    const bads: Any[] = [
      { len: 1.5 },
      { len: NaN },
      { len: -1 },
      { len: 2 ** 32 },
      { flags: 2.5 },
      { flags: NaN },
      { flags: 2 ** 16 + 2 },
      { userData: -1 },
      { userData: 1.5 },
      { userData: NaN },
      { userData: 2 ** 53 },
      { userData: '7' },
      { ifq: 0.5 },
      { ifq: -1 },
      { ifq: '0' },
      { ifqq: 0 },
      null,
    ];
    for (const o of bads)
      expect(
        code(() => w.ring.recvZc(w.sk, o)),
        JSON.stringify(o),
      ).toBe('EINVAL');
    expect(code(() => w.ring.recvZc({} as Any))).toBe('EBADF');
    expect(code(() => w.ring.recvZc(null as Any))).toBe('EBADF');
    expect(w.ring.pendingRequests).toBe(0);
    expect(w.cq.begin()).toBe(0);
    const req = w.ring.recvZc(w.sk, { userData: 2 ** 53 - 1, len: 0xffffffff });
    expect(req.userData).toBe(2 ** 53 - 1);
    w.ring.exit();
    expect(reap(w)).toEqual([{ userData: 2 ** 53 - 1, res: CQE_ERR.ECANCELED, flags: 0, off: 0 }]);
  });

  it('RecvZcRequest built by hand checks its arguments; finish takes an int32 result; a request on a freed ifq is cancelled, not served', () => {
    const w = makeWorld();
    const cq = w.ring.cq;
    const ok = (r: RecvZcRequest) => void r;
    expect(code(() => new RecvZcRequest({} as Any, w.ifq, w.sk, 0, 0, false, ok))).toBe('EINVAL');
    expect(code(() => new RecvZcRequest(cq, {} as Any, w.sk, 0, 0, false, ok))).toBe('EINVAL');
    expect(code(() => new RecvZcRequest(cq, w.ifq, {} as Any, 0, 0, false, ok))).toBe('EBADF');
    expect(code(() => new RecvZcRequest(cq, w.ifq, w.sk, -1, 0, false, ok))).toBe('EINVAL');
    expect(code(() => new RecvZcRequest(cq, w.ifq, w.sk, 0, 1.5, false, ok))).toBe('EINVAL');
    expect(code(() => new RecvZcRequest(cq, w.ifq, w.sk, 0, 0, 'no' as Any, ok))).toBe('EINVAL');
    expect(code(() => new RecvZcRequest(cq, w.ifq, w.sk, 0, 0, false, null as Any))).toBe('EINVAL');
    const req = w.ring.recvZc(w.sk, { userData: 4 });
    for (const bad of [NaN, 1.5, 2 ** 31, -(2 ** 31) - 1, '0'] as Any[]) expect(code(() => req.finish(bad))).toBe('EINVAL');
    expect(req.done).toBe(false);
    expect(w.cq.begin()).toBe(0);
    // An ifq freed under a hand-made request: the next issue cancels it instead of touching the freed area.
    const done: RecvZcRequest[] = [];
    const hand = new RecvZcRequest(cq, w.ifq, w.sk, 9, 0, false, (r) => done.push(r));
    w.ring.exit();
    expect(w.ifq.freed).toBe(true);
    expect(w.drv.receive(1, packet(4096), HDR, w.sk)).toBe(true);
    expect(hand.issue()).toBe('complete');
    expect(hand.result).toBe(CQE_ERR.ECANCELED);
    expect(done).toEqual([hand]);
    expect(hand.issue()).toBe('complete');
    expect(hand.finish(0)).toBe('complete');
    expect(reap(w).map((c) => [c.userData, c.res])).toEqual([
      [4, CQE_ERR.ECANCELED],
      [9, CQE_ERR.ECANCELED],
    ]);
    w.sk.close();
    expect(checkDomainInvariants(w.domain)).toEqual([]);
  });
});

describe('ring exit', () => {
  it('twice is idempotent; the ring refuses new work with EBADF', () => {
    const w = makeWorld();
    w.ring.exit();
    const scrubbed = w.ifq.stats.scrubbed;
    w.ring.exit();
    expect(w.ring.isExited).toBe(true);
    expect(w.ifq.stats.scrubbed).toBe(scrubbed);
    expect(code(() => w.ring.recvZc(w.sk))).toBe('EBADF');
    expect(code(() => w.ring.registerZcrxIfq(goodReg(w.nd.ifindex, new SharedArrayBuffer(16 * 4096))))).toBe('EBADF');
    expect(checkDomainInvariants(w.domain)).toEqual([]);
  });

  it('with several ifqs, a queue that fails to restart does not stop the others from being scrubbed, closed and freed', () => {
    const n = makeNet();
    const ring = new IoUring(n.ns, { flags: BASE_FLAGS });
    const ifqs = [0, 1].map((q) => ring.registerZcrxIfq(goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096), 64, q)));
    const sk = n.ns.socket({ coalesce: false });
    const reqs = ifqs.map((ifq) => ring.recvZc(sk, { ifq: ifq.id, userData: 10 + ifq.id }));
    for (let q = 0; q < 2; q++) {
      expect(n.drv.receive(q, packet(4096), HDR, sk)).toBe(true);
      while (reqs[q].issue() === 'requeue');
    }
    expect(ifqs.map((q) => q.stats.zcFrags)).toEqual([1, 1]);
    const warns: string[] = [];
    n.domain.on('warn', (x) => warns.push(x.kind));
    n.drv.failNextQueueStart = true;
    ring.exit();
    expect(ring.isExited).toBe(true);
    expect(ring.pendingRequests).toBe(0);
    expect(ifqs.map((q) => q.stats.scrubbed)).toEqual([1, 1]);
    expect(ifqs.map((q) => q.ifRxq)).toEqual([-1, -1]);
    expect(n.nd.rxQueues.slice(0, 2).map((q) => q.mp)).toEqual([null, null]);
    expect(warns).toEqual(['zcrx-exit']);
    // Queue 1 restarted on pages and its ifq is free; queue 0 kept its zcrx pool until its next restart.
    expect(ifqs[1].freed).toBe(true);
    expect(ifqs[0].freed).toBe(false);
    n.nd.close();
    n.nd.open();
    sk.close();
    n.clock.advance(1000);
    expect(ifqs[0].freed).toBe(true);
    expect(n.nd.dev!.faultCount).toBe(0);
    for (const ifq of ifqs) expect(checkZcrxInvariants(ifq)).toEqual([]);
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

describe('D18: checkZcrxInvariants on a freed ifq', () => {
  it('reports nothing once another area reuses its descriptors', () => {
    const w = makeWorld();
    const base = w.ifq.area.nia.baseDesc;
    w.ring.exit();
    expect(w.ifq.freed).toBe(true);
    expect(checkZcrxInvariants(w.ifq)).toEqual([]);
    const ring2 = new IoUring(w.ns, { flags: BASE_FLAGS });
    const ifq2 = ring2.registerZcrxIfq(goodReg(w.nd.ifindex, new SharedArrayBuffer(16 * 4096)));
    expect(ifq2.area.nia.baseDesc).toBe(base);
    expect(checkZcrxInvariants(w.ifq)).toEqual([]);
    expect(checkZcrxInvariants(ifq2)).toEqual([]);
    ring2.exit();
  });

  it('still reports a freed ifq whose area really is still registered', () => {
    const w = makeWorld();
    const free = vi.spyOn(w.ifq.area, 'free').mockImplementation(() => {});
    w.ring.exit();
    expect(w.ifq.freed).toBe(true);
    expect(checkZcrxInvariants(w.ifq)).toEqual(['freed ifq still has its area registered']);
    free.mockRestore();
    w.ifq.area.free();
    expect(checkZcrxInvariants(w.ifq)).toEqual([]);
  });

  it('refuses what is not an ifq with EINVAL', () => {
    expect(code(() => checkZcrxInvariants({} as Any))).toBe('EINVAL');
    expect(code(() => checkZcrxInvariants(null as Any))).toBe('EINVAL');
  });
});

describe('completion queue and the user side', () => {
  it('CompletionQueue entries must be a power of two 1..65536; post and complete take integers of their width', () => {
    for (const bad of [0, 3, -4, 1.5, NaN, 2 ** 17, '8'] as Any[]) expect(code(() => new CompletionQueue(bad))).toBe('EINVAL');
    const cq = new CompletionQueue(4);
    const c = new CqConsumer(cq.buffer);
    for (const a of [
      [-1, 0, 0, 0, 0],
      [1.5, 0, 0, 0, 0],
      [0, 2 ** 31, 0, 0, 0],
      [0, 0.5, 0, 0, 0],
      [0, 0, -1, 0, 0],
      [0, 0, 0, 2 ** 32, 0],
      [0, 0, 0, 0, NaN],
    ] as Any[][]) {
      expect(code(() => cq.post(a[0], a[1], a[2], a[3], a[4]))).toBe('EINVAL');
      expect(code(() => cq.complete(a[0], a[1], a[2]))).toBe(a[3] === 0 && a[4] === 0 ? 'EINVAL' : 'no error');
    }
    cq.commit();
    // Only the two completes of the rows whose bad value was in an off field (which complete does not take) went in.
    expect(c.begin()).toBe(2);
    expect(code(() => c.end(3))).toBe('EINVAL');
    expect(code(() => c.end(-1))).toBe('EINVAL');
    expect(code(() => c.end(1.5))).toBe('EINVAL');
    c.end(2);
    expect(c.begin()).toBe(0);
  });

  it('CqConsumer and RefillProducer refuse buffers and layouts that do not fit; push takes u32 halves', () => {
    for (const bad of [null, new ArrayBuffer(1024), new SharedArrayBuffer(16), new SharedArrayBuffer(64)] as Any[])
      expect(code(() => new CqConsumer(bad))).toBe('EINVAL');
    const lie = new SharedArrayBuffer(64 + 4 * 32);
    new Int32Array(lie).set([0, 0, 7, 8], 0); // mask 7, entries 8: more than the buffer holds
    expect(code(() => new CqConsumer(lie))).toBe('EINVAL');
    const rqb = new SharedArrayBuffer(64 + 16 * 8);
    const off = { head: 0, tail: 4, rqes: 64 };
    const badArgs: Any[][] = [
      [null, off, 8],
      [new ArrayBuffer(64 + 128), off, 8],
      [rqb, null, 8],
      [rqb, { head: 0, tail: 4 }, 8],
      [rqb, { head: 0, tail: 4, rqes: 64, x: 1 }, 8],
      [rqb, { head: 1, tail: 4, rqes: 64 }, 8],
      [rqb, { head: 0, tail: 4, rqes: 70 }, 8],
      [rqb, { head: 0, tail: 4, rqes: 64 }, 16],
      [rqb, off, 6],
      [rqb, off, 0],
      [rqb, off, 1.5],
      [rqb, { head: 0, tail: 4096, rqes: 64 }, 8],
    ];
    for (const a of badArgs) expect(code(() => new RefillProducer(a[0], a[1], a[2]))).toBe('EINVAL');
    const rp = new RefillProducer(rqb, off, 8);
    for (const a of [
      [-1, 0],
      [0, 2 ** 32],
      [1.5, 0],
      [0, 0, NaN],
      [0, 0, 4096, -1],
      ['0', 0],
    ] as Any[][]) {
      expect(code(() => rp.push(a[0], a[1], a[2], a[3]))).toBe('EINVAL');
    }
    for (const bad of [-1, 1.5, NaN, 2 ** 53, '0'] as Any[]) expect(code(() => rp.pushOff(bad))).toBe('EINVAL');
    expect(rp.space()).toBe(8);
    expect(rp.pending).toBe(0);
    expect(rp.push(4096, 0)).toBe(true);
    expect(code(() => zcrxIndexOf(-1, 0))).toBe('EINVAL');
    expect(code(() => zcrxIndexOf(0, 1.5))).toBe('EINVAL');
    expect(code(() => zcrxAreaOf(NaN))).toBe('EINVAL');
    expect(zcrxIndexOf(4096, 0)).toBe(1);
    // The user side's errors are NetmemErrors too, though it loads nothing from core.
    try {
      rp.push(-1, 0);
    } catch (e) {
      expect(isNetmemError(e, 'EINVAL')).toBe(true);
      expect((e as Error).message).toMatch(/^provider-iouring: .*got -1 \(EINVAL\)$/);
    }
  });

  it('zcrxWorkerLoop refuses bad worker data before it runs', () => {
    const w = makeWorld();
    const good = {
      cq: w.ring.cq.buffer,
      rq: w.ifq.rqBuffer,
      offsets: { ...w.ifq.offsets },
      rqEntries: w.ifq.rqEntries,
      area: w.mem,
      areaOffset: 0,
      control: new SharedArrayBuffer(ZW_CONTROL_BYTES),
      holdBack: 0,
      checkPattern: false,
    };
    const bads: Any[] = [
      null,
      { ...good, holdBack: 1e10 },
      { ...good, holdBack: -1 },
      { ...good, holdBack: 65 },
      { ...good, checkPattern: 1 },
      { ...good, control: new SharedArrayBuffer(8) },
      { ...good, area: new ArrayBuffer(8) },
      { ...good, areaOffset: -4096 },
      { ...good, areaOffset: 1.5 },
      { ...good, rqEntries: 3 },
      { ...good, cq: new SharedArrayBuffer(8) },
      { ...good, extra: 1 },
    ];
    for (const d of bads) expect(code(() => zcrxWorkerLoop(d))).toBe('EINVAL');
    expect(new Int32Array(good.control).every((x) => x === 0)).toBe(true);
  });
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
