/**
 * The provider conformance suite: one set of lifecycle checks every memory
 * provider passes (the pages provider, devmem, io_uring zcrx, and any
 * provider a user writes). See cases.ts for the cases and world.ts for what
 * every case checks after each step and at its end.
 */
export { providerConformanceCases, testProvider } from './cases.js';
export {
  ConformanceError,
  type ConformanceCase,
  type ConformanceOptions,
  type ProviderFixture,
  type ProviderRefusal,
  type ProviderSetup,
  type ProviderSetupContext,
} from './types.js';
