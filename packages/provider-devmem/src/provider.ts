/**
 * The dmabuf memory provider (dmabuf_devmem_ops): page pools on a bound rx
 * queue take their buffers from the binding's chunks. init refuses order > 0
 * (E2BIG) and turns DMA sync off (a dmabuf's addresses are never synced);
 * alloc takes one chunk (none left → 0, which the driver counts as an
 * allocation failure); release gives the chunk back and answers false (the
 * pool never frees a net_iov as a page).
 */
import { NetmemError, descOf, isNetIov, mpClearPool, mpSetPool, type MemoryProviderOps } from '@netmem/core';
import type { DmabufBinding } from './binding.js';

/** The provider ops of one binding. */
export function dmabufProvider(binding: DmabufBinding): MemoryProviderOps {
  return {
    name: 'dmabuf',
    init(pool) {
      if (binding.isFreed) throw new NetmemError('EINVAL', `provider-devmem: binding ${binding.id} is gone`);
      pool.dmaSync = false;
      if (pool.order !== 0) throw new NetmemError('E2BIG', `provider-devmem: page order ${pool.order}, chunks are one page`);
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
      const d = descOf(nm);
      if (!isNetIov(nm) || pool.domain.table.ppRef[d] !== 1) {
        // Kernel: WARN_ON_ONCE and keep it (a leak rather than a corrupt freelist).
        pool.domain.warnOnce(`devmem-release-${pool.id}`, 'devmem-release', `provider-devmem: release of netmem ${nm} with pp refcount ${pool.domain.table.ppRef[d]}`, pool.id);
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
