/**
 * ZcrxIfq.create's parameter checks (io_zcrx_ifq's setup checks), run
 * before anything is made.
 */
import { MemoryDomain } from '@netmem/core';
import { IO_RQ_MAX_ENTRIES, ZCRX_RQE_SIZE, ZCRX_RQES_OFF } from './constants.js';
import { E } from './errors.js';
import type { ZcrxIfqParams } from './ifq-types.js';
import { isPow2, isU32 } from './user-errors.js';

/** Checks `p` (see ZcrxIfq.create for what is refused); returns the bytes its refill region needs. */
export function checkIfqParams(p: ZcrxIfqParams): number {
  E.options(p, 'ZcrxIfq.create', ['domain', 'dev', 'area', 'rqEntries', 'rqBuffer', 'id'], false);
  if (!(p.domain instanceof MemoryDomain)) E.expected('an ifq needs a MemoryDomain', p.domain);
  if (!isPow2(p.rqEntries, IO_RQ_MAX_ENTRIES)) E.expected(`refill entries must be a power of two 1..${IO_RQ_MAX_ENTRIES}`, p.rqEntries);
  if (p.id !== undefined && !isU32(p.id)) E.expected('an ifq id must be an integer 0..0xffffffff', p.id);
  const need = ZCRX_RQES_OFF + ZCRX_RQE_SIZE * p.rqEntries;
  if (p.rqBuffer !== undefined) {
    if (!(p.rqBuffer instanceof SharedArrayBuffer)) E.expected('the refill region must be shared memory (a SharedArrayBuffer)', p.rqBuffer, 'EFAULT');
    if (p.rqBuffer.byteLength < need)
      E.expected(`the refill region must hold ${ZCRX_RQES_OFF} + ${ZCRX_RQE_SIZE} × ${p.rqEntries} = ${need} bytes`, p.rqBuffer.byteLength);
  }
  return need;
}
