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
 *
 * The world is split by concern under ./world/: its errors and helpers,
 * the slot types, the snapshot, the per-step oracles and the teardown;
 * this file holds the World class (setup and furniture) and re-exports
 * the rest.
 */
import {
  Dmabuf,
  NetNamespace,
  PP_FLAG_DMA_MAP,
  PP_FLAG_DMA_SYNC_DEV,
  createPagePool,
  setPagePoolTracer,
  type DmaDevice,
  type MemoryDomain,
  type NetmemWarning,
  type PagePool,
  type SkBuff,
  type TcpSocket,
  type VirtualClock,
} from '@netmem/core';
import { inspectNetmem, quietWorld } from '@netmem/core/testing';
import { pagesProvider } from '@netmem/provider-pages';
import { NetdevNlSocket, type DmabufBinding } from '@netmem/provider-devmem';
import { CqConsumer, IoUring, RefillProducer, ZCRX_USER_BASE, type ZcrxIfq, type ZcrxIfqReg } from '@netmem/provider-iouring';
import { HangError } from './world/errors.js';
import { checkWorld } from './world/oracles.js';
import type { NdSlot, PageRef, PoolSlot, RawMapping, RingSlot, SkSlot, WorldConfig } from './world/slots.js';
import { observeWorld } from './world/snapshot.js';
import { teardownWorld } from './world/teardown.js';

export { FuzzFailure, HangError, hex, isLibError } from './world/errors.js';
export type { Held, NdSlot, PageRef, PoolSlot, RawMapping, RingSlot, SkSlot, WorldConfig } from './world/slots.js';

/** Upper bound of release retries within one API call before it is called a hang. */
const HANG_RETRIES = 20_000;

export const PAGES = 2048;
export const NET_IOVS = 4096;

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
      this.addRing(ring, ring.registerZcrxIfq(reg), reg);
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

  /** Tracks a ring with its registered ifq (`reg` as registration filled it in): the user's refill producer and CQ reader come with it. */
  addRing(ring: IoUring, ifq: ZcrxIfq, reg: ZcrxIfqReg): RingSlot {
    const slot: RingSlot = {
      n: this.nextId(),
      ring,
      ifq,
      rq: new RefillProducer(ifq.rqBuffer, reg.offsets!, reg.rqEntries),
      cq: new CqConsumer(ring.cq.buffer),
      reqs: new Map(),
      held: [],
      exited: false,
    };
    this.rings.push(slot);
    return slot;
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
    return observeWorld(this, strict);
  }

  // ---- the oracles ----------------------------------------------------------

  /** Every SPEC §9 check the public API offers, plus the model's own bookkeeping; throws FuzzFailure. */
  checkAll(where: string): void {
    checkWorld(this, where);
  }

  /**
   * Lets go of everything (sockets, clones, user references, tokens, rings,
   * bindings, pools, netdevs), advances the clock one retry period, and
   * checks that the domain is back to empty.
   */
  teardown(): void {
    teardownWorld(this);
  }
}
