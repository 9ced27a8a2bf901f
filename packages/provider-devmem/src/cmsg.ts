/**
 * Control messages of a devmem recvmsg, in a caller-owned buffer of typed
 * arrays (one column per field of struct dmabuf_cmsg), so the receive path
 * allocates nothing; {@link DevmemCmsgBuffer.toArray} gives objects for
 * convenience.
 */
import { E } from './errors.js';

/**
 * SCM_DEVMEM_LINEAR: bytes copied into the user buffer (headers / linear data).
 * @category Socket API
 */
export const SCM_DEVMEM_LINEAR = 78;
/**
 * SCM_DEVMEM_DMABUF: a payload frag left in the dmabuf.
 * @category Socket API
 */
export const SCM_DEVMEM_DMABUF = 79;
/**
 * Most messages a {@link DevmemCmsgBuffer} may hold (2^20: about 21 MiB of columns).
 * @category Socket API
 */
export const MAX_DEVMEM_CMSGS = 2 ** 20;

/**
 * One devmem control message as an object.
 * @category Socket API
 */
export interface DevmemCmsg {
  /** `linear` (SCM_DEVMEM_LINEAR) or `dmabuf` (SCM_DEVMEM_DMABUF). */
  type: 'linear' | 'dmabuf';
  /** Byte offset of the frag in the dmabuf (0 for linear). */
  fragOffset: number;
  /** Bytes. */
  fragSize: number;
  /** Token to give back with DONTNEED (0 for linear). */
  token: number;
  /** Binding id the frag belongs to (0 for linear). */
  dmabufId: number;
}

/**
 * A caller-owned buffer of devmem control messages (struct dmabuf_cmsg columns).
 * @category Socket API
 */
export class DevmemCmsgBuffer {
  /** Messages that fit (the control buffer's size). */
  readonly capacity: number;
  /** Messages written by the last recvmsg. */
  count = 0;
  /** SCM_DEVMEM_LINEAR or SCM_DEVMEM_DMABUF per message. */
  readonly type: Uint8Array;
  /** frag_offset per message (dmabuf byte offset). */
  readonly fragOffset: Float64Array;
  /** frag_size per message. */
  readonly fragSize: Uint32Array;
  /** frag_token per message. */
  readonly token: Uint32Array;
  /** dmabuf_id per message. */
  readonly dmabufId: Uint32Array;

  /** A buffer for `capacity` messages: an integer 1..{@link MAX_DEVMEM_CMSGS} (EINVAL otherwise). */
  constructor(capacity = 1024) {
    this.capacity = E.int(capacity, 'DevmemCmsgBuffer capacity', 1, MAX_DEVMEM_CMSGS);
    this.type = new Uint8Array(capacity);
    this.fragOffset = new Float64Array(capacity);
    this.fragSize = new Uint32Array(capacity);
    this.token = new Uint32Array(capacity);
    this.dmabufId = new Uint32Array(capacity);
  }

  /** True when no further message fits. */
  get full(): boolean {
    return this.count === this.capacity;
  }

  /** @internal Appends a message (the caller checked {@link full}). */
  push(type: number, fragOffset: number, fragSize: number, token: number, dmabufId: number): void {
    const i = this.count++;
    this.type[i] = type;
    this.fragOffset[i] = fragOffset;
    this.fragSize[i] = fragSize;
    this.token[i] = token;
    this.dmabufId[i] = dmabufId;
  }

  /** The messages of the last recvmsg as objects (allocates). */
  toArray(): DevmemCmsg[] {
    const out: DevmemCmsg[] = [];
    for (let i = 0; i < this.count; i++) {
      out.push({
        type: this.type[i] === SCM_DEVMEM_LINEAR ? 'linear' : 'dmabuf',
        fragOffset: this.fragOffset[i],
        fragSize: this.fragSize[i],
        token: this.token[i],
        dmabufId: this.dmabufId[i],
      });
    }
    return out;
  }
}
