/**
 * A socket buffer (include/linux/skbuff.h): a linear head in a buffer plus
 * up to 17 page/net_iov frags; clones share the data (`SkbShared`, the
 * kernel's skb_shared_info, counted by `dataref`). What is done to skbs is
 * the factory's (skb.ts), which alone makes and frees them.
 */
import { NetmemError } from '../base/errors.js';
import type { MemoryDomain } from '../netmem/domain.js';

/**
 * What an skb knows of the factory that made it (an SkbFactory): the
 * only one that may clone or free it.
 * @category Stack model
 */
export interface SkbMaker {
  /** The domain whose memory the skbs hold. */
  readonly domain: MemoryDomain;
  /** skb_clone: a second skb sharing this one's data. */
  clone(skb: SkBuff): SkBuff;
  /** kfree_skb: drops the skb and, with its last sharer, its data. */
  free(skb: SkBuff): void;
}

/**
 * Most frags one skb holds.
 * @category Stack model
 */
export const MAX_SKB_FRAGS = 17;

/**
 * The data an skb and its clones share (skb_shared_info + the head buffer).
 * @category Stack model
 */
export class SkbShared {
  /** Netmem holding the head buffer (0: none). */
  head = 0;
  /** Byte offset of the head buffer inside its netmem. */
  headStart = 0;
  /** Bytes in the head buffer. */
  headCap = 0;
  /** Number of frags. */
  nrFrags = 0;
  /** Frag netmems. */
  readonly fragNm = new Int32Array(MAX_SKB_FRAGS);
  /** Frag byte offsets inside their netmems. */
  readonly fragOff = new Int32Array(MAX_SKB_FRAGS);
  /** Frag lengths. */
  readonly fragLen = new Int32Array(MAX_SKB_FRAGS);
  /** Sharers of this data (skb + clones). */
  dataref = 1;
}

/**
 * One socket buffer.
 * @category Stack model
 */
export class SkBuff {
  /** The shared data. */
  shinfo: SkbShared;
  /** Offset of the data start from the head buffer's start. */
  dataOff = 0;
  /** Linear (head) bytes from dataOff. */
  headLen = 0;
  /** Total bytes: headLen + frag bytes. */
  len = 0;
  /** Frags and head come from page pools: free returns them to their pools. */
  ppRecycle = false;
  /** Some frag is not readable by the CPU (net_iov of a dmabuf). */
  unreadable = false;
  /** Set on an skb and its clone when cloned. */
  clonedFlag = false;
  /** Next skb in a queue. */
  next: SkBuff | null = null;
  /** Free for callers: a flow or socket tag. */
  mark = 0;
  /** Set while the skb object sits in the factory's free cache (double-free detection). */
  dead = false;
  /** Set while the skb sits on a socket's receive queue (only the socket may free it then). */
  queued = false;

  constructor(
    shinfo: SkbShared,
    /** The factory that made it (and alone may free it). */
    readonly factory: SkbMaker,
  ) {
    this.shinfo = shinfo;
  }

  /** skb_cloned: the data is shared with another skb. */
  get cloned(): boolean {
    return this.clonedFlag && this.shinfo.dataref !== 1;
  }

  /** Frag count. */
  get nrFrags(): number {
    return this.shinfo.nrFrags;
  }

  /** Bytes in frags (data_len). */
  get dataLen(): number {
    return this.len - this.headLen;
  }

  /** skb_tailroom: room after the linear data; 0 once the skb has frags (bytes put there would land before them). */
  get tailroom(): number {
    return this.len !== this.headLen ? 0 : this.shinfo.headCap - this.dataOff - this.headLen;
  }

  /** __skb_pull: drops `n` bytes from the front of the linear data (protocol headers). */
  pull(n: number): void {
    if (n > this.headLen) throw new NetmemError('EINVAL', `pull of ${n} bytes from a ${this.headLen}-byte head`);
    this.dataOff += n;
    this.headLen -= n;
    this.len -= n;
  }
}
