/**
 * The four page_pool tracepoints as text, exactly as `perf script` and the
 * tracefs `trace` file print them (include/trace/events/page_pool.h's
 * format strings: state_hold has a comma after `is_net_iov=N,`,
 * state_release does not). Used by the model's text tracer, and by tests
 * that write synthetic traces.
 */

/**
 * Who and when, for one line.
 * @category Writing traces
 */
export interface LineContext {
  /** Task name. */
  comm: string;
  /** Task id. */
  pid: number;
  /** CPU. */
  cpu: number;
  /** Seconds. */
  time: number;
  /** tracefs flags column (default `.....`). */
  flags?: string;
}

/**
 * The text formats the writer can produce.
 * @category Writing traces
 */
export type EmitFormat = 'perf' | 'tracefs';

/**
 * `seconds` with 6 decimals (µs), as both tracers print it.
 * @category Writing traces
 */
export function secondsText(t: number): string {
  const us = Math.round(t * 1e6);
  const s = Math.floor(us / 1e6);
  return `${s}.${String(us - s * 1e6).padStart(6, '0')}`;
}

/**
 * The part of a line before the event's fields.
 * @category Writing traces
 */
export function lineHead(format: EmitFormat, event: string, c: LineContext): string {
  const ts = secondsText(c.time).padStart(12);
  if (format === 'perf') {
    // perf script: comm right-aligned in 16, pid in 5, [cpu], time, `page_pool:event:` right-aligned.
    return `${c.comm.padStart(16)} ${String(c.pid).padStart(5)} [${String(c.cpu).padStart(3, '0')}] ${ts}: ${`page_pool:${event}`.padStart(33)}: `;
  }
  // ftrace: `%16s-%-7d [%03d] flags %12s: ` (comm right-aligned, pid left-aligned).
  return `${c.comm.padStart(16)}-${String(c.pid).padEnd(7)} [${String(c.cpu).padStart(3, '0')}] ${c.flags ?? '.....'} ${ts}: ${event}: `;
}

/**
 * `page_pool_state_hold` fields.
 * @category Writing traces
 */
export function holdFields(pool: string, netmem: string, netIov: boolean, pfn: number, hold: number): string {
  return `page_pool=${pool} netmem=${netmem} is_net_iov=${netIov ? 1 : 0}, pfn=0x${pfn.toString(16)} hold=${hold}`;
}

/**
 * `page_pool_state_release` fields.
 * @category Writing traces
 */
export function releaseFields(pool: string, netmem: string, netIov: boolean, pfn: number, release: number): string {
  return `page_pool=${pool} netmem=${netmem} is_net_iov=${netIov ? 1 : 0} pfn=0x${pfn.toString(16)} release=${release}`;
}

/**
 * `page_pool_release` fields.
 * @category Writing traces
 */
export function poolReleaseFields(pool: string, inflight: number, hold: number, release: number, cnt: number): string {
  return `page_pool=${pool} inflight=${inflight} hold=${hold} release=${release} cnt=${cnt}`;
}

/**
 * `page_pool_update_nid` fields.
 * @category Writing traces
 */
export function updateNidFields(pool: string, oldNid: number, newNid: number): string {
  return `page_pool=${pool} pool_nid=${oldNid} new_nid=${newNid}`;
}
