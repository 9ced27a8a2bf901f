/**
 * The whole analysis in one call: parse (streaming), reconstruct every pool,
 * replay it through the model, and hand back one {@link TraceReport}. The
 * CLI, the example and the tests all go through here.
 */
import { parsePointer } from './hex.js';
import { fileSize, readTraceFileSync, readTraceStream, readTraceText, TraceReader, type ProgressFn } from './parse/reader.js';
import { Reconstructor } from './reconstruct/reconstructor.js';
import { ModelReplay, type ReplayOptions } from './replay/model-replay.js';
import type { ParseSummary, TraceReport } from './types.js';

/**
 * Options of the analysis.
 * @category Analysis
 */
export interface AnalyzeOptions {
  /** Only the pool with this pointer (as printed, `0x` optional). */
  pool?: string | null;
  /** Replay through the model (default true). */
  replay?: boolean;
  /** Model replay settings. */
  replayOptions?: ReplayOptions;
  /** Accepted retry interval window in seconds (default 0.99–1.15). */
  retryWindow?: [number, number];
  /** Progress callback (bytes read, events so far). */
  progress?: ProgressFn | null;
  /** Name of the input in the report (default: the path, or `text`/`stream`). */
  source?: string;
}

/** A parser, a reconstructor and (optionally) a replay wired together. */
interface Pipeline {
  reader: TraceReader;
  finish(parse: ParseSummary, source: string): TraceReport;
}

function pipeline(opts: AnalyzeOptions): Pipeline {
  let filter: [number, number] | null = null;
  if (opts.pool !== undefined && opts.pool !== null) {
    filter = parsePointer(opts.pool);
    if (filter === null) throw new Error(`netmem trace: --pool needs a pointer in hex, got ${JSON.stringify(opts.pool)}`);
  }
  let replay: ModelReplay | null = null;
  let recon: Reconstructor | null = null;
  const reader = new TraceReader((ev) => recon!.event(ev), opts.progress ?? null);
  const names = reader.parser.comms;
  if (opts.replay !== false) replay = new ModelReplay(opts.replayOptions);
  recon = new Reconstructor(names, replay, { pool: filter, retryWindow: opts.retryWindow });
  return {
    reader,
    finish(parse, source) {
      const pools = recon!.finish();
      return { source, parse, pools, replay: replay === null ? null : replay.finish(parse), poolFilter: opts.pool ?? null };
    },
  };
}

/**
 * Analyzes a trace file, reading it in chunks.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { analyzeTraceFile, renderHtml, renderText } from '@netmem/trace';
 *
 * // pp.txt: `perf script` output of a run recorded with -e 'page_pool:*'
 * const report = analyzeTraceFile('pp.txt');
 * console.log(renderText(report));
 * writeFileSync('pp.html', renderHtml(report));   // one self-contained page
 * if (report.replay?.disagreementCount) process.exitCode = 1;   // the model saw it differently
 * ```
 * @category Analysis
 */
export function analyzeTraceFile(path: string, opts: AnalyzeOptions = {}): TraceReport {
  const p = pipeline(opts);
  const parse = readTraceFileSync(path, p.reader);
  return p.finish(parse, opts.source ?? path);
}

/**
 * Analyzes trace text held in memory (tests, small inputs).
 * @category Analysis
 */
export function analyzeTraceText(text: string, opts: AnalyzeOptions = {}): TraceReport {
  const p = pipeline(opts);
  const parse = readTraceText(text, p.reader);
  return p.finish(parse, opts.source ?? 'text');
}

/**
 * Analyzes a stream (stdin, a pipe) chunk by chunk.
 * @category Analysis
 */
export async function analyzeTraceStream(stream: AsyncIterable<Uint8Array | string>, opts: AnalyzeOptions = {}): Promise<TraceReport> {
  const p = pipeline(opts);
  const parse = await readTraceStream(stream, p.reader);
  return p.finish(parse, opts.source ?? 'stream');
}

export { fileSize };
