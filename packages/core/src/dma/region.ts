/**
 * A span of byte storage a device can map: the domain's page memory, a
 * dmabuf's device memory, or a user's io_uring area. Regions are few and
 * long-lived, so they are plain objects.
 */
export interface MemRegion {
  /** Name for messages. */
  readonly name: string;
  /** The storage; a SharedArrayBuffer so other threads can read what they are handed. */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** Byte view over the whole region. */
  readonly u8: Uint8Array;
}

/** Makes a region over a buffer. */
export function makeRegion(name: string, buffer: SharedArrayBuffer | ArrayBuffer): MemRegion {
  return { name, buffer, u8: new Uint8Array(buffer) };
}
