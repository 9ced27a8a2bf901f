/**
 * A minimal dmabuf input for an io_uring area backed by device memory: the
 * memory (a SharedArrayBuffer standing for device memory) and its scatter
 * segments. The CPU side may not read it: a zcrx area over a dmabuf is
 * unreadable and cannot take copy-fallback data (EFAULT).
 */
import { NetmemError } from '@netmem/core';

/** One scatter segment of a dmabuf: `length` bytes at `offset` of its buffer. */
export interface ZcrxDmabufSegment {
  /** Byte offset in the buffer (page aligned). */
  offset: number;
  /** Bytes (a page multiple). */
  length: number;
}

/** A dmabuf as zcrx imports it. */
export interface ZcrxDmabuf {
  /** The device memory. */
  buffer: SharedArrayBuffer;
  /** Scatter list, in order. */
  segments: readonly ZcrxDmabufSegment[];
}

/** A dmabuf over `buffer` with the given segments (checked: inside the buffer, page granular). */
export function zcrxDmabuf(buffer: SharedArrayBuffer, segments?: readonly ZcrxDmabufSegment[]): ZcrxDmabuf {
  const segs = segments ?? [{ offset: 0, length: buffer.byteLength }];
  for (const s of segs) {
    if (s.offset % 4096 !== 0 || s.length % 4096 !== 0 || s.length <= 0 || s.offset < 0 || s.offset + s.length > buffer.byteLength) {
      throw new NetmemError('EINVAL', `dmabuf segment ${s.offset}+${s.length} is not page granular inside ${buffer.byteLength} bytes`);
    }
  }
  return { buffer, segments: segs };
}

/** Total bytes of a dmabuf's segments. */
export function dmabufSize(d: ZcrxDmabuf): number {
  let n = 0;
  for (const s of d.segments) n += s.length;
  return n;
}
