/**
 * Installing a memory provider on an rx queue (net/core/netdev_rx_queue.c):
 * the checks in the kernel's order, then a queue restart through the
 * driver's queue ops, and a check that the driver's new pool really picked
 * the provider up. Any failure leaves the queue exactly as it was.
 */
import { NetmemError } from '../base/errors.js';
import { E } from '../base/validate.js';
import type { MemoryProviderOps } from '../pool/types.js';
import type { NetDevice } from './netdev.js';

/**
 * netdev_rx_queue_restart: allocate new queue memory (pools pick up the
 * queue's provider), verify the provider, stop the old queue, start the new
 * one, free the old. A start failure restarts the old memory.
 */
export function rxQueueRestart(netdev: NetDevice, idx: number): void {
  const ops = netdev.ops;
  if (!ops) throw new NetmemError('EOPNOTSUPP', `${netdev.name} has no queue management ops`);
  const fresh = ops.queueMemAlloc(idx);
  try {
    checkMemoryProvider(netdev, idx);
  } catch (e) {
    ops.queueMemFree(fresh);
    throw e;
  }
  if (!netdev.up) {
    // Not running: the new memory is simply dropped; the queue starts on open.
    ops.queueMemFree(fresh);
    return;
  }
  const old = ops.queueStop(idx);
  try {
    ops.queueStart(idx, fresh);
  } catch (e) {
    try {
      ops.queueStart(idx, old);
    } catch {
      // Kernel: WARN "RX queue may be unhealthy"; at least do not leak the old memory.
      ops.queueMemFree(old);
    }
    ops.queueMemFree(fresh);
    throw e;
  }
  ops.queueMemFree(old);
}

/** page_pool_check_memory_provider: some live pool of queue `idx` uses its provider (else ENODATA). */
function checkMemoryProvider(netdev: NetDevice, idx: number): void {
  const mp = netdev.rxQueues[idx].mp;
  if (!mp) return;
  for (const pool of netdev.pools) {
    if (pool.provider === mp && pool.queueIdx === idx && !pool.destroyStarted) return;
  }
  throw new NetmemError('ENODATA', `${netdev.name}: the driver's pool for rx queue ${idx} did not take memory provider ${mp.name}`);
}

/**
 * net_mp_open_rxq: binds `mp` to rx queue `idx` and restarts it. Errors,
 * in order: ENODEV (unregistered netdev), ERANGE (index), EINVAL (header split off), EINVAL (threshold),
 * EEXIST (XDP), EEXIST (queue already bound), EBUSY (AF_XDP), then the
 * restart's error (ENODATA when the driver ignored the provider).
 * @category Provider contract
 */
export function mpOpenRxq(netdev: NetDevice, idx: number, mp: MemoryProviderOps): void {
  // Callers find the netdev by ifindex; an unregistered one is not found.
  if (netdev.regState !== 'registered') throw new NetmemError('ENODEV', `${netdev.name} is unregistered`);
  if (!Number.isInteger(idx) || idx < 0 || idx >= netdev.realNumRxQueues) {
    throw new NetmemError('ERANGE', `${netdev.name}: rx queue index ${idx} out of range`);
  }
  if (!netdev.headerSplit) throw new NetmemError('EINVAL', `${netdev.name}: tcp-data-split is disabled`);
  if (netdev.hdsThresh !== 0) throw new NetmemError('EINVAL', `${netdev.name}: hds-thresh is not zero`);
  if (netdev.xdp) throw new NetmemError('EEXIST', `${netdev.name}: unable to bind a memory provider with an XDP program attached`);
  const rxq = netdev.rxQueues[idx];
  if (rxq.mp) throw new NetmemError('EEXIST', `${netdev.name}: rx queue ${idx} already has memory provider ${rxq.mp.name}`);
  if (rxq.xsk) throw new NetmemError('EBUSY', `${netdev.name}: rx queue ${idx} is in use by AF_XDP`);
  rxq.mp = mp;
  try {
    rxQueueRestart(netdev, idx);
  } catch (e) {
    rxq.mp = null;
    throw e;
  }
}

/**
 * net_mp_close_rxq: unbinds `mp` from queue `idx` and restarts it with
 * normal pages. A queue already let go of by unregister is left alone.
 * @category Provider contract
 */
export function mpCloseRxq(netdev: NetDevice, idx: number, mp: MemoryProviderOps): void {
  if ((idx | 0) !== idx) E.expected('an rx queue index must be an integer', idx);
  if (idx < 0 || idx >= netdev.realNumRxQueues) return;
  const rxq = netdev.rxQueues[idx];
  if (netdev.regState !== 'registered' && !rxq.mp) return;
  if (rxq.mp !== mp) {
    throw new NetmemError('EINVAL', `${netdev.name}: rx queue ${idx} is not bound to ${mp.name}`);
  }
  rxq.mp = null;
  if (netdev.regState !== 'registered') return;
  rxQueueRestart(netdev, idx);
}
