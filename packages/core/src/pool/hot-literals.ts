/**
 * The pool's hot paths (pool-core.ts, and the reference and put methods of
 * page-pool.ts) write constants as literals with the name in a comment
 * (`0xfffff /* DESC_MASK *\/`): V8 loads an imported binding from its module
 * cell and hole-checks it on every use (and a bundle turns constants into
 * mutable vars), which cost ~25% of the fast path. Imported for its side
 * effect: this runs once at load and keeps those literals honest.
 */
import { PAGE_SIZE } from '../base/units.js';
import { DESC_MASK } from '../netmem/handle.js';
import { FIRST_OUT_PLACE, Place } from '../netmem/ledger.js';
import { DMA_SPILL, NM_PFMEMALLOC } from '../netmem/netmem-table.js';
import { PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE } from './constants.js';
import * as S from './stats.js';

if (
  DESC_MASK !== 0xfffff ||
  FIRST_OUT_PLACE !== 3 ||
  NM_PFMEMALLOC !== 1 ||
  DMA_SPILL !== 0xffffffff ||
  PAGE_SIZE !== 4096 ||
  PP_ALLOC_CACHE_SIZE !== 128 ||
  PP_ALLOC_CACHE_REFILL !== 64 ||
  Place.NONE !== 0 ||
  Place.CACHE !== 1 ||
  Place.RING !== 2 ||
  Place.HANDED_OUT !== 3 ||
  Place.FRAG_PAGE !== 8 ||
  S.S_FAST !== 0 ||
  S.S_SLOW !== 1 ||
  S.S_SLOW_HIGH_ORDER !== 2 ||
  S.S_EMPTY !== 3 ||
  S.S_REFILL !== 4 ||
  S.S_WAIVE !== 5 ||
  S.S_CACHED !== 6 ||
  S.S_CACHE_FULL !== 7 ||
  S.S_RING !== 8 ||
  S.S_RING_FULL !== 9 ||
  S.S_RELEASED_REFCNT !== 10
) {
  throw new Error('page-pool: hot-path literal constants are out of date');
}
