/**
 * Hostile input to the ring and the user side: io_uring_setup options, RECV_ZC, ring exit, checkZcrxInvariants, the completion queue and refill ring.
 *
 * Hostile and careless input for provider-iouring: every public entry point
 * refuses bad arguments with a NetmemError carrying the kernel's errno,
 * before it changes anything; multi-step operations (registration, ring
 * exit with several ifqs) complete or leave state exactly as it was.
 */
import { describe, expect, it, vi } from 'vitest';
import { isNetmemError } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import {
  CQE_ERR,
  CompletionQueue,
  CqConsumer,
  IORING_SETUP_CLAMP,
  IORING_SETUP_CQSIZE,
  IoUring,
  RecvZcRequest,
  RefillProducer,
  checkZcrxInvariants,
  zcrxAreaOf,
  zcrxIndexOf,
  zcrxWorkerLoop,
  ZW_CONTROL_BYTES,
} from '../src/index.js';
import { HDR, makeNet, makeWorld, packet, reap } from './helpers.js';
import { BASE_FLAGS, code, goodReg, type Any } from './hostile-helpers.js';

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
