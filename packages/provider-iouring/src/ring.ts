/**
 * An io_uring instance as zcrx sees it: setup flags, a completion queue of
 * fixed capacity in shared memory, the caller's admin capability, the zcrx
 * ifqs registered on it, RECV_ZC requests, and ring exit (scrub every ifq,
 * close its queue, free it once no pool uses it).
 */
import { NetNamespace, TcpSocket } from '@netmem/core';
import { CompletionQueue } from './cq.js';
import {
  CQE_ERR,
  IORING_MAX_CQ_ENTRIES,
  IORING_MAX_ENTRIES,
  IORING_RECV_MULTISHOT,
  IORING_RECVSEND_POLL_FIRST,
  IORING_SETUP_CLAMP,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_KNOWN,
  IORING_SETUP_SINGLE_ISSUER,
} from './constants.js';
import { E } from './errors.js';
import type { ZcrxIfq } from './ifq.js';
import { RecvZcRequest } from './recv.js';
import { registerZcrxIfq, type ZcrxIfqReg } from './register.js';
import { isU32 } from './user-errors.js';

/** A u32 option (the io_uring_params / SQE field width): EINVAL otherwise. */
function u32(v: unknown, name: string): number {
  if (!isU32(v)) E.expected(`${name} must be an integer 0..0xffffffff`, v);
  return v;
}

/**
 * Options of {@link IoUring} (io_uring_params).
 * @category Ring
 */
export interface IoUringOptions {
  /** SQ entries (rounded up to a power of two). Default 64. */
  entries?: number;
  /** IORING_SETUP_* flags. Default DEFER_TASKRUN | SINGLE_ISSUER | CQE32. */
  flags?: number;
  /** CQ entries with IORING_SETUP_CQSIZE; otherwise 2 × SQ entries. */
  cqEntries?: number;
  /** The caller has CAP_NET_ADMIN. Default true. */
  admin?: boolean;
}

/**
 * Options of {@link IoUring.recvZc} (the RECV_ZC SQE).
 * @category Zero-copy receive
 */
export interface RecvZcOptions {
  /** zcrx_ifq_idx. Default 0. */
  ifq?: number;
  /** Byte limit (sqe->len); 0 for none. Default 0. */
  len?: number;
  /** sqe->ioprio: IORING_RECV_MULTISHOT (required) and IORING_RECVSEND_POLL_FIRST. Default multishot. */
  flags?: number;
  /** user_data. Default 0. */
  userData?: number;
}

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * An io_uring instance: setup flags, CQ, zcrx ifqs, RECV_ZC, exit.
 *
 * @example
 * ```ts
 * import { MemoryDomain, NetNamespace } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 * import { IoUring, ZCRX_USER_BASE } from '@netmem/provider-iouring';
 *
 * const ns = new NetNamespace(new MemoryDomain({ pages: 4096, netIovs: 1024 }), { pageProvider: pagesProvider() });
 * const eth0 = ns.createNetdevsim({ name: 'eth0', rxQueues: 2, headerSplit: true });
 * const ring = new IoUring(ns, { entries: 64 });   // DEFER_TASKRUN | SINGLE_ISSUER | CQE32 by default
 * const mem = new SharedArrayBuffer(256 * 4096);   // the user's area: payload lands here
 * ring.registerZcrxIfq({ ifIdx: eth0.ifindex, ifRxq: 1, rqEntries: 256,
 *   area: { addr: ZCRX_USER_BASE, len: mem.byteLength, memory: mem }, region: { size: 64 + 16 * 256 } });
 * const req = ring.recvZc(ns.socket());             // armed: each issue() posts CQEs for what arrived
 * ring.exit();                                      // cancels req, scrubs the area, queue 1 back on pages
 * ```
 * @category Ring
 */
export class IoUring {
  /** Setup flags. */
  readonly flags: number;
  /** The caller's CAP_NET_ADMIN. */
  readonly admin: boolean;
  /** SQ entries. */
  readonly sqEntries: number;
  /** The completion queue (its buffer can go to a consumer thread). */
  readonly cq: CompletionQueue;
  /** Registered ifqs by id. */
  readonly ifqs = new Map<number, ZcrxIfq>();
  private nextIfqId = 0;
  private readonly requests = new Set<RecvZcRequest>();
  private exited = false;

  /**
   * io_uring_setup. EINVAL: `ns` not a NetNamespace; an options object with
   * an unknown key; entries, flags or cqEntries not a u32 (the fields'
   * width: NaN, 1.5, -1, 2^32 are refused, not truncated); admin not a
   * boolean; then, as the kernel checks them: unknown flags, DEFER_TASKRUN
   * without SINGLE_ISSUER, CQE32 with CQE_MIXED, zero entries, too many
   * entries without CLAMP, a CQ size below the SQ size.
   */
  constructor(
    /** The namespace whose netdevs ifqs bind to. */
    readonly ns: NetNamespace,
    opts: IoUringOptions = {},
  ) {
    if (!(ns instanceof NetNamespace)) E.expected('an io_uring needs a NetNamespace', ns);
    E.options(opts, 'io_uring_setup', ['entries', 'flags', 'cqEntries', 'admin']);
    if (opts.entries !== undefined) u32(opts.entries, 'io_uring entries');
    if (opts.flags !== undefined) u32(opts.flags, 'io_uring_setup flags');
    if (opts.cqEntries !== undefined) u32(opts.cqEntries, 'cqEntries');
    if (opts.admin !== undefined) E.bool(opts.admin, 'admin');
    const flags = opts.flags ?? IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32;
    if (flags & ~IORING_SETUP_KNOWN) E.fail('EINVAL', `io_uring_setup flags must be within 0x${IORING_SETUP_KNOWN.toString(16)}, got 0x${flags.toString(16)}`);
    if (flags & IORING_SETUP_DEFER_TASKRUN && !(flags & IORING_SETUP_SINGLE_ISSUER)) {
      E.fail('EINVAL', `IORING_SETUP_DEFER_TASKRUN needs IORING_SETUP_SINGLE_ISSUER, got flags 0x${flags.toString(16)}`);
    }
    if (flags & IORING_SETUP_CQE32 && flags & IORING_SETUP_CQE_MIXED)
      E.fail('EINVAL', `IORING_SETUP_CQE32 or IORING_SETUP_CQE_MIXED, not both, got flags 0x${flags.toString(16)}`);
    let entries = opts.entries ?? 64;
    if (!(entries > 0)) E.expected('io_uring entries must be positive', entries);
    if (entries > IORING_MAX_ENTRIES) {
      if (!(flags & IORING_SETUP_CLAMP)) E.expected(`io_uring entries must be at most ${IORING_MAX_ENTRIES} without IORING_SETUP_CLAMP`, entries);
      entries = IORING_MAX_ENTRIES;
    }
    this.sqEntries = roundUpPow2(entries);
    let cq = 2 * this.sqEntries;
    if (flags & IORING_SETUP_CQSIZE) {
      cq = opts.cqEntries ?? 0;
      if (!(cq > 0)) E.expected('cqEntries must be positive with IORING_SETUP_CQSIZE', opts.cqEntries);
      if (cq > IORING_MAX_CQ_ENTRIES) {
        if (!(flags & IORING_SETUP_CLAMP)) E.expected(`CQ entries must be at most ${IORING_MAX_CQ_ENTRIES} without IORING_SETUP_CLAMP`, cq);
        cq = IORING_MAX_CQ_ENTRIES;
      }
      cq = roundUpPow2(cq);
      if (cq < this.sqEntries) E.expected(`CQ entries (rounded up) must be at least the SQ's ${this.sqEntries}`, cq);
    }
    this.flags = flags;
    this.admin = opts.admin ?? true;
    this.cq = new CompletionQueue(cq);
  }

  /** True after {@link exit}. */
  get isExited(): boolean {
    return this.exited;
  }

  /** RECV_ZC requests still armed. */
  get pendingRequests(): number {
    return this.requests.size;
  }

  private live(): void {
    if (this.exited) E.fail('EBADF', 'the io_uring must be live, got one that has exited');
  }

  /**
   * IORING_REGISTER_ZCRX_IFQ (see {@link registerZcrxIfq} for the checks).
   * Writes back rqEntries, offsets, zcrxId and the area token into `reg`.
   */
  registerZcrxIfq(reg: ZcrxIfqReg): ZcrxIfq {
    this.live();
    const id = this.nextIfqId;
    const ifq = registerZcrxIfq(this, reg, id);
    this.nextIfqId++;
    this.ifqs.set(id, ifq);
    return ifq;
  }

  /**
   * Prepares a RECV_ZC request on `sk` (io_recvzc_prep). EBADF: the ring
   * exited, or `sk` is not a socket. EINVAL: a socket of another memory
   * domain (its skbs hold another domain's buffers); an options object with an
   * unknown key; ifq or len not a u32, flags not a u16 (sqe->ioprio),
   * userData not an integer 0..2^53-1; unknown ifq, unknown flags, no
   * IORING_RECV_MULTISHOT.
   *
   * @example
   * ```ts
   * import type { TcpSocket } from '@netmem/core';
   * import { CqConsumer, type IoUring } from '@netmem/provider-iouring';
   *
   * function receive(ring: IoUring, sk: TcpSocket): void {
   *   const req = ring.recvZc(sk, { userData: 42 });
   *   while (req.issue() === 'requeue');          // one pass per call, as the kernel's task work runs it
   *   const cq = new CqConsumer(ring.cq.buffer);   // the user's side of the shared CQ
   *   const n = cq.begin();
   *   for (let i = 0; i < n; i++) console.log(cq.userData(i), cq.res(i), cq.off(i));   // bytes at off in the area
   *   cq.end();                                    // then hand the buffers back through the refill ring
   * }
   * ```
   */
  recvZc(sk: TcpSocket, opts: RecvZcOptions = {}): RecvZcRequest {
    this.live();
    if (!(sk instanceof TcpSocket)) E.expected('RECV_ZC needs a socket', sk, 'EBADF');
    if (sk.skbs.domain !== this.ns.domain)
      E.fail('EINVAL', `RECV_ZC needs a socket of the ring's memory domain, got socket ${sk.id}, which receives into another domain's buffers`);
    E.options(opts, 'RECV_ZC', ['ifq', 'len', 'flags', 'userData']);
    if (opts.ifq !== undefined) u32(opts.ifq, 'RECV_ZC zcrx_ifq_idx');
    if (opts.len !== undefined) u32(opts.len, 'the RECV_ZC byte limit (sqe->len)');
    if (opts.flags !== undefined && !(isU32(opts.flags) && opts.flags <= 0xffff))
      E.expected('RECV_ZC flags (sqe->ioprio) must be an integer 0..0xffff', opts.flags);
    if (opts.userData !== undefined && !(Number.isSafeInteger(opts.userData) && opts.userData >= 0))
      E.expected('RECV_ZC user_data must be an integer 0..2^53-1', opts.userData);
    const ifq = this.ifqs.get(opts.ifq ?? 0);
    if (!ifq) E.expected(`RECV_ZC must name a zcrx ifq registered on this ring (ids: ${[...this.ifqs.keys()].join(', ') || 'none'})`, opts.ifq ?? 0);
    const flags = opts.flags ?? IORING_RECV_MULTISHOT;
    const known = IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT;
    if (flags & ~known) E.fail('EINVAL', `RECV_ZC flags must be within 0x${known.toString(16)}, got 0x${flags.toString(16)}`);
    if (!(flags & IORING_RECV_MULTISHOT)) E.fail('EINVAL', `RECV_ZC must be multishot (IORING_RECV_MULTISHOT), got flags 0x${flags.toString(16)}`);
    const len = opts.len ?? 0;
    if (!(len >= 0 && len <= 0xffffffff)) E.expected('the RECV_ZC byte limit must be 0..2^32-1', len);
    const req = new RecvZcRequest(this.cq, ifq, sk, opts.userData ?? 0, len, (this.flags & IORING_SETUP_CQE_MIXED) !== 0, (r) => this.requests.delete(r));
    this.requests.add(req);
    return req;
  }

  /**
   * Ring exit (io_ring_exit_work): armed requests end with -ECANCELED; every
   * ifq is scrubbed (user references taken back) and its queue closed; each
   * ifq is freed once no pool uses its provider any more. Idempotent, and it
   * always runs to the end: a step that fails for one ifq (a queue that
   * does not restart, say) is reported as a warning (the kernel WARNs) and
   * every other ifq is still scrubbed, closed and released.
   */
  exit(): void {
    if (this.exited) return;
    this.exited = true;
    for (const r of [...this.requests]) r.finish(CQE_ERR.ECANCELED);
    for (const ifq of this.ifqs.values()) {
      this.exitStep(ifq, 'scrub', () => ifq.scrub());
      this.exitStep(ifq, 'close its queue', () => ifq.closeQueue());
    }
    for (const ifq of this.ifqs.values()) this.exitStep(ifq, 'release', () => ifq.release());
  }

  private exitStep(ifq: ZcrxIfq, what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.ns.domain.warn('zcrx-exit', `provider-iouring: ring exit could not ${what} for ifq ${ifq.id}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}
