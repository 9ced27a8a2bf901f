/**
 * @netmem/core/testing: the provider conformance suite, the SPEC §9
 * invariant checks, a quiet test world, and `errnoOf` for asserting exact
 * error codes.
 *
 * @packageDocumentation
 * @module @netmem/core/testing
 */
export * from './testing/conformance/index.js';
export { quietWorld, type QuietWorld, type QuietWorldOptions } from './testing/quiet-world.js';
export { checkPoolInvariants, checkDomainInvariants, assertPoolInvariants, assertDomainInvariants } from './check/invariants.js';
export { errnoOf } from './base/errors.js';
export { inspectNetmem, staleHandleOf, type NetmemDesc } from './testing/inspect.js';
export { injectExtraRelease } from './testing/faults.js';
