/**
 * The dmabuf memory provider (dmabuf_devmem_ops): page pools on a bound rx
 * queue take their buffers from the binding's chunks. init refuses order > 0
 * (E2BIG) and turns DMA sync off (a dmabuf's addresses are never synced);
 * alloc takes one chunk (none left → 0, which the driver counts as an
 * allocation failure); release gives the chunk back and answers false (the
 * pool never frees a net_iov as a page).
 *
 * The provider sees its binding only through {@link DmabufProviderBinding},
 * so this module depends on no other module of the package.
 */
import {
  isNetIov,
  mpClearPool,
  mpDisableDmaSync,
  mpSetPool,
  mpWarnOnce,
  ppRefCount,
  type MemoryProviderOps,
  type ProviderRxQueue,
} from '@netmem/core/provider';
import { E } from './errors.js';

/**
 * What the dmabuf provider needs of its binding (a `DmabufBinding` is one).
 * @category Provider
 */
export interface DmabufProviderBinding {
  /** Binding id: the `dmabuf` field of pool and queue info. */
  readonly id: number;
  /** True once every reference is gone: no new pool may use it. */
  readonly isFreed: boolean;
  /** Takes a binding reference (one per pool, init → destroy). */
  get(): void;
  /** Drops a reference taken with {@link get}. */
  put(): void;
  /** One free page-sized chunk's net_iov, or 0 when every chunk is out. */
  allocNetIov(): number;
  /** Gives a chunk back. */
  freeNetIov(nm: number): void;
  /** The netdev is unregistering: rx queue `rxq` lets go of the binding. */
  uninstall(rxq: ProviderRxQueue): void;
}

/** What a {@link DmabufProviderBinding} must have (checked once, when the ops are made). */
const BINDING_METHODS = ['get', 'put', 'allocNetIov', 'freeNetIov', 'uninstall'] as const;

/**
 * The provider ops of one binding (EINVAL when `binding` lacks a method of {@link DmabufProviderBinding}).
 * @category Provider
 */
export function dmabufProvider(binding: DmabufProviderBinding): MemoryProviderOps {
  if (typeof binding !== 'object' || binding === null) E.expected('dmabufProvider needs a binding object', binding);
  for (const m of BINDING_METHODS) {
    if (typeof binding[m] !== 'function') E.expected(`dmabufProvider needs a binding with ${BINDING_METHODS.join(', ')}; its ${m}`, binding[m]);
  }
  return {
    name: 'dmabuf',
    init(pool) {
      if (binding.isFreed) E.fail('EINVAL', `a pool needs a live dmabuf binding, got binding ${binding.id}, which is freed`);
      mpDisableDmaSync(pool);
      if (pool.order !== 0) E.fail('E2BIG', `dmabuf chunks are one page: pool order must be 0, got ${pool.order}`);
      binding.get();
    },
    destroy() {
      binding.put();
    },
    alloc(pool) {
      const nm = binding.allocNetIov();
      if (nm === 0) return 0;
      mpSetPool(pool, nm);
      return nm;
    },
    release(pool, nm) {
      const domain = pool.domain;
      if (!isNetIov(nm) || ppRefCount(domain, nm) !== 1) {
        // Kernel: WARN_ON_ONCE and keep it (a leak rather than a corrupt freelist).
        const r = ppRefCount(domain, nm);
        mpWarnOnce(pool, 'devmem-release', 'devmem-release', `provider-devmem: release of netmem ${nm} with pp refcount ${r}`, {
          netmem: nm,
          value: r,
          bindingId: binding.id,
        });
        return false;
      }
      mpClearPool(pool, nm);
      binding.freeNetIov(nm);
      return false;
    },
    nlFill() {
      return { dmabuf: binding.id };
    },
    uninstall(rxq) {
      binding.uninstall(rxq);
    },
  };
}
