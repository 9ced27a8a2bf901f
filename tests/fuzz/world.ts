/**
 * The fuzzer's world: one memory domain (plus a second one whose handles
 * are "foreign"), a namespace with netdevsim devices, standalone pools,
 * raw pages, sockets, devmem control sockets and bindings, io_uring zcrx
 * rings, and the model of what the fuzzer's "user" holds (pp references,
 * page references, devmem tokens, zcrx buffers, skb clones). It also holds
 * the oracles: a snapshot of the observable state (for "a bad call changes
 * nothing"), the invariant checks run after every step, and the teardown
 * that must bring the domain back to empty.
 *
 * Only public entry points are used: `@netmem/core`, `@netmem/core/testing`
 * and the provider packages' index.
 */
import {
  Dmabuf,
  type Napi,
  NetNamespace,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  allPools,
  createPagePool,
  isNetmemError,
  setPagePoolTracer,
  type DmaDevice,
  type DmaTracking,
  type MemoryDomain,
  type NetDevice,
  type NetdevsimDriver,
  type NetmemWarning,
  type PagePool,
  type SkBuff,
  type TcpSocket,
  type VirtualClock,
} from '@netmem/core';
import { checkDomainInvariants, inspectNetmem, quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { NetdevNlSocket, checkDevmemInvariants, devmemTokens, type DmabufBinding } from '@netmem/provider-devmem';
import {
  CqConsumer,
  IoUring,
  RefillProducer,
  ZCRX_USER_BASE,
  checkZcrxInvariants,
  type RecvZcRequest,
  type ZcrxIfq,
  type ZcrxIfqReg,
} from '@netmem/provider-iouring';

/** A fuzzer oracle was violated (never a NetmemError: those are the library's answers). */
export class FuzzFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** Thrown from the tracer when one API call runs a pool's release retry absurdly often (an endless timer loop). */
export class HangError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HangError';
  }
}

/** Per-run configuration (drawn by fast-check). */
export interface WorldConfig {
  /** Checked domain (stale-handle detection, full ledger). */
  checked: boolean;
  /** NUMA nodes (1 or 2). */
  numa: number;
  /** Pages per bulk allocation of the namespace's page provider. */
  bulk: number;
  /** DMA tracking of the first netdev's pools. */
  tracking: DmaTracking;
  /** Coalescing on the first socket. */
  coalesce: boolean;
  /** Providers bound from the start: a dmabuf on eth0 queue 1, a zcrx ifq on queue 2. */
  preset: 'none' | 'devmem' | 'zcrx' | 'both';
}

/** One pp reference the user holds (a frag page appears once per frag). */
export interface Held {
  nm: number;
  /** Set when it came from allocVa: freeVa(va) puts it back. */
  va?: number;
}

/** A standalone pool and what the user holds of it. */
export interface PoolSlot {
  n: number;
  pool: PagePool;
  /** Its own DMA device (removed only after destroy, as a driver unbind does). */
  dev: DmaDevice | null;
  napi: Napi | null;
  held: Held[];
  /** User references still to drop with destroy() (page_pool_get adds one). */
  users: number;
  destroyed: boolean;
  devRemoved: boolean;
  /** 'pages' (normal pages) or 'dmabuf' (a devmem binding's provider: net_iovs, no frags, no extra refs). */
  kind: 'pages' | 'dmabuf';
}

/** A page reference the user holds outside any pool (allocPages, or getPage of a pool page). */
export interface PageRef {
  nm: number;
  refs: number;
}

/** A netdevsim device. */
export interface NdSlot {
  n: number;
  nd: NetDevice;
  drv: NetdevsimDriver;
  dev: DmaDevice;
  hdrBuf: number;
  tracking: DmaTracking;
  unregistered: boolean;
  devRemoved: boolean;
}

/** A socket and the devmem tokens its user holds. */
export interface SkSlot {
  n: number;
  sk: TcpSocket;
  tokens: number[];
}

/** A zcrx ring: the io_uring, its ifq, user-side producer/consumer, armed requests and buffers the user holds. */
export interface RingSlot {
  n: number;
  ring: IoUring;
  ifq: ZcrxIfq;
  rq: RefillProducer;
  cq: CqConsumer;
  reqs: Map<TcpSocket, RecvZcRequest>;
  /** CQE offsets of buffers the user holds (one entry per user reference). */
  held: number[];
  exited: boolean;
}

/** A mapping made directly through the DMA API on the dedicated device. */
export interface RawMapping {
  iova: number;
  nm: number;
  dir: number;
}

/** Warnings that are always a bug (leaks and refcount violations found by the library itself). */
const FATAL_WARNINGS = new Set(['page-pool-leak', 'devmem-leak', 'ring-refcnt', 'negative-inflight', 'devmem-put', 'devmem-release']);

/** Upper bound of release retries within one API call before it is called a hang. */
const HANG_RETRIES = 20_000;

export const PAGES = 2048;
export const NET_IOVS = 4096;

const hex = (n: unknown): string => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? `0x${n.toString(16)}` : String(n));

export class World {
  readonly domain: MemoryDomain;
  readonly clock: VirtualClock;
  readonly warnings: NetmemWarning[];
  readonly ns: NetNamespace;
  /** A second domain and namespace: the source of foreign handles and sockets. */
  readonly domain2: MemoryDomain;
  readonly ns2: NetNamespace;
  readonly pool2: PagePool;
  readonly foreign: number[] = [];
  readonly sk2: TcpSocket;
  /** The quiet world's device; a device only raw DMA-API commands use. */
  readonly nic0: DmaDevice;
  readonly dmadev: DmaDevice;
  readonly startFree: number;

  readonly pools: PoolSlot[] = [];
  readonly pages: PageRef[] = [];
  readonly netdevs: NdSlot[] = [];
  readonly sockets: SkSlot[] = [];
  readonly clones: SkBuff[] = [];
  readonly nls: NetdevNlSocket[] = [];
  readonly bindings: DmabufBinding[] = [];
  readonly rings: RingSlot[] = [];
  readonly raw: RawMapping[] = [];
  /** Handles the user gave back (candidates for double puts and stale handles), newest last. */
  readonly released: number[] = [];
  /** Page handles the user freed (candidates for get/put of a free page). */
  readonly freedPages: number[] = [];
  /** Every device the world made, for the snapshot and the final checks. */
  readonly devices: DmaDevice[] = [];
  /** Devices whose faults are expected (a 'none'-tracked pool's late DMA after removal). */
  readonly faultyOk = new Set<DmaDevice>();

  /** The API calls made, for the failure report. */
  readonly trace: string[] = [];
  steps = 0;
  private counter = 0;
  private retries = 0;
  private guarding = false;

  constructor(readonly cfg: WorldConfig) {
    const q = quietWorld({ pages: PAGES, netIovs: NET_IOVS, checked: cfg.checked, numaNodes: cfg.numa });
    this.domain = q.domain;
    this.clock = q.clock;
    this.warnings = q.warnings;
    this.nic0 = q.dev;
    this.devices.push(q.dev);
    this.dmadev = this.domain.createDevice('dmadev');
    this.devices.push(this.dmadev);
    this.ns = new NetNamespace(this.domain, { pageProvider: pagesProvider({ bulk: cfg.bulk }) });
    const q2 = quietWorld({ pages: 64, netIovs: 0 });
    this.domain2 = q2.domain;
    this.ns2 = new NetNamespace(this.domain2, { pageProvider: pagesProvider({ bulk: 8 }) });
    this.pool2 = this.newPool2(q2.dev);
    for (let i = 0; i < 4; i++) this.foreign.push(this.pool2.allocNetmems());
    this.sk2 = this.ns2.socket();
    // A watchdog for endless timer loops (a clock moved to Infinity re-fires a release retry forever).
    setPagePoolTracer(this.domain, {
      release: () => {
        if (this.guarding && ++this.retries > HANG_RETRIES) {
          this.guarding = false;
          throw new HangError(`more than ${HANG_RETRIES} pool release retries in one call: an endless timer loop`);
        }
      },
    });
    this.startFree = this.domain.freePages;
    // The starting furniture: a standalone pool, a header-split netdev with 4 queues, a socket, a netlink socket.
    const eth0 = this.addNetdev({ rxQueues: 4, headerSplit: true, ringSize: 8, dmaTracking: cfg.tracking });
    this.addSocket({ coalesce: cfg.coalesce });
    if (cfg.preset === 'devmem' || cfg.preset === 'both') {
      const nl = new NetdevNlSocket(this.ns);
      this.nls.push(nl);
      const id = nl.bindRx({ ifindex: eth0.nd.ifindex, dmabuf: new Dmabuf({ pages: 16, segmentPages: 8 }), queues: [{ id: 1, type: 'rx' }] });
      this.bindings.push(nl.binding(id)!);
      this.log(`setup: nl.bindRx({ifindex: ${eth0.nd.ifindex}, dmabuf: 16 pages, queues: [1]}) -> binding ${id}`);
    }
    if (cfg.preset === 'zcrx' || cfg.preset === 'both') {
      const ring = new IoUring(this.ns, { entries: 8 });
      const mem = new SharedArrayBuffer(16 * 4096);
      const reg: ZcrxIfqReg = {
        ifIdx: eth0.nd.ifindex,
        ifRxq: 2,
        rqEntries: 16,
        area: { addr: ZCRX_USER_BASE, len: 16 * 4096, memory: mem },
        region: { size: 64 + 16 * 16 },
      };
      const ifq = ring.registerZcrxIfq(reg);
      this.rings.push({
        n: this.nextId(),
        ring,
        ifq,
        rq: new RefillProducer(ifq.rqBuffer, reg.offsets!, reg.rqEntries),
        cq: new CqConsumer(ring.cq.buffer),
        reqs: new Map(),
        held: [],
        exited: false,
      });
      this.log(`setup: new IoUring(ns, {entries: 8}).registerZcrxIfq({ifIdx: ${eth0.nd.ifindex}, ifRxq: 2, rqEntries: 16, area: 16 pages of user memory})`);
    }
  }

  private newPool2(dev: DmaDevice): PagePool {
    return createPagePool({
      domain: this.domain2,
      dev,
      provider: pagesProvider({ bulk: 8 }),
      flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
      maxLen: 4096,
      poolSize: 64,
    });
  }

  nextId(): number {
    return ++this.counter;
  }

  log(line: string): void {
    this.trace.push(line);
  }

  /** Runs one command body with the hang watchdog armed. */
  guarded<T>(fn: () => T): T {
    this.retries = 0;
    this.guarding = true;
    try {
      return fn();
    } finally {
      this.guarding = false;
    }
  }

  // ---- furniture ------------------------------------------------------------

  addNetdev(o: Parameters<NetNamespace['createNetdevsim']>[0]): NdSlot {
    const n = this.nextId();
    const nd = this.ns.createNetdevsim({ name: `fz${n}`, ...o });
    const slot: NdSlot = {
      n,
      nd,
      drv: this.ns.driver(nd),
      dev: nd.dev!,
      hdrBuf: o?.hdrBufSize ?? 256,
      tracking: o?.dmaTracking ?? 'xarray',
      unregistered: false,
      devRemoved: false,
    };
    this.netdevs.push(slot);
    this.devices.push(slot.dev);
    return slot;
  }

  addSocket(o: Parameters<NetNamespace['socket']>[0]): SkSlot {
    const slot: SkSlot = { n: this.nextId(), sk: this.ns.socket(o), tokens: [] };
    this.sockets.push(slot);
    return slot;
  }

  openSockets(): SkSlot[] {
    return this.sockets.filter((s) => s.sk.state !== 'closed');
  }

  livePools(): PoolSlot[] {
    return this.pools.filter((p) => !p.destroyed);
  }

  /** Remembers a handle the user gave back (bounded). */
  noteReleased(nm: number): void {
    this.released.push(nm);
    if (this.released.length > 32) this.released.shift();
  }

  /** True when some holder the model knows of still holds descriptor `d` (so an old handle of it must not be put). */
  descHeldByUser(nm: number): boolean {
    const d = inspectNetmem(this.domain, nm).desc;
    for (const p of this.pools) for (const h of p.held) if (inspectNetmem(this.domain, h.nm).desc === d) return true;
    for (const r of this.pages) if (inspectNetmem(this.domain, r.nm).desc === d) return true;
    return false;
  }

  // ---- the snapshot ---------------------------------------------------------

  /**
   * The observable state. `strict` includes cumulative counters (maps,
   * unmaps, syncs, pool stats) that a call refused for a malformed argument
   * must not move either; without it only the live state is compared.
   */
  observe(strict: boolean): Record<string, unknown> {
    const s: Record<string, unknown> = {};
    const d = this.domain;
    s.clock = [this.clock.now(), this.clock.pending];
    s.domain = [d.freePages, d.leaks];
    s.pools = allPools(d).map((p) => ({
      id: p.id,
      inflight: p.inflight,
      hold: p.holdCount,
      release: p.releaseCount,
      cache: p.cacheSize,
      ring: p.ringLength,
      destroying: p.destroyStarted,
      freed: p.isFreed,
      frag: p.currentFragPage,
      nid: p.nid,
      ...(strict ? { stats: p.stats(), last: [p.lastOffset, p.lastSize] } : {}),
    }));
    s.devices = this.devices.map((dev) => {
      const c = dev.counters();
      return strict ? { name: dev.name, removed: dev.removed, ...c } : { name: dev.name, removed: dev.removed, live: c.liveMappings, faults: c.faults };
    });
    s.netdevs = this.netdevs.map(({ nd, drv }) => ({
      name: nd.name,
      reg: nd.regState,
      up: nd.up,
      rxq: nd.realNumRxQueues,
      hs: [nd.headerSplit, nd.hdsThresh],
      xdp: nd.xdp,
      mp: nd.rxQueues.map((q) => q.mp?.name ?? null),
      tx: [nd.txPackets, nd.txBytes, nd.txDropped, nd.txDroppedUnreadable],
      pools: nd.pools.size,
      q: nd.rxQueues.slice(0, nd.realNumRxQueues).map((_, i) => [drv.counters(i), drv.posted(i), drv.pool(i)?.id ?? 0]),
    }));
    s.ns = [this.ns.allDevices().map((x) => `${x.ifindex}:${x.name}`), this.ns.skbs.live];
    s.sockets = this.sockets.map(({ sk }) => {
      const t = devmemTokens(sk);
      return [sk.state, sk.pendingBytes, sk.queueLength, sk.rcvBytes, sk.copiedBytes, sk.coalesced, sk.headOffset, t ? [t.held, t.issued] : null];
    });
    s.bindings = this.bindings.map((b) => [
      b.id,
      b.refs,
      b.isFreed,
      b.isUnbound,
      b.chunks.free,
      b.mappings,
      b.boundQueues.length,
      b.leaked,
      ...(strict ? [b.allocs] : []),
    ]);
    s.nls = this.nls.map((nl) => [nl.isClosed, nl.bindings.map((b) => b.id)]);
    s.rings = this.rings.map((r) => {
      const a = r.ifq.area;
      let urefs = 0;
      for (let i = 0; i < a.count; i++) urefs += a.userRefs[i];
      return {
        exited: r.ring.isExited,
        pending: r.ring.pendingRequests,
        ifqs: r.ring.ifqs.size,
        cq: [r.ring.cq.ready, r.ring.cq.overflowed],
        ifq: [r.ifq.freed, r.ifq.ifRxq, r.ifq.pools, a.freeCount, urefs, r.ifq.refillPending],
        ...(strict ? { stats: { ...r.ifq.stats } } : {}),
      };
    });
    s.pages = this.pages.map((p) => [p.nm, inspectNetmem(d, p.nm).pageRef]);
    s.held = this.pools.map((p) => p.held.map((h) => inspectNetmem(d, h.nm).ppRef));
    s.raw = this.raw.map((m) => this.dmadev.isMapped(m.iova));
    s.d2 = [this.domain2.freePages, this.pool2.inflight, this.sk2.queueLength, this.ns2.skbs.live];
    return s;
  }

  // ---- the oracles ----------------------------------------------------------

  /** Every SPEC §9 check the public API offers, plus the model's own bookkeeping; throws FuzzFailure. */
  checkAll(where: string): void {
    const out: string[] = [];
    out.push(...checkDomainInvariants(this.domain).map((v) => `domain: ${v}`));
    out.push(...checkDomainInvariants(this.domain2).map((v) => `domain2: ${v}`));
    const socks = this.sockets.map((s) => s.sk);
    for (const b of this.bindings) if (!b.isFreed) out.push(...checkDevmemInvariants(b, socks).violations);
    for (const r of this.rings) {
      // checkZcrxInvariants asks of a freed ifq whether *any* area now owns its first descriptor, which a later
      // ifq's area may legitimately do (descriptors are reused): ask whether its own area still does instead.
      if (r.ifq.freed) {
        if (this.domain.areaOf(r.ifq.area.niov(0)) === r.ifq.area.nia) out.push(`ifq ${r.n}: freed, but its area is still registered`);
      } else {
        out.push(...checkZcrxInvariants(r.ifq).map((v) => `ifq ${r.n}: ${v}`));
      }
      if (!r.ifq.freed) {
        // The user holds exactly the references the kernel counts, except entries it has published and the kernel not yet consumed.
        let urefs = 0;
        const a = r.ifq.area;
        for (let i = 0; i < a.count; i++) urefs += a.userRefs[i];
        const unreaped = r.ring.cq.ready;
        if (urefs < r.held.length || urefs > r.held.length + r.rq.pending + unreaped) {
          out.push(
            `ifq ${r.n}: user refs ${urefs}, but the user holds ${r.held.length}, with ${r.rq.pending} refill entries pending and ${unreaped} CQEs not reaped`,
          );
        }
      }
      if (r.exited && r.ring.pendingRequests !== 0) out.push(`ring ${r.n}: ${r.ring.pendingRequests} requests armed after exit`);
    }
    // Devmem tokens: the table holds what the user was given and did not give back.
    for (const s of this.sockets) {
      const held = devmemTokens(s.sk)?.held ?? 0;
      const want = s.sk.state === 'closed' ? 0 : s.tokens.length;
      if (held !== want) out.push(`socket ${s.n}: token table holds ${held}, the user holds ${want}`);
      if (s.sk.state === 'closed' && (s.sk.queueLength !== 0 || s.sk.pendingBytes !== 0)) out.push(`closed socket ${s.n} still queues data`);
    }
    // skb conservation: every live skb is queued on a socket or a clone the user holds.
    let queued = 0;
    for (const { sk } of this.sockets) for (let skb = sk.peek(); skb !== null; skb = skb.next) queued++;
    if (this.ns.skbs.live !== queued + this.clones.length) out.push(`skbs live ${this.ns.skbs.live}, queued ${queued} + clones held ${this.clones.length}`);
    // Standalone pools: the user's references are real, and inflight is exactly what is out plus cache and ring.
    for (const p of this.pools) {
      if (p.pool.isFreed) {
        if (p.held.length) out.push(`pool ${p.pool.id} freed while the user holds ${p.held.length} references`);
        continue;
      }
      const count = new Map<number, number>();
      for (const h of p.held) count.set(h.nm, (count.get(h.nm) ?? 0) + 1);
      const descs = new Set<number>();
      for (const [nm, k] of count) {
        const x = inspectNetmem(this.domain, nm);
        descs.add(x.desc);
        if (x.poolId !== p.pool.id) out.push(`pool ${p.pool.id}: the user holds ${hex(nm)} but it names pool ${x.poolId}`);
        if (x.ppRef < k) out.push(`pool ${p.pool.id}: the user holds ${k} refs of ${hex(nm)} but its pp refcount is ${x.ppRef}`);
        if (x.handleGen !== x.gen) out.push(`pool ${p.pool.id}: the user's handle ${hex(nm)} went stale while held`);
      }
      const frag = p.pool.currentFragPage;
      if (frag !== 0) descs.add(inspectNetmem(this.domain, frag).desc);
      const want = descs.size + p.pool.cacheSize + p.pool.ringLength;
      if (p.pool.inflight !== want)
        out.push(`pool ${p.pool.id}: inflight ${p.pool.inflight}, but out ${descs.size} + cache ${p.pool.cacheSize} + ring ${p.pool.ringLength} = ${want}`);
    }
    for (const r of this.pages) {
      const x = inspectNetmem(this.domain, r.nm);
      if (x.pageRef < r.refs) out.push(`page ${hex(r.nm)}: the user holds ${r.refs} page refs, its refcount is ${x.pageRef}`);
      if (x.handleGen !== x.gen) out.push(`page ${hex(r.nm)} went stale while the user holds it`);
    }
    for (const m of this.raw) if (!this.dmadev.isMapped(m.iova)) out.push(`raw mapping ${hex(m.iova)} vanished`);
    for (const w of this.warnings) if (FATAL_WARNINGS.has(w.kind)) out.push(`warning ${w.kind}: ${w.message}`);
    if (out.length) throw new FuzzFailure(`${where}: ${out.length} violation(s):\n  ${out.slice(0, 20).join('\n  ')}`);
  }

  /**
   * Lets go of everything (sockets, clones, user references, tokens, rings,
   * bindings, pools, netdevs), advances the clock one retry period, and
   * checks that the domain is back to empty.
   */
  teardown(): void {
    const log = (s: string) => this.log(`teardown: ${s}`);
    for (const c of this.clones.splice(0)) this.ns.skbs.free(c);
    log('free clones');
    for (const r of this.rings) for (const req of r.reqs.values()) req.issue();
    for (const s of this.sockets) {
      s.sk.close();
      s.tokens = [];
    }
    log('close sockets');
    for (const p of this.pools) {
      for (const h of p.held.splice(0)) p.pool.putNetmem(h.nm, -1, false);
    }
    log('put every held pp reference');
    for (const r of this.pages.splice(0)) for (let i = 0; i < r.refs; i++) this.domain.putPage(r.nm);
    log('put every page reference');
    for (const m of this.raw.splice(0)) this.dmadev.unmap(m.iova, m.dir);
    log('unmap raw mappings');
    for (const r of this.rings) {
      r.ring.exit();
      r.exited = true;
      r.held = [];
    }
    log('exit rings');
    for (const nl of this.nls) nl.close();
    log('close netlink sockets');
    for (const p of this.pools) {
      while (!p.destroyed) {
        p.pool.destroy();
        if (--p.users === 0) p.destroyed = true;
      }
    }
    log('destroy pools');
    for (const n of this.netdevs) {
      n.nd.unregister();
      n.unregistered = true;
    }
    log('unregister netdevs');
    this.clock.advance(1000);
    log('clock.advance(1000)');
    for (const nm of this.foreign) this.pool2.putNetmem(nm, -1, false);
    this.foreign.length = 0;
    this.sk2.close();

    const out: string[] = [];
    const left = allPools(this.domain);
    if (left.length)
      out.push(
        `pools still alive one retry period after everything was let go: ${left.map((p) => `${p.id} (inflight ${p.inflight}, ${JSON.stringify(p.places())})`).join(', ')}`,
      );
    if (this.domain.freePages !== this.startFree) out.push(`free pages ${this.domain.freePages}, started with ${this.startFree}`);
    if (this.domain.leaks !== 0) out.push(`${this.domain.leaks} page_pool leak report(s)`);
    for (const b of this.bindings) {
      if (!b.isFreed) out.push(`binding ${b.id} not freed (refs ${b.refs}, free chunks ${b.chunks.free}/${b.size})`);
      if (b.leaked !== 0) out.push(`binding ${b.id} leaked ${b.leaked} net_iovs`);
      if (b.mappings !== 0) out.push(`binding ${b.id} still holds ${b.mappings} mappings`);
    }
    for (const r of this.rings) if (!r.ifq.freed) out.push(`ifq of ring ${r.n} not freed (pools ${r.ifq.pools})`);
    if (this.ns.skbs.live !== 0) out.push(`${this.ns.skbs.live} skbs still alive`);
    for (const dev of this.devices) {
      if (!dev.removed && dev.liveMappings !== 0) out.push(`device ${dev.name}: ${dev.liveMappings} live mappings`);
      if (!this.faultyOk.has(dev) && dev.faultCount !== 0)
        out.push(`device ${dev.name}: IOMMU faults ${JSON.stringify(dev.counters().faults)} (last: ${JSON.stringify(dev.faultLog.slice(-3))})`);
    }
    if (this.clock.pending !== 0) out.push(`${this.clock.pending} timers still pending`);
    if (allPools(this.domain2).length !== 1 || this.pool2.inflight !== this.pool2.cacheSize + this.pool2.ringLength)
      out.push('the second domain was disturbed');
    if (out.length) throw new FuzzFailure(`teardown: ${out.length} problem(s):\n  ${out.join('\n  ')}`);
    this.checkAll('after teardown');
  }
}

/** Whether `e` is one of the library's errors. */
export function isLibError(e: unknown): boolean {
  return isNetmemError(e);
}

export { hex };
