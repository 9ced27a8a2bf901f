/**
 * Socket buffers (include/linux/skbuff.h, net/core/skbuff.c): a linear head
 * in a buffer plus up to 17 page/net_iov frags; clones share the data
 * (`SkbShared`, the kernel's skb_shared_info, counted by `dataref`).
 *
 * Memory strategy: skbs and their shared infos come from a per-domain cache
 * (the kernel's NAPI skb cache) and go back to it when freed, so the receive
 * path allocates nothing in steady state. Frag arrays are Int32Arrays
 * allocated once per shared info.
 */
import { NetmemError } from '../errors.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { descOf, isNetIov } from '../netmem/handle.js';
import { NM_UNREADABLE } from '../netmem/netmem-table.js';
import { Place, type PlaceCode } from '../netmem/places.js';
import { RangeViews } from '../netmem/range-views.js';

/** Copies shorter than this go straight out of shared memory (the bounce costs more than it saves). */
const BOUNCE_MIN = 128;
/** Bounce buffer size: one page. */
const PAGE_BYTES = 4096;

/** Most frags one skb holds. */
export const MAX_SKB_FRAGS = 17;

/** The data an skb and its clones share (skb_shared_info + the head buffer). */
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

/** One socket buffer. */
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

  constructor(shinfo: SkbShared) {
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

/**
 * Builds, clones, coalesces and frees skbs for one domain, recycling skb
 * objects. Every netmem reference an skb holds is either a pp reference
 * (ppRecycle skbs, pool netmems) or a page/net_iov reference.
 */
export class SkbFactory {
  private freeSkbs: SkBuff[] = [];
  private freeShared: SkbShared[] = [];
  /** skbs currently alive (for leak checks). */
  live = 0;

  constructor(
    /** The domain whose netmems the skbs hold. */
    readonly domain: MemoryDomain,
  ) {}

  /**
   * A new skb whose head is `len` bytes at `start` of netmem `head` (buffer
   * capacity `cap`). The skb takes over the caller's reference on `head`.
   */
  build(head: number, start: number, cap: number, len: number, ppRecycle: boolean): SkBuff {
    const sh = this.freeShared.pop() ?? new SkbShared();
    sh.head = head;
    sh.headStart = start;
    sh.headCap = cap;
    sh.nrFrags = 0;
    sh.dataref = 1;
    let skb = this.freeSkbs.pop();
    if (skb) skb.shinfo = sh;
    else skb = new SkBuff(sh);
    skb.dataOff = 0;
    skb.headLen = len;
    skb.len = len;
    skb.ppRecycle = ppRecycle;
    skb.unreadable = false;
    skb.clonedFlag = false;
    skb.next = null;
    skb.mark = 0;
    skb.dead = false;
    this.live++;
    if (this.domain.checked && head !== 0) this.setPlace(head, Place.SKB);
    return skb;
  }

  /**
   * skb_add_rx_frag: appends `len` bytes at `off` of `nm`; the skb takes over
   * the caller's reference. A net_iov of unreadable memory marks the skb
   * unreadable.
   */
  addFrag(skb: SkBuff, nm: number, off: number, len: number): void {
    const sh = skb.shinfo;
    if (sh.nrFrags >= MAX_SKB_FRAGS) throw new NetmemError('EINVAL', `skb already has ${MAX_SKB_FRAGS} frags`);
    const i = sh.nrFrags++;
    sh.fragNm[i] = nm;
    sh.fragOff[i] = off;
    sh.fragLen[i] = len;
    skb.len += len;
    if (isNetIov(nm) && (this.domain.table.flags[descOf(nm)] & NM_UNREADABLE) !== 0) skb.unreadable = true;
    if (this.domain.checked) this.setPlace(nm, Place.SKB);
  }

  /** skb_clone: a second skb over the same data. */
  clone(skb: SkBuff): SkBuff {
    if (skb.dead) this.deadSkb(skb, 'clone');
    let c = this.freeSkbs.pop();
    if (c) c.shinfo = skb.shinfo;
    else c = new SkBuff(skb.shinfo);
    c.dataOff = skb.dataOff;
    c.headLen = skb.headLen;
    c.len = skb.len;
    c.ppRecycle = skb.ppRecycle;
    c.unreadable = skb.unreadable;
    c.next = null;
    c.mark = skb.mark;
    c.dead = false;
    c.clonedFlag = true;
    skb.clonedFlag = true;
    skb.shinfo.dataref++;
    this.live++;
    return c;
  }

  /**
   * kfree_skb: frees the skb; the last sharer of the data releases the head
   * and every frag (pp netmems back to their pools when ppRecycle, page /
   * net_iov references otherwise).
   */
  free(skb: SkBuff): void {
    this.releaseData(skb, true);
    this.recycleSkb(skb);
  }

  /**
   * kfree_skb_partial: frees the skb after its head was stolen by a
   * coalesce (`headStolen`): the head buffer now belongs to another skb.
   */
  freePartial(skb: SkBuff, headStolen: boolean): void {
    this.releaseData(skb, !headStolen);
    this.recycleSkb(skb);
  }

  /** __skb_frag_ref: a page (or net_iov owner) reference on frag `i`; never a pp reference. */
  fragRef(skb: SkBuff, i: number): void {
    this.domain.getNetmem(skb.shinfo.fragNm[i]);
  }

  /** __skb_frag_unref: drops one frag reference of the kind `ppRecycle` says. */
  fragUnref(nm: number, ppRecycle: boolean): void {
    if (ppRecycle && this.domain.isPp(nm)) {
      // napi_pp_put_page: a full put; direct recycling only when napi-local.
      const pool = this.domain.poolOf(nm);
      if (!pool) throw new NetmemError('EINVAL', `netmem ${nm} names a pool that no longer exists`);
      pool.putNetmem(nm, -1, false);
      return;
    }
    this.domain.putNetmem(nm);
  }

  /**
   * skb_try_coalesce: appends `from`'s data to `to`. Refuses when `to` is
   * cloned, when their ppRecycle or readability differ, or when the frags
   * do not fit. On success the caller must free `from` with
   * {@link freePartial}(from, {@link lastHeadStolen}).
   */
  tryCoalesce(to: SkBuff, from: SkBuff): boolean {
    this.lastHeadStolen = false;
    if (to === from || to.cloned) return false;
    if (to.ppRecycle !== from.ppRecycle) return false;
    if (to.unreadable !== from.unreadable) return false;
    const len = from.len;
    if (len <= to.tailroom && !from.unreadable) {
      this.copyInto(to, from, len);
      return true;
    }
    const ts = to.shinfo;
    const fs = from.shinfo;
    if (from.headLen !== 0) {
      if (ts.nrFrags + fs.nrFrags >= MAX_SKB_FRAGS) return false;
      if (from.cloned || fs.head === 0) return false; // skb_head_is_locked
      const i = ts.nrFrags++;
      ts.fragNm[i] = fs.head;
      ts.fragOff[i] = fs.headStart + from.dataOff;
      ts.fragLen[i] = from.headLen;
      this.lastHeadStolen = true;
    } else if (ts.nrFrags + fs.nrFrags > MAX_SKB_FRAGS) {
      return false;
    }
    for (let i = 0; i < fs.nrFrags; i++) {
      const j = ts.nrFrags++;
      ts.fragNm[j] = fs.fragNm[i];
      ts.fragOff[j] = fs.fragOff[i];
      ts.fragLen[j] = fs.fragLen[i];
    }
    if (!from.cloned) fs.nrFrags = 0;
    // A cloned `from` keeps its frags too, so the moved copies need references
    // (skb_pp_frag_ref: pp references for pool netmems of a pp skb, page /
    // net_iov references otherwise).
    const d = this.domain;
    for (let i = 0; i < fs.nrFrags; i++) {
      const nm = fs.fragNm[i];
      if (from.ppRecycle && d.isPp(nm)) d.poolOf(nm)!.refNetmem(nm, 1);
      else d.getNetmem(nm);
    }
    to.len += len;
    return true;
  }

  /** Whether the last successful {@link tryCoalesce} took `from`'s head as a frag. */
  lastHeadStolen = false;

  /** Copies `len` bytes of readable data starting at `off` into `dst` at `at`; returns bytes copied. */
  copyBits(skb: SkBuff, off: number, dst: Uint8Array, at: number, len: number): number {
    const sh = skb.shinfo;
    let done = 0;
    if (off < skb.headLen) {
      const n = Math.min(len, skb.headLen - off);
      this.copyPiece(sh.head, sh.headStart + skb.dataOff + off, dst, at, n);
      done += n;
      off = 0;
    } else {
      off -= skb.headLen;
    }
    for (let i = 0; i < sh.nrFrags && done < len; i++) {
      const flen = sh.fragLen[i];
      if (off >= flen) {
        off -= flen;
        continue;
      }
      const n = Math.min(len - done, flen - off);
      this.copyPiece(sh.fragNm[i], sh.fragOff[i] + off, dst, at + done, n);
      done += n;
      off = 0;
    }
    return done;
  }

  /** Copies `n` bytes at `off` of netmem `nm` into `dst` at `at`: pages through the domain storage, net_iovs through their view. */
  private copyPiece(nm: number, off: number, dst: Uint8Array, at: number, n: number): void {
    const d = this.domain;
    if (isNetIov(nm)) this.copyOut(d.bytes(nm), off, dst, at, n);
    else {
      if (d.checked) d.checkStale(nm);
      d.storage.copyOut(d.pageVa(nm) + off, dst, at, n); // a page's VA is its offset in the storage
    }
  }

  /**
   * Copies `n` bytes of net_iov memory `src` at `s` into `dst` at `at` (page
   * bytes go through the domain's ByteStorage instead). V8 copies out of a
   * SharedArrayBuffer (an io_uring area, say) word by word only
   * when source and destination agree in alignment, and byte by byte (about
   * 4× slower here) otherwise; a misaligned copy therefore goes through a
   * private bounce buffer: an aligned copy out of shared memory, then a
   * plain memmove.
   */
  private copyOut(src: Uint8Array, s: number, dst: Uint8Array, at: number, n: number): void {
    const views = this.views;
    if (n < BOUNCE_MIN || ((src.byteOffset + s - dst.byteOffset - at) & 7) === 0 || !(src.buffer instanceof SharedArrayBuffer)) {
      dst.set(views.get(src, s, n), at);
      return;
    }
    const b = this.bounce;
    while (n > 0) {
      const k = n < PAGE_BYTES ? n : PAGE_BYTES;
      const a = (src.byteOffset + s) & 7;
      b.set(views.get(src, s, k), a);
      dst.set(views.get(b, a, k), at);
      s += k;
      at += k;
      n -= k;
    }
  }

  private readonly bounce = new Uint8Array(PAGE_BYTES + 8);
  /** Views of sub-ranges for set() (cached: no view object per copy in steady traffic). */
  private readonly views = new RangeViews();

  /** Sets a netmem's ledger place (checked mode only; callers check). */
  setPlace(nm: number, place: PlaceCode): void {
    const t = this.domain.table;
    const d = descOf(nm);
    if (t.pp[d] !== 0 && t.place[d] >= Place.HANDED_OUT && t.place[d] !== Place.FRAG_PAGE) t.place[d] = place;
  }

  /**
   * Ledger: a stack holder let go of `nm` but other holders remain (a page
   * shared by frags). Its recorded place named the holder that left, so it
   * becomes "handed-out" until a remaining holder records itself again.
   */
  holderLeft(nm: number): void {
    const t = this.domain.table;
    const d = descOf(nm);
    if (t.pp[d] !== 0 && (t.place[d] === Place.SKB || t.place[d] === Place.SOCKET || t.place[d] === Place.DRIVER_RING)) {
      t.place[d] = Place.HANDED_OUT;
    }
  }

  /** Sets the ledger place of every buffer an skb holds (checked mode only). */
  setPlaces(skb: SkBuff, place: PlaceCode): void {
    const sh = skb.shinfo;
    if (sh.head !== 0) this.setPlace(sh.head, place);
    for (let i = 0; i < sh.nrFrags; i++) this.setPlace(sh.fragNm[i], place);
  }

  private copyInto(to: SkBuff, from: SkBuff, len: number): void {
    if (len > 0) {
      const dst = this.domain.bytes(to.shinfo.head);
      this.copyBits(from, 0, dst, to.shinfo.headStart + to.dataOff + to.headLen, len);
    }
    to.headLen += len;
    to.len += len;
  }

  private releaseData(skb: SkBuff, withHead: boolean): void {
    if (skb.dead) this.deadSkb(skb, 'free');
    const sh = skb.shinfo;
    if (--sh.dataref > 0) return;
    const checked = this.domain.checked;
    for (let i = 0; i < sh.nrFrags; i++) {
      this.fragUnref(sh.fragNm[i], skb.ppRecycle);
      if (checked) this.holderLeft(sh.fragNm[i]);
    }
    sh.nrFrags = 0;
    if (withHead && sh.head !== 0) {
      this.fragUnref(sh.head, skb.ppRecycle);
      if (checked) this.holderLeft(sh.head);
    }
    sh.head = 0;
    this.freeShared.push(sh);
  }

  private deadSkb(skb: SkBuff, op: string): never {
    throw new NetmemError('EINVAL', `${op} of an skb that was already freed (len ${skb.len})`);
  }

  private recycleSkb(skb: SkBuff): void {
    skb.dead = true;
    skb.next = null;
    this.live--;
    this.freeSkbs.push(skb);
  }
}
