/**
 * A quiet test world: a memory domain on a virtual clock whose warnings are
 * captured instead of printed, with one DMA device. Every package's tests
 * build their worlds on it, and so can a user's.
 */
import { VirtualClock } from '../base/clock.js';
import type { DmaDevice } from '../dma/device.js';
import { MemoryDomain, type NetmemWarning } from '../netmem/domain.js';
import { checkDomainInvariants } from '../check/invariants.js';

/**
 * Options of {@link quietWorld}.
 * @category Checks and testing
 */
export interface QuietWorldOptions {
  /** Page frames. Default 1024. */
  pages?: number;
  /** net_iov descriptors. Default 0. */
  netIovs?: number;
  /** NUMA nodes. Default 1. */
  numaNodes?: number;
  /** Checked mode (stale handles, the full ledger). Default false. */
  checked?: boolean;
  /** Page bytes in a SharedArrayBuffer. Default true. */
  sharedMemory?: boolean;
  /** Name of the world's DMA device. Default `nic0`. */
  device?: string;
  /** The device's IOMMU faults throw. Default false. */
  strictIommu?: boolean;
}

/**
 * What {@link quietWorld} builds.
 * @category Checks and testing
 */
export interface QuietWorld {
  /** The domain (virtual clock, warnings captured, not printed). */
  readonly domain: MemoryDomain;
  /** Its clock: time moves only with `clock.advance(ms)`. */
  readonly clock: VirtualClock;
  /** A DMA device of the domain. */
  readonly dev: DmaDevice;
  /** Every warning the domain reported, in order. */
  readonly warnings: NetmemWarning[];
  /** The warnings of one kind. */
  warningsOf(kind: string): NetmemWarning[];
  /** The SPEC §9 violations of the domain and every live pool (empty when all hold). */
  violations(): string[];
}

/**
 * A quiet domain on a virtual clock with one device.
 *
 * @example
 * ```ts
 * import { createPagePool } from '@netmem/core';
 * import { quietWorld } from '@netmem/core/testing';
 * import { pagesProvider } from '@netmem/provider-pages';
 *
 * const w = quietWorld({ pages: 256, checked: true });
 * const pool = createPagePool({ domain: w.domain, dev: w.dev, provider: pagesProvider() });
 * const nm = pool.allocNetmems();          // held: destroy has to wait for it
 * pool.destroy();
 * pool.putNetmem(nm);
 * w.clock.advance(1000);                   // virtual time: the release retry runs now
 * console.log(pool.isFreed, w.violations(), w.warnings);   // true [] []
 * ```
 * @category Checks and testing
 */
export function quietWorld(opts: QuietWorldOptions = {}): QuietWorld {
  const clock = new VirtualClock();
  const domain = new MemoryDomain({
    pages: opts.pages ?? 1024,
    netIovs: opts.netIovs ?? 0,
    numaNodes: opts.numaNodes,
    checked: opts.checked,
    sharedMemory: opts.sharedMemory,
    clock,
    onWarn: false,
  });
  const warnings: NetmemWarning[] = [];
  domain.on('warn', (w) => warnings.push(w));
  const dev = domain.createDevice(opts.device ?? 'nic0', { strict: opts.strictIommu ?? false });
  return {
    domain,
    clock,
    dev,
    warnings,
    warningsOf: (kind) => warnings.filter((w) => w.kind === kind),
    violations: () => checkDomainInvariants(domain),
  };
}
