/** The memory domain's options, events and reports. */
import type { Clock } from '../base/clock.js';

/**
 * The facts a warning carries besides its text, so a scenario can assert on
 * them: which pool, which netmem (the full handle, generation bits
 * included), which errno, which binding, what value.
 * @category Memory
 */
export interface WarningFacts {
  /** Pool id when the warning is about a pool. */
  poolId?: number;
  /** The full netmem handle the warning is about (pp-ref-underflow, ring-refcnt). */
  netmem?: number;
  /** The value that was wrong: the pp reference count an unref left (pp-ref-underflow), a page refcount (ring-refcnt). */
  value?: number;
  /** Netmems in flight (negative-inflight, stalled-pool). */
  inflight?: number;
  /** Seconds since the pool was detached (stalled-pool). */
  seconds?: number;
  /** Where the in-flight netmems are (stalled-pool). */
  places?: Record<string, number>;
  /** Negative errno of a failure (mem-provider-init). */
  errno?: number;
  /** Errno name of a failure (mem-provider-init). */
  code?: string;
  /** Name of the memory provider involved. */
  provider?: string;
  /** dmabuf binding id (devmem warnings). */
  bindingId?: number;
}

/**
 * A warning the domain reported (the kernel's pr_warn / WARN), with its facts as fields.
 * @category Memory
 */
export interface NetmemWarning extends WarningFacts {
  /** Short stable key, e.g. `stalled-pool`, `mem-provider-init`. */
  kind: string;
  /** Human-readable text. */
  message: string;
}

/**
 * A pool page freed to the page allocator while still marked as a pool page.
 * @category Memory
 */
export interface LeakReport {
  /** Handle of the page. */
  netmem: number;
  /** Id of the pool it still named. */
  poolId: number;
}

/**
 * Events of a {@link MemoryDomain}.
 * @category Memory
 */
export interface MemoryDomainEvents {
  /** A warning (also passed to `onWarn`). */
  warn: (w: NetmemWarning) => void;
  /** A "page_pool leak" report. */
  leak: (r: LeakReport) => void;
}

/**
 * Options for {@link MemoryDomain}.
 * @category Memory
 */
export interface MemoryDomainOptions {
  /** Page frames of simulated memory (the size limit). Default 65536 (256 MiB). */
  pages?: number;
  /** NUMA nodes; the pages are split evenly among them. Default 1. */
  numaNodes?: number;
  /** Descriptors reserved for net_iovs. Default 262144. */
  netIovs?: number;
  /**
   * Page bytes in a SharedArrayBuffer (default true), so buffers can be handed
   * to worker threads. false uses a plain ArrayBuffer, which V8 copies to
   * and from faster when the other side is an outside array (shared memory
   * is copied with relaxed atomic word moves); copies inside the storage
   * run at memmove speed either way (see {@link ByteStorage}).
   */
  sharedMemory?: boolean;
  /** Checked mode: stale-handle detection and the full ownership ledger. Default false. */
  checked?: boolean;
  /** Clock for deferred work. Default: real time. */
  clock?: Clock;
  /** Where warnings go besides the `warn` event. Default: console.warn; `false` for silence. */
  onWarn?: ((w: NetmemWarning) => void) | false;
}

/**
 * Fault-injection settings of a domain.
 * @category Memory
 */
export interface FaultInjection {
  /** Every Nth page allocation fails (0 = never). */
  pageAllocEvery?: number;
  /** Every Nth DMA map on any of the domain's devices fails (0 = never). */
  dmaMapEvery?: number;
}

/**
 * What a domain's metadata costs now ({@link MemoryDomain.metadataUsage}).
 * The tables, the page allocator's arrays and the view cache grow as pages
 * and net_iovs are first used; a new domain holds a few KiB whatever its size.
 * @category Memory
 */
export interface DomainMetadataUsage {
  /** Descriptors the metadata tables cover now (NULL, pages up to the highest used, net_iovs of the areas made). */
  descriptors: number;
  /** Descriptors they may grow to: 1 + pages + netIovs. */
  limit: number;
  /** Metadata bytes per descriptor, the same for a page and a net_iov (struct netmem_desc). */
  bytesPerDescriptor: number;
  /** Bytes the tables hold now (descriptors × bytesPerDescriptor). */
  tableBytes: number;
  /** Bytes of the page allocators' free-list arrays now (9 per frame up to the highest handed out). */
  allocatorBytes: number;
  /** Slots of the cached-view array (one per descriptor up to the highest one viewed by `bytes`). */
  viewSlots: number;
}
