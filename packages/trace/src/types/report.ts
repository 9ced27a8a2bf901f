/**
 * The report side of @netmem/trace's public types: what reconstruction,
 * the model replay and the renderers (text, JSON, HTML) share, per pool and
 * for the whole trace. Times are seconds of the trace's clock
 * (CLOCK_MONOTONIC for the kernel's captures), with its microsecond
 * precision.
 */
import type { TaskRef, TracePoint, ParseSummary } from './events.js';

/**
 * A pool's counters as replayed from the trace (bases of a pool that began before it included).
 * @category Report
 */
export interface ReplayedCounts {
  /** Holds. */
  hold: number;
  /** Releases. */
  release: number;
  /** hold − release. */
  inflight: number;
}

/**
 * The attempt that freed a pool.
 * @category Report
 */
export interface FreedAt {
  /** Seconds. */
  time: number;
  /** Attempt number. */
  cnt: number;
  /** Seconds after the destroy. */
  afterSeconds: number;
}

/**
 * A retry outside the accepted interval.
 * @category Report
 */
export interface BadInterval {
  /** Attempt number. */
  cnt: number;
  /** Seconds since the previous attempt. */
  interval: number;
}

/**
 * When the kernel's "stalled pool shutdown" warning would fire.
 * @category Report
 */
export interface StallWarningAt {
  /** Seconds. */
  time: number;
  /** Attempt number. */
  cnt: number;
  /** Pages in flight then. */
  inflight: number;
  /** Whole seconds since the destroy (as the kernel prints them). */
  seconds: number;
}

/**
 * Pages a pool held that an earlier pool had held.
 * @category Report
 */
export interface EarlierPoolPages {
  /** The earlier pool's index. */
  pool: number;
  /** Pages. */
  pages: number;
}

/**
 * The first block of holds of a pool (one bulk refill).
 * @category Report
 */
export interface HoldBlockStart {
  /** Seconds. */
  time: number;
  /** Line of its first hold. */
  line: number;
  /** Holds in the block. */
  size: number;
  /** The task and CPU. */
  task: TaskRef;
}

/**
 * Hold blocks of one size.
 * @category Report
 */
export interface HoldBlockCount {
  /** Holds per block. */
  size: number;
  /** Blocks. */
  count: number;
}

/**
 * An update_nid event.
 * @category Report
 */
export interface NidChange {
  /** Seconds. */
  time: number;
  /** Line. */
  line: number;
  /** `pool_nid=`. */
  oldNid: number;
  /** `new_nid=`. */
  newNid: number;
}

/**
 * What a hold or release counter says about completeness.
 * @category Report
 */
export interface CounterReport {
  /** First number seen (null: none). */
  first: number | null;
  /** Highest number seen (null: none). */
  max: number | null;
  /** Distinct numbers seen. */
  seen: number;
  /** Numbers that never appeared after the first one: lost events. */
  lost: number;
  /** Where they were lost (the first 50 gaps). */
  gaps: CounterGap[];
  /** Numbers seen twice. */
  repeats: number;
  /** Lines whose number is out of trace order (cross-CPU ordering of an atomic counter; not an error). */
  outOfOrder: number;
}

/**
 * A run of counter numbers that never appeared.
 * @category Report
 */
export interface CounterGap {
  /** First missing number. */
  from: number;
  /** Last missing number. */
  to: number;
  /** The event with the number before the gap (null when unknown). */
  after: TracePoint | null;
  /** The event with the number after the gap, or the page_pool_release line that revealed it (null when unknown). */
  before: TracePoint | null;
}

/**
 * A page the pool held at the end of the trace.
 * @category Report
 */
export interface HeldPage {
  /** pfn as hex (`0x…`); `0x0` for a net_iov. */
  pfn: string;
  /** netmem pointer as printed. */
  netmem: string;
  /** A net_iov (is_net_iov=1). */
  netIov: boolean;
  /** The pool's hold counter for it. */
  hold: number;
  /** When it was taken. */
  time: number;
  /** Its state_hold line. */
  line: number;
  /** The task and CPU that took it. */
  task: TaskRef;
}

/**
 * One page_pool_release line: an attempt to finish a destroy.
 * @category Report
 */
export interface PoolReleaseAttempt {
  /** Attempt number (`cnt=`). */
  cnt: number;
  /** Seconds. */
  time: number;
  /** Line. */
  line: number;
  /** The task (the destroyer for cnt 1, a kworker for retries). */
  task: TaskRef;
  /** `inflight=`. */
  inflight: number;
  /** `hold=`. */
  hold: number;
  /** `release=`. */
  release: number;
  /** Seconds since the first attempt. */
  sinceDestroy: number;
  /** Seconds since the previous attempt (null for the first). */
  interval: number | null;
  /** state_release lines right before it in the same task and CPU (idle pages at destroy; the ring emptied at a retry). */
  ringReleased: number;
  /** Other state_release lines of the pool since the previous attempt (pages returned straight to the allocator). */
  directReleased: number;
  /** Holds and releases replayed so far (counter offsets of a pool that began before the trace included). */
  replayed: ReplayedCounts;
  /** The line agrees with itself and with the replay (hold − release = inflight = replayed). */
  consistent: boolean;
}

/**
 * A pool's destroy, as its page_pool_release lines show it.
 * @category Report
 */
export interface DestroyReport {
  /** First attempt (the destroy). */
  time: number;
  /** Its line. */
  line: number;
  /** The task that destroyed the pool. */
  task: TaskRef;
  /** Every attempt, in order. */
  attempts: PoolReleaseAttempt[];
  /** The attempt that saw inflight 0 (the pool was freed), or null. */
  freed: FreedAt | null;
  /** Retry intervals outside the tolerance (see `retryWindow`). */
  badIntervals: BadInterval[];
  /** The accepted retry interval window in seconds, [min, max]. */
  retryWindow: [number, number];
  /** The 60 s "stalled pool shutdown" warning: the first retry at or after 60 s with pages in flight (the kernel prints it only for a pool whose netdev is gone). */
  stallWarning: StallWarningAt | null;
}

/**
 * The end state of a pool at the end of the trace.
 * @category Report
 */
export type PoolEndState = 'live' | 'freed' | 'destroy-pending';

/**
 * A pool's activity over time, in equal buckets (bounded: at most 512).
 * @category Report
 */
export interface PoolTimeline {
  /** Start of bucket 0 (seconds). */
  start: number;
  /** Bucket width (seconds). */
  bucket: number;
  /** Most pages in flight in each bucket (carried over empty buckets). */
  inflightMax: number[];
  /** Pages in flight at the end of each bucket. */
  inflightEnd: number[];
  /** Holds in each bucket. */
  holds: number[];
  /** Releases in each bucket. */
  releases: number[];
}

/**
 * Everything the reconstruction found for one pool.
 * @category Report
 */
export interface PoolReport {
  /** 1-based, in order of first appearance. */
  index: number;
  /** The `page_pool=` pointer as printed. */
  pointer: string;
  /** First event. */
  first: TracePoint;
  /** Last event. */
  last: TracePoint;
  /** state_hold lines. */
  holds: number;
  /** state_release lines. */
  releases: number;
  /** Distinct pages held (pfn, or netmem for net_iovs). */
  distinctPages: number;
  /** Pages held more than once. */
  pagesHeldAgain: number;
  /** Pages this pool held that an earlier pool had held, by earlier pool index. */
  pagesFromEarlierPools: EarlierPoolPages[];
  /** Most pages in flight at once (holds − releases), and when. */
  maxInflight: number;
  /** When {@link maxInflight} was first reached (null: never above 0). */
  maxInflightTime: number | null;
  /** Pages in flight at the end of the trace (counter offsets included). */
  inflightAtEnd: number;
  /** Any net_iov among its netmems. */
  netIov: boolean;
  /** The pool existed before the trace began (its counters did not start at 1). */
  beganBeforeTrace: boolean;
  /** The first block of holds (a bulk refill): when, how many, by whom. */
  firstBlock: HoldBlockStart | null;
  /** Hold blocks (consecutive hold numbers with no other event of the pool inside) by size. */
  holdBlocks: HoldBlockCount[];
  /** Longest hold block, microseconds from first to last line. */
  longestBlockUs: number;
  /** The hold counter's completeness. */
  holdCounter: CounterReport;
  /** The release counter's completeness. */
  releaseCounter: CounterReport;
  /** Releases of pages held before the trace began (a pool that began before the trace). */
  preTraceReleases: number;
  /** Releases of pages the pool was not holding, in a pool whose start is in the trace. */
  unknownReleases: number;
  /** Holds of a page the trace shows as still held (by this or another pool). */
  doubleHolds: number;
  /** Releases on a CPU other than the one that took the page. */
  crossCpuReleases: number;
  /** The destroy and its retries (null: not destroyed in the trace). */
  destroy: DestroyReport | null;
  /** State at the end of the trace. */
  state: PoolEndState;
  /** Pages held at the end of the trace (oldest first). For a freed pool: pages whose release the trace never showed. */
  heldAtEnd: HeldPage[];
  /** update_nid events. */
  nidChanges: NidChange[];
  /** Activity over time. */
  timeline: PoolTimeline;
  /** Everything odd about the pool, one sentence each. */
  issues: string[];
}

/**
 * A point where the model and the trace disagree.
 * @category Report
 */
export interface Disagreement {
  /** Pool index (0: not tied to one pool). */
  pool: number;
  /** Line of the event being replayed (0: end of trace). */
  line: number;
  /** Its time (seconds). */
  time: number;
  /** Short stable key (e.g. `release-not-held`, `inflight-mismatch`, `retry-interval`). */
  kind: string;
  /** What the model says. */
  message: string;
}

/**
 * One traced pool as a model pool at the end of the replay.
 * @category Report
 */
export interface ModelPoolReport {
  /** Traced pool index. */
  pool: number;
  /** The model pool's id. */
  modelId: number;
  /** Model hold count. */
  holdCount: number;
  /** Model release count. */
  releaseCount: number;
  /** Model inflight. */
  inflight: number;
  /** Model state. */
  state: 'live' | 'detached' | 'freed' | 'not-replayed';
  /** The model's destroy attempts (its page_pool_release tracepoint). */
  attempts: number;
  /** Where the model's in-flight netmems are (the ownership ledger). */
  places: Record<string, number>;
  /** The model's "stalled pool shutdown" warnings. */
  stallWarnings: string[];
}

/**
 * What the model replay found.
 * @category Report
 */
export interface ReplayReport {
  /** Traced pools that became model pools. */
  pools: number;
  /** Events replayed. */
  events: number;
  /** Comparisons made between the model and the trace. */
  checks: number;
  /** Invariant checker runs (checkPoolInvariants / checkDomainInvariants). */
  invariantRuns: number;
  /** Every disagreement (the first 200; see {@link disagreementCount}). */
  disagreements: Disagreement[];
  /** All disagreements, counted. */
  disagreementCount: number;
  /** Invariant violations the model's checker reported (the first 100). */
  violations: string[];
  /** Per pool. */
  modelPools: ModelPoolReport[];
}

/**
 * The whole analysis of one trace.
 * @category Report
 */
export interface TraceReport {
  /** Input name. */
  source: string;
  /** Parser summary. */
  parse: ParseSummary;
  /** Pools, in order of first appearance. */
  pools: PoolReport[];
  /** The model replay (null when turned off). */
  replay: ReplayReport | null;
  /** Pool filter in effect (`--pool`), or null. */
  poolFilter: string | null;
}
