/** Pool commands: createPagePool (well-formed and malformed parameters) and the allocation calls, with the held-reference bookkeeping they share with the puts. */
import { GFP_KERNEL, Napi, PAGE_SIZE, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, createPagePool, type DmaTracking, type PagePoolParams } from '@netmem/core';
import { inspectNetmem } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { FuzzFailure, hex, type Held, type PoolSlot, type World } from '../world.js';
import { X, good, numVariants, pick, runBad, skipped, type BadOpts, type Variant } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- pools -------------------------------------------------------------------

const ORDERS = [0, 0, 0, 1, 2];
export const TRACKINGS: readonly DmaTracking[] = ['xarray', 'item-block', 'none'];
const POOL_SIZES = [0, 2, 16, 64, 20000];
const FRAG_SIZES = [1, 64, 100, 256, 1000, 1500, 2048, 3000, 4096, 6000, 8192, 2 ** 32];

function poolParams(w: World, c: Cmd): { p: PagePoolParams; own: boolean; kind: 'pages' | 'dmabuf'; napi: Napi | null } {
  const order = ORDERS[c.a % ORDERS.length];
  const sel = (c.a >> 3) % 4;
  const flags = sel <= 1 ? PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV : sel === 2 ? PP_FLAG_DMA_MAP : 0;
  const page = PAGE_SIZE << order;
  const offset = [0, 0, 64][(c.c >> 4) % 3];
  const maxLen = Math.min([page, 2048, 1500][(c.c >> 2) % 3], page - offset);
  const napi = (c.c & 1) === 1 ? new Napi('fz') : null;
  const live = w.bindings.find((b) => !b.isUnbound && !b.isFreed && b.dev !== null && !b.dev.removed);
  if ((c.c >> 6) % 4 === 0 && live) {
    return {
      p: {
        domain: w.domain,
        dev: live.dev,
        provider: live.provider,
        flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
        maxLen: 4096,
        napi,
        poolSize: POOL_SIZES[(c.b >> 2) % 5],
      },
      own: false,
      kind: 'dmabuf',
      napi,
    };
  }
  return {
    p: {
      domain: w.domain,
      dev: flags & PP_FLAG_DMA_MAP ? w.domain.createDevice(`pd${w.nextId()}`) : null,
      provider: pagesProvider({ bulk: [1, 8, 64][(c.b >> 5) % 3] }),
      order,
      flags,
      maxLen: flags & PP_FLAG_DMA_SYNC_DEV ? maxLen : 0,
      offset,
      poolSize: POOL_SIZES[(c.b >> 2) % 5],
      dmaTracking: TRACKINGS[c.b % 3],
      fragAlign: [1, 64][(c.c >> 1) & 1],
      napi,
    },
    own: true,
    kind: 'pages',
    napi,
  };
}

function describeParams(p: PagePoolParams): string {
  const { domain: _d, dev, provider, napi, ...rest } = p;
  return JSON.stringify({ ...rest, dev: dev ? dev.name : null, provider: provider?.name, napi: napi ? 'napi' : null });
}

export function poolCreate(w: World, c: Cmd): void {
  const base = poolParams(w, c);
  if (c.bad < 0) {
    if (w.livePools().length >= 4) return;
    const r = good(w, `createPagePool(${describeParams(base.p)})`, () => createPagePool(base.p));
    if (!r.ok) return;
    const pool = r.value;
    const want = base.p.poolSize === 0 ? 1024 : Math.min(base.p.poolSize!, 16384);
    if (pool.ringSize !== want || !(pool.id >= 1)) throw new FuzzFailure(`pool ${pool.id}: ring size ${pool.ringSize}, expected ${want}`);
    const dev = base.own ? (base.p.dev ?? null) : null;
    if (dev) w.devices.push(dev);
    w.pools.push({ n: w.nextId(), pool, dev, napi: base.napi, held: [], users: 1, destroyed: false, devRemoved: false, kind: base.kind });
    w.log(`  -> pool#${pool.id}`);
    return;
  }
  const p = {
    ...base.p,
    provider: pagesProvider(),
    dev: base.p.dev ?? w.nic0,
    flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
    maxLen: 4096,
    order: 0,
    offset: 0,
  };
  const make = (over: Record<string, unknown>) => () => createPagePool({ ...p, ...over } as PagePoolParams);
  const v = (tag: string, over: Record<string, unknown>, opts?: BadOpts): Variant => [tag, () => make(over), opts];
  const binding = w.bindings.find((b) => !b.isFreed && !b.isUnbound && b.dev !== null);
  const ring = w.rings.find((r) => !r.ifq.freed);
  const variants: Variant[] = [
    v('create.flags.unknown', { flags: 16 }),
    v('create.flags.frac', { flags: 1.5 }),
    v('create.flags.str', { flags: '3' }),
    v('create.flags.neg', { flags: -1 }),
    v('create.dmaDir.to-device', { dmaDir: 'to-device' }),
    v('create.dmaDir.bogus', { dmaDir: 'sideways' }),
    v('create.sync-without-map', { flags: PP_FLAG_DMA_SYNC_DEV }),
    v('create.sync-maxLen0', { maxLen: 0 }),
    v('create.map-without-dev', { dev: null }),
    v('create.order.11', { order: 11 }),
    ...numVariants('create.order', (x) => make({ order: x })(), ['undef', 'null', '2^32']),
    ...numVariants('create.poolSize', (x) => make({ poolSize: x })(), ['undef', 'null']),
    ...numVariants('create.maxLen', (x) => make({ maxLen: x })(), ['undef', 'null', '2^32']),
    ...numVariants('create.offset', (x) => make({ offset: x })(), ['undef', 'null', '2^32'], undefined, { nan: 'D14' }),
    v('create.offset.past-page[D14]', { offset: 4096, maxLen: 1 }),
    v('create.offset+maxLen[D14]', { offset: 1024, maxLen: 4096 }),
    v('create.maxLen.past-page[D14]', { maxLen: 8192 }),
    ...numVariants('create.nid', (x) => make({ nid: x })(), ['undef', 'null', 'neg']),
    v('create.nid.99', { nid: 99 }),
    ...numVariants('create.queueIdx', (x) => make({ queueIdx: x })(), ['undef', 'null']),
    ...numVariants('create.fragAlign', (x) => make({ fragAlign: x })(), ['undef', 'null']),
    v('create.fragAlign.3', { fragAlign: 3 }),
    v('create.fragAlign.0', { fragAlign: 0 }),
    v('create.napi.obj', { napi: {} }),
    v('create.netdev.obj', { netdev: {} }),
    v('create.dev.obj', { dev: {} }),
    v('create.dev.foreign', { dev: w.pool2.dev }),
    v('create.domain.obj', { domain: {} }),
    v('create.domain.foreign', { domain: w.domain2 }),
    v('create.provider.obj', { provider: {} }),
    v('create.provider.none', { provider: null }),
    v('create.tracking.bogus', { dmaTracking: 'bogus' }),
    v('create.key.unknown', { poolsize: 10 }),
    ['create.params.undef', () => () => createPagePool(X(undefined))],
    ['create.params.null', () => () => createPagePool(X(null))],
    ['create.params.str', () => () => createPagePool(X('pool'))],
    // A memory provider's init refusing: the create error, nothing left behind (the binding's references included).
    ['create.provider.refuses-order1', () => (binding ? make({ provider: binding.provider, dev: binding.dev, order: 1 }) : null)],
    ['create.provider.dmabuf-no-sync', () => (binding ? make({ provider: binding.provider, dev: binding.dev, flags: PP_FLAG_DMA_MAP }) : null)],
    ['create.provider.zcrx-wrong-dev', () => (ring ? make({ provider: ring.ifq.ops, dev: w.nic0 }) : null)],
  ];
  runBad(w, 'createPagePool', c.bad, variants);
}

/** A pool slot with something the user holds (for puts), preferring pick `i`. */
export function slotWithHeld(w: World, i: number): PoolSlot | undefined {
  return pick(
    w.pools.filter((p) => p.held.length > 0),
    i,
  );
}

export function poolAlloc(w: World, c: Cmd): void {
  const slot = pick(w.pools, c.a);
  if (!slot) return;
  const { pool } = slot;
  const name = `pool#${pool.id}`;
  const page = PAGE_SIZE << pool.order;
  if (c.bad < 0 && !slot.destroyed) {
    if (slot.held.length >= 200) return;
    const kind = slot.kind === 'dmabuf' ? (c.b % 2 === 0 ? 0 : 4) : c.b % 5;
    const size = FRAG_SIZES[c.c % FRAG_SIZES.length];
    if (kind === 0 || kind === 4) {
      const r = good(w, `${name}.allocNetmems(${kind === 4 ? 'GFP_KERNEL' : ''})`, () => (kind === 4 ? pool.allocNetmems(GFP_KERNEL) : pool.allocNetmems()));
      if (r.ok && r.value !== 0) takeNew(w, slot, { nm: r.value });
    } else if (kind === 1) {
      const r = good(w, `${name}.allocFrag(${size})`, () => pool.allocFrag(size));
      if (!r.ok) return;
      if (size > page) {
        if (r.value !== 0) throw new FuzzFailure(`${name}.allocFrag(${size}) above the page size returned ${hex(r.value)}`);
        return;
      }
      if (r.value !== 0) {
        if (pool.lastOffset + size > page) throw new FuzzFailure(`${name}.allocFrag(${size}) at offset ${pool.lastOffset} runs past the ${page}-byte page`);
        takeNew(w, slot, { nm: r.value }, true);
      }
    } else if (kind === 2) {
      const whole = (c.c >> 4) % 3 === 0;
      const r = good(w, `${name}.allocNetmem(${whole ? '' : size})`, () => (whole ? pool.allocNetmem() : pool.allocNetmem(size)));
      if (!r.ok || r.value === 0) return;
      if (pool.lastOffset + pool.lastSize > page) throw new FuzzFailure(`${name}.allocNetmem: offset ${pool.lastOffset} + size ${pool.lastSize} past the page`);
      takeNew(w, slot, { nm: r.value }, true);
    } else {
      if (size > page || skipped('good:allocVa')) return;
      const r = good(w, `${name}.allocVa(${size})`, () => pool.allocVa(size));
      if (!r.ok || r.value === 0) return;
      const nm = w.domain.vaToNetmem(r.value);
      takeNew(w, slot, { nm, va: r.value }, true);
    }
    return;
  }
  if (slot.destroyed) {
    // Allocating from a destroyed pool: refused (or "none"), never a buffer (SPEC §9.9).
    const variants: Variant[] = [
      ['alloc.after-destroy', () => () => pool.allocNetmems(), { accept: (v) => v === 0 }],
      ['allocFrag.after-destroy', () => () => pool.allocFrag(100), { accept: (v) => v === 0 }],
      ['allocNetmem.after-destroy', () => () => pool.allocNetmem(), { accept: (v) => v === 0 }],
    ];
    runBad(w, name, c.bad < 0 ? c.b : c.bad, variants);
    return;
  }
  const variants: Variant[] = [
    ...numVariants('allocFrag', (x) => pool.allocFrag(X(x)), ['2^32', 'inf']),
    ...numVariants('allocNetmem', (x) => pool.allocNetmem(X(x)), ['undef', '2^32', 'inf']),
    ...numVariants('allocVa', (x) => pool.allocVa(X(x)), ['2^32', 'inf']),
    ...numVariants('allocNetmems.gfp', (x) => pool.allocNetmems(X(x)), ['undef', 'null', 'neg', '2^32', 'inf']),
  ];
  runBad(w, name, c.bad, variants);
}

/** Records a new pp reference and checks it is the pool's and handed out. */
function takeNew(w: World, slot: PoolSlot, h: Held, frag = false): void {
  const x = inspectNetmem(w.domain, h.nm);
  if (x.poolId !== slot.pool.id) throw new FuzzFailure(`pool#${slot.pool.id} handed out ${hex(h.nm)}, which names pool ${x.poolId}`);
  if (!frag && x.ppRef !== 1 && !slot.held.some((o) => o.nm === h.nm))
    throw new FuzzFailure(`pool#${slot.pool.id} handed out ${hex(h.nm)} with pp refcount ${x.ppRef}`);
  if (!frag && slot.held.some((o) => o.nm === h.nm)) throw new FuzzFailure(`pool#${slot.pool.id} handed out ${hex(h.nm)} again while the user holds it`);
  slot.held.push(h);
  w.log(`  -> ${hex(h.nm)}${frag ? ` @${slot.pool.lastOffset}` : ''}`);
}

export function dropHeld(w: World, slot: PoolSlot, i: number): Held {
  const h = slot.held.splice(i, 1)[0];
  if (!slot.held.some((o) => o.nm === h.nm)) w.noteReleased(h.nm);
  return h;
}
