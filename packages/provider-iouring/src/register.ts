/**
 * io_register_zcrx_ifq: the registration structures (struct
 * io_uring_zcrx_ifq_reg, io_uring_zcrx_area_reg, io_uring_region_desc) and
 * their checks, in the kernel's order. The ring calls {@link registerZcrxIfq}.
 */
import { Dmabuf, NetNamespace } from '@netmem/core';
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
import { isU32 } from './user-errors.js';
import type { ZcrxRqOffsets } from './user.js';

/**
 * struct io_uring_zcrx_area_reg.
 * @category Zero-copy receive
 */
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

/**
 * struct io_uring_region_desc: the memory the refill ring lives in.
 * @category Zero-copy receive
 */
export interface ZcrxRegionDesc {
  /** Bytes. */
  size: number;
  /** User-provided memory; a new buffer of `size` bytes when absent. */
  memory?: SharedArrayBuffer;
}

/**
 * struct io_uring_zcrx_ifq_reg (fields the model uses; write-backs marked).
 * @category Zero-copy receive
 */
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

/**
 * What registration needs of the ring.
 * @category Zero-copy receive
 */
export interface ZcrxRingContext {
  /** Setup flags. */
  readonly flags: number;
  /** Caller has CAP_NET_ADMIN. */
  readonly admin: boolean;
  /** The namespace netdevs are looked up in. */
  readonly ns: NetNamespace;
}

/**
 * Default user address user memory is mapped at.
 * @category Zero-copy receive
 */
export const ZCRX_USER_BASE = 0x10000;

const MAX_AREA = 2 ** 30;
/**
 * Largest region registration allocates (the model's RLIMIT_MEMLOCK for __io_account_mem): 64 MiB, far above the largest refill ring.
 * @category Zero-copy receive
 */
export const ZCRX_MAX_REGION = 64 * 2 ** 20;
const MAX_REGION = ZCRX_MAX_REGION;

/** Keys of the structs, as the model spells them (an unknown key is a typo: EINVAL). */
const REG_KEYS = ['ifIdx', 'ifRxq', 'rqEntries', 'flags', 'area', 'region', 'offsets', 'zcrxId', 'resv', 'resv2'];
const AREA_KEYS = ['addr', 'len', 'memory', 'userBase', 'flags', 'dmabuf', 'dmabufFd', 'rqAreaToken', 'resv2'];
const REGION_KEYS = ['size', 'memory'];

/** A u64 as a number: an integer 0..2^53-1 (exact in a double). */
function isU64(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function nonZero(a: readonly number[] | undefined): boolean {
  return a?.some((x) => x !== 0) ?? false;
}

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** "copy_from_user" of a struct: it must be an object (EFAULT), with known keys only (EINVAL). */
function copyStruct<T extends object>(v: T | undefined | null, what: string, keys: readonly string[]): T {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) E.expected(`${what} must be readable user memory (an object)`, v, 'EFAULT');
  return E.options(v, what, keys, false);
}

/** A field of width u32 (EINVAL otherwise); undefined stands for 0. */
function u32Field(v: unknown, name: string): void {
  if (v !== undefined && !isU32(v)) E.expected(`${name} must be a u32 (an integer 0..0xffffffff)`, v);
}

/** A field of width u64 (EINVAL otherwise); undefined stands for 0. */
function u64Field(v: unknown, name: string): void {
  if (v !== undefined && !isU64(v)) E.expected(`${name} must be a u64 (an integer 0..2^53-1 here)`, v);
}

/** A reserved array of `n` u64 (EINVAL unless an array of at most n integers). */
function resvField(v: unknown, name: string, n: number): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length > n || !v.every(isU64)) E.expected(`${name} must be an array of at most ${n} u64 (all zero)`, v);
}

/** The ring context handed to {@link registerZcrxIfq} (EINVAL when it is not one). */
function checkRingContext(ring: ZcrxRingContext, id: number): void {
  if (typeof ring !== 'object' || ring === null) E.expected('registering an ifq needs the ring context {flags, admin, ns}', ring);
  if (!isU32(ring.flags)) E.expected('the ring flags must be a u32', ring.flags);
  if (typeof ring.admin !== 'boolean') E.expected('the ring admin capability must be true or false', ring.admin);
  if (!(ring.ns instanceof NetNamespace)) E.expected('the ring context needs a NetNamespace', ring.ns);
  if (!isU32(id)) E.expected('an ifq id must be a u32', id);
}

/** The ifq struct's fields: types and widths (EINVAL), read where the kernel copies the struct in. */
function checkRegFields(reg: ZcrxIfqReg): void {
  u32Field(reg.ifIdx, 'ifIdx');
  if (reg.ifIdx === undefined) E.expected('ifIdx must be a u32', reg.ifIdx);
  // if_rxq is a u32 in which -1 (0xffffffff) means "none": both spellings reach the -1 check.
  if (!(reg.ifRxq === -1 || isU32(reg.ifRxq))) E.expected('ifRxq must be a u32 (or -1)', reg.ifRxq);
  if (!isU32(reg.rqEntries)) E.expected('rqEntries must be a u32 (an integer 0..0xffffffff)', reg.rqEntries);
  u32Field(reg.flags, 'ifq flags');
  u32Field(reg.zcrxId, 'zcrxId');
  u32Field(reg.resv2, 'resv2');
  resvField(reg.resv, 'resv', 3);
}

/** The region struct's fields (EINVAL for widths, EFAULT for memory that is not shared memory). */
function checkRegionFields(rd: ZcrxRegionDesc): void {
  if (!isU64(rd.size)) E.expected('the region size must be a u64', rd.size);
  if (rd.memory !== undefined && !(rd.memory instanceof SharedArrayBuffer))
    E.expected('region memory must be shared user memory (a SharedArrayBuffer)', rd.memory, 'EFAULT');
}

/** The area struct's fields (EINVAL for widths and kinds, EFAULT for memory that is not shared memory). */
function checkAreaFields(a: ZcrxAreaReg): void {
  if (!isU64(a.addr)) E.expected('the area addr must be a u64', a.addr);
  if (!isU64(a.len)) E.expected('the area len must be a u64', a.len);
  u32Field(a.flags, 'area flags');
  u32Field(a.dmabufFd, 'dmabuf_fd');
  u64Field(a.rqAreaToken, 'rq_area_token');
  resvField(a.resv2, 'area resv2', 2);
  if (a.userBase !== undefined && (!isU64(a.userBase) || a.userBase % PAGE_SIZE !== 0))
    E.expected(`userBase must be a page-aligned user address (a multiple of ${PAGE_SIZE})`, a.userBase);
  if (a.memory !== undefined && !(a.memory instanceof SharedArrayBuffer))
    E.expected('area memory must be shared user memory (a SharedArrayBuffer)', a.memory, 'EFAULT');
  if (a.dmabuf !== undefined && a.dmabuf !== null && !(a.dmabuf instanceof Dmabuf)) E.expected('the area dmabuf must be a Dmabuf (or absent)', a.dmabuf);
}

/**
 * Registers an ifq for `ring` with id `id`. The ring context and id must be
 * what the ring passes (EINVAL). Then checks, in the kernel's order: EPERM
 * (not admin); EINVAL (no DEFER_TASKRUN; neither CQE32 nor CQE_MIXED); the
 * ifq and region structs are read (not an object → EFAULT; an unknown key
 * or a field that is not a valid unsigned integer of its width → EINVAL;
 * region memory that is not a SharedArrayBuffer → EFAULT); EINVAL
 * (reserved fields or zcrx_id non-zero; rx queue -1, zero entries, flags;
 * entries above 32768 without CLAMP); entries rounded up; the area struct
 * is read (same rules: EFAULT / EINVAL; userBase a page-aligned address);
 * EINVAL (region too small); E2BIG (region above 2^31 - 1 pages); ENOMEM
 * (a region to allocate above {@link ZCRX_MAX_REGION}); ENODEV (unknown netdev); EOPNOTSUPP (no DMA
 * device); area: EINVAL (unknown area flags, token or reserved non-zero),
 * EFAULT (length 0 or above 1 GiB), EINVAL (address or length not page
 * aligned), then dmabuf: EINVAL (offset ≠ 0, size mismatch), EBADF (no
 * dmabuf) or user memory: EINVAL (dmabuf fd set), EFAULT (null address,
 * memory not mapped); then building the area (ENOMEM: no descriptors or
 * a mapping failed; ENODEV: the device went away) and the rx queue's
 * mpOpenRxq errors. On failure nothing stays allocated and `reg` is
 * untouched; on success the rounded entries, offsets, id and area token
 * are written back.
 *
 * @example
 * ```ts
 * import { IoUring, ZCRX_USER_BASE, type ZcrxIfq, type ZcrxIfqReg } from '@netmem/provider-iouring';
 *
 * // Applications register through the ring, which passes itself and the next id here.
 * function register(ring: IoUring, ifindex: number, mem: SharedArrayBuffer): ZcrxIfq {
 *   const reg: ZcrxIfqReg = { ifIdx: ifindex, ifRxq: 1, rqEntries: 200,
 *     area: { addr: ZCRX_USER_BASE, len: mem.byteLength, memory: mem }, region: { size: 64 + 16 * 256 } };
 *   const ifq = ring.registerZcrxIfq(reg);
 *   console.log(reg.rqEntries, reg.zcrxId, reg.offsets, reg.area.rqAreaToken);   // 256, 0, ...: written back
 *   return ifq;
 * }
 * ```
 * @category Zero-copy receive
 */
export function registerZcrxIfq(ring: ZcrxRingContext, reg: ZcrxIfqReg, id: number): ZcrxIfq {
  checkRingContext(ring, id);
  if (!ring.admin) E.fail('EPERM', 'registering a zcrx ifq needs CAP_NET_ADMIN, got a caller without it');
  const flags0x = `0x${ring.flags.toString(16)}`;
  if (!(ring.flags & IORING_SETUP_DEFER_TASKRUN)) E.fail('EINVAL', `the ring must be set up with IORING_SETUP_DEFER_TASKRUN, got flags ${flags0x}`);
  if (!(ring.flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))) E.fail('EINVAL', `the ring must be set up with CQE32 or CQE_MIXED, got flags ${flags0x}`);
  // copy_from_user(&reg) and (&rd).
  copyStruct(reg, 'the ifq registration', REG_KEYS);
  const rd = copyStruct(reg.region, 'the region descriptor', REGION_KEYS);
  checkRegFields(reg);
  checkRegionFields(rd);
  if (nonZero(reg.resv) || (reg.resv2 ?? 0) !== 0 || (reg.zcrxId ?? 0) !== 0) {
    E.fail('EINVAL', `resv, resv2 and zcrxId must be zero, got ${JSON.stringify([reg.resv ?? [], reg.resv2 ?? 0, reg.zcrxId ?? 0])}`);
  }
  if (reg.ifRxq === -1 || reg.ifRxq === 0xffffffff) E.expected('ifRxq must be an rx queue index, not -1', reg.ifRxq);
  if (!reg.rqEntries) E.expected('rqEntries must be non-zero', reg.rqEntries);
  if ((reg.flags ?? 0) !== 0) E.expected('ifq flags must be 0', reg.flags);
  let entries = reg.rqEntries;
  if (entries > IO_RQ_MAX_ENTRIES) {
    if (!(ring.flags & IORING_SETUP_CLAMP)) E.expected(`refill entries must be at most ${IO_RQ_MAX_ENTRIES} without IORING_SETUP_CLAMP`, entries);
    entries = IO_RQ_MAX_ENTRIES;
  }
  entries = roundUpPow2(entries);
  // copy_from_user(&area).
  const a = copyStruct(reg.area, 'the area registration', AREA_KEYS);
  checkAreaFields(a);

  const need = ZCRX_RQES_OFF + ZCRX_RQE_SIZE * entries;
  if (!(rd.size >= need)) E.expected(`the refill region must hold at least ${need} bytes for ${entries} entries`, rd.size);
  if (rd.memory && rd.memory.byteLength < rd.size) E.fail('EFAULT', `region memory must hold its size of ${rd.size} bytes, got ${rd.memory.byteLength}`);
  // io_create_region: more pages than an int counts → E2BIG; memory the kernel allocates is charged to the
  // caller's locked memory (the model's limit: MAX_REGION) → ENOMEM, as is an allocation that fails.
  if (Math.floor(rd.size / PAGE_SIZE) > 0x7fffffff) E.expected('the region must be at most 2^31 - 1 pages', rd.size, 'E2BIG');
  if (!rd.memory && rd.size > MAX_REGION)
    E.expected(`a region the kernel allocates must fit the locked-memory limit of ${MAX_REGION} bytes`, rd.size, 'ENOMEM');
  let rqBuffer: SharedArrayBuffer;
  try {
    rqBuffer = rd.memory ?? new SharedArrayBuffer(rd.size);
  } catch {
    E.fail('ENOMEM', `the refill region of ${rd.size} bytes must be allocated, got an allocation failure`);
  }

  const nd = ring.ns.deviceByIfindex(reg.ifIdx);
  if (!nd) E.expected('ifIdx must name a netdev of the namespace', reg.ifIdx, 'ENODEV');
  if (!nd.dev) E.fail('EOPNOTSUPP', `the netdev must have a DMA device, got ${nd.name} without one`);

  const flags = a.flags ?? 0;
  if (flags & ~IORING_ZCRX_AREA_DMABUF) E.fail('EINVAL', `area flags must be 0 or IORING_ZCRX_AREA_DMABUF, got 0x${flags.toString(16)}`);
  if ((a.rqAreaToken ?? 0) !== 0) E.expected('rq_area_token must be zero on input', a.rqAreaToken);
  if (nonZero(a.resv2)) E.fail('EINVAL', `area reserved fields must be zero, got ${JSON.stringify(a.resv2)}`);
  if (!(a.len > 0) || a.len > MAX_AREA) E.expected(`the area length must be 1..${MAX_AREA} bytes`, a.len, 'EFAULT');
  if (a.addr % PAGE_SIZE !== 0 || a.len % PAGE_SIZE !== 0)
    E.fail('EINVAL', `area address and length must be page aligned, got 0x${a.addr.toString(16)} + ${a.len}`);

  let ifq: ZcrxIfq;
  const common = { domain: ring.ns.domain, dev: nd.dev, rqEntries: entries, rqBuffer, id };
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
