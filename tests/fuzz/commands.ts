/**
 * The fuzzer's commands. A command is plain data, `{t, a, b, c, bad}`: `t`
 * names the operation, `a`, `b`, `c` are free numbers the operation reads
 * its choices from (which pool, which held buffer, which size, ...; always
 * taken modulo what exists, so any sequence is valid and shrinks well), and
 * `bad` is -1 for a well-formed call or picks one of the operation's
 * malformed variants.
 *
 * Oracles:
 * - a well-formed call either succeeds or throws a NetmemError (never a
 *   TypeError/RangeError/anything else);
 * - a malformed call must throw a NetmemError (a few queries may answer
 *   "none" instead, and raw DMA-API misuse may instead be recorded as an
 *   IOMMU fault), must not hang, and must change nothing observable;
 * - after every command the SPEC §9 checks and the model's bookkeeping hold
 *   (World.checkAll), and at the end the teardown brings the domain back to
 *   empty (World.teardown).
 */
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  Dmabuf,
  GFP_KERNEL,
  MSG_PEEK,
  MSG_SOCK_DEVMEM,
  Napi,
  PAGE_SIZE,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  allPools,
  controlPlane,
  createPagePool,
  putNetmemBulk,
  type DmaDevice,
  type MemoryDomain,
  type DmaTracking,
  type PagePoolParams,
} from '@netmem/core';
import { inspectNetmem, staleHandleOf } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { DevmemCmsgBuffer, NetdevNlSocket, devmemRecvmsg, devmemRecvmsgObjects, devmemTokens, dontneed, setsockoptDontneed } from '@netmem/provider-devmem';
import {
  CqConsumer,
  IORING_CQE_F_MORE,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_CQE32,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_ZCRX_AREA_DMABUF,
  IoUring,
  RefillProducer,
  ZCRX_USER_BASE,
  type ZcrxIfqReg,
} from '@netmem/provider-iouring';
import { FuzzFailure, HangError, hex, isLibError, type Held, type PoolSlot, type RingSlot, type World } from './world.js';

/** One command (see the file header). */
export interface Cmd {
  t: Kind;
  a: number;
  b: number;
  c: number;
  bad: number;
}

export const KINDS = [
  'pool.create',
  'pool.alloc',
  'pool.put',
  'pool.bulk',
  'pool.ref',
  'pool.destroy',
  'pool.devRemove',
  'pool.bytes',
  'pool.nid',
  'pool.introspect',
  'page.alloc',
  'page.get',
  'page.put',
  'page.bytes',
  'dma',
  'nd.create',
  'nd.receive',
  'nd.updown',
  'nd.config',
  'nd.unregister',
  'nd.devRemove',
  'sk.create',
  'sk.recv',
  'sk.close',
  'sk.clone',
  'clone.free',
  'dm.nl',
  'dm.bind',
  'dm.recv',
  'dm.dontneed',
  'dm.unbind',
  'zc.setup',
  'zc.recv',
  'zc.refill',
  'zc.exit',
  'clock',
] as const;
export type Kind = (typeof KINDS)[number];

/** A malformed value, passed where the types say something else. */
const X = (v: unknown): never => v as never;

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);

/** Bad-argument tags skipped in local exploration (FUZZ_SKIP=tag,tag: substring match). Committed runs skip nothing. */
let skipList: string[] = [];
export function setSkips(list: readonly string[]): void {
  skipList = list.filter((s) => s.length > 0);
}
const skipped = (tag: string): boolean => skipList.some((s) => tag.includes(s));

// ---- calling conventions -----------------------------------------------------

type Result<T> = { ok: true; value: T } | { ok: false; code: string };

/** A well-formed call: succeeds, or throws a NetmemError (a legitimate refusal). Anything else is a failure. */
/** How often each call succeeded or was refused (by errno), for a coverage summary. */
export const coverage = new Map<string, number>();
export function cov(key: string, n = 1): void {
  coverage.set(key, (coverage.get(key) ?? 0) + n);
}

function good<T>(w: World, label: string, fn: () => T): Result<T> {
  w.log(label);
  const key = label
    .replace(/\(.*$/s, '')
    .replace(/#\d+/g, '#')
    .replace(/\bfz\d+/g, 'fz')
    .replace(/^\[in napi\] /, '');
  try {
    const value = w.guarded(fn);
    cov(`${key} ok`);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof HangError) throw new FuzzFailure(`${label}: ${e.message}`);
    if (e instanceof FuzzFailure) throw e;
    if (!isLibError(e)) throw new FuzzFailure(`${label}: a well-formed call threw ${describeError(e)}`);
    const code = (e as { code: string }).code;
    cov(`${key} ${code}`);
    w.log(`  -> ${code}`);
    return { ok: false, code };
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}

interface BadOpts {
  /** A benign answer that is accepted instead of a throw (e.g. 0 for "none"). */
  accept?: (v: unknown) => boolean;
  /** Compare only the live state (the call may legitimately build and tear down something first). */
  loose?: boolean;
  /** Raw DMA-API misuse on this device may be recorded as an IOMMU fault instead of thrown. */
  faultDev?: DmaDevice;
}

/** One malformed variant: a tag (known defect ids in brackets) and the call, or null when it does not apply now. */
type Variant = [tag: string, build: () => (() => unknown) | null, opts?: BadOpts];

/**
 * Runs variant number `idx` (modulo; the next applicable one when it does
 * not apply or is skipped) and checks it was refused and changed nothing.
 * Returns false when no variant applied.
 */
function runBad(w: World, where: string, idx: number, variants: readonly Variant[]): boolean {
  for (let k = 0; k < variants.length; k++) {
    const [tag, build, opts = {}] = variants[(idx + k) % variants.length];
    if (skipped(tag)) continue;
    const fn = build();
    if (fn === null) continue;
    expectRefused(w, `${where} [bad: ${tag}]`, fn, opts);
    cov('malformed calls refused');
    return true;
  }
  return false;
}

function expectRefused(w: World, label: string, fn: () => unknown, opts: BadOpts): void {
  w.log(label);
  const strict = !opts.loose;
  const before = w.observe(strict);
  const faultsBefore = opts.faultDev?.faultCount ?? 0;
  let threw = false;
  try {
    const v = w.guarded(fn);
    if (!(opts.accept?.(v) ?? false) && !(opts.faultDev && opts.faultDev.faultCount > faultsBefore)) {
      throw new FuzzFailure(`${label}: a malformed call did not throw (returned ${show(v)})`);
    }
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    if (e instanceof HangError) throw new FuzzFailure(`${label}: hang: ${e.message}`);
    if (!isLibError(e)) throw new FuzzFailure(`${label}: a malformed call threw ${describeError(e)} instead of a NetmemError`);
    threw = true;
    w.log(`  -> ${(e as { code: string }).code}`);
  }
  const after = w.observe(strict);
  if (opts.faultDev) {
    for (const s of [before, after]) for (const d of s.devices as Record<string, unknown>[]) if (d.name === opts.faultDev.name) delete d.faults;
  }
  const diff = diffPaths(before, after);
  if (diff.length) throw new FuzzFailure(`${label}: the ${threw ? 'refused' : 'answered'} call changed state:\n  ${diff.slice(0, 12).join('\n  ')}`);
}

function show(v: unknown): string {
  if (typeof v === 'number') return hex(v);
  if (v instanceof Uint8Array) return `a Uint8Array(${v.length})`;
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 120)}…` : s;
  } catch {
    return String(v);
  }
}

/** Paths where two snapshots differ, with both values. */
function diffPaths(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (out.length > 20) return out;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    return out;
  }
  if (!Object.is(a, b)) out.push(`${path}: ${show(a)} -> ${show(b)}`);
  return out;
}

/** The usual malformed numbers. */
const NUMS: readonly [string, unknown][] = [
  ['nan', NaN],
  ['neg', -1],
  ['frac', 1.5],
  ['2^32', 2 ** 32],
  ['str', '7'],
  ['undef', undefined],
  ['null', null],
  ['obj', {}],
  ['inf', Infinity],
];

/** Variants that pass each malformed number to `call`. */
function numVariants(
  prefix: string,
  call: ((v: unknown) => unknown) | null,
  skip: readonly string[] = [],
  opts?: BadOpts,
  known: Record<string, string> = {},
): Variant[] {
  return NUMS.filter(([n]) => !skip.includes(n)).map(
    ([n, v]): Variant => [`${prefix}.${n}${known[n] ? `[${known[n]}]` : ''}`, () => (call ? () => call(v) : null), opts],
  );
}

/** Forged forms of a handle the user holds: each names the same buffer or a neighbour, and none may be accepted. */
function forged(
  w: World,
  prefix: string,
  nm: number | undefined,
  call: (h: unknown) => unknown,
  known: Record<string, string> = {},
  opts?: BadOpts,
): Variant[] {
  const v = (name: string, f: (n: number) => unknown, when = true): Variant => [
    `${prefix}.${name}${known[name] ? `[${known[name]}]` : ''}`,
    () => (nm === undefined || nm === 0 || !when ? null : () => call(f(nm))),
    opts,
  ];
  return [
    v('xor1', (n) => n ^ 1),
    v('or1', (n) => n | 1, nm !== undefined && (nm & 1) === 0),
    v('plus2^32', (n) => n + 2 ** 32),
    v('plushalf', (n) => n + 0.5),
    v('string', (n) => String(n)),
    v('negated', (n) => -n),
    v('stale', (n) => staleHandleOf(n), w.cfg.checked),
    [`${prefix}.zero`, () => () => call(0), opts],
    ...numVariants(`${prefix}.handle`, call, ['neg', 'inf'], opts),
  ];
}

// ---- pools -------------------------------------------------------------------

const ORDERS = [0, 0, 0, 1, 2];
const TRACKINGS: readonly DmaTracking[] = ['xarray', 'item-block', 'none'];
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

function poolCreate(w: World, c: Cmd): void {
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
function slotWithHeld(w: World, i: number): PoolSlot | undefined {
  return pick(
    w.pools.filter((p) => p.held.length > 0),
    i,
  );
}

function poolAlloc(w: World, c: Cmd): void {
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

function dropHeld(w: World, slot: PoolSlot, i: number): Held {
  const h = slot.held.splice(i, 1)[0];
  if (!slot.held.some((o) => o.nm === h.nm)) w.noteReleased(h.nm);
  return h;
}

const SYNC_SIZES = [-1, 0, 100, 4096, 100000];

function poolPut(w: World, c: Cmd): void {
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

function poolBulk(w: World, c: Cmd): void {
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

function poolRef(w: World, c: Cmd): void {
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

function poolDestroy(w: World, c: Cmd): void {
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

function poolDevRemove(w: World, c: Cmd): void {
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

function poolBytes(w: World, c: Cmd): void {
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

function poolNid(w: World, c: Cmd): void {
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

function poolIntrospect(w: World, c: Cmd): void {
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

// ---- pages ---------------------------------------------------------------------

function pageAlloc(w: World, c: Cmd): void {
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

function pageGet(w: World, c: Cmd): void {
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

function pagePut(w: World, c: Cmd): void {
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

function pageBytes(w: World, c: Cmd): void {
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

// ---- raw DMA API on a dedicated device -------------------------------------------

function dma(w: World, c: Cmd): void {
  const dev = w.dmadev;
  const region = w.domain.pageRegion;
  const m = pick(w.raw, c.b);
  if (c.bad < 0) {
    const op = c.a % 5;
    if (op === 0 || !m) {
      const ref = pick(w.pages, c.c);
      if (!ref || w.raw.length >= 16) return;
      const dir = [DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE][c.b % 3];
      const off = w.domain.pageVa(ref.nm);
      const r = good(w, `dmadev.map(pageRegion, ${off}, 4096, ${dir})`, () => dev.map(region, off, 4096, dir));
      if (r.ok && r.value !== 0) w.raw.push({ iova: r.value, nm: ref.nm, dir });
      return;
    }
    if (op === 1) {
      w.raw.splice(w.raw.indexOf(m), 1);
      good(w, `dmadev.unmap(${hex(m.iova)}, ${m.dir})`, () => dev.unmap(m.iova, m.dir));
      return;
    }
    if (op === 2) {
      good(w, `dmadev.syncForDevice/Cpu(${hex(m.iova)}, 0, 100)`, () => {
        dev.syncForDevice(m.iova, 0, 100, m.dir);
        dev.syncForCpu(m.iova, 0, 100, m.dir);
      });
      return;
    }
    if (op === 3 && m.dir !== DMA_TO_DEVICE) {
      const src = new Uint8Array(64).fill(c.c & 0xff);
      good(w, `dmadev.write(${hex(m.iova)}, 64 bytes)`, () => dev.write(m.iova, src));
      return;
    }
    if (op === 4 && m.dir !== DMA_FROM_DEVICE) {
      const dst = new Uint8Array(64);
      good(w, `dmadev.read(${hex(m.iova)}, 64 bytes)`, () => dev.read(m.iova, dst));
    }
    return;
  }
  const ref = pick(w.pages, c.c);
  const off = ref ? w.domain.pageVa(ref.nm) : 0;
  const mine = new Set(w.raw.map((x) => x.iova));
  const other = (iova: number): boolean => !mine.has(iova) && !dev.isMapped(iova);
  // Misuse of the DMA API: refused, or recorded as an IOMMU fault, and no mapping of the user's disturbed.
  const f: BadOpts = { faultDev: dev };
  w.faultyOk.add(dev);
  runBad(w, 'dmadev', c.bad, [
    ...numVariants('map.offset', ref ? (x) => dev.map(region, X(x), 4096, DMA_BIDIRECTIONAL) : null, ['undef'], f, {
      nan: 'D17',
      frac: 'D17',
      str: 'D17',
      null: 'D17',
      obj: 'D17',
    }),
    ...numVariants('map.len', ref ? (x) => dev.map(region, off, X(x), DMA_BIDIRECTIONAL) : null, ['undef'], f, {
      nan: 'D17',
      frac: 'D17',
      str: 'D17',
      null: 'D17',
      obj: 'D17',
    }),
    ...numVariants('map.dir', ref ? (x) => dev.map(region, off, 4096, X(x)) : null, ['undef', 'neg'], f),
    ['map.dir.7', () => (ref ? () => dev.map(region, off, 4096, 7) : null), f],
    ['map.region.obj', () => () => dev.map(X({}), 0, 4096, DMA_BIDIRECTIONAL), f],
    ['unmap.plus-page[D17]', () => (m && other(m.iova + 4096) ? () => dev.unmap(m.iova + 4096, m.dir) : null), f],
    ['unmap.inside', () => (m ? () => dev.unmap(m.iova + 1, m.dir) : null), f],
    ['unmap.dir-mismatch', () => (m ? () => dev.unmap(m.iova, m.dir === DMA_TO_DEVICE ? DMA_FROM_DEVICE : DMA_TO_DEVICE) : null), f],
    ...numVariants('unmap.iova', (x) => dev.unmap(X(x), DMA_BIDIRECTIONAL), ['undef'], f),
    ['write.len-past-source[D17]', () => (m && m.dir !== DMA_TO_DEVICE ? () => dev.write(m.iova, new Uint8Array(16), 0, 200) : null), f],
    ['write.past-mapping', () => (m && m.dir !== DMA_TO_DEVICE ? () => dev.write(m.iova, new Uint8Array(5000)) : null), f],
    ['write.srcOff.neg', () => (m && m.dir !== DMA_TO_DEVICE ? () => dev.write(m.iova, new Uint8Array(16), -8, 8) : null), f],
    ...numVariants('write.iova', (x) => dev.write(X(x), new Uint8Array(8)), ['undef'], f),
    ['read.len-past-dest', () => (m && m.dir !== DMA_FROM_DEVICE ? () => dev.read(m.iova, new Uint8Array(16), 0, 200) : null), f],
    ...numVariants('syncForDevice.len', m ? (x) => dev.syncForDevice(m.iova, 0, X(x), m.dir) : null, ['undef'], f),
    ...numVariants('syncForCpu.off', m ? (x) => dev.syncForCpu(m.iova, X(x), 16, m.dir) : null, ['undef'], f),
  ]);
}

// ---- netdevs and the receive path -----------------------------------------------

function ndCreate(w: World, c: Cmd): void {
  if (c.bad < 0) {
    if (w.netdevs.filter((n) => !n.unregistered).length >= 3) return;
    const o = {
      rxQueues: 1 + (c.a % 4),
      headerSplit: c.b % 3 !== 0,
      ringSize: [4, 8, 16][c.c % 3],
      poolSize: [0, 16, 64][(c.c >> 2) % 3],
      dmaTracking: TRACKINGS[(c.a >> 2) % 3],
      hdrBufSize: [128, 256][(c.b >> 2) & 1],
      supportsUnreadable: (c.c >> 4) % 4 !== 0,
      strictIommu: (c.b >> 3) % 3 === 0 && TRACKINGS[(c.a >> 2) % 3] !== 'none',
      up: (c.a >> 4) % 5 !== 0,
    };
    const r = good(w, `ns.createNetdevsim(${JSON.stringify(o)})`, () => w.addNetdev(o));
    if (r.ok) w.log(`  -> ${r.value.nd.name} ifindex ${r.value.nd.ifindex}`);
    return;
  }
  const mk = (o: unknown) => () => w.ns.createNetdevsim(X(o));
  const name = () => `bad${w.nextId()}`;
  const taken = w.netdevs.find((x) => x.nd.regState === 'registered')?.nd.name;
  runBad(w, 'ns.createNetdevsim', c.bad, [
    ['rxQueues.1e8[D13]', () => mk({ name: name(), rxQueues: 1e8 })],
    ['rxQueues.0', () => mk({ name: name(), rxQueues: 0 })],
    ...numVariants('rxQueues', (x) => mk({ name: name(), rxQueues: x })(), ['undef', 'null', '2^32', 'inf']),
    ['maxRxQueues.below', () => mk({ name: name(), rxQueues: 4, maxRxQueues: 2 })],
    ['maxRxQueues.1e8[D13]', () => mk({ name: name(), maxRxQueues: 1e8 })],
    ...numVariants('ringSize', (x) => mk({ name: name(), ringSize: x })(), ['undef', 'null', '2^32', 'inf']),
    ['ringSize.0', () => mk({ name: name(), ringSize: 0 })],
    ['ringSize.huge', () => mk({ name: name(), ringSize: 2 ** 31 })],
    ...numVariants('hdrBufSize', (x) => mk({ name: name(), hdrBufSize: x })(), ['undef', 'null']),
    ...numVariants('poolSize', (x) => mk({ name: name(), poolSize: x })(), ['undef', 'null']),
    ['dmaTracking.bogus', () => mk({ name: name(), dmaTracking: 'bogus' })],
    ['name.empty', () => mk({ name: '' })],
    ['name.number', () => mk({ name: 7 })],
    ['name.duplicate', () => (taken ? mk({ name: taken }) : null)],
    ['headerSplit.str', () => mk({ name: name(), headerSplit: 'yes' })],
    ['strictIommu.str', () => mk({ name: name(), strictIommu: 'no' })],
    ['up.str', () => mk({ name: name(), up: 'x' })],
    ['supportsUnreadable.str', () => mk({ name: name(), supportsUnreadable: 'x' })],
    ['key.unknown', () => mk({ name: name(), rxqueues: 2 })],
    ['opts.str', () => mk('eth9')],
    ['opts.null', () => mk(null)],
  ]);
}

const PKT_SIZES = [1, 14, 54, 60, 100, 1500, 4000, 4096, 4097, 9000, 17 * 4096, 20 * 4096];
const HDR_LENS = [0, 14, 54, 66, 128, 200];

function packet(len: number, seed: number): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i += 97) p[i] = (seed + i) & 0xff;
  return p;
}

function ndReceive(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  const s = pick(w.sockets, c.c >> 6);
  if (!slot || !s) return;
  const { nd, drv } = slot;
  // Half the time aim at a queue with a memory provider (devmem / zcrx), when there is one.
  const bound = nd.rxQueues.slice(0, nd.realNumRxQueues).filter((x) => x.mp !== null);
  const q = (c.b >> 9) % 2 === 0 && bound.length ? bound[(c.b >> 10) % bound.length].index : c.b % nd.realNumRxQueues;
  const len = PKT_SIZES[c.c % PKT_SIZES.length];
  const maxHdr = nd.headerSplit ? slot.hdrBuf : PAGE_SIZE;
  const hdr = Math.min(HDR_LENS[(c.c >> 4) % HDR_LENS.length], len, maxHdr);
  const pkt = packet(len, c.b);
  if (c.bad < 0) {
    const burst = 1 + ((c.b >> 3) % 3);
    for (let k = 0; k < burst; k++) {
      const r = good(w, `driver(${nd.name}).receive(${q}, packet(${len}), ${hdr}, sk#${s.n})`, () => drv.receive(q, pkt, hdr, s.sk));
      if (!r.ok) {
        // The queue restarting under a provider, or the device unregistering, can make a receive fail; nothing else may.
        if (r.code !== 'ENODEV') throw new FuzzFailure(`receive of a well-formed packet was refused (${r.code})`);
        return;
      }
    }
    return;
  }
  const rx = (qq: unknown, p: unknown, h: unknown, sk: unknown) => () => drv.receive(X(qq), X(p), X(h), X(sk));
  runBad(w, `driver(${nd.name})`, c.bad, [
    ...numVariants('receive.q', (x) => rx(x, pkt, hdr, s.sk)(), []),
    ['receive.q.past', () => rx(nd.realNumRxQueues, pkt, hdr, s.sk)],
    ...numVariants('receive.hdrLen', (x) => rx(q, pkt, x, s.sk)(), ['2^32'], undefined, { frac: 'D5' }),
    ['receive.hdrLen.past-packet', () => rx(q, pkt, len + 1, s.sk)],
    // (Only on a running queue: one that is not running has no buffer to measure against, and drops the packet.)
    ['receive.hdrLen.past-buffer', () => (nd.headerSplit && len > slot.hdrBuf && drv.pool(q) !== null ? rx(q, pkt, slot.hdrBuf + 1, s.sk) : null)],
    ['receive.packet.str', () => rx(q, 'x'.repeat(100), 14, s.sk)],
    ['receive.packet.obj', () => rx(q, {}, 0, s.sk)],
    ['receive.packet.array', () => rx(q, [1, 2, 3, 4], 0, s.sk)],
    ['receive.packet.null', () => rx(q, null, 0, s.sk)],
    ['receive.packet.sab', () => rx(q, new SharedArrayBuffer(64), 0, s.sk)],
    ['receive.sk.obj', () => rx(q, pkt, hdr, {})],
    ['receive.sk.null', () => rx(q, pkt, hdr, null)],
    ['receive.sk.foreign-namespace', () => rx(q, pkt, hdr, w.sk2)],
  ]);
}

function ndUpDown(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  if (!slot) return;
  const { nd } = slot;
  if (c.bad < 0) {
    if (nd.up) good(w, `${nd.name}.close()`, () => nd.close());
    else good(w, `${nd.name}.open()`, () => nd.open());
    return;
  }
  runBad(w, nd.name, c.bad, [
    ['ns.driver.obj', () => () => w.ns.driver(X({}))],
    ['ns.driver.foreign', () => () => w.ns.driver(X(w.ns2.loopback))],
    ...numVariants('rxQueue', (x) => nd.rxQueue(X(x)), []),
  ]);
}

function ndConfig(w: World, c: Cmd): void {
  const slot = pick(w.netdevs, c.a);
  if (!slot) return;
  const { nd } = slot;
  if (c.bad < 0) {
    const op = c.b % 4;
    if (op === 0) {
      const n = 1 + (c.c % nd.rxQueues.length);
      good(w, `${nd.name}.setChannels(${n})`, () => nd.setChannels(n));
    } else if (op === 1) {
      const on = (c.c & 1) === 0;
      const thresh = [0, 0, 128][(c.c >> 1) % 3];
      good(w, `${nd.name}.setHeaderSplit(${on}, ${thresh})`, () => nd.setHeaderSplit(on, thresh));
    } else if (op === 2) {
      const on = (c.c & 1) === 1;
      good(w, `${nd.name}.setXdp(${on})`, () => nd.setXdp(on));
    } else {
      good(w, `${nd.name}.setHeaderSplit(true, 0)`, () => nd.setHeaderSplit(true, 0));
    }
    return;
  }
  runBad(w, nd.name, c.bad, [
    ...numVariants('setChannels', (x) => nd.setChannels(X(x)), []),
    ['setChannels.0', () => () => nd.setChannels(0)],
    ['setChannels.past-max', () => () => nd.setChannels(nd.rxQueues.length + 1)],
    ['setHeaderSplit.on.str', () => () => nd.setHeaderSplit(X('yes'), 0)],
    ['setHeaderSplit.on.num', () => () => nd.setHeaderSplit(X(1), 0)],
    ...numVariants('setHeaderSplit.thresh', (x) => nd.setHeaderSplit(true, X(x)), ['undef']),
    ['setXdp.str', () => () => nd.setXdp(X('on'))],
    ['setXdp.num', () => () => nd.setXdp(X(1))],
  ]);
}

function ndUnregister(w: World, c: Cmd): void {
  const slot = pick(
    w.netdevs.filter((n) => !n.unregistered),
    c.a,
  );
  if (!slot) return;
  if (c.bad >= 0) {
    runBad(w, slot.nd.name, c.bad, [
      ['transmit.obj', () => () => slot.nd.transmit(X({}))],
      ['transmit.null', () => () => slot.nd.transmit(X(null))],
    ]);
    return;
  }
  const r = good(w, `${slot.nd.name}.unregister()`, () => slot.nd.unregister());
  if (!r.ok) throw new FuzzFailure(`unregister of ${slot.nd.name} was refused (${r.code})`);
  slot.unregistered = true;
  for (const r2 of w.rings) if (r2.ifq.netdev === slot.nd) throw new FuzzFailure(`ifq of ring ${r2.n} still names ${slot.nd.name} after unregister`);
}

function ndDevRemove(w: World, c: Cmd): void {
  const slot = pick(
    w.netdevs.filter((n) => n.unregistered && !n.devRemoved),
    c.a,
  );
  if (!slot) return;
  good(w, `${slot.nd.name}.dev.remove()  // after unregister, as a driver unbind does`, () => slot.dev.remove());
  slot.devRemoved = true;
  if (slot.tracking === 'none') w.faultyOk.add(slot.dev);
}

// ---- sockets and skbs -------------------------------------------------------------

function skCreate(w: World, c: Cmd): void {
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

function skRecv(w: World, c: Cmd): void {
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

function skClose(w: World, c: Cmd): void {
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

function skClone(w: World, c: Cmd): void {
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

function cloneFree(w: World, c: Cmd): void {
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

// ---- devmem ---------------------------------------------------------------------

function dmNl(w: World, c: Cmd): void {
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

function dmBind(w: World, c: Cmd): void {
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

function dmRecv(w: World, c: Cmd): void {
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

function dmDontneed(w: World, c: Cmd): void {
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

function dmUnbind(w: World, c: Cmd): void {
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

// ---- io_uring zcrx ---------------------------------------------------------------

function zcSetup(w: World, c: Cmd): void {
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
    const ifq = r.value;
    const slotR: RingSlot = {
      n: w.nextId(),
      ring,
      ifq,
      rq: new RefillProducer(ifq.rqBuffer, reg.offsets!, reg.rqEntries),
      cq: new CqConsumer(ring.cq.buffer),
      reqs: new Map(),
      held: [],
      exited: false,
    };
    w.rings.push(slotR);
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

function zcRecv(w: World, c: Cmd): void {
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

function zcRefill(w: World, c: Cmd): void {
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

function zcExit(w: World, c: Cmd): void {
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

// ---- the clock ---------------------------------------------------------------------

function clockCmd(w: World, c: Cmd): void {
  if (c.bad < 0) {
    const ms = [0, 1, 999, 1000, 1001, 5000, 61000][c.a % 7];
    good(w, `clock.advance(${ms})`, () => w.clock.advance(ms));
    return;
  }
  runBad(w, 'clock', c.bad, [
    ...numVariants('advance', (x) => w.clock.advance(X(x)), ['2^32', 'frac'], undefined, { nan: 'D-clock', inf: 'D-clock' }),
    ['advance.-inf[D-clock]', () => () => w.clock.advance(-Infinity)],
  ]);
}

const HANDLERS: Record<Kind, (w: World, c: Cmd) => void> = {
  'pool.create': poolCreate,
  'pool.alloc': poolAlloc,
  'pool.put': poolPut,
  'pool.bulk': poolBulk,
  'pool.ref': poolRef,
  'pool.destroy': poolDestroy,
  'pool.devRemove': poolDevRemove,
  'pool.bytes': poolBytes,
  'pool.nid': poolNid,
  'pool.introspect': poolIntrospect,
  'page.alloc': pageAlloc,
  'page.get': pageGet,
  'page.put': pagePut,
  'page.bytes': pageBytes,
  dma,
  'nd.create': ndCreate,
  'nd.receive': ndReceive,
  'nd.updown': ndUpDown,
  'nd.config': ndConfig,
  'nd.unregister': ndUnregister,
  'nd.devRemove': ndDevRemove,
  'sk.create': skCreate,
  'sk.recv': skRecv,
  'sk.close': skClose,
  'sk.clone': skClone,
  'clone.free': cloneFree,
  'dm.nl': dmNl,
  'dm.bind': dmBind,
  'dm.recv': dmRecv,
  'dm.dontneed': dmDontneed,
  'dm.unbind': dmUnbind,
  'zc.setup': zcSetup,
  'zc.recv': zcRecv,
  'zc.refill': zcRefill,
  'zc.exit': zcExit,
  clock: clockCmd,
};

/** Runs one command and the per-step checks. */
export function step(w: World, c: Cmd): void {
  w.steps++;
  try {
    HANDLERS[c.t](w, c);
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    throw new FuzzFailure(`${c.t}: the harness itself threw ${describeError(e)}`);
  }
  w.checkAll(`after ${c.t}`);
}
