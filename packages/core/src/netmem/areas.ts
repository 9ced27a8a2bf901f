/**
 * The net_iov areas of a domain: registering a provider's memory as
 * page-sized net_iovs (descriptors from the domain's net_iov space, page
 * refcount 1, no pool) and removing it again.
 *
 * Memory strategy: a Map of live areas by id (areas are few and long-lived)
 * and the first-fit descriptor space of iov-space.ts.
 */
import { NET_IOV_SIZE } from '../base/units.js';
import { E } from '../base/validate.js';
import type { MemRegion } from '../dma/region.js';
import { NetIovArea, type NetIovType } from './area.js';
import { descOf, isNetIov } from './handle.js';
import { IovSpace } from './iov-space.js';
import { NM_UNREADABLE, type NetmemTable } from './netmem-table.js';

/** The live areas of one domain and the descriptor space they come from. */
export class NetIovAreas {
  private readonly byId = new Map<number, NetIovArea>();
  private nextId = 1;
  private readonly space: IovSpace;

  constructor(
    private readonly table: NetmemTable,
    /** First net_iov descriptor. */
    first: number,
    /** net_iov descriptors in all. */
    count: number,
    /** Called for each descriptor of a removed area (the domain retires it). */
    private readonly retire: (d: number) => void,
  ) {
    this.space = new IovSpace(first, count);
  }

  /** See MemoryDomain.createArea. */
  create(type: NetIovType, count: number, region: MemRegion, offset: number, readable: boolean, owner: unknown): NetIovArea {
    E.oneOf(type, 'area type', ['dmabuf', 'io_uring'] as const);
    E.int(count, 'net_iov count', 1, 0x7fffffff);
    if (
      typeof region?.u8?.byteLength !== 'number' ||
      !(region.buffer instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && region.buffer instanceof SharedArrayBuffer))
    ) {
      E.expected('an area needs a memory region (makeRegion)', region);
    }
    E.int(offset, 'area offset', 0, Number.MAX_SAFE_INTEGER);
    E.bool(readable, 'readable');
    if (offset + count * NET_IOV_SIZE > region.u8.byteLength) {
      E.fail(
        'EINVAL',
        `an area of ${count} net_iovs at offset ${offset} needs ${offset + count * NET_IOV_SIZE} bytes, region ${region.name} has ${region.u8.byteLength}`,
      );
    }
    const start = this.space.take(count);
    if (start < 0) E.fail('ENOMEM', `no room for ${count} more net_iovs in this domain (${this.space.available} free)`);
    const area = new NetIovArea(this.nextId++, type, count, start, region, offset, readable, owner, this.table);
    const t = this.table;
    t.ensure(start + count - 1);
    for (let d = start; d < start + count; d++) {
      t.area[d] = area.id;
      t.pageRef[d] = 1;
      t.flags[d] = readable ? 0 : NM_UNREADABLE;
    }
    this.byId.set(area.id, area);
    return area;
  }

  /** See MemoryDomain.destroyArea. */
  destroy(area: NetIovArea): void {
    if (!(area instanceof NetIovArea)) E.expected('destroyArea needs an area (createArea)', area);
    if (this.byId.get(area.id) !== area) return;
    const t = this.table;
    for (let d = area.baseDesc; d < area.baseDesc + area.count; d++) {
      if (t.pp[d] !== 0) E.fail('EBUSY', `net_iov ${d - area.baseDesc} of area ${area.id} still belongs to pool ${t.pp[d]}`);
    }
    for (let d = area.baseDesc; d < area.baseDesc + area.count; d++) {
      t.area[d] = 0;
      t.pageRef[d] = 0;
      t.magic[d] = 0;
      this.retire(d);
    }
    this.byId.delete(area.id);
    this.space.give(area.baseDesc, area.count);
  }

  /** The live area a net_iov belongs to. */
  of(nm: number): NetIovArea | undefined {
    return isNetIov(nm) ? this.byId.get(this.table.area[descOf(nm)]) : undefined;
  }

  /** The live area with this id. */
  get(id: number): NetIovArea | undefined {
    return this.byId.get(id);
  }
}
