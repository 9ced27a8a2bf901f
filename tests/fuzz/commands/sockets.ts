/** Socket and skb commands: socket creation, recvmsg, close, skb clones and their free. */
import { MSG_PEEK } from '@netmem/core';
import { FuzzFailure, type World } from '../world.js';
import { X, good, numVariants, pick, runBad } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- sockets and skbs -------------------------------------------------------------

export function skCreate(w: World, c: Cmd): void {
  if (c.bad < 0) {
    if (w.openSockets().length >= 4) return;
    const o = { coalesce: (c.a & 1) === 1, type: c.b % 6 === 0 ? ('udp' as const) : ('tcp' as const) };
    const r = good(w, `ns.socket(${JSON.stringify(o)})`, () => w.addSocket(o));
    if (r.ok) w.log(`  -> sk#${r.value.n}`);
    return;
  }
  runBad(w, 'ns', c.bad, [
    ['socket.coalesce.str', () => () => w.ns.socket(X({ coalesce: 'yes' }))],
    ['socket.type.bogus', () => () => w.ns.socket(X({ type: 'sctp' }))],
    ['socket.key.unknown', () => () => w.ns.socket(X({ colaesce: true }))],
    ['socket.opts.str', () => () => w.ns.socket(X('tcp'))],
    ['socket.opts.null', () => () => w.ns.socket(X(null))],
  ]);
}

const RECV_LENS = [1, 100, 1500, 4096, 65536];

export function skRecv(w: World, c: Cmd): void {
  const s = pick(w.sockets, c.a);
  if (!s) return;
  const { sk } = s;
  if (c.bad < 0) {
    const len = RECV_LENS[c.b % RECV_LENS.length];
    const page = pick(w.pages, c.c >> 2);
    const inDomain = (c.c & 2) === 2 && page !== undefined;
    const buf = inDomain ? w.domain.bytes(page.nm).subarray(0, Math.min(len, 4096)) : new Uint8Array(len);
    const peek = (c.c & 1) === 1;
    const pending = sk.pendingBytes;
    const r = good(w, `sk#${s.n}.recvmsg(${inDomain ? 'page bytes' : 'Uint8Array'}(${buf.length})${peek ? ', MSG_PEEK' : ''})`, () =>
      sk.recvmsg(buf, peek ? MSG_PEEK : 0),
    );
    if (r.ok) {
      if (!(r.value >= 0 && r.value <= buf.length)) throw new FuzzFailure(`recvmsg returned ${r.value} for a ${buf.length}-byte buffer`);
      if (sk.pendingBytes !== pending - (peek ? 0 : r.value))
        throw new FuzzFailure(`recvmsg returned ${r.value}, pending went ${pending} -> ${sk.pendingBytes}`);
    }
    return;
  }
  const buf = new Uint8Array(100);
  runBad(w, `sk#${s.n}`, c.bad, [
    ['recvmsg.buf.obj', () => () => sk.recvmsg(X({}))],
    ['recvmsg.buf.null', () => () => sk.recvmsg(X(null))],
    ['recvmsg.buf.str', () => () => sk.recvmsg(X('buffer'))],
    ['recvmsg.buf.array', () => () => sk.recvmsg(X([0, 0, 0, 0]))],
    ['recvmsg.buf.sab', () => () => sk.recvmsg(X(new SharedArrayBuffer(64)))],
    ...numVariants('recvmsg.flags', (x) => sk.recvmsg(buf, X(x)), ['undef', 'neg']),
    ['consume.nan', () => () => sk.consume(NaN)],
    ['consume.neg', () => () => sk.consume(-1)],
    ['consume.frac', () => (sk.pendingBytes > 1 ? () => sk.consume(0.5) : null)],
    ['consume.past-queue', () => () => sk.consume(sk.pendingBytes + 1)],
    ['attach.obj', () => () => sk.attach(X({}))],
  ]);
}

export function skClose(w: World, c: Cmd): void {
  const s = pick(w.openSockets(), c.a);
  if (!s) return;
  if (c.bad >= 0) {
    runBad(w, `sk#${s.n}`, c.bad, [
      ['enqueue.obj', () => () => s.sk.enqueue(X({}))],
      ['enqueue.null', () => () => s.sk.enqueue(X(null))],
    ]);
    return;
  }
  const r = good(w, `sk#${s.n}.close()  // ${s.sk.queueLength} skbs queued, ${s.tokens.length} tokens out`, () => s.sk.close());
  if (!r.ok) throw new FuzzFailure(`close of sk#${s.n} was refused (${r.code})`);
  s.tokens = [];
  for (const ring of w.rings) {
    const req = ring.reqs.get(s.sk);
    if (req && !req.done) good(w, `ring#${ring.n}: issue RECV_ZC on the closed socket`, () => req.issue());
  }
}

export function skClone(w: World, c: Cmd): void {
  const s = pick(w.openSockets(), c.a);
  if (!s) return;
  const skbs = w.ns.skbs;
  if (c.bad < 0) {
    const skb = s.sk.peek();
    // Clones of unreadable (devmem) skbs would hide from checkDevmemInvariants, which counts frags per socket queue only.
    if (!skb || skb.unreadable || w.clones.length >= 8) return;
    const r = good(w, `skbs.clone(sk#${s.n}.peek())`, () => skbs.clone(skb));
    if (!r.ok) throw new FuzzFailure(`clone of a queued skb was refused (${r.code})`);
    const clone = r.value;
    const mode = c.b % 3;
    const target = pick(w.openSockets(), c.c);
    const dev = pick(w.netdevs, c.c);
    if (mode === 1 && target) {
      good(w, `sk#${target.n}.enqueue(clone)`, () => target.sk.enqueue(clone));
    } else if (mode === 2 && dev) {
      const t = good(w, `${dev.nd.name}.transmit(clone)`, () => dev.nd.transmit(clone));
      if (!t.ok) w.clones.push(clone);
    } else {
      w.clones.push(clone);
    }
    return;
  }
  runBad(w, 'skbs', c.bad, [
    ['clone.obj', () => () => skbs.clone(X({}))],
    ['clone.null', () => () => skbs.clone(X(null))],
    ['free.obj', () => () => skbs.free(X({}))],
    ['free.null', () => () => skbs.free(X(null))],
  ]);
}

export function cloneFree(w: World, c: Cmd): void {
  const clone = pick(w.clones, c.a);
  if (!clone) return;
  w.clones.splice(w.clones.indexOf(clone), 1);
  const r = good(w, 'skbs.free(clone)', () => w.ns.skbs.free(clone));
  if (!r.ok) throw new FuzzFailure(`free of a held clone was refused (${r.code})`);
  if (c.bad >= 0) {
    // Right after the free (before the factory reuses the object): a double free is refused.
    runBad(w, 'skbs', c.bad, [
      ['free.double', () => () => w.ns.skbs.free(clone)],
      ['clone.freed', () => () => w.ns.skbs.clone(clone)],
    ]);
  }
}
