/** Pool commands that give references back: the puts, bulk puts and extra pp references (with forged, stale and foreign handles). */
import { PAGE_SIZE, putNetmemBulk, type MemoryDomain } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { FuzzFailure, hex, type PoolSlot, type World } from '../world.js';
import { X, forged, good, numVariants, pick, runBad, type Variant } from './harness.js';
import type { Cmd } from './kinds.js';
import { dropHeld, slotWithHeld } from './pool-alloc.js';

const SYNC_SIZES = [-1, 0, 100, 4096, 100000];

export function poolPut(w: World, c: Cmd): void {
  const slot = slotWithHeld(w, c.a);
  if (!slot) return;
  const { pool } = slot;
  const name = `pool#${pool.id}`;
  const i = c.b % slot.held.length;
  const h = slot.held[i];
  if (c.bad < 0) {
    const mode = c.c % 8;
    const sync = SYNC_SIZES[(c.c >> 3) % SYNC_SIZES.length];
    const direct = ((c.c >> 6) & 1) === 1;
    const nm = h.nm;
    const run = (label: string, fn: () => void): void => {
      const r = good(w, `${name}.${label}`, fn);
      if (!r.ok) throw new FuzzFailure(`${name}.${label}: a put of a held reference was refused (${r.code})`);
      dropHeld(w, slot, i);
    };
    switch (mode) {
      case 0:
        return run(`putNetmem(${hex(nm)}, ${sync}, ${direct})`, () => pool.putNetmem(nm, sync, direct));
      case 1:
        return run(`putPage(${hex(nm)}, ${sync}, ${direct})`, () => pool.putPage(nm, sync, direct));
      case 2:
        return run(`putFullPage(${hex(nm)}, ${direct})`, () => pool.putFullPage(nm, direct));
      case 3:
        return run(`recycleDirect(${hex(nm)})`, () => pool.recycleDirect(nm));
      case 4:
        if (slot.napi) return run(`[in napi] putNetmem(${hex(nm)})`, () => slot.napi!.poll(() => pool.putNetmem(nm)));
        return run(`putNetmem(${hex(nm)})`, () => pool.putNetmem(nm));
      case 5:
        if (h.va !== undefined) return run(`freeVa(${hex(h.va)}, ${direct})`, () => pool.freeVa(h.va!, direct));
        return run(`putNetmem(${hex(nm)})`, () => pool.putNetmem(nm));
      case 6:
        return run(`unrefNetmem(${hex(nm)}, 1) + putUnrefedNetmem if 0`, () => {
          if (pool.unrefNetmem(nm, 1) === 0) pool.putUnrefedNetmem(nm, sync, direct);
        });
      default: {
        // An extra page reference first: the put then releases the page from the pool, the user keeps a page ref.
        if (slot.kind !== 'pages' || (nm & 1) === 1) return run(`putNetmem(${hex(nm)})`, () => pool.putNetmem(nm));
        const g = good(w, `domain.getPage(${hex(nm)})`, () => w.domain.getPage(nm));
        if (!g.ok) throw new FuzzFailure(`getPage of a held pool page was refused (${g.code})`);
        w.pages.push({ nm, refs: 1 });
        return run(`putNetmem(${hex(nm)}) with an extra page ref`, () => pool.putNetmem(nm));
      }
    }
  }
  const count = slot.held.filter((o) => o.nm === h.nm).length;
  const other = w.pools.find((p) => p !== slot && p.held.length > 0)?.held[0]?.nm;
  // A handle the user gave back and holds no longer: checked mode rejects any such; unchecked only when nobody holds its buffer.
  const stale = givenBack(w);
  const foreign = w.foreign.find((f) => !inspectForeignClash(w, f));
  const putVariants = (label: string, put: (x: unknown) => unknown, known: Record<string, string>): Variant[] => [
    ...forged(w, `${label}`, h.nm, put, known),
    [`${label}.double-put`, () => (stale !== undefined ? () => put(stale) : null)],
    [`${label}.other-pool`, () => (other !== undefined ? () => put(other) : null)],
    [`${label}.foreign-domain`, () => (foreign !== undefined ? () => put(foreign) : null)],
  ];
  const variants: Variant[] = [
    ...putVariants('putNetmem', (x) => pool.putNetmem(X(x)), { or1: 'D3', xor1: 'D3' }),
    ...putVariants('recycleDirect', (x) => pool.recycleDirect(X(x)), { or1: 'D3', xor1: 'D3' }),
    ...numVariants('putNetmem.dmaSyncSize', (x) => pool.putNetmem(h.nm, X(x)), ['undef', '2^32', 'neg']),
    ['putNetmem.dmaSyncSize.-2', () => () => pool.putNetmem(h.nm, -2)],
    ...[
      ['str', 'yes'],
      ['num', 1],
      ['obj', {}],
    ].map(([n, x]): Variant => [`putNetmem.allowDirect.${n}`, () => () => pool.putNetmem(h.nm, -1, X(x))]),
    ...numVariants('unrefNetmem.n', (x) => pool.unrefNetmem(h.nm, X(x)), ['undef', 'inf']),
    // Dropping more pp references than held is not refused: as page_pool_unref_netmem does, it warns and returns the negative count (warnings.test.ts).
    ...forged(w, 'unrefNetmem', h.nm, (x) => pool.unrefNetmem(X(x), 1), { or1: 'D3', xor1: 'D3' }),
    ...forged(w, 'putUnrefedNetmem', h.nm, (x) => pool.putUnrefedNetmem(X(x)), { or1: 'D3', xor1: 'D3' }),
    ['freeVa.nan', () => () => pool.freeVa(NaN)],
    ['freeVa.neg', () => () => pool.freeVa(-1)],
    ['freeVa.past-memory', () => () => pool.freeVa(PAGE_SIZE * 1e6)],
    ['freeVa.str', () => () => pool.freeVa(X('4096'))],
    // A bulk put with one bad entry among good ones is refused whole, every dropped reference restored.
    ['bulk.bad-entry', () => () => putNetmemBulk(w.domain, [h.nm, NaN])],
    ['bulk.forged-entry[D3]', () => ((h.nm & 1) === 0 ? () => putNetmemBulk(w.domain, [h.nm | 1]) : null)],
    ['bulk.string-entry', () => () => putNetmemBulk(w.domain, X([String(h.nm)]))],
    ['bulk.double', () => (count === 1 && inspectNetmem(w.domain, h.nm).ppRef === 1 ? () => putNetmemBulk(w.domain, [h.nm, h.nm]) : null)],
    ['bulk.stale', () => (stale !== undefined ? () => putNetmemBulk(w.domain, [stale]) : null)],
    ...numVariants('bulk.count', (x) => putNetmemBulk(w.domain, [h.nm], X(x)), ['undef', '2^32']),
    ['bulk.count.past-end', () => () => putNetmemBulk(w.domain, [h.nm], 3)],
    ['bulk.data.obj', () => () => putNetmemBulk(w.domain, X({ length: 1, 0: h.nm }))],
    ['bulk.data.null', () => () => putNetmemBulk(w.domain, X(null))],
    // In the other domain (unchecked) the same number may name a buffer handed out there, which no check can tell apart.
    ['bulk.domain.foreign', () => (!handedOutIn(w.domain2, h.nm) ? () => putNetmemBulk(w.domain2, [h.nm]) : null)],
    ['bulk.domain.obj', () => () => putNetmemBulk(X({}), [h.nm])],
  ];
  runBad(w, name, c.bad, variants);
}

/**
 * A handle the user gave back and does not hold again (a recycled buffer
 * keeps its handle and may come back to the user): one whose buffer is
 * parked in a cache or ring or free (any mode must refuse it), or, in
 * checked mode, one gone stale (its buffer freed and reused).
 */
function givenBack(w: World): number | undefined {
  return w.released.find((r) => {
    if (w.descHeldByUser(r)) return false;
    const x = inspectNetmem(w.domain, r);
    // (A pool's current frag page is out of the pool with its bias: a ref on it cannot be told apart from a frag's.)
    return (w.cfg.checked && x.handleGen !== x.gen) || isParked(w, r);
  });
}

/** Whether a handle's buffer is parked in a pool's cache or ring, or free (no user holds it). */
function isParked(w: World, nm: number): boolean {
  const x = inspectNetmem(w.domain, nm);
  return x.placeName === 'cache' || x.placeName === 'ring' || x.placeName === 'none' || x.poolId === 0;
}

/** True when `nm`, read in `domain`, names a pool buffer outside its pool (a put of it would be accepted there). */
function handedOutIn(domain: MemoryDomain, nm: number): boolean {
  const x = inspectNetmem(domain, nm);
  return x.poolId !== 0 && x.placeName !== 'cache' && x.placeName !== 'ring' && x.placeName !== 'none';
}

/** A foreign handle whose descriptor number, read in this domain, is a buffer the user holds or that is handed out (a put of it could not be told apart). */
function inspectForeignClash(w: World, nm: number): boolean {
  if (w.descHeldByUser(nm)) return true;
  const x = inspectNetmem(w.domain, nm);
  return x.poolId !== 0 && !isParked(w, nm);
}

export function poolBulk(w: World, c: Cmd): void {
  const slots = w.pools.filter((p) => p.held.length > 0);
  if (!slots.length) return;
  if (c.bad >= 0) return poolPut(w, c);
  const k = 1 + (c.b % 6);
  const list: number[] = [];
  const takenFrom: [PoolSlot, number][] = [];
  for (let j = 0; j < k; j++) {
    const s = slots[(c.a + j) % slots.length];
    if (!s.held.length) continue;
    const i = (c.c + j) % s.held.length;
    list.push(s.held[i].nm);
    takenFrom.push([s, i]);
    dropHeld(w, s, i);
  }
  const napiSlot = slots.find((s) => s.napi !== null && !s.destroyed);
  const inNapi = (c.c & 1) === 1 && napiSlot !== undefined;
  const typed = (c.c & 2) === 2;
  const data = typed ? Int32Array.from(list) : [...list];
  const label = `putNetmemBulk(domain, ${typed ? 'Int32Array' : ''}[${list.map(hex).join(', ')}])${inNapi ? ` in napi of pool#${napiSlot.pool.id}` : ''}`;
  const r = good(w, label, () => (inNapi ? napiSlot.napi!.poll(() => putNetmemBulk(w.domain, data)) : putNetmemBulk(w.domain, data)));
  if (!r.ok) throw new FuzzFailure(`${label}: a bulk put of held references was refused (${r.code})`);
}

export function poolRef(w: World, c: Cmd): void {
  const slot = pick(
    w.pools.filter((p) => p.held.length > 0 && p.kind === 'pages'),
    c.a,
  );
  if (!slot) return;
  const { pool } = slot;
  const h = slot.held[c.b % slot.held.length];
  const name = `pool#${pool.id}`;
  if (c.bad < 0) {
    if (slot.held.length >= 200) return;
    const n = 1 + (c.c % 3);
    const r = good(w, `${name}.refNetmem(${hex(h.nm)}, ${n})`, () => pool.refNetmem(h.nm, n));
    if (!r.ok) throw new FuzzFailure(`${name}.refNetmem of a held netmem was refused (${r.code})`);
    for (let k = 0; k < n; k++) slot.held.push({ nm: h.nm });
    return;
  }
  const stale = givenBack(w);
  const variants: Variant[] = [
    ...numVariants('refNetmem.n', (x) => pool.refNetmem(h.nm, X(x)), ['undef', 'null'], undefined, { nan: 'D6' }),
    ['refNetmem.n.2^31', () => () => pool.refNetmem(h.nm, 2 ** 31)],
    ...forged(w, 'refNetmem', h.nm, (x) => pool.refNetmem(X(x), 1), { or1: 'D3', xor1: 'D3' }),
    ['refNetmem.released', () => (stale !== undefined ? () => pool.refNetmem(stale, 1) : null)],
  ];
  runBad(w, name, c.bad, variants);
}
