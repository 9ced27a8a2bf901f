/**
 * A net_iov area: page-sized slices of memory a provider owns (the kernel's
 * `struct net_iov_area`): a dmabuf chunk or an io_uring zcrx area. Each slice
 * has a descriptor in the domain's metadata tables and a handle with the
 * net_iov bit set.
 */
import { NET_IOV_SIZE } from '../base/units.js';
import { descOf, makeHandle } from './handle.js';
import type { MemRegion } from '../dma/region.js';
import type { NetmemTable } from './netmem-table.js';

/**
 * Who owns an area's memory.
 * @category Memory
 */
export type NetIovType = 'dmabuf' | 'io_uring';

/**
 * Optional hooks of an area's owner: get_netmem / put_netmem on one of its
 * net_iovs (devmem takes a binding reference per net_iov reference; io_uring
 * takes none).
 * @category Memory
 */
export interface NetIovOwner {
  /** A page-style reference to one of the owner's net_iovs was taken. */
  netIovGet?(nm: number): void;
  /** A page-style reference to one of the owner's net_iovs was dropped. */
  netIovPut?(nm: number): void;
}

/**
 * A provider's area of page-sized net_iovs.
 * @category Memory
 */
export class NetIovArea {
  constructor(
    /** Area id, unique in its domain. */
    readonly id: number,
    /** dmabuf (device memory) or io_uring (user memory). */
    readonly type: NetIovType,
    /** Number of net_iovs. */
    readonly count: number,
    /** Descriptor of net_iov 0. */
    readonly baseDesc: number,
    /** Backing storage. */
    readonly region: MemRegion,
    /** Byte offset of net_iov 0 in the region. */
    readonly regionOffset: number,
    /** Whether the CPU side may read the bytes. */
    readonly readable: boolean,
    /** The provider-side object that owns the area (binding, ifq area); may implement {@link NetIovOwner}. */
    readonly owner: unknown,
    private readonly table: NetmemTable,
  ) {}

  /** Handle of net_iov `i`. */
  niov(i: number): number {
    const d = this.baseDesc + i;
    return makeHandle(d, true, this.table.gen[d]);
  }

  /** Index in this area of a net_iov handle (-1 when it is not one of ours). */
  indexOf(nm: number): number {
    const i = descOf(nm) - this.baseDesc;
    return (nm & 1) === 1 && i >= 0 && i < this.count ? i : -1;
  }

  /** Byte offset of net_iov `i` in {@link region}. */
  byteOffset(i: number): number {
    return this.regionOffset + i * NET_IOV_SIZE;
  }
}
