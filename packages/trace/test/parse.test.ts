/**
 * The parser on hand-written lines of each format and on damaged input:
 * format detection, other events interleaved, malformed and truncated
 * lines (counted with line numbers, never fatal), CRLF, chunk boundaries
 * anywhere, overlong lines, the tracer's own lost-event notes.
 */
import { describe, expect, it } from 'vitest';
import { analyzeTraceText } from '../src/analyze.js';
import { LineKind, LineParser } from '../src/parse/line-parser.js';
import { MAX_LINE, readTraceText, TraceReader } from '../src/parse/reader.js';
import type { TraceEvent } from '../src/types.js';

const PERF_HOLD =
  '            ping 11561 [001]  2686.982137:    page_pool:page_pool_state_hold: page_pool=0xffff888118a3e000 netmem=0xffffea000419af40 is_net_iov=0, pfn=0x1066bd hold=1';
const PERF_REL =
  ' kworker/1:0-eve 24745 [001]  2373.936302: page_pool:page_pool_state_release: page_pool=0xffff888118a3e000 netmem=0xffffea000419af40 is_net_iov=0 pfn=0x1066bd release=1';
const PERF_PPR = '              ip 12006 [001]  2699.194396:       page_pool:page_pool_release: page_pool=0xffff888118a3e000 inflight=0 hold=1 release=1 cnt=1';
const TRACEFS_HOLD =
  '            ping-32464   [001] ..s1.  2349.816386: page_pool_state_hold: page_pool=0000000024c08bca netmem=0000000070b0b018 is_net_iov=0, pfn=0x18c19c hold=1';
const TRACEFS_REL =
  '     kworker/1:0-24745   [001] .....  2341.200135: page_pool_state_release: page_pool=0000000024c08bca netmem=0000000070b0b018 is_net_iov=0 pfn=0x18c19c release=1';
const TRACEFS_PPR = '              ip-353     [001] .....  2356.932390: page_pool_release: page_pool=0000000024c08bca inflight=0 hold=1 release=1 cnt=1';

function parseOne(line: string): { kind: number; ev: TraceEvent; p: LineParser } {
  const p = new LineParser();
  const b = new TextEncoder().encode(line);
  const kind = p.parse(b, 0, b.length, 1);
  return { kind, ev: p.ev, p };
}

describe('one line', () => {
  it('reads a perf script state_hold line field by field', () => {
    const { kind, ev, p } = parseOne(PERF_HOLD);
    expect(kind).toBe(LineKind.EVENT);
    expect(p.format).toBe('perf');
    expect(p.comms.name(ev.comm)).toBe('ping');
    expect([ev.kind, ev.pid, ev.cpu, ev.timeUs, ev.pfn, ev.counter, ev.netIov]).toEqual([0, 11561, 1, 2686982137, 0x1066bd, 1, false]);
    expect([ev.poolHi, ev.poolLo, ev.poolDigits, ev.ptrPrefix]).toEqual([0xffff8881, 0x18a3e000, 16, true]);
    expect([ev.netmemHi, ev.netmemLo]).toEqual([0xffffea00, 0x0419af40]);
  });

  it('keeps a perf comm with spaces and dashes (anchored on " [NNN] ")', () => {
    const { ev, p } = parseOne(PERF_REL.replace(' kworker/1:0-eve', 'my worker-th [x]'));
    expect(p.comms.name(ev.comm)).toBe('my worker-th [x]');
    expect(ev.pid).toBe(24745);
  });

  it('reads tracefs lines: pid after the last dash, flags column, hashed pointers', () => {
    const { kind, ev, p } = parseOne(TRACEFS_REL.replace('kworker/1:0', 'kworker/u4:2-events'));
    expect(kind).toBe(LineKind.EVENT);
    expect(p.format).toBe('tracefs');
    expect(p.comms.name(ev.comm)).toBe('kworker/u4:2-events');
    expect([ev.kind, ev.pid, ev.counter, ev.poolDigits, ev.ptrPrefix, ev.poolLo]).toEqual([1, 24745, 1, 16, false, 0x24c08bca]);
    expect(
      parseOne(
        '          <idle>-0       [000] ..s2.  2350.000001: page_pool_state_release: page_pool=0000000024c08bca netmem=0000000070b0b018 is_net_iov=0 pfn=0x18c19c release=2',
      ).ev.pid,
    ).toBe(0);
  });

  it('reads trace-cmd report lines (no flags column) and page_pool_release fields', () => {
    const { kind, ev, p } = parseOne(
      '              ip-353   [001]  2356.932390: page_pool_release:    page_pool=0000000024c08bca inflight=-3 hold=7 release=10 cnt=2',
    );
    expect(kind).toBe(LineKind.EVENT);
    expect(p.format).toBe('trace-cmd');
    expect([ev.kind, ev.inflight, ev.hold, ev.release, ev.cnt]).toEqual([2, -3, 7, 10, 2]);
  });

  it('reads update_nid and nanosecond timestamps', () => {
    const { ev } = parseOne('            ping-1 [000] ..... 12.000000123: page_pool_update_nid: page_pool=00000000deadbeef pool_nid=-1 new_nid=1');
    expect([ev.kind, ev.oldNid, ev.newNid]).toEqual([3, -1, 1]);
    expect(ev.timeUs).toBeCloseTo(12000000.123, 6);
  });

  it('tells other events, headers, blanks and garbage apart', () => {
    expect(parseOne('            bash  4242 [000]  10.000001: sched:sched_switch: prev_comm=bash prev_pid=4242').kind).toBe(LineKind.OTHER);
    expect(parseOne('# tracer: nop').kind).toBe(LineKind.HEADER);
    expect(parseOne('cpus=2').kind).toBe(LineKind.HEADER);
    expect(parseOne('   ').kind).toBe(LineKind.BLANK);
    expect(parseOne('hello world').kind).toBe(LineKind.MALFORMED);
    expect(parseOne('CPU:1 [LOST 17 EVENTS]').kind).toBe(LineKind.LOST);
    expect(parseOne('# entries-in-buffer/entries-written: 900/1000   #P:2').kind).toBe(LineKind.LOST);
    expect(parseOne('# entries-in-buffer/entries-written: 1000/1000   #P:2').kind).toBe(LineKind.HEADER);
  });

  it('rejects page_pool lines cut short or with bad numbers', () => {
    for (const bad of [
      PERF_HOLD.slice(0, PERF_HOLD.length - 7),
      PERF_HOLD.slice(0, -1).replace(/hold=1$/, 'hold='),
      PERF_HOLD.replace('hold=1', 'hold=1x'),
      PERF_PPR.replace(' cnt=1', ''),
    ]) {
      const r = parseOne(bad);
      expect(r.kind, bad).toBe(LineKind.MALFORMED);
      expect(r.p.reason).not.toBe('');
    }
  });
});

describe('a stream of lines', () => {
  const text = [
    '# a comment',
    PERF_HOLD,
    '            bash  4242 [000]  2686.990000: sched:sched_switch: prev_comm=bash prev_pid=4242',
    'garbage that is not a trace line',
    PERF_REL,
    '            bash  4242 [000]  2686.990001: irq:softirq_entry: vec=3 [action=NET_RX]',
    PERF_PPR,
  ];

  it('skips other events, counts malformed lines with their line numbers, and keeps going', () => {
    const r = analyzeTraceText(`${text.join('\n')}\n`);
    expect(r.parse.events).toEqual({ hold: 1, release: 1, poolRelease: 1, updateNid: 0 });
    expect(r.parse.otherEvents).toBe(2);
    expect(r.parse.otherEventNames).toEqual({ sched_switch: 1, softirq_entry: 1 });
    expect(r.parse.malformed).toBe(1);
    expect(r.parse.malformedLines[0]).toMatchObject({ line: 4, reason: 'no [cpu] column' });
    expect(r.parse.lines).toBe(7);
    expect(r.pools[0].state).toBe('freed');
  });

  it('accepts CRLF line endings', () => {
    const r = analyzeTraceText(`${text.join('\r\n')}\r\n`);
    expect(r.parse.events).toEqual({ hold: 1, release: 1, poolRelease: 1, updateNid: 0 });
    expect(r.parse.malformed).toBe(1);
    expect(r.pools[0].destroy?.attempts[0].cnt).toBe(1);
  });

  it('reports a truncated last line (no newline) and does not use it', () => {
    const cut = PERF_PPR.slice(0, 100);
    const r = analyzeTraceText(`${[PERF_HOLD, PERF_REL].join('\n')}\n${cut}`);
    expect(r.parse.malformed).toBe(1);
    expect(r.parse.malformedLines[0].line).toBe(3);
    expect(r.parse.malformedLines[0].reason).toMatch(/no newline/);
    expect(r.parse.events.poolRelease).toBe(0);
    expect(r.pools[0].state).toBe('live');
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const whole = new TextEncoder().encode(`${text.join('\r\n')}\n${TRACEFS_HOLD}\n`);
    const collect = (chunk: number): string[] => {
      const got: string[] = [];
      const reader = new TraceReader((ev) => got.push(`${ev.line}:${ev.kind}:${ev.timeUs}:${ev.counter}:${ev.pfn}`));
      for (let i = 0; i < whole.length; i += chunk) reader.push(whole.subarray(i, i + chunk));
      const s = reader.end();
      got.push(`malformed ${s.malformed} other ${s.otherEvents} lines ${s.lines}`);
      return got;
    };
    const ref = collect(whole.length);
    for (const n of [1, 2, 3, 7, 64, 100]) expect(collect(n)).toEqual(ref);
  });

  it('reports a line longer than the limit and reads on', () => {
    const r = analyzeTraceText(`${'x'.repeat(MAX_LINE + 10)}\n${PERF_HOLD}\n`);
    const reader = new TraceReader(() => {});
    const big = new TextEncoder().encode(`${'y'.repeat(MAX_LINE + 10)}\n${PERF_HOLD}\n`);
    for (let i = 0; i < big.length; i += 4096) reader.push(big.subarray(i, i + 4096));
    const s = reader.end();
    expect(s.malformed).toBe(1);
    expect(s.malformedLines[0].line).toBe(1);
    expect(s.events.hold).toBe(1);
    expect(s.lines).toBe(2);
    expect(r.parse.events.hold).toBe(1);
  });

  it("records the tracer's own lost-event notes", () => {
    const s = readTraceText(
      `${TRACEFS_HOLD}\nCPU:0 [LOST 5 EVENTS]\n${TRACEFS_PPR.replace('inflight=0', 'inflight=1').replace('release=1', 'release=0')}\n`,
      new TraceReader(() => {}),
    );
    expect(s.tracerLost).toHaveLength(1);
    expect(s.tracerLost[0].line).toBe(2);
    expect(s.format).toBe('tracefs');
  });
});
