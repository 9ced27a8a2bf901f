/**
 * A TCP-like socket: an in-order receive queue of skbs, the recvmsg copy
 * path, and close. Provider packages plug their own receive paths (devmem
 * recvmsg, io_uring RECV_ZC) in through {@link SocketExtension}: they read
 * the queue with {@link TcpSocket.peek} / {@link TcpSocket.consume} and are
 * told at close to give back everything the user still holds.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import { Place } from '../netmem/ledger.js';
import type { SkbFactory } from './skb.js';
import type { SkBuff } from './skbuff.js';

/**
 * recvmsg flag: the caller accepts devmem (dmabuf) frags as cmsgs.
 * @category Stack model
 */
export const MSG_SOCK_DEVMEM = 0x2000000;
/**
 * recvmsg flag: look without consuming.
 * @category Stack model
 */
export const MSG_PEEK = 2;

/**
 * What a provider package adds to sockets it serves.
 * @category Provider contract
 */
export interface SocketExtension {
  /** Name, one extension per name per socket. */
  readonly name: string;
  /**
   * The socket is closing: release every buffer reference the socket or its
   * user still holds through this extension (tokens, CQEs). Runs before the
   * queued skbs are freed.
   */
  close(sk: TcpSocket): void;
}

/**
 * Socket states the model distinguishes.
 * @category Stack model
 */
export type SocketState = 'established' | 'closed';

/**
 * Options for a socket.
 * @category Stack model
 */
export interface TcpSocketOptions {
  /** Coalesce a new skb into the queue's tail (tcp_try_coalesce). Default true. */
  coalesce?: boolean;
  /** Socket type: only 'tcp' supports the devmem paths. Default 'tcp'. */
  type?: 'tcp' | 'udp';
}

let nextSocketId = 1;

/**
 * A TCP-like socket: receive queue, recvmsg copy path, extensions, close.
 * @category Stack model
 */
export class TcpSocket {
  /** Socket id, for messages. */
  readonly id = nextSocketId++;
  /** "socket N", for error messages (built once: enqueue runs per packet). */
  private readonly label = `socket ${this.id}`;
  /** Protocol. */
  readonly type: 'tcp' | 'udp';
  /** State. */
  state: SocketState = 'established';
  /** Bytes received into the queue so far. */
  get rcvBytes(): number {
    return this.bytes[0];
  }
  /** Sets the received-bytes count. */
  set rcvBytes(v: number) {
    this.bytes[0] = v;
  }
  /** Bytes handed to the user so far (provider recvmsg paths add theirs). */
  get copiedBytes(): number {
    return this.bytes[1];
  }
  /** Sets the copied-bytes count (provider recvmsg paths add to it). */
  set copiedBytes(v: number) {
    this.bytes[1] = v;
  }
  /** rcvBytes, copiedBytes and the bytes queued now: doubles from the start, so passing 2^31 does not deoptimise the data path. */
  private readonly bytes = new Float64Array(3);
  /** skbs coalesced into the queue tail. */
  coalesced = 0;

  private qHead: SkBuff | null = null;
  private qTail: SkBuff | null = null;
  private qLen = 0;
  /** Bytes of the first queued skb already consumed. */
  private offset = 0;
  private readonly coalesce: boolean;
  private readonly extensions = new Map<string, SocketExtension>();

  constructor(
    /** The skb factory of the domain the socket receives from. */
    readonly skbs: SkbFactory,
    opts: TcpSocketOptions = {},
  ) {
    E.options(opts, 'socket', ['coalesce', 'type']);
    this.coalesce = opts.coalesce === undefined ? true : E.bool(opts.coalesce, 'coalesce');
    this.type = E.oneOf(opts.type ?? 'tcp', 'socket type', ['tcp', 'udp'] as const);
  }

  // ---- receive side (the stack) -------------------------------------------

  /**
   * tcp_queue_rcv: queues an skb whose protocol headers were pulled; tries
   * to coalesce it into the tail first. A closed socket drops it, and so
   * does every socket for an skb without data.
   */
  enqueue(skb: SkBuff): void {
    const f = this.skbs;
    f.checkLoose(skb, this.label, 'enqueue');
    // A closed socket drops everything; a segment without data (a pure ACK) is not queued.
    if (this.state === 'closed' || skb.len === 0) {
      f.free(skb);
      return;
    }
    this.bytes[0] += skb.len;
    this.bytes[2] += skb.len;
    const tail = this.qTail;
    if (this.coalesce && tail !== null && f.tryCoalesce(tail, skb)) {
      this.coalesced++;
      f.freePartial(skb, f.lastHeadStolen);
      if (f.ledger.checked) f.setPlaces(tail, Place.SOCKET);
      return;
    }
    skb.next = null;
    skb.queued = true;
    if (tail === null) this.qHead = skb;
    else tail.next = skb;
    this.qTail = skb;
    this.qLen++;
    if (f.ledger.checked) f.setPlaces(skb, Place.SOCKET);
  }

  /** Queued skbs. */
  get queueLength(): number {
    return this.qLen;
  }

  /** Bytes waiting in the queue. */
  get pendingBytes(): number {
    return this.bytes[2];
  }

  // ---- user side -----------------------------------------------------------

  /**
   * recvmsg copy path: copies readable bytes into `buf`, frees the skbs it
   * used up, returns the byte count (0 when nothing is queued). Unreadable
   * data at the head of the queue → EFAULT (the devmem flag belongs to the
   * devmem extension's recvmsg); a closed socket → EBADF.
   */
  recvmsg(buf: Uint8Array, flags = 0): number {
    if (!(buf instanceof Uint8Array)) E.expected('recvmsg copies into a Uint8Array', buf, 'EFAULT');
    if ((flags | 0) !== flags) E.expected('recvmsg flags must be an integer', flags);
    if (this.state === 'closed') throw new NetmemError('EBADF', `socket ${this.id} is closed`);
    let copied = 0;
    let off = this.offset;
    for (let skb = this.qHead; skb !== null && copied < buf.length; skb = skb.next, off = 0) {
      if (skb.unreadable) {
        if (copied === 0) throw new NetmemError('EFAULT', `socket ${this.id}: unreadable (device memory) data needs the devmem recvmsg path`);
        break;
      }
      const n = this.skbs.copyBits(skb, off, buf, copied, Math.min(buf.length - copied, skb.len - off));
      copied += n;
      if (off + n < skb.len) break;
    }
    if ((flags & MSG_PEEK) === 0) {
      this.consume(copied);
      this.copiedBytes += copied;
    }
    return copied;
  }

  /** The first queued skb and how far into it the user has read (for extensions). */
  peek(): SkBuff | null {
    return this.qHead;
  }

  /** Bytes of the first queued skb already consumed. */
  get headOffset(): number {
    return this.offset;
  }

  /**
   * Marks `n` bytes at the head of the queue as read; skbs read to the end
   * are unlinked and freed (their buffers go back to their pools unless an
   * extension took references of its own first).
   */
  consume(n: number): void {
    if ((n | 0) !== n && !(Number.isInteger(n) && n >= 0)) E.expected('consume takes a byte count (an integer ≥ 0)', n);
    if (n < 0 || n > this.bytes[2]) E.fail('EINVAL', `socket ${this.id}: consume of ${n} bytes, ${this.bytes[2]} queued`);
    this.bytes[2] -= n;
    while (n > 0) {
      const skb = this.qHead;
      if (skb === null) throw new NetmemError('EINVAL', `socket ${this.id}: consume past the queue`);
      const left = skb.len - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.offset = 0;
      this.qHead = skb.next;
      if (this.qHead === null) this.qTail = null;
      this.qLen--;
      skb.queued = false;
      this.skbs.free(skb);
    }
  }

  // ---- extensions and close -------------------------------------------------

  /** Attaches a provider extension (once per name). */
  attach(ext: SocketExtension): void {
    if (typeof ext?.name !== 'string' || typeof ext.close !== 'function') E.expected('a socket extension has a name and close()', ext);
    if (this.state === 'closed') throw new NetmemError('EBADF', `socket ${this.id} is closed`);
    if (this.extensions.has(ext.name)) throw new NetmemError('EEXIST', `socket ${this.id} already has extension ${ext.name}`);
    this.extensions.set(ext.name, ext);
  }

  /** The extension attached under `name`, if any. */
  extension<T extends SocketExtension>(name: string): T | undefined {
    return this.extensions.get(name) as T | undefined;
  }

  /**
   * close: every extension releases what the user still holds, then every
   * queued skb is freed. Safe to call twice.
   */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Everything is let go of even when one release throws (a strict IOMMU on a gone device); the first error surfaces after.
    let first: unknown;
    for (const ext of this.extensions.values()) {
      try {
        ext.close(this);
      } catch (e) {
        first ??= e;
      }
    }
    this.extensions.clear();
    while (this.qHead !== null) {
      const skb = this.qHead;
      this.qHead = skb.next;
      skb.queued = false;
      try {
        this.skbs.free(skb);
      } catch (e) {
        first ??= e;
      }
    }
    this.qTail = null;
    this.qLen = 0;
    this.offset = 0;
    this.bytes[2] = 0;
    if (first !== undefined) throw first;
  }
}
