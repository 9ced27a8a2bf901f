/**
 * The netdev generic-netlink socket's devmem part (netdev-genl.c): bind-rx
 * and the unbinding that happens when the socket closes. Every binding made
 * through a socket belongs to it; closing the socket unbinds them all.
 */
import { Dmabuf, NetNamespace } from '@netmem/core';
import { isU32 } from './args.js';
import { createBinding, type DmabufBinding } from './binding.js';
import { E } from './errors.js';

/**
 * One entry of the bind-rx queue list (a nested NETDEV_A_DMABUF_QUEUES attribute).
 * @category Netlink
 */
export interface BindQueue {
  /** Queue index. */
  id?: number;
  /** Queue type; only `rx` may be bound. */
  type?: 'rx' | 'tx';
}

/**
 * A bind-rx request. Every attribute is required.
 * @category Netlink
 */
export interface BindRxRequest {
  /** NETDEV_A_DEV_IFINDEX. */
  ifindex?: number;
  /** NETDEV_A_DMABUF_FD: the dmabuf. */
  dmabuf?: Dmabuf;
  /** NETDEV_A_DMABUF_QUEUES: at least one. */
  queues?: readonly BindQueue[];
}

/**
 * A netdev generic-netlink socket: bind-rx, and unbind of its bindings on close.
 * @category Netlink
 */
export class NetdevNlSocket {
  private list: DmabufBinding[] = [];
  private closed = false;

  constructor(
    /** The namespace whose netdevs this socket talks to. */
    readonly ns: NetNamespace,
  ) {
    if (!(ns instanceof NetNamespace)) E.expected('a netdev netlink socket needs a NetNamespace', ns);
  }

  /**
   * netdev_nl_bind_rx_doit. Errors, in order: the request not an object,
   * an unknown attribute, a missing attribute, an empty queue list, or an
   * attribute of the wrong type (ifindex not a u32, queues not an array,
   * a queue entry not an object or with an unknown key; the netlink
   * policy's checks) → EINVAL; a closed socket → EBADF; unknown netdev →
   * ENODEV; a netdev without queue ops → EOPNOTSUPP; a queue entry without
   * id or type, of type tx, or with an id that is not an integer below the
   * real rx queue count → EINVAL; no DMA device → EOPNOTSUPP; a dmabuf
   * that is not a Dmabuf → EINVAL (dma_buf_get); mapping failures
   * (ENOMEM); then each queue, in ascending index order, through mpOpenRxq
   * (its errors: EINVAL header split, EEXIST XDP or already bound, EBUSY
   * AF_XDP, ENODATA, ...). Any failure unbinds everything done so far.
   * Returns the binding id (≥ 1). Duplicate queue ids collapse into one.
   *
   * @example
   * ```ts
   * import { Dmabuf, MemoryDomain, NetNamespace } from '@netmem/core';
   * import { pagesProvider } from '@netmem/provider-pages';
   * import { NetdevNlSocket } from '@netmem/provider-devmem';
   *
   * const ns = new NetNamespace(new MemoryDomain({ pages: 4096 }), { pageProvider: pagesProvider() });
   * const eth0 = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true });
   * const nl = new NetdevNlSocket(ns);
   * const id = nl.bindRx({ ifindex: eth0.ifindex, dmabuf: new Dmabuf({ pages: 512 }), queues: [{ id: 1, type: 'rx' }] });
   * console.log(ns.driver(eth0).pool(1)?.info().dmabuf === id);   // queue 1 now fills from the dmabuf
   * nl.close();                                                   // unbinds: queue 1 is back on normal pages
   * ```
   */
  bindRx(req: BindRxRequest): number {
    E.options(req, 'bind-rx', ['ifindex', 'dmabuf', 'queues'], false);
    if (req.ifindex === undefined || req.dmabuf === undefined || req.queues === undefined || (Array.isArray(req.queues) && req.queues.length === 0)) {
      E.fail('EINVAL', `bind-rx needs ifindex, dmabuf and a non-empty queue list, got ${describeRequest(req)}`);
    }
    // The attribute policy: NETDEV_A_DEV_IFINDEX is a u32, NETDEV_A_DMABUF_QUEUES a nest of {id, type}.
    if (!isU32(req.ifindex)) E.expected('bind-rx ifindex must be an integer 0..0xffffffff', req.ifindex);
    if (!Array.isArray(req.queues)) E.expected('bind-rx queues must be an array of {id, type}', req.queues);
    for (let i = 0; i < req.queues.length; i++) E.options(req.queues[i], `bind-rx queue entry ${i}`, ['id', 'type'], false);
    if (this.closed) E.fail('EBADF', 'bind-rx needs an open netlink socket, got a closed one');
    const nd = this.ns.deviceByIfindex(req.ifindex);
    if (nd?.regState !== 'registered') E.fail('ENODEV', `bind-rx needs a registered netdev, got ifindex ${req.ifindex}, which names none`);
    if (!nd.ops) E.fail('EOPNOTSUPP', `bind-rx needs a netdev with queue management ops, got ${nd.name}, which has none`);
    // netdev_nl_read_rxq_bitmap: a set, so duplicates collapse and binding goes in index order.
    const want = new Set<number>();
    for (const q of req.queues) {
      if (q.id === undefined || q.type === undefined) E.fail('EINVAL', `a bind-rx queue entry needs id and type, got id ${q.id}, type ${q.type}`);
      if (q.type !== 'rx') E.fail('EINVAL', `bind-rx binds rx queues only, got queue ${q.id} of type ${JSON.stringify(q.type)}`);
      if (!Number.isInteger(q.id) || q.id < 0 || q.id >= nd.realNumRxQueues) {
        E.expected(`${nd.name}: a bind-rx queue id must be an integer 0..${nd.realNumRxQueues - 1}`, q.id);
      }
      want.add(q.id);
    }
    if (!nd.dev) E.fail('EOPNOTSUPP', `bind-rx needs a netdev with a DMA device, got ${nd.name}, which has none`);
    if (!(req.dmabuf instanceof Dmabuf)) E.expected('bind-rx dmabuf must name a dmabuf (a Dmabuf)', req.dmabuf);
    const binding = createBinding(this.ns.domain, nd.dev, req.dmabuf, { netdev: nd });
    try {
      for (const idx of [...want].sort((a, b) => a - b)) binding.bindQueue(nd, idx);
    } catch (e) {
      binding.unbind();
      throw e;
    }
    this.list.push(binding);
    return binding.id;
  }

  /** Bindings made through this socket and not yet unbound (one unbound directly, with its own unbind, drops out). */
  get bindings(): readonly DmabufBinding[] {
    if (this.list.some((b) => b.isUnbound)) this.list = this.list.filter((b) => !b.isUnbound);
    return this.list;
  }

  /** The socket's binding with this id (still bound). */
  binding(id: number): DmabufBinding | undefined {
    return this.list.find((b) => b.id === id && !b.isUnbound);
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * netdev_nl_sock_priv_destroy: unbinds every binding of this socket that
   * is still bound (one unbound directly already let go). Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const b of this.list.splice(0)) if (!b.isUnbound) b.unbind();
  }
}

/** Which attributes a bind-rx request carries, for the missing-attribute error. */
function describeRequest(req: BindRxRequest): string {
  const has = (['ifindex', 'dmabuf', 'queues'] as const).filter((k) => req[k] !== undefined);
  const queues = Array.isArray(req.queues) ? ` (${req.queues.length} queue(s))` : '';
  return has.length === 0 ? 'no attributes' : `${has.join(', ')}${queues}`;
}
