/** Pool commands around a pool's life and state: get/destroy, device removal, byte access, NUMA node and introspection. */
import { PAGE_SIZE, allPools, controlPlane } from '@netmem/core';
import { FuzzFailure, hex, type World } from '../world.js';
import { X, forged, good, numVariants, pick, runBad, type Variant } from './harness.js';
import type { Cmd } from './kinds.js';
import { slotWithHeld } from './pool-alloc.js';

export function poolDestroy(w: World, c: Cmd): void {
  const slot =
    c.bad < 0
      ? pick(w.pools, c.a)
      : pick(
          w.pools.filter((p) => p.destroyed),
          c.a,
        );
  if (!slot) return;
  const { pool } = slot;
  const name = `pool#${pool.id}`;
  if (!slot.destroyed) {
    if (c.b % 4 === 0) {
      const r = good(w, `${name}.get()`, () => pool.get());
      if (r.ok) slot.users++;
      return;
    }
    const r = good(w, `${name}.destroy()`, () => pool.destroy());
    if (!r.ok) throw new FuzzFailure(`${name}.destroy() with ${slot.users} user refs was refused (${r.code})`);
    if (--slot.users > 0) return;
    slot.destroyed = true;
    // Every tracked mapping still in flight was unmapped before destroy returned.
    if (slot.dev && pool.dmaMap && pool.tracker.kind !== 'none' && !slot.devRemoved && slot.dev.liveMappings !== 0) {
      throw new FuzzFailure(`${name}: destroy returned with ${slot.dev.liveMappings} live mappings on its device`);
    }
    if (!pool.destroyStarted) throw new FuzzFailure(`${name}: destroy() did not start the destroy`);
    return;
  }
  runBad(w, name, c.bad < 0 ? c.b : c.bad, [
    ['destroy.twice', () => () => pool.destroy()],
    ['get.after-destroy', () => () => pool.get()],
  ]);
}

export function poolDevRemove(w: World, c: Cmd): void {
  const slot = pick(
    w.pools.filter((p) => p.destroyed && p.dev !== null && !p.devRemoved),
    c.a,
  );
  if (!slot) return;
  good(w, `pool#${slot.pool.id}.dev(${slot.dev!.name}).remove()  // after destroy, as a driver unbind does`, () => slot.dev!.remove());
  slot.devRemoved = true;
  // Pre-fix behaviour ('none'): late unmaps and syncs of pages still out fault; the fix makes none.
  if (slot.pool.tracker.kind === 'none') w.faultyOk.add(slot.dev!);
}

export function poolBytes(w: World, c: Cmd): void {
  const slot = slotWithHeld(w, c.a);
  if (!slot) return;
  const h = slot.held[c.b % slot.held.length];
  const { pool } = slot;
  const name = `pool#${pool.id}`;
  if (c.bad < 0) {
    const r = good(w, `${name}.bytes(${hex(h.nm)})`, () => pool.bytes(h.nm));
    if (!r.ok) {
      if (slot.kind === 'dmabuf' && r.code === 'EFAULT') return;
      throw new FuzzFailure(`${name}.bytes of a held buffer was refused (${r.code})`);
    }
    if (slot.kind === 'dmabuf') throw new FuzzFailure(`${name}.bytes of unreadable dmabuf memory returned a view`);
    if (r.value.length !== PAGE_SIZE << pool.order) throw new FuzzFailure(`${name}.bytes(${hex(h.nm)}) has length ${r.value.length}`);
    r.value[c.c % r.value.length] = c.c & 0xff;
    return;
  }
  const dst = new Uint8Array(256);
  const readable = slot.kind === 'pages';
  const variants: Variant[] = [
    ...forged(w, 'bytes', h.nm, (x) => pool.bytes(X(x)), { xor1: 'D2', or1: 'D2' }),
    ...forged(w, 'domain.bytes', h.nm, (x) => w.domain.bytes(X(x)), { xor1: 'D2', or1: 'D2' }),
    ['readNetmem.past-page', () => (readable ? () => w.domain.readNetmem(h.nm, (PAGE_SIZE << pool.order) - 16, dst, 0, 64) : null)],
    ['readNetmem.off.neg', () => (readable ? () => w.domain.readNetmem(h.nm, -64, dst, 0, 16) : null)],
    ['readNetmem.off.nan', () => (readable ? () => w.domain.readNetmem(h.nm, NaN, dst, 0, 16) : null)],
    ['readNetmem.n.nan', () => (readable ? () => w.domain.readNetmem(h.nm, 0, dst, 0, NaN) : null)],
    ['readNetmem.dst.small', () => (readable ? () => w.domain.readNetmem(h.nm, 0, dst, 200, 100) : null)],
    ['readNetmem.dst.obj', () => (readable ? () => w.domain.readNetmem(h.nm, 0, X({}), 0, 16) : null)],
    ...forged(w, 'readNetmem', h.nm, (x) => w.domain.readNetmem(X(x), 0, dst, 0, 16), { xor1: 'D2', or1: 'D2' }),
  ];
  runBad(w, name, c.bad, variants);
}

export function poolNid(w: World, c: Cmd): void {
  const slot = pick(w.livePools(), c.a);
  if (!slot) return;
  const { pool } = slot;
  if (c.bad < 0) {
    const nid = [-1, 0, w.cfg.numa - 1][c.b % 3];
    good(w, `pool#${pool.id}.updateNid(${nid})`, () => pool.updateNid(nid));
    return;
  }
  runBad(w, `pool#${pool.id}`, c.bad, [
    ...numVariants('updateNid', (x) => pool.updateNid(X(x)), ['neg']),
    ['updateNid.99', () => () => pool.updateNid(99)],
    ['updateNid.-2', () => () => pool.updateNid(-2)],
  ]);
}

export function poolIntrospect(w: World, c: Cmd): void {
  const cp = controlPlane(w.ns);
  if (c.bad < 0) {
    const slot = pick(w.pools, c.a);
    good(w, 'introspect (info, stats, places, snapshot, control-plane dumps)', () => {
      if (slot && !slot.pool.isFreed) {
        slot.pool.info();
        slot.pool.stats();
        slot.pool.places();
        slot.pool.snapshot();
      }
      cp.pagePoolDump();
      cp.pagePoolStatsDump();
      cp.queueDump();
      for (const p of allPools(w.domain)) if (p.netdev !== null && p.netdev.ifindex !== 1) cp.pagePoolGet({ id: p.id });
    });
    return;
  }
  const nd = pick(w.netdevs, c.b)?.nd;
  runBad(w, 'controlPlane', c.bad, [
    ...numVariants('pagePoolGet.id', (x) => cp.pagePoolGet({ id: X(x) }), ['undef']),
    ['pagePoolGet.req.null', () => () => cp.pagePoolGet(X(null))],
    ['pagePoolGet.req.undef', () => () => cp.pagePoolGet(X(undefined))],
    ...numVariants('pagePoolStatsGet.id', (x) => cp.pagePoolStatsGet({ id: X(x) }), ['undef']),
    ...numVariants('queueGet.id', nd ? (x) => cp.queueGet({ ifindex: nd.ifindex, id: X(x) }) : null, ['undef']),
    ...numVariants('queueGet.ifindex', (x) => cp.queueGet({ ifindex: X(x), id: 0 }), ['undef']),
    ['queueGet.type.tx', () => (nd ? () => cp.queueGet({ ifindex: nd.ifindex, id: 0, type: X('tx') }) : null)],
    ['queueGet.req.null', () => () => cp.queueGet(X(null))],
  ]);
}
