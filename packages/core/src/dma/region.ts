import type { ByteStorage } from '../bytes/storage.js';

/**
 * A span of byte storage a device can map: the domain's page memory, a
 * dmabuf's device memory, or a user's io_uring area. Regions are few and
 * long-lived, so they are plain objects.
 * @category Memory
 */
export interface MemRegion {
  /** Name for messages. */
  readonly name: string;
  /** The storage; a SharedArrayBuffer so other threads can read what they are handed. */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** Byte view over the whole region. */
  readonly u8: Uint8Array;
  /** The domain's page storage, when the region is it: copies then skip views and relaxed moves. */
  readonly storage?: ByteStorage;
}

/**
 * Makes a region over a buffer.
 * @category Memory
 */
export function makeRegion(name: string, buffer: SharedArrayBuffer | ArrayBuffer): MemRegion {
  return { name, buffer, u8: new Uint8Array(buffer) };
}

/** The region over a domain's page storage. */
export function storageRegion(name: string, storage: ByteStorage): MemRegion {
  return { name, buffer: storage.buffer, u8: storage.u8, storage };
}
