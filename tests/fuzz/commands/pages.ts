/** Raw page commands: allocPages / allocPagesBulk, page references (get, put) and byte access. */
import { PAGE_SIZE } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { FuzzFailure, hex, type World } from '../world.js';
import { X, forged, good, numVariants, pick, runBad } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- pages ---------------------------------------------------------------------

export function pageAlloc(w: World, c: Cmd): void {
  if (c.bad < 0) {
    if (w.pages.length >= 48) return;
    if (c.b % 3 === 0) {
      const n = 1 + (c.c % 6);
      const out = new Int32Array(n + 2);
      const nid = [-1, 0, w.cfg.numa - 1][c.a % 3];
      const r = good(w, `domain.allocPagesBulk(${nid}, ${n}, Int32Array(${n + 2}), 1)`, () => w.domain.allocPagesBulk(nid, n, out, 1));
      if (!r.ok) return;
      if (!(r.value >= 0 && r.value <= n)) throw new FuzzFailure(`allocPagesBulk returned ${r.value} for ${n}`);
      if (out[0] !== 0 || out[n + 1] !== 0) throw new FuzzFailure('allocPagesBulk wrote outside [at, at + count)');
      for (let i = 0; i < r.value; i++) w.pages.push({ nm: out[1 + i], refs: 1 });
      return;
    }
    const order = [0, 0, 1, 2, 3][c.a % 5];
    const nid = [-1, 0, w.cfg.numa - 1][c.c % 3];
    const r = good(w, `domain.allocPages(${order}, ${nid})`, () => w.domain.allocPages(order, nid));
    if (r.ok && r.value !== 0) {
      const x = inspectNetmem(w.domain, r.value);
      if (x.pageRef !== 1 || x.order !== order || x.poolId !== 0) throw new FuzzFailure(`allocPages(${order}) gave ${hex(r.value)} with ${JSON.stringify(x)}`);
      w.pages.push({ nm: r.value, refs: 1 });
      w.log(`  -> ${hex(r.value)}`);
    }
    return;
  }
  const out = new Int32Array(2);
  runBad(w, 'domain', c.bad, [
    ['allocPages.undef[D7]', () => () => w.domain.allocPages(X(undefined))],
    ...numVariants('allocPages.order', (x) => w.domain.allocPages(X(x)), ['undef']),
    ['allocPages.order.11', () => () => w.domain.allocPages(11)],
    ...numVariants('allocPages.nid', (x) => w.domain.allocPages(0, X(x)), ['undef', 'neg']),
    ['allocPages.nid.99', () => () => w.domain.allocPages(0, 99)],
    ...numVariants('allocPagesBulk.count', (x) => w.domain.allocPagesBulk(-1, X(x), out), ['undef']),
    ['allocPagesBulk.out.short', () => () => w.domain.allocPagesBulk(-1, 4, out)],
    ['allocPagesBulk.at.neg', () => () => w.domain.allocPagesBulk(-1, 1, out, -1)],
    ['allocPagesBulk.at.past', () => () => w.domain.allocPagesBulk(-1, 1, out, 2)],
    ['allocPagesBulk.out.obj', () => () => w.domain.allocPagesBulk(-1, 1, X({}))],
    ['allocPagesBulk.out.array', () => () => w.domain.allocPagesBulk(-1, 1, X([0]))],
    ...numVariants('allocPagesBulk.nid', (x) => w.domain.allocPagesBulk(X(x), 1, out), ['undef', 'neg']),
  ]);
}

/** Page handles the user can take a page reference on: its raw pages and the pool pages it holds. */
function pageTargets(w: World): number[] {
  const out = w.pages.map((p) => p.nm);
  for (const p of w.pools) if (p.kind === 'pages') for (const h of p.held) out.push(h.nm);
  return out;
}

/** A freed page handle whose frame is still free (so a get/put of it can be told to be wrong even unchecked). */
function freedStillFree(w: World): number | undefined {
  return w.freedPages.find((nm) => w.cfg.checked || inspectNetmem(w.domain, nm).pageRef === 0);
}

export function pageGet(w: World, c: Cmd): void {
  const targets = pageTargets(w);
  const nm = pick(targets, c.a);
  if (c.bad < 0) {
    if (nm === undefined) return;
    const r = good(w, `domain.getPage(${hex(nm)})`, () => w.domain.getPage(nm));
    if (!r.ok) throw new FuzzFailure(`getPage of a page the user holds was refused (${r.code})`);
    const ref = w.pages.find((p) => p.nm === nm);
    if (ref) ref.refs++;
    else w.pages.push({ nm, refs: 1 });
    return;
  }
  const free = freedStillFree(w);
  runBad(w, 'domain', c.bad, [
    ['getPage.free-page[D8]', () => (free !== undefined ? () => w.domain.getPage(free) : null)],
    ...forged(w, 'getPage', nm, (x) => w.domain.getPage(X(x))),
    ['getNetmem.free-page[D8]', () => (free !== undefined ? () => w.domain.getNetmem(free) : null)],
    ...forged(w, 'getNetmem', nm, (x) => w.domain.getNetmem(X(x))),
    ...numVariants('getNetmem.handle', (x) => w.domain.getNetmem(X(x)), ['neg', 'inf']),
  ]);
}

export function pagePut(w: World, c: Cmd): void {
  const ref = pick(w.pages, c.a);
  if (c.bad < 0) {
    if (!ref) return;
    // Raw DMA mappings of the page go first: a mapping may not outlive its page.
    for (let i = w.raw.length - 1; i >= 0; i--) {
      if (w.raw[i].nm !== ref.nm) continue;
      const m = w.raw.splice(i, 1)[0];
      good(w, `dmadev.unmap(${hex(m.iova)}, ${m.dir})`, () => w.dmadev.unmap(m.iova, m.dir));
    }
    const useNetmem = (c.b & 1) === 1;
    const r = good(w, `domain.${useNetmem ? 'putNetmem' : 'putPage'}(${hex(ref.nm)})`, () =>
      useNetmem ? w.domain.putNetmem(ref.nm) : w.domain.putPage(ref.nm),
    );
    if (!r.ok) throw new FuzzFailure(`putPage of a page reference the user holds was refused (${r.code})`);
    if (--ref.refs === 0) {
      w.pages.splice(w.pages.indexOf(ref), 1);
      if (inspectNetmem(w.domain, ref.nm).pageRef === 0) {
        w.freedPages.push(ref.nm);
        if (w.freedPages.length > 16) w.freedPages.shift();
      }
    }
    return;
  }
  const free = freedStillFree(w);
  runBad(w, 'domain', c.bad, [
    ['putPage.double', () => (free !== undefined ? () => w.domain.putPage(free) : null)],
    ...forged(w, 'putPage', ref?.nm, (x) => w.domain.putPage(X(x))),
    ['putNetmem.double', () => (free !== undefined ? () => w.domain.putNetmem(free) : null)],
    ...forged(w, 'domain.putNetmem', ref?.nm, (x) => w.domain.putNetmem(X(x))),
  ]);
}

export function pageBytes(w: World, c: Cmd): void {
  const ref = pick(w.pages, c.a);
  if (c.bad < 0) {
    if (!ref) return;
    const r = good(w, `domain.bytes(${hex(ref.nm)})`, () => w.domain.bytes(ref.nm));
    if (!r.ok) throw new FuzzFailure(`bytes of a held page was refused (${r.code})`);
    const order = inspectNetmem(w.domain, ref.nm).order;
    if (r.value.length !== PAGE_SIZE << order) throw new FuzzFailure(`bytes(${hex(ref.nm)}) of an order-${order} page has length ${r.value.length}`);
    const dst = new Uint8Array(64);
    good(w, `domain.readNetmem(${hex(ref.nm)}, 0, dst, 0, 64)`, () => w.domain.readNetmem(ref.nm, 0, dst, 0, 64));
    return;
  }
  const free = freedStillFree(w);
  const dst = new Uint8Array(64);
  runBad(w, 'domain', c.bad, [
    ['bytes.free-page', () => (free !== undefined ? () => w.domain.bytes(free) : null)],
    ['readNetmem.free-page', () => (free !== undefined ? () => w.domain.readNetmem(free, 0, dst, 0, 16) : null)],
    ...forged(w, 'domain.bytes', ref?.nm, (x) => w.domain.bytes(X(x)), { xor1: 'D2', or1: 'D2' }),
    ['pageVa.nan', () => () => w.domain.pageVa(NaN)],
    ...numVariants('vaToNetmem', (x) => w.domain.vaToNetmem(X(x)), ['undef']),
    ['vaToNetmem.past-memory', () => () => w.domain.vaToNetmem(PAGE_SIZE * 1e7)],
  ]);
}
