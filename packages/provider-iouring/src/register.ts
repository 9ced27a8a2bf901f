/**
 * io_register_zcrx_ifq: the registration structures (struct
 * io_uring_zcrx_ifq_reg, io_uring_zcrx_area_reg, io_uring_region_desc) and
 * their checks, in the kernel's order. The ring calls {@link registerZcrxIfq}.
 */
import type { Dmabuf, NetNamespace } from '@netmem/core';
import { PAGE_SIZE, mpOpenRxq } from '@netmem/core/provider';
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
import { E } from './errors.js';
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
  dmabuf?: Dmabuf | null;
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
  if (!ring.admin) E.fail('EPERM', 'registering a zcrx ifq needs CAP_NET_ADMIN, got a caller without it');
  const flags0x = `0x${ring.flags.toString(16)}`;
  if (!(ring.flags & IORING_SETUP_DEFER_TASKRUN)) E.fail('EINVAL', `the ring must be set up with IORING_SETUP_DEFER_TASKRUN, got flags ${flags0x}`);
  if (!(ring.flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))) E.fail('EINVAL', `the ring must be set up with CQE32 or CQE_MIXED, got flags ${flags0x}`);
  if (nonZero(reg.resv) || (reg.resv2 ?? 0) !== 0 || (reg.zcrxId ?? 0) !== 0) {
    E.fail('EINVAL', `resv, resv2 and zcrxId must be zero, got ${JSON.stringify([reg.resv ?? [], reg.resv2 ?? 0, reg.zcrxId ?? 0])}`);
  }
  if (reg.ifRxq === -1) E.expected('ifRxq must be an rx queue index, not -1', reg.ifRxq);
  if (!reg.rqEntries) E.expected('rqEntries must be non-zero', reg.rqEntries);
  if ((reg.flags ?? 0) !== 0) E.expected('ifq flags must be 0', reg.flags);
  let entries = reg.rqEntries >>> 0;
  if (entries > IO_RQ_MAX_ENTRIES) {
    if (!(ring.flags & IORING_SETUP_CLAMP)) E.expected(`refill entries must be at most ${IO_RQ_MAX_ENTRIES} without IORING_SETUP_CLAMP`, entries);
    entries = IO_RQ_MAX_ENTRIES;
  }
  entries = roundUpPow2(entries);

  const rd = reg.region;
  const need = ZCRX_RQES_OFF + ZCRX_RQE_SIZE * entries;
  if (!(rd.size >= need)) E.expected(`the refill region must hold at least ${need} bytes for ${entries} entries`, rd.size);
  if (rd.memory && rd.memory.byteLength < rd.size) E.fail('EFAULT', `region memory must hold its size of ${rd.size} bytes, got ${rd.memory.byteLength}`);

  const nd = ring.ns.deviceByIfindex(reg.ifIdx);
  if (!nd) E.expected('ifIdx must name a netdev of the namespace', reg.ifIdx, 'ENODEV');
  if (!nd.dev) E.fail('EOPNOTSUPP', `the netdev must have a DMA device, got ${nd.name} without one`);

  const a = reg.area;
  const flags = a.flags ?? 0;
  if (flags & ~IORING_ZCRX_AREA_DMABUF) E.fail('EINVAL', `area flags must be 0 or IORING_ZCRX_AREA_DMABUF, got 0x${flags.toString(16)}`);
  if ((a.rqAreaToken ?? 0) !== 0) E.expected('rq_area_token must be zero on input', a.rqAreaToken);
  if (nonZero(a.resv2)) E.fail('EINVAL', `area reserved fields must be zero, got ${JSON.stringify(a.resv2)}`);
  if (!(a.len > 0) || a.len > MAX_AREA) E.expected(`the area length must be 1..${MAX_AREA} bytes`, a.len, 'EFAULT');
  if (a.addr % PAGE_SIZE !== 0 || a.len % PAGE_SIZE !== 0) E.fail('EINVAL', `area address and length must be page aligned, got 0x${a.addr.toString(16)} + ${a.len}`);

  let ifq: ZcrxIfq;
  const common = { domain: ring.ns.domain, dev: nd.dev, rqEntries: entries, rqBuffer: rd.memory ?? new SharedArrayBuffer(rd.size), id };
  if (flags & IORING_ZCRX_AREA_DMABUF) {
    if (a.addr !== 0) E.expected('a dmabuf area offset (addr) must be 0', a.addr);
    if (!a.dmabuf) E.expected('IORING_ZCRX_AREA_DMABUF needs a dmabuf', a.dmabuf, 'EBADF');
    if (a.dmabuf.size !== a.len) E.fail('EINVAL', `the area length must be the dmabuf's size of ${a.dmabuf.size} bytes, got ${a.len}`);
    ifq = ZcrxIfq.create({ ...common, area: { dmabuf: a.dmabuf, len: a.len } });
  } else {
    if ((a.dmabufFd ?? 0) !== 0) E.expected('dmabuf_fd must be 0 for a user-memory area', a.dmabufFd);
    if (a.addr === 0) E.fail('EFAULT', 'the area address must be mapped user memory, got a null address');
    const base = a.userBase ?? ZCRX_USER_BASE;
    const off = a.addr - base;
    if (!a.memory || off < 0 || off + a.len > a.memory.byteLength) {
      const mapped = a.memory ? `0x${base.toString(16)} + ${a.memory.byteLength}` : 'no memory';
      E.fail('EFAULT', `the area must lie in mapped user memory (${mapped}), got 0x${a.addr.toString(16)} + ${a.len}`);
    }
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
