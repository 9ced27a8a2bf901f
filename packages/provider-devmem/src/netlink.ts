/**
 * The netdev generic-netlink socket's devmem part (netdev-genl.c): bind-rx
 * and the unbinding that happens when the socket closes. Every binding made
 * through a socket belongs to it; closing the socket unbinds them all.
 */
import { NetmemError, type NetNamespace } from '@netmem/core';
import { createBinding, type DmabufBinding } from './binding.js';
import type { Dmabuf } from './dmabuf.js';

/** One entry of the bind-rx queue list (a nested NETDEV_A_DMABUF_QUEUES attribute). */
export interface BindQueue {
  /** Queue index. */
  id?: number;
  /** Queue type; only `rx` may be bound. */
  type?: 'rx' | 'tx';
}

/** A bind-rx request. Every attribute is required. */
export interface BindRxRequest {
  /** NETDEV_A_DEV_IFINDEX. */
  ifindex?: number;
  /** NETDEV_A_DMABUF_FD: the dmabuf. */
  dmabuf?: Dmabuf;
  /** NETDEV_A_DMABUF_QUEUES: at least one. */
  queues?: readonly BindQueue[];
}

/** A netdev generic-netlink socket: bind-rx, and unbind of its bindings on close. */
export class NetdevNlSocket {
  private readonly list: DmabufBinding[] = [];
  private closed = false;

  constructor(
    /** The namespace whose netdevs this socket talks to. */
    readonly ns: NetNamespace,
  ) {}

  /**
   * netdev_nl_bind_rx_doit. Errors, in order: a missing attribute or an
   * empty queue list → EINVAL; a closed socket → EBADF; unknown netdev →
   * ENODEV; a netdev without queue ops → EOPNOTSUPP; a queue entry without
   * id or type, of type tx, or with an id ≥ the real rx queue count →
   * EINVAL; no DMA device → EOPNOTSUPP; mapping failures (ENOMEM); then each
   * queue, in ascending index order, through mpOpenRxq (its errors: EINVAL
   * header split, EEXIST XDP or already bound, EBUSY AF_XDP, ENODATA, ...).
   * Any failure unbinds everything done so far. Returns the binding id (≥ 1).
   */
  bindRx(req: BindRxRequest): number {
    if (req.ifindex === undefined || req.dmabuf === undefined || req.queues === undefined || req.queues.length === 0) {
      throw new NetmemError('EINVAL', 'provider-devmem: bind-rx needs ifindex, dmabuf and a non-empty queue list');
    }
    if (this.closed) throw new NetmemError('EBADF', 'provider-devmem: netlink socket is closed');
    const nd = this.ns.deviceByIfindex(req.ifindex);
    if (!nd || nd.regState !== 'registered') throw new NetmemError('ENODEV', `provider-devmem: no netdev with ifindex ${req.ifindex}`);
    if (!nd.ops) throw new NetmemError('EOPNOTSUPP', `provider-devmem: ${nd.name} has no queue management ops`);
    // netdev_nl_read_rxq_bitmap: a set, so duplicates collapse and binding goes in index order.
    const want = new Set<number>();
    for (const q of req.queues) {
      if (q.id === undefined || q.type === undefined) throw new NetmemError('EINVAL', 'provider-devmem: queue entry needs id and type');
      if (q.type !== 'rx') throw new NetmemError('EINVAL', `provider-devmem: queue ${q.id} is not an rx queue`);
      if (!Number.isInteger(q.id) || q.id < 0 || q.id >= nd.realNumRxQueues) {
        throw new NetmemError('EINVAL', `provider-devmem: ${nd.name} has no rx queue ${q.id}`);
      }
      want.add(q.id);
    }
    if (!nd.dev) throw new NetmemError('EOPNOTSUPP', `provider-devmem: ${nd.name} doesn't support DMA`);
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

  /** Bindings made through this socket and not yet unbound. */
  get bindings(): readonly DmabufBinding[] {
    return this.list;
  }

  /** The socket's binding with this id. */
  binding(id: number): DmabufBinding | undefined {
    return this.list.find((b) => b.id === id);
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** netdev_nl_sock_priv_destroy: unbinds every binding of this socket. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const b of this.list.splice(0)) b.unbind();
  }
}
