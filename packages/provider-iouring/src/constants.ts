/**
 * io_uring constants the zcrx model needs (include/uapi/linux/io_uring.h and
 * io_uring/zcrx.c), with the kernel's values.
 */

/**
 * io_uring_setup flag: clamp entry counts instead of failing.
 * @category Ring
 */
export const IORING_SETUP_CLAMP = 1 << 4;
/**
 * io_uring_setup flag: the CQ size is given (`cqEntries`).
 * @category Ring
 */
export const IORING_SETUP_CQSIZE = 1 << 3;
/**
 * io_uring_setup flag: 32-byte CQEs.
 * @category Ring
 */
export const IORING_SETUP_CQE32 = 1 << 11;
/**
 * io_uring_setup flag: one task submits.
 * @category Ring
 */
export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
/**
 * io_uring_setup flag: completions are run by the submitter (needs SINGLE_ISSUER).
 * @category Ring
 */
export const IORING_SETUP_DEFER_TASKRUN = 1 << 13;
/**
 * io_uring_setup flag: 16- and 32-byte CQEs mixed on one CQ.
 * @category Ring
 */
export const IORING_SETUP_CQE_MIXED = 1 << 18;
/**
 * The setup flags this model knows.
 * @category Ring
 */
export const IORING_SETUP_KNOWN =
  IORING_SETUP_CLAMP | IORING_SETUP_CQSIZE | IORING_SETUP_CQE32 | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE_MIXED;

/**
 * Most SQ entries (IORING_MAX_ENTRIES).
 * @category Ring
 */
export const IORING_MAX_ENTRIES = 32768;
/**
 * Most CQ entries (IORING_MAX_CQ_ENTRIES).
 * @category Ring
 */
export const IORING_MAX_CQ_ENTRIES = 2 * IORING_MAX_ENTRIES;

/**
 * CQE flag: more CQEs will follow for this request.
 * @category Ring
 */
export const IORING_CQE_F_MORE = 1 << 1;
/**
 * CQE flag: a 32-byte CQE on a CQE_MIXED ring.
 * @category Ring
 */
export const IORING_CQE_F_32 = 1 << 15;

/**
 * RECV_ZC flag (sqe->ioprio): multishot; required.
 * @category Zero-copy receive
 */
export const IORING_RECV_MULTISHOT = 1 << 1;
/**
 * RECV_ZC flag (sqe->ioprio): poll before the first attempt.
 * @category Zero-copy receive
 */
export const IORING_RECVSEND_POLL_FIRST = 1 << 0;

/**
 * The area id sits above this bit in a refill entry's / CQE's offset.
 * @category Zero-copy receive
 */
export const IORING_ZCRX_AREA_SHIFT = 48;
/**
 * The page size user space sees (getpagesize()): the size of one area
 * buffer. The user side (CqConsumer, RefillProducer, the worker) imports
 * nothing from core, so it has its own name for it; a test checks it equals
 * core's PAGE_SIZE.
 * @category User space
 */
export const USER_PAGE_SIZE = 4096;
/**
 * 2^48 as a number (offsets stay far below 2^53).
 * @category Zero-copy receive
 */
export const ZCRX_AREA_UNIT = 2 ** IORING_ZCRX_AREA_SHIFT;
/**
 * io_uring_zcrx_area_reg flag: the area is a dmabuf.
 * @category Zero-copy receive
 */
export const IORING_ZCRX_AREA_DMABUF = 1;

/**
 * Most refill-ring entries (IO_RQ_MAX_ENTRIES).
 * @category Zero-copy receive
 */
export const IO_RQ_MAX_ENTRIES = 32768;
/**
 * skbs one RECV_ZC pass may take (IO_SKBS_PER_CALL_LIMIT).
 * @category Zero-copy receive
 */
export const IO_SKBS_PER_CALL_LIMIT = 20;

/**
 * Bytes of one refill entry (struct io_uring_zcrx_rqe: off u64, len u32, __pad u32).
 * @category Zero-copy receive
 */
export const ZCRX_RQE_SIZE = 16;
/**
 * Refill ring: byte offset of `head` (struct io_uring).
 * @category Zero-copy receive
 */
export const ZCRX_RQ_HEAD_OFF = 0;
/**
 * Refill ring: byte offset of `tail`.
 * @category Zero-copy receive
 */
export const ZCRX_RQ_TAIL_OFF = 4;
/**
 * Refill ring: byte offset of the first entry: ALIGN(sizeof(struct io_uring), L1_CACHE_BYTES).
 * @category Zero-copy receive
 */
export const ZCRX_RQES_OFF = 64;

/**
 * Bytes per CQ slot: CQEs are 32 bytes (CQE32, or the big CQEs of CQE_MIXED).
 * @category Ring
 */
export const CQE_SIZE = 32;
/**
 * CQ buffer: byte offset of the first CQE (head, tail, mask, entries, overflow come first).
 * @category Ring
 */
export const CQ_CQES_OFF = 64;
/**
 * CQ header, Int32 index of `head` (the consumer's).
 * @category Ring
 */
export const CQ_HEAD = 0;
/**
 * CQ header, Int32 index of `tail` (the producer's).
 * @category Ring
 */
export const CQ_TAIL = 1;
/**
 * CQ header, Int32 index of the ring mask.
 * @category Ring
 */
export const CQ_MASK = 2;
/**
 * CQ header, Int32 index of the entry count.
 * @category Ring
 */
export const CQ_ENTRIES = 3;
/**
 * CQ header, Int32 index of the overflow counter.
 * @category Ring
 */
export const CQ_OVERFLOW = 4;

/**
 * Negative errno values posted in CQE `res` (Linux asm-generic numbers).
 * @category Ring
 */
export const CQE_ERR = {
  /** No data now (the request stays armed). */
  EAGAIN: -11,
  /** Copy fallback found the area freelist empty. */
  ENOMEM: -12,
  /** Copy fallback into a dmabuf area, or a frag of another ifq. */
  EFAULT: -14,
  /** Invalid request. */
  EINVAL: -22,
  /** The CQ is full. */
  ENOSPC: -28,
  /** RECV_ZC on a socket that is not TCP. */
  EPROTONOSUPPORT: -93,
  /** The socket is closed. */
  ENOTCONN: -107,
  /** The request was cancelled by ring exit. */
  ECANCELED: -125,
} as const;
