/**
 * The conformance suite's vocabulary: what a provider's setup receives and
 * returns, the options, a case, and the error a failed expectation throws.
 */
import type { ErrnoCode } from '../../base/errors.js';
import type { VirtualClock } from '../../base/clock.js';
import type { DmaDevice } from '../../dma/device.js';
import type { MemoryDomain } from '../../netmem/domain.js';
import type { MemoryProviderOps, PagePoolParams } from '../../pool/types.js';

/**
 * What a {@link ProviderSetup} receives: a fresh world for one case.
 * @category Checks and testing
 */
export interface ProviderSetupContext {
  /** A new domain (VirtualClock, `onWarn: false`). */
  readonly domain: MemoryDomain;
  /** A new DMA device of that domain. */
  readonly dev: DmaDevice;
  /** The domain's clock. */
  readonly clock: VirtualClock;
}

/**
 * What a {@link ProviderSetup} returns.
 * @category Checks and testing
 */
export interface ProviderFixture {
  /** The provider under test (fresh for this case). */
  provider: MemoryProviderOps;
  /**
   * Pool parameters for this provider (flags, order, maxLen, ...). Defaults:
   * order 0, `from-device`, DMA_MAP | DMA_SYNC_DEV, maxLen = bytes per netmem.
   * `domain`, `dev` and `provider` are always the suite's.
   */
  params?: Partial<PagePoolParams>;
  /**
   * For a bounded provider: how many netmems a fresh pool can have out at
   * once. The suite expects exactly that many allocations to succeed and the
   * next to return 0. Leave undefined when only the domain's memory bounds it.
   */
  capacity?: number;
  /** Undo what the setup did (unbind, unregister). Runs after the pool is freed. */
  teardown?(): void;
}

/**
 * Builds the provider for one case. Called fresh for every case; keep all
 * state in the returned fixture.
 * @category Checks and testing
 */
export type ProviderSetup = (ctx: ProviderSetupContext) => ProviderFixture;

/**
 * An init refusal the provider is expected to make.
 * @category Checks and testing
 */
export interface ProviderRefusal {
  /** Short description, e.g. `order 1`. */
  name: string;
  /** Pool parameters (over the fixture's) that the provider's init must refuse. */
  params: Partial<PagePoolParams>;
  /** The errno name createPagePool must throw. */
  code: ErrnoCode;
}

/**
 * Options of {@link providerConformanceCases} and {@link testProvider}.
 * @category Checks and testing
 */
export interface ConformanceOptions {
  /** Page frames of each case's domain. Default 1024 (bounds unbounded providers' exhaustion). */
  pages?: number;
  /** net_iov descriptors of each case's domain. Default 16384. */
  netIovs?: number;
  /** Init refusals to check (each must fail with its code and leave nothing behind). */
  refusals?: ProviderRefusal[];
  /** Test-name prefix used by {@link testProvider}. Default `conformance`. */
  label?: string;
}

/**
 * One check of the suite.
 * @category Checks and testing
 */
export interface ConformanceCase {
  /** What it checks. */
  name: string;
  /** Runs it; throws a {@link ConformanceError} (or the provider's own error) on failure. */
  run(): void | Promise<void>;
}

/**
 * A failed conformance expectation.
 * @category Checks and testing
 */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(`provider conformance: ${message}`);
    this.name = 'ConformanceError';
  }
}
