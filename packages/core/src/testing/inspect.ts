/**
 * A netmem's descriptor, read out for tests and debugging: everything the
 * kernel's struct netmem_desc (and the model's extras) says about one
 * buffer. It allocates one object per call; never use it on a data path.
 */
import type { MemoryDomain } from '../netmem/domain.js';
import { descOf, genOf, isNetIov, makeHandle } from '../netmem/handle.js';
import { PLACE_NAMES, type PlaceCode, type PlaceName } from '../netmem/ledger.js';
import { NM_PFMEMALLOC, NM_UNREADABLE, PP_DMA_INDEX_SHIFT, PP_SIGNATURE } from '../netmem/netmem-table.js';

/**
 * What {@link inspectNetmem} reports.
 * @category Checks and testing
 */
export interface NetmemDesc {
  /** Descriptor index (the handle without its net_iov bit and generation). */
  desc: number;
  /** Generation bits of the handle. */
  handleGen: number;
  /** The descriptor's current generation (differs from `handleGen` for a stale handle). */
  gen: number;
  /** A net_iov (true) or a page. */
  netIov: boolean;
  /** Id of the owning pool (0: none). */
  poolId: number;
  /** pp reference count. */
  ppRef: number;
  /** Page reference count (1 for a net_iov of a live area). */
  pageRef: number;
  /** Ledger place code. */
  place: PlaceCode;
  /** Ledger place name. */
  placeName: PlaceName;
  /** DMA address (0: unmapped). */
  dma: number;
  /** The pool signature is set (netmem_is_pp). */
  signature: boolean;
  /** DMA-tracking index in the signature bits (0: none). */
  dmaIndex: number;
  /** NUMA node of a page. */
  nid: number;
  /** Page order (0 for net_iovs). */
  order: number;
  /** Area id of a net_iov (0 for pages). */
  areaId: number;
  /** The CPU may read it. */
  readable: boolean;
  /** Allocated under memory pressure. */
  pfmemalloc: boolean;
}

/**
 * Everything the domain's tables say about `nm`.
 * @category Checks and testing
 */
export function inspectNetmem(domain: MemoryDomain, nm: number): NetmemDesc {
  const t = domain.table;
  const d = descOf(nm);
  if (d < t.limit) t.ensure(d); // a descriptor never used reads as such
  const place = t.place[d] as PlaceCode;
  return {
    desc: d,
    handleGen: genOf(nm),
    gen: t.gen[d],
    netIov: isNetIov(nm),
    poolId: t.pp[d],
    ppRef: t.ppRef[d],
    pageRef: isNetIov(nm) ? (t.area[d] !== 0 ? 1 : 0) : t.pageRef[d],
    place,
    placeName: PLACE_NAMES[place] ?? 'none',
    dma: t.dmaOf(d),
    signature: (t.magic[d] & 0xff) === PP_SIGNATURE,
    dmaIndex: t.magic[d] >>> PP_DMA_INDEX_SHIFT,
    nid: t.nid[d],
    order: t.order[d],
    areaId: t.area[d],
    readable: (t.flags[d] & NM_UNREADABLE) === 0,
    pfmemalloc: (t.flags[d] & NM_PFMEMALLOC) !== 0,
  };
}

/**
 * The handle `nm` would have after its descriptor was reused `bump` more
 * times: a stale handle, for testing checked mode (the generation wraps as
 * the real one does).
 * @category Checks and testing
 */
export function staleHandleOf(nm: number, bump = 1): number {
  return makeHandle(descOf(nm), isNetIov(nm), genOf(nm) + bump);
}
