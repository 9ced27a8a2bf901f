/**
 * IORING_OP_RECV_ZC (io_uring/net.c io_recvzc + zcrx.c io_zcrx_tcp_recvmsg):
 * a multishot request that reads a TCP socket's queue without copying. Each
 * net_iov frag of this ifq becomes a CQE pointing into the area and takes a
 * pp reference and a user reference; header bytes and page frags are copied
 * into free area buffers (copy fallback). One {@link RecvZcRequest.issue}
 * is one pass of the kernel's issue handler.
 *
 * Memory strategy: the pass keeps its state in fields of the request; the
 * zero-copy path writes CQEs into the shared CQ and typed-array counters,
 * allocating nothing. Copies go through `domain.readNetmem` (no allocation
 * in steady state).
 */
import { TcpSocket, type MemoryDomain, type SkBuff } from '@netmem/core';
import { PAGE_SIZE, Place, isNetIov, mpSetPlace, netmemGetPp, type PagePool } from '@netmem/core/provider';
import { CompletionQueue } from './cq.js';
import { CQE_ERR, IO_SKBS_PER_CALL_LIMIT, IORING_CQE_F_32, IORING_CQE_F_MORE } from './constants.js';
import { E } from './errors.js';
import { ZcrxIfq } from './ifq.js';
import { isU32 } from './user-errors.js';

/**
 * What one issue did: wait for data (armed), run again at once, or the request is over.
 * @category Zero-copy receive
 */
export type RecvZcStatus = 'retry' | 'requeue' | 'complete';

/** Internal marker for "run again at once" (IOU_REQUEUE). */
const REQUEUE = -0x7fff;
const UINT_MAX = 0xffffffff;

/**
 * One armed RECV_ZC request (multishot) on a socket.
 * @category Zero-copy receive
 */
export class RecvZcRequest {
  /** True once the final CQE was posted. */
  done = false;
  /** res of the final CQE (0 for a byte limit reached or end of stream, else -errno). */
  result = 0;
  /** Bytes still wanted (0: unlimited). */
  private left: number;
  private nrSkbs = 0;
  private count = 0;
  private readonly cqeFlags: number;
  private lastPool: PagePool | null = null;
  private readonly domain: MemoryDomain;

  constructor(
    /** The ring's completion queue. */
    private readonly cq: CompletionQueue,
    /** The ifq (its area receives the data). */
    readonly ifq: ZcrxIfq,
    /** The socket read. */
    readonly sk: TcpSocket,
    /** user_data in every CQE. */
    readonly userData: number,
    /** Byte limit (0: none). */
    len: number,
    mixed: boolean,
    private readonly onDone: (r: RecvZcRequest) => void,
  ) {
    // Checked once here, so the per-frag path writes CQEs without checks of its own.
    if (!(cq instanceof CompletionQueue)) E.expected("a RECV_ZC request needs the ring's CompletionQueue", cq);
    if (!(ifq instanceof ZcrxIfq)) E.expected('a RECV_ZC request needs a ZcrxIfq', ifq);
    if (!(sk instanceof TcpSocket)) E.expected('RECV_ZC needs a socket', sk, 'EBADF');
    if (sk.skbs.domain !== ifq.domain)
      E.fail('EINVAL', `RECV_ZC needs a socket of the ifq's memory domain, got socket ${sk.id}, which receives into another domain's buffers`);
    if (!Number.isSafeInteger(userData) || userData < 0) E.expected('RECV_ZC user_data must be an integer 0..2^53-1', userData);
    if (!isU32(len)) E.expected('the RECV_ZC byte limit must be an integer 0..2^32-1', len);
    if (typeof mixed !== 'boolean') E.expected('mixed (CQE_MIXED ring) must be true or false', mixed);
    if (typeof onDone !== 'function') E.expected('a RECV_ZC request needs its completion callback', onDone);
    this.left = len;
    this.cqeFlags = IORING_CQE_F_MORE | (mixed ? IORING_CQE_F_32 : 0);
    this.domain = ifq.domain;
  }

  /** Bytes still wanted by a byte-limited request (0: unlimited or done). */
  get remaining(): number {
    return this.left;
  }

  /**
   * One pass: reads what the socket has (at most 21 skb visits: the kernel's
   * `nr_skbs++ > 20` check), posts CQEs, publishes the CQ tail. 'retry': no
   * more data for now (the request stays armed); 'requeue': the skb budget
   * ran out with data left; 'complete': the final CQE was posted.
   */
  issue(): RecvZcStatus {
    if (this.done) return 'complete';
    // The ifq is gone (its ring exited without this request, or it was released by hand): cancelled, its area untouched.
    if (this.ifq.freed) return this.finish(CQE_ERR.ECANCELED);
    if (this.sk.type !== 'tcp') return this.finish(CQE_ERR.EPROTONOSUPPORT);
    const limited = this.left !== 0;
    const ret = this.tcpRecvmsg();
    this.cq.commit();
    if (limited && this.left === 0) return this.finish(0);
    if (ret === REQUEUE) return 'requeue';
    if (ret <= 0 && ret !== CQE_ERR.EAGAIN) return this.finish(ret);
    return 'retry';
  }

  /** Ends the request with a final CQE (no MORE flag) of result `res` (an s32: 0 or −errno; EINVAL otherwise). Once only. */
  finish(res: number): RecvZcStatus {
    if (typeof res !== 'number' || (res | 0) !== res) E.expected('a RECV_ZC result must be an s32 (0 or a negative errno)', res);
    if (this.done) return 'complete';
    this.done = true;
    this.result = res;
    this.cq.complete(this.userData, res, 0);
    this.cq.commit();
    this.onDone(this);
    return 'complete';
  }

  /** io_zcrx_tcp_recvmsg. */
  private tcpRecvmsg(): number {
    this.nrSkbs = 0;
    this.count = this.left !== 0 ? this.left : UINT_MAX;
    const ret = this.readSock();
    if (this.left !== 0 && ret > 0) this.left -= ret;
    if (ret <= 0) {
      if (ret < 0) return ret;
      return this.sk.state === 'closed' ? CQE_ERR.ENOTCONN : CQE_ERR.EAGAIN;
    }
    if (this.nrSkbs > IO_SKBS_PER_CALL_LIMIT) return REQUEUE;
    return ret;
  }

  /** tcp_read_sock: hands queued skbs to the actor until it stops; consumes what it used. */
  private readSock(): number {
    const sk = this.sk;
    let copied = 0;
    for (let skb = sk.peek(); skb !== null; skb = sk.peek()) {
      const offset = sk.headOffset;
      const used = this.recvSkb(skb, offset, skb.len - offset);
      if (used <= 0) {
        if (copied === 0) copied = used;
        break;
      }
      copied += used;
      // The buffers posted already hold their own pp references: freeing the skb is safe.
      sk.consume(used);
      if (this.count === 0) break;
    }
    return copied;
  }

  /** io_zcrx_recv_skb: head bytes by copy, frags zero-copy (or copy for page frags). */
  private recvSkb(skb: SkBuff, offset: number, len: number): number {
    if (len > this.count) len = this.count;
    if (len === 0) return 0;
    if (this.nrSkbs++ > IO_SKBS_PER_CALL_LIMIT) return CQE_ERR.EAGAIN;
    const startOff = offset;
    const sh = skb.shinfo;
    const headLen = skb.headLen;
    let ret = 0;
    // biome-ignore lint/suspicious/noConfusingLabels: the labelled block is io_zcrx_recv_skb's `goto out`
    out: {
      if (offset < headLen) {
        const toCopy = Math.min(headLen - offset, len);
        const copied = this.copyChunk(sh.head, sh.headStart + skb.dataOff + offset, toCopy);
        if (copied < 0) {
          ret = copied;
          break out;
        }
        offset += copied;
        len -= copied;
        if (len === 0 || offset !== headLen) break out;
      }
      let start = headLen;
      for (let i = 0; i < sh.nrFrags; i++) {
        const end = start + sh.fragLen[i];
        if (offset < end) {
          const copy = end - offset < len ? end - offset : len;
          ret = this.recvFrag(sh.fragNm[i], sh.fragOff[i] + offset - start, copy);
          if (ret < 0) break out;
          offset += ret;
          len -= ret;
          if (len === 0 || ret !== copy) break out;
        }
        start = end;
      }
    }
    if (offset === startOff) return ret;
    this.count -= offset - startOff;
    return offset - startOff;
  }

  /** io_zcrx_recv_frag: a net_iov of this ifq → one CQE + pp ref + user ref; a page → copy. */
  private recvFrag(nm: number, off: number, len: number): number {
    if (!isNetIov(nm)) return this.copyChunk(nm, off, len);
    const ifq = this.ifq;
    let pool = this.lastPool;
    if (pool === null || !pool.owns(nm)) {
      // A new pool (first frag, or the queue restarted): it must be one of this ifq's.
      pool = netmemGetPp(this.domain, nm) ?? null;
      if (pool === null || pool.provider !== ifq.ops) return CQE_ERR.EFAULT;
      this.lastPool = pool;
    }
    const area = ifq.area;
    const idx = area.indexOf(nm);
    if (!this.cq.write(this.userData, len, this.cqeFlags, idx * PAGE_SIZE + off, area.areaId << 16)) return CQE_ERR.ENOSPC;
    // Keep it from being recycled while the user reads it, then count the user's reference.
    pool.refNetmem(nm, 1);
    area.userRefs[idx]++;
    ifq.stats.zcFrags++;
    if (this.domain.checked) mpSetPlace(this.domain, nm, Place.USER);
    return len;
  }

  /** io_zcrx_copy_chunk: copies `len` bytes at `srcOff` of netmem `nm` (a page, or a readable net_iov) into fresh area buffers, one CQE each. */
  private copyChunk(nm: number, srcOff: number, len: number): number {
    const ifq = this.ifq;
    const area = ifq.area;
    if (area.isDmabuf) return CQE_ERR.EFAULT;
    const dst = area.region.u8;
    const domain = this.domain;
    let copied = 0;
    let ret = 0;
    while (len > 0) {
      const i = ifq.allocFallback();
      if (i < 0) {
        ret = CQE_ERR.ENOMEM;
        break;
      }
      const n = len < PAGE_SIZE ? len : PAGE_SIZE;
      const at = area.nia.byteOffset(i);
      domain.readNetmem(nm, srcOff, dst, at, n);
      if (!this.cq.write(this.userData, n, this.cqeFlags, i * PAGE_SIZE, area.areaId << 16)) {
        ifq.returnNiov(area.niov(i), i);
        ret = CQE_ERR.ENOSPC;
        break;
      }
      area.userRefs[i]++;
      ifq.stats.copyBufs++;
      srcOff += n;
      len -= n;
      copied += n;
    }
    return copied !== 0 ? copied : ret;
  }
}
