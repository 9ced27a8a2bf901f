/**
 * A dmabuf: device memory (a GPU's, say) exported to the network stack. Its
 * bytes live in one SharedArrayBuffer "on the device", described as a list
 * of scatter segments (the exporter's sg_table), so a binding can have many
 * chunks. The CPU side of the stack never reads it (its net_iovs are
 * unreadable: EFAULT); only the owner does, through {@link Dmabuf.ownerView}.
 */
import { NetmemError, NET_IOV_SIZE, makeRegion, type MemRegion } from '@netmem/core';

/** Options for {@link Dmabuf}. */
export interface DmabufOptions {
  /** Total pages (4096 bytes each). Required unless `segments` is given. */
  pages?: number;
  /** Pages per scatter segment (the last one may be shorter). Default: one segment. */
  segmentPages?: number;
  /** Explicit segment sizes in pages (overrides `pages` / `segmentPages`). */
  segments?: readonly number[];
  /** Name for messages. Default `dmabuf`. */
  name?: string;
}

/** Largest segment: one IOMMU mapping (1 GiB). */
const MAX_SEGMENT_PAGES = (2 ** 30) / NET_IOV_SIZE;

/** A dmabuf: device memory in a SharedArrayBuffer, described as scatter segments. */
export class Dmabuf {
  /** Name for messages. */
  readonly name: string;
  /** Total bytes. */
  readonly size: number;
  /** Segment sizes in pages, in order. */
  readonly segmentPages: readonly number[];
  /** Byte offset of each segment in the dmabuf. */
  readonly segmentOffsets: readonly number[];
  /** The device memory as a region a DMA device can map. */
  readonly region: MemRegion;

  constructor(opts: DmabufOptions) {
    let segs: number[];
    if (opts.segments) {
      segs = [...opts.segments];
    } else {
      const pages = opts.pages ?? 0;
      const per = opts.segmentPages ?? pages;
      if (!Number.isInteger(pages) || pages < 1 || !Number.isInteger(per) || per < 1) {
        throw new NetmemError('EINVAL', `provider-devmem: dmabuf of ${pages} pages in segments of ${per}`);
      }
      segs = [];
      for (let left = pages; left > 0; left -= per) segs.push(Math.min(per, left));
    }
    if (segs.length === 0) throw new NetmemError('EINVAL', 'provider-devmem: dmabuf without segments');
    for (const s of segs) {
      if (!Number.isInteger(s) || s < 1 || s > MAX_SEGMENT_PAGES) {
        throw new NetmemError('EINVAL', `provider-devmem: dmabuf segment of ${s} pages (1..${MAX_SEGMENT_PAGES})`);
      }
    }
    const offsets: number[] = [];
    let at = 0;
    for (const s of segs) {
      offsets.push(at);
      at += s * NET_IOV_SIZE;
    }
    this.name = opts.name ?? 'dmabuf';
    this.size = at;
    this.segmentPages = segs;
    this.segmentOffsets = offsets;
    this.region = makeRegion(this.name, new SharedArrayBuffer(at));
  }

  /** Number of pages. */
  get pages(): number {
    return this.size / NET_IOV_SIZE;
  }

  /**
   * The owner's view of the whole dmabuf (the GPU reading what the NIC
   * wrote). The stack itself never reads through it.
   */
  ownerView(): Uint8Array {
    return this.region.u8;
  }
}
