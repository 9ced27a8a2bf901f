/**
 * The parser's side of @netmem/trace's public types: the formats, one
 * parsed event, and what the parser saw (lines, kinds, malformed lines).
 * Times are seconds of the trace's clock.
 */

/**
 * The text formats the parser reads.
 * @category Reading traces
 */
export type TraceFormat = 'perf' | 'tracefs' | 'trace-cmd' | 'unknown';

/**
 * The four page_pool tracepoints, as event kind codes.
 * @category Reading traces
 */
export const EventKind = {
  /** page_pool_state_hold: a page entered the pool from its allocator. */
  HOLD: 0,
  /** page_pool_state_release: a page left the pool for its allocator. */
  RELEASE: 1,
  /** page_pool_release: one attempt to finish a destroy. */
  POOL_RELEASE: 2,
  /** page_pool_update_nid: the pool's preferred NUMA node changed. */
  UPDATE_NID: 3,
} as const;

/**
 * One of the {@link EventKind} codes.
 * @category Reading traces
 */
export type EventKindCode = (typeof EventKind)[keyof typeof EventKind];

/**
 * One parsed page_pool event. The parser fills one reusable object per
 * line (nothing is allocated per event); read it inside the callback and
 * copy what you keep. 64-bit pointers are split into two unsigned 32-bit
 * halves. Fields that the event's kind does not carry are left as they were.
 * @category Reading traces
 */
export interface TraceEvent {
  /** Event kind ({@link EventKind}). */
  kind: EventKindCode;
  /** 1-based line number in the input. */
  line: number;
  /** Timestamp in microseconds (fractional with nanosecond captures). */
  timeUs: number;
  /** CPU the event was recorded on. */
  cpu: number;
  /** Task id (pid column). */
  pid: number;
  /** Interned task name: look it up with the parser's `commName(id)`. */
  comm: number;
  /** `page_pool=`: high 32 bits. */
  poolHi: number;
  /** `page_pool=`: low 32 bits. */
  poolLo: number;
  /** Hex digits the pool pointer was printed with. */
  poolDigits: number;
  /** The pointers were printed with a `0x` prefix (perf) or without (tracefs hashes). */
  ptrPrefix: boolean;
  /** `netmem=`: high 32 bits (state events). */
  netmemHi: number;
  /** `netmem=`: low 32 bits (state events). */
  netmemLo: number;
  /** Hex digits the netmem pointer was printed with. */
  netmemDigits: number;
  /** `is_net_iov=` (state events). */
  netIov: boolean;
  /** `pfn=` (state events; 0 for a net_iov). */
  pfn: number;
  /** `hold=` of state_hold, or `release=` of state_release: the pool's running counter. */
  counter: number;
  /** `inflight=` (page_pool_release). */
  inflight: number;
  /** `hold=` (page_pool_release). */
  hold: number;
  /** `release=` (page_pool_release). */
  release: number;
  /** `cnt=` (page_pool_release): the attempt number. */
  cnt: number;
  /** `pool_nid=` (update_nid). */
  oldNid: number;
  /** `new_nid=` (update_nid). */
  newNid: number;
}

/**
 * A task as the trace names it (the task that was running, not a page's owner).
 * @category Reading traces
 */
export interface TaskRef {
  /** Task name (comm). */
  comm: string;
  /** Task id. */
  pid: number;
  /** CPU. */
  cpu: number;
}

/**
 * A place in the trace: time and line.
 * @category Reading traces
 */
export interface TracePoint {
  /** Seconds. */
  time: number;
  /** 1-based line. */
  line: number;
}

/**
 * page_pool events by kind.
 * @category Reading traces
 */
export interface EventCounts {
  /** page_pool_state_hold lines. */
  hold: number;
  /** page_pool_state_release lines. */
  release: number;
  /** page_pool_release lines. */
  poolRelease: number;
  /** page_pool_update_nid lines. */
  updateNid: number;
}

/**
 * A line the parser could not use.
 * @category Reading traces
 */
export interface BadLine {
  /** 1-based line number. */
  line: number;
  /** Why it was not used. */
  reason: string;
  /** The line's text (cut to 200 characters). */
  text: string;
}

/**
 * What the parser saw.
 * @category Reading traces
 */
export interface ParseSummary {
  /** The detected format (from the first event line). */
  format: TraceFormat;
  /** Lines read. */
  lines: number;
  /** Bytes read. */
  bytes: number;
  /** page_pool events by kind. */
  events: EventCounts;
  /** Event lines of other tracepoints (skipped). */
  otherEvents: number;
  /** The first few other event names, with counts. */
  otherEventNames: Record<string, number>;
  /** Header, comment and blank lines. */
  headerLines: number;
  /** Malformed or truncated lines (all of them are counted). */
  malformed: number;
  /** The first 100 malformed lines. */
  malformedLines: BadLine[];
  /** Lines in which the tracer itself reports lost events or overruns (tracefs `[LOST n EVENTS]`, a short `entries-in-buffer/entries-written`). */
  tracerLost: BadLine[];
  /** Time of the first and last page_pool event (seconds), null when none. */
  firstTime: number | null;
  /** See {@link firstTime}. */
  lastTime: number | null;
}
