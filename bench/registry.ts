/**
 * Every benchmark case, in run and report order. A new group of cases is one
 * import and one spread line here (e.g. `...rxCases` from './cases/rx.js').
 */
import { allocBaselineCases, baselineCases } from './cases/baselines.js';
import { pagePoolCases } from './cases/page-pool.js';
import { peerCases } from './cases/peers.js';
import { rxCases } from './cases/rx.js';
import { devmemCases } from './cases/devmem.js';
import { zcrxCases } from './cases/zcrx.js';
import type { BenchCase } from './types.js';

export const CASES: readonly BenchCase[] = [
  ...pagePoolCases,
  ...baselineCases,
  ...peerCases,
  ...allocBaselineCases,
  ...rxCases,
  ...devmemCases,
  ...zcrxCases,
];
