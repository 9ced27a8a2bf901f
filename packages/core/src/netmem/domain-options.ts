/**
 * The checks of a memory domain's option objects (`new MemoryDomain`,
 * `createDevice`, `injectFaults`): each one is refused with EINVAL (E2BIG
 * for a domain too large for the handle space) before the domain changes
 * anything, and the domain's defaults are filled in here.
 */
import { RealClock, type Clock } from '../base/clock.js';
import { E } from '../base/validate.js';
import type { DmaDeviceOptions } from '../dma/device-types.js';
import type { FaultInjection, MemoryDomainOptions, NetmemWarning } from './domain-types.js';
import { MAX_DESCS } from './handle.js';

/** A domain's options, checked, with defaults. */
export interface DomainSettings {
  pages: number;
  netIovs: number;
  nodes: number;
  /** Page bytes in shared memory (a SharedArrayBuffer-backed WebAssembly memory). */
  shared: boolean;
  checked: boolean;
  clock: Clock;
  onWarn: ((w: NetmemWarning) => void) | false;
}

/** Checks `new MemoryDomain(opts)`'s options and fills in the defaults (65,536 pages, 262,144 net_iovs, one node, shared, unchecked, real time, warnings to the console). */
export function domainSettings(opts: MemoryDomainOptions): DomainSettings {
  E.options(opts, 'new MemoryDomain', ['pages', 'numaNodes', 'netIovs', 'sharedMemory', 'checked', 'clock', 'onWarn']);
  const pages = E.int(opts.pages ?? 65536, 'pages', 1, Number.MAX_SAFE_INTEGER);
  const netIovs = E.int(opts.netIovs ?? 262144, 'netIovs', 0, Number.MAX_SAFE_INTEGER);
  const nodes = E.int(opts.numaNodes ?? 1, 'numaNodes', 1, Math.min(64, pages));
  if (1 + pages + netIovs > MAX_DESCS) E.fail('E2BIG', `pages + netIovs must stay below ${MAX_DESCS - 1}, got ${pages} + ${netIovs}`);
  if (opts.sharedMemory !== undefined) E.bool(opts.sharedMemory, 'sharedMemory');
  if (opts.checked !== undefined) E.bool(opts.checked, 'checked');
  const clock = opts.clock;
  if (clock !== undefined && (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function')) {
    E.expected('clock must have now(), setTimeout() and clearTimeout()', clock);
  }
  if (opts.onWarn !== undefined && opts.onWarn !== false && typeof opts.onWarn !== 'function') E.expected('onWarn must be a function or false', opts.onWarn);
  return {
    pages,
    netIovs,
    nodes,
    shared: opts.sharedMemory !== false,
    checked: opts.checked ?? false,
    clock: clock ?? new RealClock(),
    onWarn: opts.onWarn === undefined ? (w) => console.warn(`netmem: ${w.message}`) : opts.onWarn,
  };
}

/** Checks `createDevice(name, opts)`'s arguments. */
export function checkDeviceArgs(name: unknown, opts: DmaDeviceOptions): void {
  if (typeof name !== 'string' || name.length === 0) E.expected('a device needs a name (a non-empty string)', name);
  E.options(opts, 'createDevice', ['strict']);
  if (opts.strict !== undefined) E.bool(opts.strict, 'strict');
}

/** Checks `injectFaults(f)`'s settings (each an interval 0..2^31−1, 0 turning it off). */
export function checkFaultInjection(f: FaultInjection): void {
  E.options(f, 'injectFaults', ['pageAllocEvery', 'dmaMapEvery'], false);
  if (f.pageAllocEvery !== undefined) E.int(f.pageAllocEvery, 'pageAllocEvery', 0, 0x7fffffff);
  if (f.dmaMapEvery !== undefined) E.int(f.dmaMapEvery, 'dmaMapEvery', 0, 0x7fffffff);
}
