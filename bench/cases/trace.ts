/**
 * trace_parse: `netmem trace`'s parse + reconstruct of a large page_pool
 * trace, in events per second (one operation is one event line), and its
 * peak heap. The trace is written once per case, outside the timed rounds,
 * by the model itself (pools on the normal page provider, the text tracer
 * writing perf script lines): blocks of 64 holds, releases when the ring
 * overflows or a page has another reference, and four times per trace a
 * deferred destroy with retries and a fresh pool (so both lengths have the
 * same pools, and differ only in how long each pool lives). The two cases differ only
 * in length (10^6 and 4·10^6 events), so their peak heaps show whether
 * memory depends on the trace's length (it should not: it is bounded by
 * pools and pages in flight).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { MemoryDomain, VirtualClock, createPagePool, setPagePoolTracer, type PagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { FileLineSink, Reconstructor, TraceReader, readTraceFileSync, textTracer } from '@netmem/trace';
import type { BenchCase, BenchInstance } from '../types.js';

/** Writes exactly `events` page_pool lines produced by a model run to `file`; returns the hold and release lines written. */
export function writeModelTrace(file: string, events: number): { holds: number; releases: number } {
  const clock = new VirtualClock();
  const domain = new MemoryDomain({ pages: 16384, netIovs: 0, clock, onWarn: false, sharedMemory: false });
  const sink = new FileLineSink(file);
  let written = 0;
  let holds = 0;
  let releases = 0;
  const text = textTracer(domain, { format: 'perf', write: sink.write, context: () => ({ comm: 'bench', pid: 4242, cpu: 0 }) });
  setPagePoolTracer(domain, {
    stateHold(pool, nm, hold) {
      if (written++ < events) {
        holds++;
        text.stateHold!(pool, nm, hold);
      }
    },
    stateRelease(pool, nm, release) {
      if (written++ < events) {
        releases++;
        text.stateRelease!(pool, nm, release);
      }
    },
    release(pool, inflight, hold, release, cnt) {
      if (written++ < events) text.release!(pool, inflight, hold, release, cnt);
    },
  });
  const newPool = (): PagePool => createPagePool({ domain, provider: pagesProvider(), poolSize: 128, order: 0, flags: 0 });
  let pool = newPool();
  const held = new Int32Array(512);
  let since = 0;
  while (written < events) {
    let n = 0;
    for (; n < 384; n++) held[n] = pool.allocNetmems();
    clock.advance(1);
    for (let i = 0; i < n; i++) {
      const nm = held[i];
      if (i % 7 === 0) {
        domain.getPage(nm); // another holder: the pool must release it
        pool.putNetmem(nm);
        domain.putPage(nm);
      } else pool.putNetmem(nm);
    }
    if (written - since > events / 4) {
      // A deferred destroy: some pages out, three retries, then they come back.
      since = written;
      const out = [pool.allocNetmems(), pool.allocNetmems(), pool.allocNetmems()];
      pool.destroy();
      clock.advance(3000);
      for (const nm of out) pool.putNetmem(nm);
      clock.advance(1000);
      pool = newPool();
    }
  }
  sink.close();
  return { holds, releases };
}

function traceCase(name: string, events: number): BenchCase {
  return {
    name,
    title: `parse + reconstruct a ${events / 1e6}M-event perf trace written by the model (one op = one event)`,
    ops: events,
    setup(): BenchInstance {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'netmem-bench-trace-'));
      const file = path.join(dir, 'trace.txt');
      const want = writeModelTrace(file, events);
      const bytes = statSync(file).size;
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const base = getHeapStatistics().used_heap_size;
      let peakUsed = 0;
      let peakRetained = -1;
      let last = { holds: 0, releases: 0, pools: 0 };
      /** One parse + reconstruct of the file; `sample` runs after each chunk. */
      const parseOnce = (sample: () => void): number => {
        let recon: Reconstructor | null = null;
        const reader = new TraceReader((ev) => recon!.event(ev), sample);
        recon = new Reconstructor(reader.parser.comms);
        const parse = readTraceFileSync(file, reader);
        const pools = recon.finish();
        last = { holds: pools.reduce((s, p) => s + p.holds, 0), releases: pools.reduce((s, p) => s + p.releases, 0), pools: pools.length };
        return parse.events.hold + parse.events.release + parse.events.poolRelease;
      };
      // Timed rounds: heap in use after each 1 MiB chunk, garbage included (cheap to read).
      const sampleUsed = (): void => {
        const h = getHeapStatistics().used_heap_size - base;
        if (h > peakUsed) peakUsed = h;
      };
      return {
        run(ops) {
          const n = parseOnce(sampleUsed);
          if (n !== ops) throw new Error(`trace has ${n} events, expected ${ops}`);
          return last.holds ^ last.releases;
        },
        verify() {
          if (last.holds !== want.holds || last.releases !== want.releases) {
            throw new Error(`reconstructed ${last.holds} holds / ${last.releases} releases, the model wrote ${want.holds} / ${want.releases}`);
          }
          // An untimed pass measuring what the process keeps while parsing: a full GC every 16 chunks, then the
          // whole heap in use (absolute: sub-MB differences from a baseline are noise).
          if (gc !== undefined) {
            let chunks = 0;
            peakRetained = 0;
            parseOnce(() => {
              if (++chunks % 16 !== 0) return;
              gc();
              const h = getHeapStatistics().used_heap_size;
              if (h > peakRetained) peakRetained = h;
            });
          }
          const mb = (b: number): string => (b / 1e6).toFixed(1);
          return `${last.pools} pools, ${(bytes / 1e6).toFixed(0)} MB; heap while parsing: ${mb(peakRetained)} MB live (after GC), +${mb(peakUsed)} MB in use with garbage`;
        },
        // Live heap while parsing (after GC) when the GC is exposed; else heap in use above the baseline.
        peakHeapBytes: () => (peakRetained >= 0 ? peakRetained : peakUsed),
        teardown() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Parse + reconstruct at two trace lengths. */
export const traceCases: BenchCase[] = [traceCase('trace_parse', 1_000_000), traceCase('trace_parse_4m', 4_000_000)];
