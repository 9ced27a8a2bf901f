/**
 * The netlink-style control plane (net/core/page_pool_user.c and
 * netdev-genl.c): page-pool get / dump / stats-get, queue get / dump, and
 * add / change / del notifications. Only pools with a netdev in this
 * namespace are visible; pools created without one are not.
 */
import { EventEmitter } from 'eventemitter3';
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import { poolRegistry } from '../pool/registry.js';
import type { PagePoolStats } from '../pool/stats.js';
import type { PagePool, PagePoolInfo } from '../pool/types.js';
import { namespaceOf, type NetNamespace } from '../net/namespace.js';
import type { MemoryDomain } from '../netmem/domain.js';

/**
 * The pool a stats reply is about.
 * @category Control plane
 */
export interface PagePoolRef {
  /** Pool id. */
  id: number;
  /** ifindex, when the pool is not orphaned. */
  ifindex?: number;
}

/**
 * Page-pool stats-get reply.
 * @category Control plane
 */
export interface PagePoolStatsReply extends PagePoolStats {
  /** The pool it is about: id and ifindex (when not orphaned). */
  info: PagePoolRef;
}

/**
 * Queue get reply (netdev queue-get).
 * @category Control plane
 */
export interface QueueInfo extends Record<string, unknown> {
  /** Queue index. */
  id: number;
  /** 'rx'. */
  type: 'rx';
  /** ifindex. */
  ifindex: number;
  /** NAPI id of the queue. */
  napiId?: number;
}

/**
 * Notifications of the control plane.
 * @category Control plane
 */
export interface ControlPlaneEvents {
  /** A visible pool was created. */
  'page-pool-add': (info: PagePoolInfo) => void;
  /** A visible pool changed (detached, orphaned). */
  'page-pool-change': (info: PagePoolInfo) => void;
  /** A visible pool was freed. */
  'page-pool-del': (info: PagePoolInfo) => void;
}

/**
 * The netlink-style control plane of one namespace. Get the namespace's
 * one instance with {@link controlPlane}.
 *
 * @example
 * ```ts
 * import { MemoryDomain, NetNamespace, controlPlane } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const ns = new NetNamespace(new MemoryDomain({ pages: 4096 }), { pageProvider: pagesProvider() });
 * const nl = controlPlane(ns);
 * nl.on('page-pool-del', (info) => console.log('pool', info.id, 'freed'));
 * ns.createNetdevsim({ name: 'eth0' });
 * console.log(nl.pagePoolDump());
 * ```
 * @category Control plane
 */
export class ControlPlane extends EventEmitter<ControlPlaneEvents> {
  /** Use {@link controlPlane}: one control plane per namespace. */
  constructor(private readonly ns: NetNamespace) {
    super();
    wire(ns.domain);
  }

  /** page-pool-get: EINVAL without an id; ENOENT for an unknown or invisible pool. */
  pagePoolGet(req: { id?: number }): PagePoolInfo {
    return this.visiblePool(req).info();
  }

  /** page-pool-get dump: every visible pool, in id order. */
  pagePoolDump(): PagePoolInfo[] {
    return poolRegistry(this.ns.domain)
      .all()
      .filter((p) => this.visible(p))
      .map((p) => p.info());
  }

  /** page-pool-stats-get. */
  pagePoolStatsGet(req: { id?: number }): PagePoolStatsReply {
    const pool = this.visiblePool(req);
    const info = pool.info();
    const head: PagePoolRef = { id: info.id };
    if (info.ifindex !== undefined) head.ifindex = info.ifindex;
    return { info: head, ...pool.stats() };
  }

  /** page-pool-stats-get dump. */
  pagePoolStatsDump(): PagePoolStatsReply[] {
    return this.pagePoolDump().map((i) => this.pagePoolStatsGet({ id: i.id }));
  }

  /** queue-get for an rx queue: ENODEV unknown netdev, EINVAL bad queue. */
  queueGet(req: { ifindex?: number; id?: number; type?: 'rx' }): QueueInfo {
    if (req?.ifindex === undefined || req.id === undefined || (req.type ?? 'rx') !== 'rx') {
      throw new NetmemError('EINVAL', 'queue-get needs ifindex, id and type rx');
    }
    if ((req.ifindex | 0) !== req.ifindex || (req.id | 0) !== req.id) E.expected('queue-get ifindex and id must be integers', `${req.ifindex}/${req.id}`);
    const nd = this.ns.deviceByIfindex(req.ifindex);
    if (!nd) throw new NetmemError('ENODEV', `no netdev with ifindex ${req.ifindex}`);
    if (!nd.up) throw new NetmemError('ENETDOWN', `${nd.name} is down`);
    if (!(req.id >= 0 && req.id < nd.realNumRxQueues)) throw new NetmemError('EINVAL', `${nd.name} has no rx queue ${req.id}`);
    const rxq = nd.rxQueues[req.id];
    const out: QueueInfo = { id: req.id, type: 'rx', ifindex: nd.ifindex };
    const drv = this.ns.owns(nd) && nd !== this.ns.loopback ? this.ns.driver(nd) : null;
    if (drv) out.napiId = drv.napi(req.id).id;
    if (rxq.mp?.nlFill) Object.assign(out, rxq.mp.nlFill(null, rxq));
    return out;
  }

  /** queue-get dump over every running device. */
  queueDump(): QueueInfo[] {
    const out: QueueInfo[] = [];
    for (const nd of this.ns.allDevices()) {
      if (nd === this.ns.loopback || !nd.up) continue;
      for (let i = 0; i < nd.realNumRxQueues; i++) out.push(this.queueGet({ ifindex: nd.ifindex, id: i, type: 'rx' }));
    }
    return out;
  }

  private visible(p: PagePool): boolean {
    return p.netdev !== null && this.ns.owns(p.netdev);
  }

  private visiblePool(req: { id?: number }): PagePool {
    if (req?.id === undefined) throw new NetmemError('EINVAL', 'page-pool-get needs an id');
    if (!Number.isInteger(req.id) || req.id < 0) E.expected('a page pool id must be an integer ≥ 0', req.id);
    const pool = poolRegistry(this.ns.domain).byId(req.id);
    if (!pool || !this.visible(pool)) throw new NetmemError('ENOENT', `no visible page pool ${req.id}`);
    return pool;
  }
}

const planes = new WeakMap<NetNamespace, ControlPlane>();

/**
 * Pool events reach a control plane through one listener per registry that
 * looks the plane up from the pool's device (device → namespace → plane,
 * all weak): the registry holds no namespace, so a dropped namespace and
 * its control plane are collected.
 */
const wired = new WeakSet<object>();

function wire(domain: MemoryDomain): void {
  const r = poolRegistry(domain);
  if (wired.has(r)) return;
  wired.add(r);
  const fan = (kind: keyof ControlPlaneEvents) => (p: PagePool) => {
    const ns = p.netdev === null ? undefined : namespaceOf(p.netdev);
    const cp = ns === undefined ? undefined : planes.get(ns);
    if (cp !== undefined) cp.emit(kind, p.info());
  };
  r.on('add', fan('page-pool-add'));
  r.on('change', fan('page-pool-change'));
  r.on('del', fan('page-pool-del'));
}

/**
 * The control plane of `ns` (made on first use; one per namespace).
 *
 * @example
 * ```ts
 * import { MemoryDomain, NetNamespace, controlPlane } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const ns = new NetNamespace(new MemoryDomain({ pages: 4096 }), { pageProvider: pagesProvider() });
 * const eth0 = ns.createNetdevsim({ name: 'eth0', rxQueues: 2 });
 * const nl = controlPlane(ns);                 // the same object on every call
 * console.log(nl.queueGet({ ifindex: eth0.ifindex, id: 1, type: 'rx' }));
 * for (const s of nl.pagePoolStatsDump()) console.log(s);
 * ```
 * @category Control plane
 */
export function controlPlane(ns: NetNamespace): ControlPlane {
  let cp = planes.get(ns);
  if (cp === undefined) {
    cp = new ControlPlane(ns);
    planes.set(ns, cp);
  }
  return cp;
}
