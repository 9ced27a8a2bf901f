/**
 * What happens to socket buffers (net/core/skbuff.c): build, frags, clone,
 * coalesce, copy out, free; the skb itself is skbuff.ts.
 *
 * Memory strategy: skbs and their shared infos come from a per-domain cache
 * (the kernel's NAPI skb cache) and go back to it when freed, so the receive
 * path allocates nothing in steady state. Frag arrays are Int32Arrays
 * allocated once per shared info.
 */
import { NetmemError, show } from '../base/errors.js';
import { NET_IOV_SIZE } from '../base/units.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { isNetIov } from '../netmem/handle.js';
import { Place, type Ledger, type PlaceCode } from '../netmem/ledger.js';
import { netmemRef } from '../pool/owner.js';
import { poolRegistry, type PoolRegistry } from '../pool/registry.js';
import { MAX_SKB_FRAGS, SkBuff, SkbShared, type SkbMaker } from './skbuff.js';

/**
 * Builds, clones, coalesces and frees skbs for one domain, recycling skb
 * objects. Every netmem reference an skb holds is either a pp reference
 * (ppRecycle skbs, pool netmems) or a page/net_iov reference.
 * @category Stack model
 */
export class SkbFactory implements SkbMaker {
  private freeSkbs: SkBuff[] = [];
  private freeShared: SkbShared[] = [];
  /** skbs currently alive (for leak checks). */
  live = 0;

  /** The domain's ownership ledger (checked mode records where buffers are). */
  readonly ledger: Ledger;
  /** The domain's pools: where a freed frag goes back to. */
  private readonly pools: PoolRegistry;

  constructor(
    /** The domain whose netmems the skbs hold. */
    readonly domain: MemoryDomain,
  ) {
    this.ledger = domain.ledger;
    this.pools = poolRegistry(domain);
  }

  /**
   * A new skb whose head is `len` bytes at `start` of netmem `head` (buffer
   * capacity `cap`). The skb takes over the caller's reference on `head`.
   */
  build(head: number, start: number, cap: number, len: number, ppRecycle: boolean): SkBuff {
    if (head !== 0) this.domain.checkHandle(head, 'skb head');
    if (!isCount(start) || !isCount(cap) || !isCount(len) || len > cap || (head !== 0 && start + cap > this.bufferBytes(head))) {
      badLayout(`an skb head of len ≤ cap inside its buffer${head === 0 ? '' : ` (${this.bufferBytes(head)} bytes)`}`, start, cap, len);
    }
    if (typeof ppRecycle !== 'boolean') throw new NetmemError('EINVAL', `skb build: ppRecycle must be a boolean, got ${show(ppRecycle)}`);
    const sh = this.freeShared.pop() ?? new SkbShared();
    sh.head = head;
    sh.headStart = start;
    sh.headCap = cap;
    sh.nrFrags = 0;
    sh.dataref = 1;
    let skb = this.freeSkbs.pop();
    if (skb) skb.shinfo = sh;
    else skb = new SkBuff(sh, this);
    skb.dataOff = 0;
    skb.headLen = len;
    skb.len = len;
    skb.ppRecycle = ppRecycle;
    skb.unreadable = false;
    skb.clonedFlag = false;
    skb.next = null;
    skb.mark = 0;
    skb.dead = false;
    skb.queued = false;
    this.live++;
    if (head !== 0) this.ledger.record(head, Place.SKB);
    return skb;
  }

  /**
   * skb_add_rx_frag: appends `len` bytes at `off` of `nm`; the skb takes over
   * the caller's reference. A net_iov of unreadable memory marks the skb
   * unreadable.
   */
  addFrag(skb: SkBuff, nm: number, off: number, len: number): void {
    this.own(skb, 'addFrag');
    this.domain.checkHandle(nm, 'skb frag');
    if (!isCount(off) || !isCount(len) || off + len > this.bufferBytes(nm)) badLayout(`a frag inside its buffer (${this.bufferBytes(nm)} bytes)`, off, len);
    const sh = skb.shinfo;
    if (sh.nrFrags >= MAX_SKB_FRAGS) throw new NetmemError('EINVAL', `skb already has ${MAX_SKB_FRAGS} frags`);
    const i = sh.nrFrags++;
    sh.fragNm[i] = nm;
    sh.fragOff[i] = off;
    sh.fragLen[i] = len;
    skb.len += len;
    if (isNetIov(nm) && !this.domain.isReadable(nm)) skb.unreadable = true;
    this.ledger.record(nm, Place.SKB);
  }

  /** skb_clone: a second skb over the same data. */
  clone(skb: SkBuff): SkBuff {
    this.own(skb, 'clone');
    if (skb.dead) this.deadSkb(skb, 'clone');
    let c = this.freeSkbs.pop();
    if (c) c.shinfo = skb.shinfo;
    else c = new SkBuff(skb.shinfo, this);
    c.dataOff = skb.dataOff;
    c.headLen = skb.headLen;
    c.len = skb.len;
    c.ppRecycle = skb.ppRecycle;
    c.unreadable = skb.unreadable;
    c.next = null;
    c.mark = skb.mark;
    c.dead = false;
    c.queued = false;
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
    this.own(skb, 'free');
    if (skb.queued) throw new NetmemError('EINVAL', `${'free'}: the skb is on a socket's receive queue (the socket frees it)`);
    if (skb.dead) this.deadSkb(skb, 'free');
    try {
      this.releaseData(skb, true);
    } finally {
      this.recycleSkb(skb);
    }
  }

  /**
   * kfree_skb_partial: frees the skb after its head was stolen by a
   * coalesce (`headStolen`): the head buffer now belongs to another skb.
   */
  freePartial(skb: SkBuff, headStolen: boolean): void {
    this.own(skb, 'freePartial');
    if (skb.queued) throw new NetmemError('EINVAL', `${'freePartial'}: the skb is on a socket's receive queue (the socket frees it)`);
    if (skb.dead) this.deadSkb(skb, 'free');
    try {
      this.releaseData(skb, !headStolen);
    } finally {
      this.recycleSkb(skb);
    }
  }

  /** __skb_frag_ref: a page (or net_iov owner) reference on frag `i`; never a pp reference. */
  fragRef(skb: SkBuff, i: number): void {
    this.own(skb, 'fragRef');
    if (!isCount(i) || i >= skb.shinfo.nrFrags) throw new NetmemError('EINVAL', `fragRef: expected a frag index below ${skb.shinfo.nrFrags}, got ${show(i)}`);
    netmemRef(this.domain, skb.shinfo.fragNm[i], false);
  }

  /** __skb_frag_unref: drops one frag reference of the kind `ppRecycle` says (napi_pp_put_page or put_netmem). */
  fragUnref(nm: number, ppRecycle: boolean): void {
    if (ppRecycle && this.pools.napiPpPutPage(nm)) return;
    this.domain.putNetmem(nm);
  }

  /**
   * skb_try_coalesce: appends `from`'s data to `to`. Refuses when `to` is
   * cloned, when their ppRecycle or readability differ, or when the frags
   * do not fit. On success the caller must free `from` with
   * {@link freePartial}(from, {@link lastHeadStolen}).
   */
  tryCoalesce(to: SkBuff, from: SkBuff): boolean {
    this.own(to, 'tryCoalesce');
    this.own(from, 'tryCoalesce');
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
    for (let i = 0; i < fs.nrFrags; i++) netmemRef(this.domain, fs.fragNm[i], from.ppRecycle);
    to.len += len;
    return true;
  }

  /** Whether the last successful {@link tryCoalesce} took `from`'s head as a frag. */
  lastHeadStolen = false;

  /** Copies `len` bytes of readable data starting at `off` into `dst` at `at`; returns bytes copied. */
  copyBits(skb: SkBuff, off: number, dst: Uint8Array, at: number, len: number): number {
    this.own(skb, 'copyBits');
    if (!(dst instanceof Uint8Array)) throw new NetmemError('EFAULT', `copyBits: expected a Uint8Array to copy into, got ${show(dst)}`);
    if (!isCount(off) || !isCount(at) || !isCount(len) || off + len > skb.len || at + len > dst.length) {
      badLayout(`a copy inside the skb (${skb.len} bytes) and the destination (${dst.length} bytes)`, off, at, len);
    }
    const sh = skb.shinfo;
    let done = 0;
    if (off < skb.headLen) {
      const n = Math.min(len, skb.headLen - off);
      this.domain.copyOut(sh.head, sh.headStart + skb.dataOff + off, dst, at, n);
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
      this.domain.copyOut(sh.fragNm[i], sh.fragOff[i] + off, dst, at + done, n);
      done += n;
      off = 0;
    }
    return done;
  }

  /** Records in the ledger that every buffer of `skb` is at `place` (checked mode only). */
  setPlaces(skb: SkBuff, place: PlaceCode): void {
    this.own(skb, 'setPlaces');
    const sh = skb.shinfo;
    const ledger = this.ledger;
    if (sh.head !== 0) ledger.record(sh.head, place);
    for (let i = 0; i < sh.nrFrags; i++) ledger.record(sh.fragNm[i], place);
  }

  /** EINVAL unless `skb` is an skb of this factory (not a look-alike, not another domain's); `who`, when given, prefixes `what` in the error. */
  own(skb: SkBuff, what: string, who = ''): void {
    if (!(skb instanceof SkBuff) || skb.factory !== this) notOurs(who === '' ? what : `${who}: ${what}`, skb);
  }

  /**
   * EINVAL unless `skb` is a live skb of this factory on no queue: what may be handed to a socket or a
   * device. `who` and `op` name the caller in the error; they are joined only then (this runs per packet).
   */
  checkLoose(skb: SkBuff, who: string, op: string): void {
    this.own(skb, op, who);
    if (skb.dead || skb.queued)
      throw new NetmemError('EINVAL', `${who}: ${op}: expected a live skb on no queue, got one ${skb.dead ? 'already freed' : 'already queued'}`);
  }

  /** Bytes of the buffer `nm` (a page of its order, or one net_iov). */
  private bufferBytes(nm: number): number {
    return isNetIov(nm) ? NET_IOV_SIZE : this.domain.bytes(nm).length;
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
    const ledger = this.ledger;
    const checked = ledger.checked;
    // Every reference is dropped even if one put throws (a strict IOMMU on a gone device): the first error surfaces after.
    let first: unknown;
    for (let i = 0; i < sh.nrFrags; i++) {
      try {
        this.fragUnref(sh.fragNm[i], skb.ppRecycle);
      } catch (e) {
        first ??= e;
      }
      if (checked) ledger.holderLeft(sh.fragNm[i]);
    }
    sh.nrFrags = 0;
    if (withHead && sh.head !== 0) {
      try {
        this.fragUnref(sh.head, skb.ppRecycle);
      } catch (e) {
        first ??= e;
      }
      if (checked) ledger.holderLeft(sh.head);
    }
    sh.head = 0;
    this.freeShared.push(sh);
    if (first !== undefined) throw first;
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

/** A non-negative integer below 2^31 (byte offsets, lengths, indexes). */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && (v | 0) === v && v >= 0;
}

/** The rare path: numbers that do not describe bytes inside a buffer. */
function badLayout(what: string, ...got: unknown[]): never {
  throw new NetmemError('EINVAL', `expected ${what}, got ${got.map(show).join(', ')}`);
}

/** The rare path: an object that is not this factory's skb. */
function notOurs(what: string, skb: unknown): never {
  const why = skb instanceof SkBuff ? "another domain's skb" : show(skb);
  throw new NetmemError('EINVAL', `${what}: expected an skb of this domain, got ${why}`);
}
