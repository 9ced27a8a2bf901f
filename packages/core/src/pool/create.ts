/**
 * page_pool_init's checks: the creation parameters, validated in the
 * kernel's order after the type checks a C compiler would have made, into
 * the settings a pool is built from. Nothing is allocated before every
 * check passed.
 */
import { PAGE_SIZE } from '../base/units.js';
import { E } from '../base/validate.js';
import type { DmaDevice } from '../dma/device.js';
import { dmaDirCode, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE } from '../dma/direction.js';
import type { MemoryDomain } from '../netmem/domain.js';
import { MAX_PAGE_ORDER } from '../netmem/page-allocator.js';
import { PP_FLAG_ALL, PP_FLAG_ALLOW_UNREADABLE_NETMEM, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_RING_DEFAULT, PP_RING_MAX } from './constants.js';
import { DMA_TRACKING_KINDS, type DmaTracking } from './dma-tracking.js';
import { Napi } from './napi.js';
import type { MemoryProviderOps, PagePoolParams, PoolNetdev } from './types.js';

/** Every key {@link PagePoolParams} may have. */
const PARAM_KEYS = [
  'domain',
  'provider',
  'dev',
  'order',
  'poolSize',
  'nid',
  'napi',
  'dmaDir',
  'maxLen',
  'offset',
  'flags',
  'netdev',
  'queueIdx',
  'dmaTracking',
  'fragAlign',
] as const;

/** Largest u32 (the kernel's unsigned int parameters). */
const U32_MAX = 0xffffffff;

/** Validated creation settings. */
export interface PoolSettings {
  domain: MemoryDomain;
  provider: MemoryProviderOps;
  dev: DmaDevice | null;
  order: number;
  flags: number;
  dirCode: number;
  maxLen: number;
  offset: number;
  ringSize: number;
  nid: number;
  napi: Napi | null;
  netdev: PoolNetdev | null;
  queueIdx: number;
  tracking: DmaTracking;
  fragAlign: number;
}

/**
 * Checks `p` and returns the pool's settings. EINVAL for a missing or
 * malformed parameter, an unknown key, a device of another domain, then
 * the kernel's checks in its order: unknown flag bit; DMA_MAP with a
 * direction other than from-device / bidirectional, or without a device;
 * DMA_SYNC_DEV without DMA_MAP or with maxLen 0; order above the maximum on
 * the page path; EOPNOTSUPP for a memory provider on a pool without
 * DMA_MAP | DMA_SYNC_DEV.
 */
export function poolSettings(p: PagePoolParams): PoolSettings {
  E.options(p, 'createPagePool', PARAM_KEYS, false);
  const domain = p.domain;
  if (typeof domain?.allocPages !== 'function' || typeof domain.createDevice !== 'function')
    E.expected('createPagePool needs a domain (a MemoryDomain)', domain);
  const flags = p.flags ?? 0;
  if (typeof flags !== 'number' || !Number.isInteger(flags)) E.expected('flags must be an integer of PP_FLAG_* bits', flags);
  const order = E.int(p.order ?? 0, 'order', 0, 31);
  const dmaDir = p.dmaDir ?? 'from-device';
  const dirCode = dmaDirCode(dmaDir);
  if (dirCode < 0) E.expected('dmaDir must be "from-device", "bidirectional" or "to-device"', dmaDir);
  const maxLen = E.int(p.maxLen ?? 0, 'maxLen', 0, U32_MAX);
  const offset = E.int(p.offset ?? 0, 'offset', 0, U32_MAX);
  const poolSize = E.int(p.poolSize ?? 0, 'poolSize', 0, U32_MAX);
  const nid = E.int(p.nid ?? -1, 'nid', -1, domain.numaNodes - 1);
  const queueIdx = E.int(p.queueIdx ?? 0, 'queueIdx', 0, U32_MAX);
  const tracking = E.oneOf(p.dmaTracking ?? 'xarray', 'dmaTracking', DMA_TRACKING_KINDS);
  const fragAlign = E.int(p.fragAlign ?? 1, 'fragAlign', 1, PAGE_SIZE);
  if ((fragAlign & (fragAlign - 1)) !== 0) E.expected(`fragAlign must be a power of two up to ${PAGE_SIZE}`, fragAlign);
  const napi = p.napi ?? null;
  if (napi !== null && !(napi instanceof Napi)) E.expected('napi must be a Napi', napi);
  const netdev = p.netdev ?? null;
  if (netdev !== null && (typeof netdev !== 'object' || typeof netdev.ifindex !== 'number')) E.expected('netdev must be a net device', netdev);
  const dev = p.dev ?? null;
  if (dev !== null && !domain.ownsDevice(dev)) {
    E.fail('EINVAL', `device ${String((dev as { name?: unknown }).name)} was not made by this pool's domain (domain.createDevice)`);
  }
  let provider = p.provider ?? null;
  if (flags & PP_FLAG_ALLOW_UNREADABLE_NETMEM && netdev?.rxQueueProvider) provider = netdev.rxQueueProvider(queueIdx) ?? provider;
  if (provider === null) E.fail('EINVAL', 'createPagePool needs a provider (pagesProvider() from @netmem/provider-pages for normal pages)');
  if (
    typeof provider !== 'object' ||
    typeof provider.alloc !== 'function' ||
    typeof provider.release !== 'function' ||
    typeof provider.init !== 'function' ||
    typeof provider.destroy !== 'function'
  ) {
    E.expected('provider must implement init, destroy, alloc and release', provider);
  }

  // The kernel's checks, in its order.
  if (flags < 0 || flags > U32_MAX || (flags & ~PP_FLAG_ALL) !== 0)
    E.fail('EINVAL', `unknown page pool flags in ${flags < 0 ? flags : `0x${flags.toString(16)}`} (known: 0x${PP_FLAG_ALL.toString(16)})`);
  if (flags & PP_FLAG_DMA_MAP) {
    if (dirCode !== DMA_FROM_DEVICE && dirCode !== DMA_BIDIRECTIONAL) E.fail('EINVAL', `DMA_MAP needs from-device or bidirectional dmaDir, got ${dmaDir}`);
    if (dev === null) E.fail('EINVAL', 'DMA_MAP needs a device (dev)');
  }
  if (flags & PP_FLAG_DMA_SYNC_DEV) {
    if (!(flags & PP_FLAG_DMA_MAP)) E.fail('EINVAL', 'DMA_SYNC_DEV needs DMA_MAP');
    if (maxLen === 0) E.fail('EINVAL', 'DMA_SYNC_DEV needs maxLen > 0, got 0');
  }
  if (!provider.pagePath) {
    if (!(flags & PP_FLAG_DMA_MAP) || !(flags & PP_FLAG_DMA_SYNC_DEV)) E.fail('EOPNOTSUPP', `memory provider ${provider.name} needs DMA_MAP and DMA_SYNC_DEV`);
  } else if (order > MAX_PAGE_ORDER) {
    E.fail('EINVAL', `page order ${order} above ${MAX_PAGE_ORDER} (the page path allows 0..${MAX_PAGE_ORDER})`);
  }
  // Beyond the kernel (which trusts the driver): the device writes from `offset` and syncs up to `maxLen` bytes
  // after it; a range past the buffer would make every sync an IOMMU fault.
  const bytes = PAGE_SIZE << Math.min(order, MAX_PAGE_ORDER);
  if (flags & PP_FLAG_DMA_MAP && offset >= bytes) E.fail('EINVAL', `offset must be inside the ${bytes}-byte buffer, got ${offset}`);
  if (flags & PP_FLAG_DMA_SYNC_DEV && offset + maxLen > bytes)
    E.fail('EINVAL', `offset + maxLen must fit the ${bytes}-byte buffer the device syncs, got ${offset} + ${maxLen}`);
  const ringSize = poolSize === 0 ? PP_RING_DEFAULT : Math.min(poolSize, PP_RING_MAX);
  return { domain, provider, dev, order, flags, dirCode, maxLen, offset, ringSize, nid, napi, netdev, queueIdx, tracking, fragAlign };
}
