/**
 * `netmem trace FILE [--json out.json] [--html out.html] [--pool PTR]
 * [--no-replay]`: reads a kernel's page_pool tracepoints (perf script,
 * tracefs trace / trace_pipe, trace-cmd report; `-` for stdin), shows where
 * the pages went, and replays the trace through the model.
 *
 * Exit status: 0 when the analysis ran, 1 when the input could not be read
 * or held no page_pool event, 2 on bad arguments.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTraceFile, analyzeTraceStream, fileSize, type AnalyzeOptions } from './analyze.js';
import { terminalProgress } from './parse/progress.js';
import { renderHtml } from './report/html.js';
import { renderText } from './report/text.js';
import type { TraceReport } from './types.js';

/** Usage text. */
export const USAGE = `usage: netmem trace FILE [--json OUT.json] [--html OUT.html] [--pool PTR] [--no-replay] [--quiet]
  FILE         perf script output, a tracefs trace/trace_pipe capture, or trace-cmd report output ('-': stdin)
  --json F     write the full analysis as JSON
  --html F     write a self-contained HTML page (charts per pool)
  --pool PTR   only the pool with this page_pool= pointer (as printed)
  --no-replay  skip the model replay
  --quiet      no summary on stdout`;

interface Args {
  file: string;
  json: string | null;
  html: string | null;
  pool: string | null;
  replay: boolean;
  quiet: boolean;
}

function parseArgs(argv: string[]): Args | string {
  if (argv[0] !== 'trace') return argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' ? '' : `unknown command ${argv[0]}`;
  const a: Args = { file: '', json: null, html: null, pool: null, replay: true, quiet: false };
  for (let i = 1; i < argv.length; i++) {
    const f = argv[i];
    const v = argv[i + 1];
    if (f === '--json' || f === '--html' || f === '--pool') {
      if (v === undefined) return `${f} needs a value`;
      if (f === '--json') a.json = v;
      else if (f === '--html') a.html = v;
      else a.pool = v;
      i++;
    } else if (f === '--no-replay') a.replay = false;
    else if (f === '--quiet') a.quiet = true;
    else if (f === '--help' || f === '-h') return '';
    else if (f.startsWith('--')) return `unknown option ${f}`;
    else if (a.file === '') a.file = f;
    else return `unexpected argument ${f}`;
  }
  return a.file === '' ? 'trace needs a FILE' : a;
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (typeof a === 'string') {
    if (a !== '') console.error(`netmem: ${a}`);
    (a === '' ? console.log : console.error)(USAGE);
    return a === '' ? 0 : 2;
  }
  let report: TraceReport;
  try {
    const stdin = a.file === '-';
    const progress = terminalProgress(stdin ? 0 : fileSize(a.file));
    const opts: AnalyzeOptions = { pool: a.pool, replay: a.replay, progress: progress?.update ?? null };
    try {
      report = stdin ? await analyzeTraceStream(process.stdin, { ...opts, source: 'stdin' }) : analyzeTraceFile(a.file, opts);
    } finally {
      progress?.done();
    }
  } catch (e) {
    console.error(`netmem trace: ${(e as Error).message}`);
    return (e as Error).message.includes('--pool') ? 2 : 1;
  }
  if (a.json !== null) writeFileSync(a.json, `${JSON.stringify(report, null, 1)}\n`);
  if (a.html !== null) writeFileSync(a.html, renderHtml(report));
  if (!a.quiet) console.log(renderText(report));
  const ev = report.parse.events;
  if (ev.hold + ev.release + ev.poolRelease + ev.updateNid === 0) {
    console.error(`netmem trace: no page_pool events in ${report.source}`);
    return 1;
  }
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
