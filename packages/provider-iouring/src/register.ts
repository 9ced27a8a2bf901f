/**
 * io_register_zcrx_ifq: the registration structures (struct
 * io_uring_zcrx_ifq_reg, io_uring_zcrx_area_reg, io_uring_region_desc) and
 * their checks, in the kernel's order. The ring calls {@link registerZcrxIfq}.
 */
import { NetmemError, mpOpenRxq, type NetNamespace } from '@netmem/core';
import {
  IO_RQ_MAX_ENTRIES,
  IORING_SETUP_CLAMP,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_ZCRX_AREA_DMABUF,
  ZCRX_AREA_UNIT,
  ZCRX_RQE_SIZE,
  ZCRX_RQES_OFF,
} from './constants.js';
import { dmabufSize, type ZcrxDmabuf } from './dmabuf.js';
import { ZcrxIfq } from './ifq.js';
import type { ZcrxRqOffsets } from './user.js';

/** struct io_uring_zcrx_area_reg. */
export interface ZcrxAreaReg {
  /** User address of the area (user memory), or the offset into the dmabuf (must be 0). */
  addr: number;
  /** Bytes. */
  len: number;
  /** User memory: the SharedArrayBuffer mapped at user address {@link userBase}. */
  memory?: SharedArrayBuffer;
  /** User address where {@link memory} starts. Default 0x10000 (page aligned). */
  userBase?: number;
  /** IORING_ZCRX_AREA_DMABUF for a dmabuf area. */
  flags?: number;
  /** The dmabuf (with IORING_ZCRX_AREA_DMABUF; stands for dmabuf_fd). */
  dmabuf?: ZcrxDmabuf | null;
  /** dmabuf_fd for user memory must be 0: any non-zero here is refused. */
  dmabufFd?: number;
  /** Written back: areaId << 48. Must be 0 on input. */
  rqAreaToken?: number;
  /** Reserved, must be zero. */
  resv2?: readonly number[];
}

/** struct io_uring_region_desc: the memory the refill ring lives in. */
export interface ZcrxRegionDesc {
  /** Bytes. */
  size: number;
  /** User-provided memory; a new buffer of `size` bytes when absent. */
  memory?: SharedArrayBuffer;
}

/** struct io_uring_zcrx_ifq_reg (fields the model uses; write-backs marked). */
export interface ZcrxIfqReg {
  /** ifindex of the netdev. */
  ifIdx: number;
  /** Rx queue index; -1 is refused. */
  ifRxq: number;
  /** Refill entries wanted; written back rounded up to a power of two. */
  rqEntries: number;
  /** Must be 0. */
  flags?: number;
  /** The area. */
  area: ZcrxAreaReg;
  /** The refill-ring region. */
  region: ZcrxRegionDesc;
  /** Written back: where head, tail and the entries are in the region. */
  offsets?: ZcrxRqOffsets;
  /** Written back: the ifq id. Must be 0 on input. */
  zcrxId?: number;
  /** Reserved, must be zero. */
  resv?: readonly number[];
  /** Reserved, must be zero. */
  resv2?: number;
}

/** What registration needs of the ring. */
export interface ZcrxRingContext {
  /** Setup flags. */
  readonly flags: number;
  /** Caller has CAP_NET_ADMIN. */
  readonly admin: boolean;
  /** The namespace netdevs are looked up in. */
  readonly ns: NetNamespace;
}

/** Default user address user memory is mapped at. */
export const ZCRX_USER_BASE = 0x10000;

const PAGE = 4096;
const MAX_AREA = 2 ** 30;

function nonZero(a: readonly number[] | undefined): boolean {
  return a !== undefined && a.some((x) => x !== 0);
}

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Registers an ifq for `ring` with id `id`. Checks, in order: EPERM (not
 * admin); EINVAL (no DEFER_TASKRUN; neither CQE32 nor CQE_MIXED; reserved
 * fields or zcrx_id non-zero; rx queue -1, zero entries, flags; entries
 * above 32768 without CLAMP); entries rounded up; EINVAL (region too
 * small); ENODEV (unknown netdev); EOPNOTSUPP (no DMA device); area:
 * EINVAL (unknown area flags, token or reserved non-zero), EFAULT (length
 * 0 or above 1 GiB), EINVAL (address or length not page aligned), then
 * dmabuf: EINVAL (offset ≠ 0, size mismatch) or user memory: EINVAL
 * (dmabuf fd set), EFAULT (null address, memory not mapped); then the rx
 * queue's mpOpenRxq errors. On failure nothing stays allocated; on success
 * the rounded entries, offsets, id and area token are written back.
 */
export function registerZcrxIfq(ring: ZcrxRingContext, reg: ZcrxIfqReg, id: number): ZcrxIfq {
  if (!ring.admin) throw new NetmemError('EPERM', 'zcrx: registering an ifq needs CAP_NET_ADMIN');
  if (!(ring.flags & IORING_SETUP_DEFER_TASKRUN)) throw new NetmemError('EINVAL', 'zcrx: the ring needs IORING_SETUP_DEFER_TASKRUN');
  if (!(ring.flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))) throw new NetmemError('EINVAL', 'zcrx: the ring needs CQE32 or CQE_MIXED');
  if (nonZero(reg.resv) || (reg.resv2 ?? 0) !== 0 || (reg.zcrxId ?? 0) !== 0) throw new NetmemError('EINVAL', 'zcrx: reserved fields must be zero');
  if (reg.ifRxq === -1 || !reg.rqEntries || (reg.flags ?? 0) !== 0) throw new NetmemError('EINVAL', 'zcrx: bad rx queue, entry count or flags');
  let entries = reg.rqEntries >>> 0;
  if (entries > IO_RQ_MAX_ENTRIES) {
    if (!(ring.flags & IORING_SETUP_CLAMP)) throw new NetmemError('EINVAL', `zcrx: ${entries} refill entries (max ${IO_RQ_MAX_ENTRIES})`);
    entries = IO_RQ_MAX_ENTRIES;
  }
  entries = roundUpPow2(entries);

  const rd = reg.region;
  const need = ZCRX_RQES_OFF + ZCRX_RQE_SIZE * entries;
  if (!(rd.size >= need)) throw new NetmemError('EINVAL', `zcrx: region of ${rd.size} bytes, refill ring needs ${need}`);
  if (rd.memory && rd.memory.byteLength < rd.size) throw new NetmemError('EFAULT', 'zcrx: region memory smaller than its size');

  const nd = ring.ns.deviceByIfindex(reg.ifIdx);
  if (!nd) throw new NetmemError('ENODEV', `zcrx: no netdev with ifindex ${reg.ifIdx}`);
  if (!nd.dev) throw new NetmemError('EOPNOTSUPP', `zcrx: ${nd.name} has no DMA device`);

  const a = reg.area;
  const flags = a.flags ?? 0;
  if (flags & ~IORING_ZCRX_AREA_DMABUF) throw new NetmemError('EINVAL', `zcrx: unknown area flags 0x${flags.toString(16)}`);
  if ((a.rqAreaToken ?? 0) !== 0) throw new NetmemError('EINVAL', 'zcrx: rq_area_token must be zero');
  if (nonZero(a.resv2)) throw new NetmemError('EINVAL', 'zcrx: area reserved fields must be zero');
  if (!(a.len > 0) || a.len > MAX_AREA) throw new NetmemError('EFAULT', `zcrx: area of ${a.len} bytes`);
  if (a.addr % PAGE !== 0 || a.len % PAGE !== 0) throw new NetmemError('EINVAL', 'zcrx: area address and length must be page aligned');

  let ifq: ZcrxIfq;
  const common = { domain: ring.ns.domain, dev: nd.dev, rqEntries: entries, rqBuffer: rd.memory ?? new SharedArrayBuffer(rd.size), id };
  if (flags & IORING_ZCRX_AREA_DMABUF) {
    if (a.addr !== 0) throw new NetmemError('EINVAL', 'zcrx: dmabuf area offset must be 0');
    if (!a.dmabuf) throw new NetmemError('EBADF', 'zcrx: no dmabuf');
    if (dmabufSize(a.dmabuf) !== a.len) throw new NetmemError('EINVAL', `zcrx: dmabuf of ${dmabufSize(a.dmabuf)} bytes, area says ${a.len}`);
    ifq = ZcrxIfq.create({ ...common, area: { dmabuf: a.dmabuf, len: a.len } });
  } else {
    if ((a.dmabufFd ?? 0) !== 0) throw new NetmemError('EINVAL', 'zcrx: dmabuf_fd set for a user-memory area');
    if (a.addr === 0) throw new NetmemError('EFAULT', 'zcrx: null area address');
    const base = a.userBase ?? ZCRX_USER_BASE;
    const off = a.addr - base;
    if (!a.memory || off < 0 || off + a.len > a.memory.byteLength) throw new NetmemError('EFAULT', 'zcrx: area is not mapped user memory');
    ifq = ZcrxIfq.create({ ...common, area: { buffer: a.memory, offset: off, len: a.len } });
  }

  try {
    mpOpenRxq(nd, reg.ifRxq, ifq.ops);
  } catch (e) {
    ifq.release();
    throw e;
  }
  ifq.netdev = nd;
  ifq.ifRxq = reg.ifRxq;

  reg.rqEntries = entries;
  reg.offsets = { ...ifq.offsets };
  reg.zcrxId = id;
  a.rqAreaToken = ifq.area.areaId * ZCRX_AREA_UNIT;
  return ifq;
}
