/** io_uring zcrx commands: ring and ifq setup, RECV_ZC and CQE reaping, the refill ring (good and bad entries), ring exit. */
import { Dmabuf } from '@netmem/core';
import {
  IORING_CQE_F_MORE,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_CQE32,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_ZCRX_AREA_DMABUF,
  IoUring,
  ZCRX_USER_BASE,
  type ZcrxIfqReg,
} from '@netmem/provider-iouring';
import { FuzzFailure, hex, type RingSlot, type World } from '../world.js';
import { X, cov, good, numVariants, pick, runBad, skipped, type BadOpts } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- io_uring zcrx ---------------------------------------------------------------

export function zcSetup(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  if (!slot) return;
  const { nd } = slot;
  const q = c.b % nd.realNumRxQueues;
  const entries = [4, 8, 32][c.c % 3];
  const areaPages = [4, 8, 16, 32][(c.c >> 2) % 4];
  const dmabufArea = (c.c >> 4) % 4 === 0;
  const mixed = (c.b >> 4) % 4 === 0;
  const ringOpts = {
    entries: [4, 8][(c.b >> 6) & 1],
    ...(mixed ? { flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE_MIXED } : {}),
  };
  const makeReg = (): ZcrxIfqReg => {
    const len = areaPages * 4096;
    return {
      ifIdx: nd.ifindex,
      ifRxq: q,
      rqEntries: entries,
      area: dmabufArea
        ? { addr: 0, len, flags: IORING_ZCRX_AREA_DMABUF, dmabuf: new Dmabuf({ pages: areaPages, segmentPages: Math.max(1, areaPages >> 1) }) }
        : { addr: ZCRX_USER_BASE, len, memory: new SharedArrayBuffer(len) },
      region: { size: 64 + 16 * entries },
    };
  };
  if (c.bad < 0) {
    if (w.rings.filter((r) => !r.exited).length >= 2 || w.rings.length >= 5) return;
    const ring = new IoUring(w.ns, ringOpts);
    const reg = makeReg();
    const r = good(
      w,
      `new IoUring(ns, ${JSON.stringify(ringOpts)}).registerZcrxIfq({ifIdx: ${nd.ifindex} (${nd.name}), ifRxq: ${q}, rqEntries: ${entries}, area: ${dmabufArea ? 'dmabuf' : 'user memory'} of ${areaPages} pages})`,
      () => ring.registerZcrxIfq(reg),
    );
    if (!r.ok) {
      ring.exit();
      return;
    }
    const slotR = w.addRing(ring, r.value, reg);
    w.log(`  -> ring#${slotR.n}`);
    return;
  }
  const ring = () => new IoUring(w.ns, ringOpts);
  const regWith = (over: (r: ZcrxIfqReg) => void) => () => {
    const reg = makeReg();
    over(reg);
    const rr = ring();
    try {
      return rr.registerZcrxIfq(reg);
    } finally {
      rr.exit();
    }
  };
  // Semantic refusals (a queue index out of range, a busy queue) may build and tear down the area first: compare live state only.
  const loose: BadOpts = { loose: true };
  runBad(w, 'zcrx', c.bad, [
    ...numVariants('IoUring.entries', (x) => new IoUring(w.ns, { entries: X(x) }), ['undef', 'null']),
    ...numVariants('IoUring.flags', (x) => new IoUring(w.ns, { flags: X(x) }), ['undef', 'null', 'neg']),
    ...numVariants(
      'IoUring.cqEntries',
      (x) => new IoUring(w.ns, { flags: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE, cqEntries: X(x) }),
      ['undef'],
    ),
    ['IoUring.ns.obj', () => () => new IoUring(X({}))],
    ['IoUring.opts.str', () => () => new IoUring(w.ns, X('ring'))],
    ...numVariants('reg.ifRxq', (x) => regWith((r) => (r.ifRxq = X(x)))(), []),
    ['reg.ifRxq.past', () => regWith((r) => (r.ifRxq = nd.realNumRxQueues)), loose],
    ...numVariants('reg.rqEntries', (x) => regWith((r) => (r.rqEntries = X(x)))(), []),
    ...numVariants('reg.area.len', (x) => regWith((r) => (r.area.len = X(x)))(), []),
    ...numVariants('reg.area.addr', (x) => regWith((r) => (r.area.addr = X(x)))(), dmabufArea ? ['undef', 'null'] : []),
    ['reg.area.memory.small', () => (dmabufArea ? null : regWith((r) => (r.area.memory = new SharedArrayBuffer(4096))))],
    ['reg.area.memory.obj', () => (dmabufArea ? null : regWith((r) => (r.area.memory = X({ byteLength: 1 << 20 }))))],
    ['reg.area.dmabuf.obj', () => regWith((r) => Object.assign(r.area, { addr: 0, flags: IORING_ZCRX_AREA_DMABUF, dmabuf: X({ size: r.area.len }) }))],
    ['reg.area.obj', () => regWith((r) => (r.area = X({})))],
    ['reg.area.null', () => regWith((r) => (r.area = X(null)))],
    ...numVariants('reg.region.size', (x) => regWith((r) => (r.region.size = X(x)))(), []),
    ['reg.region.memory.obj', () => regWith((r) => (r.region.memory = X({})))],
    ['reg.region.null', () => regWith((r) => (r.region = X(null)))],
    ...numVariants('reg.ifIdx', (x) => regWith((r) => (r.ifIdx = X(x)))(), []),
    ...numVariants('reg.flags', (x) => regWith((r) => (r.flags = X(x)))(), ['undef', 'null']),
    ['reg.null', () => () => ring().registerZcrxIfq(X(null))],
    ['reg.queue-busy', () => (w.rings.some((r) => !r.exited && r.ifq.netdev === nd && r.ifq.ifRxq === q) ? regWith(() => {}) : null), loose],
  ]);
}

function reap(w: World, r: RingSlot): void {
  const n = r.cq.begin();
  const a = r.ifq.area;
  for (let i = 0; i < n; i++) {
    const res = r.cq.res(i);
    const flags = r.cq.flags(i);
    const off = r.cq.off(i);
    if (res > 0 && (flags & IORING_CQE_F_MORE) !== 0) {
      const area = Math.floor(off / 2 ** 48);
      const idx = Math.floor((off % 2 ** 48) / 4096);
      if (area !== a.areaId || idx >= a.count || (off % 4096) + res > 4096)
        throw new FuzzFailure(`ring#${r.n}: CQE res ${res} off ${hex(off)} is outside the area`);
      r.held.push(off);
      cov('zcrx data CQEs');
    }
  }
  r.cq.end(n);
  if (n) w.log(`  reaped ${n} CQEs; the user holds ${r.held.length} buffers`);
}

export function zcRecv(w: World, c: Cmd): void {
  // Mostly a live ring; now and then an exited one (refused with EBADF).
  const live = w.rings.filter((x) => !x.exited);
  const r = pick(live.length && c.a % 8 !== 0 ? live : w.rings, c.a >> 3);
  const s = pick(w.sockets, c.b);
  if (!r || !s) return;
  const { ring } = r;
  if (c.bad < 0) {
    let req = r.reqs.get(s.sk);
    if (!req || req.done) {
      const len = [0, 0, 0, 3000][c.c % 4];
      const res = good(w, `ring#${r.n}.recvZc(sk#${s.n}, {len: ${len}, userData: ${s.n}})`, () => ring.recvZc(s.sk, { len, userData: s.n }));
      if (!res.ok) return;
      req = res.value;
      r.reqs.set(s.sk, req);
    }
    const q = req;
    good(w, `ring#${r.n}: RECV_ZC issue (sk#${s.n})`, () => {
      for (let k = 0; k < 8; k++) if (q.issue() !== 'requeue') break;
    });
    if ((c.c >> 2) % 4 !== 0) reap(w, r);
    return;
  }
  const sk = s.sk;
  runBad(w, `ring#${r.n}.recvZc`, c.bad, [
    ...numVariants('recvZc.ifq', (x) => ring.recvZc(sk, { ifq: X(x) }), ['undef', 'null']),
    ['recvZc.ifq.99', () => () => ring.recvZc(sk, { ifq: 99 })],
    ...numVariants('recvZc.len', (x) => ring.recvZc(sk, { len: X(x) }), ['undef', 'null']),
    ...numVariants('recvZc.flags', (x) => ring.recvZc(sk, { flags: X(x) }), ['undef', 'null']),
    ['recvZc.flags.no-multishot', () => () => ring.recvZc(sk, { flags: 0 })],
    ...numVariants('recvZc.userData', (x) => ring.recvZc(sk, { userData: X(x) }), ['undef', 'null', '2^32']),
    ['recvZc.sk.obj', () => () => ring.recvZc(X({}))],
    ['recvZc.sk.null', () => () => ring.recvZc(X(null))],
    ['recvZc.sk.foreign-namespace', () => () => ring.recvZc(w.sk2)],
    ['recvZc.opts.str', () => () => ring.recvZc(sk, X('opts'))],
  ]);
}

export function zcRefill(w: World, c: Cmd): void {
  const r = pick(
    w.rings.filter((x) => !x.ifq.freed),
    c.a,
  );
  if (!r) return;
  const a = r.ifq.area;
  const k = Math.min(r.held.length, c.b % 9);
  const pushed: number[] = [];
  for (let j = 0; j < k; j++) {
    const off = r.held[0];
    if (!r.rq.pushOff(off)) break;
    r.held.shift();
    pushed.push(off);
  }
  // Entries the kernel must skip: pad ≠ 0 (the user keeps that buffer), another area, an index past the area.
  const bad = c.bad >= 0 ? c.bad : -1;
  const extra: string[] = [];
  if (bad >= 0 && !skipped('refill.entries')) {
    const kind = bad % 5;
    if (kind === 0 && r.held.length) {
      if (r.rq.push(r.held[0] % 2 ** 32, Math.floor(r.held[0] / 2 ** 32), 4096, 7)) extra.push(`pad 7 for ${hex(r.held[0])}`);
    } else if (kind === 1) {
      if (r.rq.pushOff(5 * 2 ** 48)) extra.push('area 5');
    } else if (kind === 2) {
      if (r.rq.pushOff(a.count * 4096)) extra.push(`index ${a.count}`);
    } else if (kind === 3) {
      // (Not a second entry for a buffer given back: a later CQE may hand the user a new reference to that very buffer, which such an entry would then rightly return.)
      if (r.rq.push(0, 0xfff, 4096, 0)) extra.push('index 0xfff00000 of area 0');
    } else if (kind === 4) {
      if (r.rq.pushOff(2 ** 52 - 4096)) extra.push('index 2^40 - 1 of area 15');
    }
  }
  r.rq.commit();
  w.log(`ring#${r.n}: refill ${pushed.map(hex).join(', ') || 'nothing'}${extra.length ? ` + bad entries (${extra.join('; ')})` : ''}, committed`);
}

export function zcExit(w: World, c: Cmd): void {
  const r = pick(
    w.rings.filter((x) => !x.exited),
    c.a,
  );
  if (!r) return;
  if (c.bad >= 0) {
    runBad(w, `ring#${r.n}`, c.bad, [
      ['registerZcrxIfq.after-exit', () => null],
      ['ifq.returnNiov.obj', () => () => r.ifq.returnNiov(X({}), X({}))],
    ]);
    return;
  }
  const res = good(w, `ring#${r.n}.exit()  // the user holds ${r.held.length} buffers`, () => r.ring.exit());
  if (!res.ok) throw new FuzzFailure(`ring exit was refused (${res.code})`);
  r.exited = true;
  r.held = [];
  for (const req of r.reqs.values()) if (!req.done) throw new FuzzFailure(`ring#${r.n}: a request is still armed after exit`);
  reap(w, r);
  r.held = [];
}
