/**
 * Every benchmark case, in run and report order. A new group of cases is one
 * import and one entry in GROUPS here (e.g. `rxCases` from './cases/rx.js').
 */
import { allocBaselineCases, baselineCases } from './cases/baselines.js';
import { pagePoolCases } from './cases/page-pool.js';
import { peerCases } from './cases/peers.js';
import { rxCases } from './cases/rx.js';
import { devmemCases } from './cases/devmem.js';
import { zcrxCases } from './cases/zcrx.js';
import { traceCases } from './cases/trace.js';
import { tcpCases } from './cases/tcp.js';
import { xthreadCases } from './cases/xthread.js';
import { domainCases } from './cases/domain.js';
import type { BenchCase } from './types.js';

/**
 * Cases in groups. `pnpm bench` runs each group in a fresh process (like
 * JMH's forks): the JIT feedback one group leaves behind in shared core code
 * (other pools, other providers) does not slow the next. Every ratio and
 * target compares cases of one group, so its numbers come from one process.
 */
export interface BenchGroup {
  /** Group name (`--group`). */
  readonly name: string;
  /** Its cases, in run and report order. */
  readonly cases: readonly BenchCase[];
}

export const GROUPS: readonly BenchGroup[] = [
  { name: 'page-pool', cases: [...pagePoolCases, ...baselineCases, ...peerCases, ...allocBaselineCases] },
  { name: 'rx', cases: rxCases },
  { name: 'devmem', cases: devmemCases },
  { name: 'zcrx', cases: zcrxCases },
  { name: 'trace', cases: traceCases },
  { name: 'tcp', cases: tcpCases },
  { name: 'xthread', cases: xthreadCases },
  { name: 'domain', cases: domainCases },
];

/** Every case, in run and report order. */
export const CASES: readonly BenchCase[] = GROUPS.flatMap((g) => g.cases);
