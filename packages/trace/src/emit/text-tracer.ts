/**
 * The model writes the kernel's format: a {@link PagePoolTracer} that turns
 * a model domain's page_pool tracepoints into `perf script` or tracefs
 * lines, so a model scenario and a kernel capture go through the same
 * `netmem trace`. Set it with `setPagePoolTracer(domain, textTracer(...))`.
 *
 * Pointers look like a kernel's: a pool is 0xffff8881…, a page's netmem its
 * struct page address in the vmemmap (0xffffea00… + pfn × 64, as on x86-64),
 * a net_iov's netmem a distinct 0xffff88… address; in tracefs format they
 * are "hashed" to 16 digits by a bijective 32-bit mix (distinct values stay
 * distinct, as the kernel's %p hashing keeps them within a boot). Model pfns
 * are offset by `pfnBase` so they look like a real machine's.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { MemoryDomain, PagePool, PagePoolTracer } from '@netmem/core';
import { holdFields, lineHead, poolReleaseFields, releaseFields, updateNidFields, type EmitFormat, type LineContext } from './format.js';

/**
 * Task and CPU of a line.
 * @category Writing traces
 */
export type TaskContext = Omit<LineContext, 'time'>;

/**
 * Options of {@link textTracer}.
 * @category Writing traces
 */
export interface TextTracerOptions {
  /** Output format. Default `perf`. */
  format?: EmitFormat;
  /** Receives each line, newline included. */
  write: (line: string) => void;
  /** The task and CPU of an event of `pool` (default: `netmem`, pid 1000, CPU 0). */
  context?: (pool: PagePool) => TaskContext;
  /** The time of an event in seconds (default: the domain clock + `timeBase`). */
  time?: () => number;
  /** Seconds added to the domain clock. Default 100. */
  timeBase?: number;
  /** Added to model pfns. Default 0x100000. */
  pfnBase?: number;
}

const DEFAULT_TASK: TaskContext = { comm: 'netmem', pid: 1000, cpu: 0 };

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

/** A bijective mix of 32-bit values (so hashed pointers never collide). */
function mix32(v: number): number {
  let h = (v ^ 0x5bd1e995) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A tracer writing `domain`'s page_pool tracepoints as text.
 *
 * @example
 * ```ts
 * import { MemoryDomain, createPagePool, setPagePoolTracer } from '@netmem/core';
 * import { pagesProvider } from '@netmem/provider-pages';
 * import { analyzeTraceText, renderText, textTracer } from '@netmem/trace';
 *
 * const domain = new MemoryDomain({ pages: 1024 });
 * const lines: string[] = [];
 * setPagePoolTracer(domain, textTracer(domain, { write: (l) => lines.push(l) }));   // perf script format
 * const pool = createPagePool({ domain, provider: pagesProvider() });
 * pool.putNetmem(pool.allocNetmems());
 * pool.destroy();
 * console.log(renderText(analyzeTraceText(lines.join(''))));   // the model's run, read back like a kernel's
 * ```
 * @category Writing traces
 */
export function textTracer(domain: MemoryDomain, opts: TextTracerOptions): PagePoolTracer {
  const format = opts.format ?? 'perf';
  const write = opts.write;
  const ctxOf = opts.context ?? ((): TaskContext => DEFAULT_TASK);
  const base = opts.timeBase ?? 100;
  const timeOf = opts.time ?? ((): number => domain.clock.now() / 1000 + base);
  const pfnBase = opts.pfnBase ?? 0x100000;
  const perf = format === 'perf';

  const poolPtr = (pool: PagePool): string => (perf ? `0xffff8881${hex8(pool.id * 0x1000)}` : `00000000${hex8(mix32(pool.id * 0x1000 + 0x88100000))}`);
  const pfnOf = (nm: number): number => ((nm & 1) === 1 ? 0 : domain.pfnOf(nm) + pfnBase);
  const netmemPtr = (nm: number): string => {
    if ((nm & 1) === 0) {
      const pfn = domain.pfnOf(nm) + pfnBase;
      return perf ? `0xffffea00${hex8(pfn * 64)}` : `00000000${hex8(mix32(pfn))}`;
    }
    // net_iov: printed with its low (type) bit cleared, as the tracepoint does.
    return perf ? `0x${hex8(0xffff8800 + Math.floor(nm / 0x4000000))}${hex8((nm & ~1) << 6)}` : `00000000${hex8(mix32((nm & ~1) ^ 0x40000000))}`;
  };
  const head = (event: string, pool: PagePool): string => {
    const c = ctxOf(pool);
    return lineHead(format, event, { comm: c.comm, pid: c.pid, cpu: c.cpu, flags: c.flags, time: timeOf() });
  };

  return {
    stateHold(pool, nm, hold) {
      write(`${head('page_pool_state_hold', pool)}${holdFields(poolPtr(pool), netmemPtr(nm), (nm & 1) === 1, pfnOf(nm), hold)}\n`);
    },
    stateRelease(pool, nm, release) {
      write(`${head('page_pool_state_release', pool)}${releaseFields(poolPtr(pool), netmemPtr(nm), (nm & 1) === 1, pfnOf(nm), release)}\n`);
    },
    release(pool, inflight, hold, release, cnt) {
      write(`${head('page_pool_release', pool)}${poolReleaseFields(poolPtr(pool), inflight, hold, release, cnt)}\n`);
    },
    updateNid(pool, oldNid, newNid) {
      write(`${head('page_pool_update_nid', pool)}${updateNidFields(poolPtr(pool), oldNid, newNid)}\n`);
    },
  };
}

/**
 * Lines to a file, buffered (about 1 MiB per write). `close()` flushes and
 * closes it.
 * @category Writing traces
 */
export class FileLineSink {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  /** Lines written. */
  lines = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Appends a line (newline included). */
  readonly write = (line: string): void => {
    this.parts.push(line);
    this.size += line.length;
    this.lines++;
    if (this.size >= 1 << 20) this.flush();
  };

  /** Writes what is buffered. */
  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }

  /** Flushes and closes the file. */
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
