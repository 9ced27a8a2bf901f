/**
 * recvmsg with MSG_SOCK_DEVMEM (tcp_recvmsg_locked + tcp_recvmsg_dmabuf):
 * for unreadable skbs, linear bytes are copied into the user buffer and
 * reported as an SCM_DEVMEM_LINEAR message; every payload frag stays in the
 * dmabuf and is reported as an SCM_DEVMEM_DMABUF message {fragOffset,
 * fragSize, token, dmabufId}. Each token takes one pp reference on its
 * net_iov, recorded in the socket's token table (attached on first use).
 * One call never mixes readable and unreadable skbs; unreadable data
 * without the flag is EFAULT. The byte budget (`len`) counts linear and
 * dmabuf bytes alike, as the kernel's does.
 */
import { MSG_PEEK, MSG_SOCK_DEVMEM, type MemoryDomain, type SkBuff, type TcpSocket } from '@netmem/core';
import { Place, mpSetPlace, netmemGetPp, type PagePool } from '@netmem/core/provider';
import { DmabufBinding } from './binding.js';
import { DevmemCmsgBuffer, SCM_DEVMEM_DMABUF, SCM_DEVMEM_LINEAR, type DevmemCmsg } from './cmsg.js';
import { socketArg } from './args.js';
import { E } from './errors.js';
import { DEVMEM_EXTENSION, DevmemTokens } from './tokens.js';

/**
 * Options of {@link devmemRecvmsg}; reuse one object across calls to keep the path allocation-free.
 * @category Socket API
 */
export interface DevmemRecvOptions {
  /** Where the control messages go (cleared first). */
  cmsgs: DevmemCmsgBuffer;
  /** recvmsg flags. Default MSG_SOCK_DEVMEM. */
  flags?: number;
  /** Byte budget (the iov length). Default `buf.length`; may not exceed it. */
  len?: number;
}

/** Why the per-skb walk stopped early (internal errno of tcp_recvmsg_dmabuf). */
const STOP_NONE = 0;
const STOP_NODEV = 1;
const STOP_CTRUNC = 2;

/** Per-call state, kept in module scope: JavaScript runs one recvmsg at a time. */
let stop = STOP_NONE;
let linearAt = 0;
let lastAreaId = -1;
let lastBinding: DmabufBinding | null = null;
let lastPpId = -1;
let lastPool: PagePool | undefined;

/**
 * recvmsg(MSG_SOCK_DEVMEM). Returns the bytes received (linear + dmabuf),
 * 0 when nothing is queued. Readable data at the head goes through the
 * normal copy path (no cmsgs). Argument errors, before anything changes:
 * not a socket or a closed one → EBADF; `buf` not a Uint8Array or
 * `opts.cmsgs` not a {@link DevmemCmsgBuffer} (user memory the call writes)
 * → EFAULT; `opts` not an options object or with an unknown key, `flags`
 * not a u32, `len` not an integer 0..buf.length → EINVAL. Receive errors:
 * unreadable data without MSG_SOCK_DEVMEM, a frag that is not a dmabuf
 * net_iov, or no room for a single cmsg → EFAULT (when nothing was received
 * yet). A failure part-way (after some data was received) ends the call
 * with what was received, as the kernel's `if (!sent) sent = err` does.
 *
 * @example
 * ```ts
 * import type { TcpSocket } from '@netmem/core';
 * import { DevmemCmsgBuffer, SCM_DEVMEM_DMABUF, devmemRecvmsg, dontneed } from '@netmem/provider-devmem';
 *
 * const cmsgs = new DevmemCmsgBuffer(128);   // made once: no allocation per call
 * const buf = new Uint8Array(64 * 1024);     // gets only linear (readable) bytes
 * function drain(sk: TcpSocket): void {
 *   while (devmemRecvmsg(sk, buf, { cmsgs }) > 0) {
 *     for (let i = 0; i < cmsgs.count; i++) {
 *       if (cmsgs.type[i] !== SCM_DEVMEM_DMABUF) continue;
 *       // The payload stays in the dmabuf; its token goes back once read.
 *       dontneed(sk, [{ tokenStart: cmsgs.token[i], tokenCount: 1 }]);
 *     }
 *   }
 * }
 * ```
 * @category Socket API
 */
export function devmemRecvmsg(sk: TcpSocket, buf: Uint8Array, opts: DevmemRecvOptions): number {
  checkRecvArgs(sk, buf, opts);
  const cm = opts.cmsgs;
  const flags = opts.flags === undefined ? MSG_SOCK_DEVMEM : opts.flags;
  const len = opts.len === undefined ? buf.length : opts.len;
  cm.count = 0;
  let skb = sk.peek();
  if (skb === null || len === 0) return 0;
  if (!skb.unreadable) return sk.recvmsg(len === buf.length ? buf : buf.subarray(0, len), flags & MSG_PEEK);
  if ((flags & MSG_SOCK_DEVMEM) === 0 || sk.type !== 'tcp') {
    E.fail('EFAULT', `socket ${sk.id}: dmabuf data needs MSG_SOCK_DEVMEM on a TCP socket, got flags 0x${flags.toString(16)} on a ${sk.type} socket`);
  }
  let tokens = sk.extension<DevmemTokens>(DEVMEM_EXTENSION);
  if (tokens === undefined) {
    tokens = new DevmemTokens(sk.skbs.domain);
    sk.attach(tokens);
  }
  stop = STOP_NONE;
  linearAt = 0;
  lastAreaId = -1;
  lastBinding = null;
  lastPpId = -1;
  lastPool = undefined;
  let budget = len;
  let copied = 0;
  let off = sk.headOffset;
  try {
    while (skb !== null && budget > 0 && skb.unreadable) {
      const used = Math.min(skb.len - off, budget);
      const sent = recvDmabufSkb(sk, tokens, skb, off, used, buf, cm);
      copied += sent;
      budget -= sent;
      if (stop !== STOP_NONE || off + sent < skb.len) break;
      skb = skb.next;
      off = 0;
    }
  } catch (e) {
    // A failure part-way: every message written so far stands for bytes received (and each dmabuf one holds
    // its token and pp reference), so keep them and consume exactly those bytes, as the kernel returns `sent`.
    copied = 0;
    for (let i = 0; i < cm.count; i++) copied += cm.fragSize[i];
    lastBinding = null;
    lastPool = undefined;
    if (copied === 0) throw e;
  }
  // Do not keep the last binding or pool alive past the call.
  lastBinding = null;
  lastPool = undefined;
  if (copied === 0) {
    const why = stop === STOP_NODEV ? 'every frag to be a dmabuf net_iov of a live pool, got one that is not' : 'room for a control message, got none';
    E.fail('EFAULT', `socket ${sk.id}: expected ${why}`);
  }
  sk.consume(copied);
  sk.copiedBytes += copied;
  return copied;
}

/**
 * {@link devmemRecvmsg}'s argument checks, once per call and out of line.
 * The options' keys are walked with for-in (the enum cache: no allocation).
 */
function checkRecvArgs(sk: TcpSocket, buf: Uint8Array, opts: DevmemRecvOptions): void {
  socketArg(sk, 'devmem recvmsg');
  if (sk.state === 'closed') E.fail('EBADF', `recvmsg needs an open socket, got socket ${sk.id}, which is closed`);
  if (!(buf instanceof Uint8Array)) E.expected('recvmsg buf must be user memory (a Uint8Array)', buf, 'EFAULT');
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) E.expected('devmem recvmsg takes an options object {cmsgs, flags?, len?}', opts);
  for (const k in opts) {
    if (k !== 'cmsgs' && k !== 'flags' && k !== 'len') E.fail('EINVAL', `devmem recvmsg: unknown option ${JSON.stringify(k)} (known: cmsgs, flags, len)`);
  }
  if (!(opts.cmsgs instanceof DevmemCmsgBuffer)) E.expected('recvmsg cmsgs must be a control buffer (a DevmemCmsgBuffer)', opts.cmsgs, 'EFAULT');
  const flags = opts.flags;
  if (flags !== undefined && (typeof flags !== 'number' || flags >>> 0 !== flags)) E.expected('recvmsg flags must be an integer 0..0xffffffff', flags);
  const len = opts.len;
  if (len !== undefined && (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > buf.length)) {
    E.expected(`recvmsg len must be an integer 0..${buf.length} (the buffer's length)`, len);
  }
}

/** tcp_recvmsg_dmabuf for one skb from `offset`, at most `remaining` bytes; returns bytes received (each with its cmsg). */
function recvDmabufSkb(sk: TcpSocket, tokens: DevmemTokens, skb: SkBuff, offset: number, remaining: number, buf: Uint8Array, cm: DevmemCmsgBuffer): number {
  const skbs = sk.skbs;
  const domain = skbs.domain;
  const sh = skb.shinfo;
  let start = skb.headLen;
  let sent = 0;
  let copy = start - offset;
  if (copy > 0) {
    copy = Math.min(copy, remaining);
    if (cm.full) {
      stop = STOP_CTRUNC;
      return sent;
    }
    skbs.copyBits(skb, offset, buf, linearAt, copy);
    linearAt += copy;
    offset += copy;
    remaining -= copy;
    cm.push(SCM_DEVMEM_LINEAR, 0, copy, 0, 0);
    sent += copy;
    if (remaining === 0) return sent;
  }
  for (let i = 0; i < sh.nrFrags; i++) {
    const nm = sh.fragNm[i];
    const end = start + sh.fragLen[i];
    copy = end - offset;
    if (copy > 0) {
      const areaId = domain.areaIdOf(nm);
      const binding = areaId !== 0 ? bindingOf(domain, nm, areaId) : null;
      const pool = binding !== null ? poolOf(domain, nm, domain.ppIdOf(nm)) : undefined;
      if (binding === null || pool === undefined) {
        stop = STOP_NODEV;
        return sent;
      }
      if (cm.full) {
        stop = STOP_CTRUNC;
        return sent;
      }
      copy = Math.min(copy, remaining);
      const token = tokens.record(nm);
      pool.refNetmem(nm, 1);
      if (domain.checked) mpSetPlace(domain, nm, Place.USER);
      cm.push(SCM_DEVMEM_DMABUF, binding.offsetOf(nm) + sh.fragOff[i] + offset - start, copy, token, binding.id);
      offset += copy;
      remaining -= copy;
      sent += copy;
      if (remaining === 0) return sent;
    }
    start = end;
  }
  return sent;
}

/** The binding that owns area `areaId` (of `nm`); the last answer is cached. */
function bindingOf(domain: MemoryDomain, nm: number, areaId: number): DmabufBinding | null {
  if (areaId !== lastAreaId) {
    const owner = domain.areaOf(nm)?.owner;
    lastAreaId = areaId;
    lastBinding = owner instanceof DmabufBinding ? owner : null;
  }
  return lastBinding;
}

/** The live pool with id `ppId` (of `nm`); the last answer is cached. */
function poolOf(domain: MemoryDomain, nm: number, ppId: number): PagePool | undefined {
  if (ppId !== lastPpId) {
    lastPpId = ppId;
    lastPool = ppId === 0 ? undefined : netmemGetPp(domain, nm);
  }
  return lastPool;
}

/**
 * What {@link devmemRecvmsgObjects} returns.
 * @category Socket API
 */
export interface DevmemRecvResult {
  /** Bytes received (linear + dmabuf). */
  bytes: number;
  /** The control messages. */
  cmsgs: DevmemCmsg[];
}

/**
 * Convenience over {@link devmemRecvmsg}: a fresh cmsg buffer, messages as objects (allocates).
 * @category Socket API
 */
export function devmemRecvmsgObjects(sk: TcpSocket, buf: Uint8Array, flags = MSG_SOCK_DEVMEM, maxCmsgs = 1024): DevmemRecvResult {
  const cmsgs = new DevmemCmsgBuffer(maxCmsgs);
  const bytes = devmemRecvmsg(sk, buf, { cmsgs, flags });
  return { bytes, cmsgs: cmsgs.toArray() };
}
