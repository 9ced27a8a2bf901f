/** Devmem commands: netdev netlink sockets, bind-rx, devmem recvmsg and tokens, DONTNEED, unbind. */
import { Dmabuf, MSG_SOCK_DEVMEM } from '@netmem/core';
import { DevmemCmsgBuffer, NetdevNlSocket, devmemRecvmsg, devmemRecvmsgObjects, devmemTokens, dontneed, setsockoptDontneed } from '@netmem/provider-devmem';
import { FuzzFailure, type World } from '../world.js';
import { X, cov, good, numVariants, pick, runBad, skipped } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- devmem ---------------------------------------------------------------------

export function dmNl(w: World, c: Cmd): void {
  if (c.bad < 0) {
    if (w.nls.filter((n) => !n.isClosed).length >= 3) return;
    const r = good(w, 'new NetdevNlSocket(ns)', () => new NetdevNlSocket(w.ns));
    if (r.ok) w.nls.push(r.value);
    return;
  }
  runBad(w, 'NetdevNlSocket', c.bad, [
    ['new.ns.undef', () => () => new NetdevNlSocket(X(undefined))],
    ['new.ns.obj', () => () => new NetdevNlSocket(X({}))],
  ]);
}

function openNl(w: World, i: number): NetdevNlSocket {
  const open = w.nls.filter((n) => !n.isClosed);
  if (open.length) return open[i % open.length];
  const nl = new NetdevNlSocket(w.ns);
  w.log('new NetdevNlSocket(ns)');
  w.nls.push(nl);
  return nl;
}

function liveBindingPages(w: World): number {
  let n = 0;
  for (const b of w.bindings) if (!b.isFreed) n += b.size;
  return n;
}

export function dmBind(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  if (!slot) return;
  const { nd } = slot;
  const nl = openNl(w, c.a >> 3);
  const pages = [4, 8, 16, 32][c.c % 4];
  const seg = [pages, 4, 8][(c.c >> 2) % 3];
  const q0 = c.b % nd.realNumRxQueues;
  const q1 = (c.b >> 3) % nd.realNumRxQueues;
  const queues =
    (c.b >> 6) % 3 === 0
      ? [
          { id: q0, type: 'rx' as const },
          { id: q1, type: 'rx' as const },
        ]
      : [{ id: q0, type: 'rx' as const }];
  if (c.bad < 0) {
    if (liveBindingPages(w) + pages > 1024) return;
    const dmabuf = new Dmabuf({ pages, segmentPages: seg });
    const r = good(
      w,
      `nl.bindRx({ifindex: ${nd.ifindex} (${nd.name}), dmabuf: ${pages} pages in segments of ${seg}, queues: ${JSON.stringify(queues.map((q) => q.id))}})`,
      () => nl.bindRx({ ifindex: nd.ifindex, dmabuf, queues }),
    );
    if (!r.ok) return;
    const b = nl.binding(r.value);
    if (!b || b.id !== r.value || !(r.value >= 1)) throw new FuzzFailure(`bindRx returned ${r.value} but the socket lists ${b?.id}`);
    w.bindings.push(b);
    w.log(`  -> binding ${b.id}`);
    return;
  }
  const dmabuf = () => new Dmabuf({ pages: 4 });
  const req = (over: Record<string, unknown>) => () => nl.bindRx(X({ ifindex: nd.ifindex, dmabuf: dmabuf(), queues: [{ id: q0, type: 'rx' }], ...over }));
  const live = w.bindings.find((b) => !b.isUnbound && !b.isFreed && b.netdev === nd);
  runBad(w, 'nl.bindRx', c.bad, [
    ...numVariants('bindRx.ifindex', (x) => req({ ifindex: x })(), ['undef']),
    ['bindRx.dmabuf.obj', () => req({ dmabuf: {} })],
    ['bindRx.dmabuf.null', () => req({ dmabuf: null })],
    ...numVariants('bindRx.queue.id', (x) => req({ queues: [{ id: x, type: 'rx' }] })(), ['undef', 'null']),
    ['bindRx.queue.id.past', () => req({ queues: [{ id: nd.realNumRxQueues, type: 'rx' }] })],
    ['bindRx.queue.type.tx', () => req({ queues: [{ id: q0, type: 'tx' }] })],
    ['bindRx.queue.type.bogus', () => req({ queues: [{ id: q0, type: 'rxx' }] })],
    ['bindRx.queue.null', () => req({ queues: [null] })],
    ['bindRx.queues.empty', () => req({ queues: [] })],
    ['bindRx.queues.str', () => req({ queues: '0' })],
    ['bindRx.queues.obj', () => req({ queues: {} })],
    ['bindRx.queues.num', () => req({ queues: 1 })],
    ['bindRx.key.unknown', () => req({ netns: 1 })],
    ['bindRx.req.null', () => () => nl.bindRx(X(null))],
    ['bindRx.req.str', () => () => nl.bindRx(X('bind'))],
    ...numVariants('Dmabuf.pages', (x) => new Dmabuf({ pages: X(x) }), ['undef']),
    ['Dmabuf.segments.bad', () => () => new Dmabuf({ segments: X([1, 0.5]) })],
    ['Dmabuf.import.unaligned', () => () => Dmabuf.import(new SharedArrayBuffer(4096), [{ offset: 1, length: 4096 }])],
    ['bindQueue.idx.frac', () => (live ? () => live.bindQueue(nd, 1.5) : null)],
    ['bindQueue.idx.past', () => (live ? () => live.bindQueue(nd, nd.realNumRxQueues) : null)],
    ['bindQueue.netdev.obj', () => (live ? () => live.bindQueue(X({}), 0) : null)],
    ['freeNetIov.foreign', () => (live ? () => live.freeNetIov(w.foreign[0] ?? 2) : null)],
  ]);
}

export function dmRecv(w: World, c: Cmd): void {
  const s = pick(w.openSockets(), c.a);
  if (!s) return;
  const { sk } = s;
  const len = [64, 1500, 4096, 20000, 200000][c.b % 5];
  const buf = new Uint8Array(len);
  if (c.bad < 0) {
    const cap = [1, 2, 8, 64][c.c % 4];
    const objects = (c.c >> 2) % 3 === 0;
    const before = new Set(s.tokens);
    let tokens: number[] = [];
    let bytes = 0;
    if (objects) {
      const r = good(w, `devmemRecvmsgObjects(sk#${s.n}, Uint8Array(${len}), MSG_SOCK_DEVMEM, ${cap})`, () =>
        devmemRecvmsgObjects(sk, buf, MSG_SOCK_DEVMEM, cap),
      );
      if (!r.ok) return;
      bytes = r.value.bytes;
      tokens = r.value.cmsgs.filter((m) => m.type === 'dmabuf').map((m) => m.token);
    } else {
      const cmsgs = new DevmemCmsgBuffer(cap);
      const lim = (c.c >> 4) % 3 === 0 ? Math.max(1, len >> 1) : undefined;
      const r = good(w, `devmemRecvmsg(sk#${s.n}, Uint8Array(${len}), {cmsgs: ${cap}${lim !== undefined ? `, len: ${lim}` : ''}})`, () =>
        devmemRecvmsg(sk, buf, lim !== undefined ? { cmsgs, len: lim } : { cmsgs }),
      );
      if (!r.ok) return;
      bytes = r.value;
      for (let i = 0; i < cmsgs.count; i++) if (cmsgs.token[i] !== 0) tokens.push(cmsgs.token[i]);
    }
    if (bytes < 0 || bytes > len) throw new FuzzFailure(`devmem recvmsg returned ${bytes} for ${len} bytes`);
    for (const t of tokens) {
      if (!(t >= 1) || before.has(t) || s.tokens.includes(t))
        throw new FuzzFailure(`devmem recvmsg issued token ${t}, which the user already holds (or is not ≥ 1)`);
      s.tokens.push(t);
    }
    cov('devmem tokens issued', tokens.length);
    if (tokens.length) w.log(`  -> ${bytes} bytes, tokens ${tokens.join(',')}`);
    return;
  }
  const cmsgs = new DevmemCmsgBuffer(8);
  runBad(w, `sk#${s.n}`, c.bad, [
    ...numVariants('devmemRecvmsg.len', (x) => devmemRecvmsg(sk, buf, { cmsgs, len: X(x) }), ['undef', 'null']),
    ['devmemRecvmsg.len.past-buf', () => () => devmemRecvmsg(sk, buf, { cmsgs, len: len + 1 })],
    ...numVariants('devmemRecvmsg.flags', (x) => devmemRecvmsg(sk, buf, { cmsgs, flags: X(x) }), ['undef', 'null']),
    ['devmemRecvmsg.cmsgs.missing', () => () => devmemRecvmsg(sk, buf, X({}))],
    ['devmemRecvmsg.cmsgs.obj', () => () => devmemRecvmsg(sk, buf, X({ cmsgs: {} }))],
    ['devmemRecvmsg.opts.null', () => () => devmemRecvmsg(sk, buf, X(null))],
    ['devmemRecvmsg.buf.obj', () => () => devmemRecvmsg(sk, X({}), { cmsgs })],
    ['devmemRecvmsg.sk.obj', () => () => devmemRecvmsg(X({}), buf, { cmsgs })],
    ...numVariants('DevmemCmsgBuffer.capacity', (x) => new DevmemCmsgBuffer(X(x)), ['undef']),
    ['DevmemCmsgBuffer.capacity.0', () => () => new DevmemCmsgBuffer(0)],
    ...numVariants('devmemRecvmsgObjects.maxCmsgs', (x) => devmemRecvmsgObjects(sk, buf, MSG_SOCK_DEVMEM, X(x)), ['undef']),
  ]);
}

export function dmDontneed(w: World, c: Cmd): void {
  const s = pick(w.openSockets(), c.a);
  if (!s) return;
  const { sk } = s;
  if (c.bad < 0) {
    const k = Math.min(s.tokens.length, c.b % 9);
    const start = s.tokens.length ? (c.b >> 4) % s.tokens.length : 0;
    const chosen: number[] = [];
    for (let j = 0; j < k; j++) chosen.push(s.tokens[(start + j) % s.tokens.length]);
    const give = [...new Set(chosen)].sort((x, y) => x - y);
    // Ranges over the chosen tokens, some with unknown tokens mixed in (skipped, not counted).
    const entries: { tokenStart: number; tokenCount: number }[] = [];
    for (const t of give) {
      const last = entries[entries.length - 1];
      if (last && last.tokenStart + last.tokenCount === t) last.tokenCount++;
      else entries.push({ tokenStart: t, tokenCount: 1 });
    }
    const held = new Set(s.tokens);
    if ((c.c & 1) === 1) {
      let u = 1;
      while (held.has(u) || give.includes(u)) u++;
      entries.push({ tokenStart: u, tokenCount: 1 });
    }
    if ((c.c & 2) === 2 && entries.length) entries.push({ ...entries[0] });
    if ((c.c & 4) === 4) entries.push({ tokenStart: 0x7ffffff0, tokenCount: 3 });
    const expect = give.length;
    // (An empty list is optlen 0: sk_setsockopt refuses any optlen below sizeof(int) — a malformed variant below.)
    if (entries.length === 0) return;
    const typed = (c.c & 8) === 8;
    const label = `${typed ? 'setsockoptDontneed' : 'dontneed'}(sk#${s.n}, ${JSON.stringify(entries.map((e) => [e.tokenStart, e.tokenCount]))})`;
    const r = good(w, label, () => {
      if (!typed) return dontneed(sk, entries);
      const v = new Uint32Array(entries.length * 2);
      entries.forEach((e, i) => {
        v[2 * i] = e.tokenStart;
        v[2 * i + 1] = e.tokenCount;
      });
      return setsockoptDontneed(sk, v);
    });
    if (!r.ok) {
      if (sk.type !== 'tcp' && r.code === 'EBADF') return;
      throw new FuzzFailure(`${label} was refused (${r.code})`);
    }
    if (r.value !== expect) throw new FuzzFailure(`${label} freed ${r.value}, the user gave back ${expect} held token(s)`);
    s.tokens = s.tokens.filter((t) => !give.includes(t));
    return;
  }
  const t = s.tokens[c.b % Math.max(1, s.tokens.length)] ?? 1;
  const v2 = new Uint32Array([t, 1]);
  const table = devmemTokens(sk);
  runBad(w, `sk#${s.n}`, c.bad, [
    ...numVariants('setsockoptDontneed.optlen', (x) => setsockoptDontneed(sk, v2, X(x)), ['undef']),
    ['setsockoptDontneed.optlen.7', () => () => setsockoptDontneed(sk, v2, 7)],
    ['setsockoptDontneed.optlen.0', () => () => setsockoptDontneed(sk, new Uint32Array(0))],
    ['dontneed.entries.empty', () => () => dontneed(sk, [])],
    ['setsockoptDontneed.optlen.past-optval', () => () => setsockoptDontneed(sk, v2, 16)],
    ['setsockoptDontneed.optlen.129-entries', () => () => setsockoptDontneed(sk, new Uint32Array(258), 129 * 8)],
    ['setsockoptDontneed.optval.obj', () => () => setsockoptDontneed(sk, X({}), 8)],
    ['setsockoptDontneed.optval.array', () => () => setsockoptDontneed(sk, X([t, 1]), 8)],
    ['setsockoptDontneed.optval.float64', () => () => setsockoptDontneed(sk, X(new Float64Array([t + 0.5, 1])), 16)],
    ['setsockoptDontneed.sk.obj', () => () => setsockoptDontneed(X({}), v2)],
    ...numVariants('dontneed.tokenStart', (x) => dontneed(sk, [{ tokenStart: X(x), tokenCount: 1 }]), [], undefined, { frac: 'D16' }),
    ...numVariants('dontneed.tokenCount', (x) => dontneed(sk, [{ tokenStart: t, tokenCount: X(x) }]), []),
    ['dontneed.entries.obj', () => () => dontneed(sk, X({}))],
    ['dontneed.entries.null-entry', () => () => dontneed(sk, X([null]))],
    // take() answers 0 for a token that is not held; a malformed one may get that answer too, but must never take a held token (D16).
    ...numVariants('tokens.take', table ? (x) => table.take(X(x)) : null, ['neg', '2^32'], { accept: (v) => v === 0 }, { frac: 'D16' }),
    ['tokens.take.plus-2^32', () => (table && s.tokens.length ? () => table.take(s.tokens[0] + 2 ** 32) : null), { accept: (v) => v === 0 }],
    ['tokens.take.plus-half[D16]', () => (table && s.tokens.length ? () => table.take(s.tokens[0] + 0.5) : null), { accept: (v) => v === 0 }],
    ...numVariants('tokens.lookup', table ? (x) => table.lookup(X(x)) : null, ['neg', '2^32'], { accept: (v) => v === 0 }, { frac: 'D16' }),
    ['tokens.add.obj', () => (table ? () => table.add(X({})) : null)],
    ['tokens.putBack.foreign', () => (table ? () => table.putBack(w.foreign[0] ?? 2) : null)],
  ]);
}

export function dmUnbind(w: World, c: Cmd): void {
  if (c.bad >= 0) {
    const b = w.bindings.find((x) => x.isUnbound && !x.isFreed) ?? w.bindings.find((x) => x.isFreed);
    runBad(w, 'binding', c.bad, [
      ['unbind.twice', () => (b ? () => b.unbind() : null)],
      [
        'get.freed',
        () => {
          const f = w.bindings.find((x) => x.isFreed);
          return f ? () => f.get() : null;
        },
      ],
      [
        'put.underflow',
        () => {
          const f = w.bindings.find((x) => x.isFreed);
          return f ? () => f.put() : null;
        },
      ],
    ]);
    return;
  }
  if ((c.b & 3) === 3 && !skipped('good:binding.unbind')) {
    // A binding unbound directly (net_devmem_unbind_dmabuf); its socket's later close must still be clean.
    const b = pick(
      w.bindings.filter((x) => !x.isUnbound),
      c.a,
    );
    if (!b) return;
    good(w, `binding(${b.id}).unbind()`, () => b.unbind());
    return;
  }
  const nl = pick(
    w.nls.filter((n) => !n.isClosed),
    c.a,
  );
  if (!nl) return;
  const r = good(w, `nl.close()  // unbinds ${nl.bindings.map((b) => b.id).join(',') || 'nothing'}`, () => nl.close());
  if (!r.ok) throw new FuzzFailure(`NetdevNlSocket.close() was refused (${r.code})`);
}
