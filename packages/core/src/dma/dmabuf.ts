/**
 * A dmabuf: device memory (a GPU's, say) exported to the network stack, as
 * one model for every user of it: devmem TCP bindings and io_uring zcrx
 * areas. Its bytes live in one SharedArrayBuffer "on the device", described
 * as a list of scatter segments (the exporter's sg_table). The CPU side of
 * the stack never reads it (its net_iovs are unreadable: EFAULT); only the
 * owner does, through {@link Dmabuf.ownerView}.
 */
import { PAGE_SIZE } from '../base/units.js';
import { errorScope } from '../base/validate.js';
import { makeRegion, type MemRegion } from './region.js';

const E = errorScope('netmem');

/**
 * One scatter segment: `length` bytes at `offset` of the dmabuf's buffer (both page multiples).
 * @category DMA
 */
export interface DmabufSegment {
  /** Byte offset in the buffer. */
  readonly offset: number;
  /** Bytes. */
  readonly length: number;
}

/**
 * Options for a new {@link Dmabuf}.
 * @category DMA
 */
export interface DmabufOptions {
  /** Total pages. Required unless `segments` is given. */
  pages?: number;
  /** Pages per scatter segment (the last one may be shorter). Default: one segment. */
  segmentPages?: number;
  /** Explicit segment sizes in pages, laid out back to back (overrides `pages` / `segmentPages`). */
  segments?: readonly number[];
  /** Name for messages. Default `dmabuf`. */
  name?: string;
}

/**
 * Largest segment: one IOMMU mapping (1 GiB).
 * @category DMA
 */
export const MAX_DMABUF_SEGMENT = 2 ** 30;

/**
 * A dmabuf: device memory in a SharedArrayBuffer, described as scatter segments.
 * @category DMA
 */
export class Dmabuf {
  /** Name for messages. */
  readonly name: string;
  /** Total bytes (the sum of the segments). */
  readonly size: number;
  /** The scatter list, in order. */
  readonly segments: readonly DmabufSegment[];
  /** The device memory as a region a DMA device can map. */
  readonly region: MemRegion;

  /** A fresh dmabuf of `pages` pages (or explicit segment sizes), zero-filled. */
  constructor(opts: DmabufOptions);
  /** @internal Used by {@link Dmabuf.import}. */
  constructor(opts: DmabufOptions, buffer: SharedArrayBuffer, scatter: readonly DmabufSegment[]);
  constructor(opts: DmabufOptions, buffer?: SharedArrayBuffer, scatter?: readonly DmabufSegment[]) {
    this.name = opts.name ?? 'dmabuf';
    if (buffer !== undefined && scatter !== undefined) {
      this.segments = scatter;
      this.region = makeRegion(this.name, buffer);
    } else {
      E.options(opts, 'new Dmabuf', ['pages', 'segmentPages', 'segments', 'name'], false);
      let pages: number[];
      if (opts.segments !== undefined) {
        if (!Array.isArray(opts.segments) || opts.segments.length === 0) E.expected('dmabuf segments must be a non-empty list of page counts', opts.segments);
        pages = opts.segments.map((s, i) => E.int(s, `dmabuf segment ${i}`, 1, MAX_DMABUF_SEGMENT / PAGE_SIZE));
      } else {
        const total = E.int(opts.pages, 'dmabuf pages', 1, 2 ** 32 / PAGE_SIZE);
        const per = E.int(opts.segmentPages ?? total, 'dmabuf segmentPages', 1, MAX_DMABUF_SEGMENT / PAGE_SIZE);
        pages = [];
        for (let left = total; left > 0; left -= per) pages.push(Math.min(per, left));
      }
      const segs: DmabufSegment[] = [];
      let at = 0;
      for (const p of pages) {
        segs.push({ offset: at, length: p * PAGE_SIZE });
        at += p * PAGE_SIZE;
      }
      this.segments = segs;
      this.region = makeRegion(this.name, new SharedArrayBuffer(at));
    }
    let size = 0;
    for (const s of this.segments) size += s.length;
    this.size = size;
  }

  /**
   * A dmabuf over existing memory: `buffer` as the device memory and
   * `scatter` (default: the whole buffer as one segment) as its sg_table.
   * Every segment must be page granular and inside the buffer (EINVAL).
   */
  static import(buffer: SharedArrayBuffer, scatter?: readonly DmabufSegment[], name = 'dmabuf'): Dmabuf {
    if (!(buffer instanceof SharedArrayBuffer)) E.expected('a dmabuf is device memory: a SharedArrayBuffer', buffer);
    const segs = scatter ?? [{ offset: 0, length: buffer.byteLength }];
    if (!Array.isArray(segs) || segs.length === 0) E.expected('a dmabuf needs a non-empty scatter list', segs);
    for (const s of segs) {
      const ok =
        Number.isInteger(s?.offset) &&
        Number.isInteger(s?.length) &&
        s.offset % PAGE_SIZE === 0 &&
        s.length % PAGE_SIZE === 0 &&
        s.length > 0 &&
        s.length <= MAX_DMABUF_SEGMENT &&
        s.offset >= 0 &&
        s.offset + s.length <= buffer.byteLength;
      if (!ok) E.fail('EINVAL', `dmabuf segment ${s?.offset}+${s?.length} is not page granular inside ${buffer.byteLength} bytes`);
    }
    return new Dmabuf(
      { name },
      buffer,
      segs.map((s) => ({ offset: s.offset, length: s.length })),
    );
  }

  /** Number of pages. */
  get pages(): number {
    return this.size / PAGE_SIZE;
  }

  /**
   * The owner's view of the whole buffer (the GPU reading what the NIC
   * wrote). The stack itself never reads through it.
   */
  ownerView(): Uint8Array {
    return this.region.u8;
  }
}
