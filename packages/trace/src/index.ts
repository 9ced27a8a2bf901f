/**
 * @netmem/trace: `netmem trace`. Reads a Linux kernel's page_pool
 * tracepoints (`perf script`, a tracefs `trace` / `trace_pipe` capture,
 * `trace-cmd report`), streaming in bounded memory; reconstructs every pool
 * (holds, releases, pages in flight over time, pages still out, the destroy
 * and each release retry, lost events); replays the trace through the
 * @netmem/core model and reports where the two disagree; and renders the
 * result as text, JSON or a self-contained HTML page. The model writes the
 * same format (`textTracer`), so a model scenario and a kernel run go
 * through the same tool.
 *
 * @packageDocumentation
 */
export type * from './types.js';
export { EventKind } from './types.js';
export { analyzeTraceFile, analyzeTraceText, analyzeTraceStream, type AnalyzeOptions } from './analyze.js';
export { TraceReader, readTraceFileSync, readTraceStream, readTraceText, fileSize, CHUNK, MAX_LINE, type EventSink, type ProgressFn } from './parse/reader.js';
export { LineParser, LineKind, type LineKindCode } from './parse/line-parser.js';
export { CommTable } from './parse/comm-table.js';
export { terminalProgress, type Progress } from './parse/progress.js';
export { Reconstructor, type ReconstructOptions, type ReconstructionObserver } from './reconstruct/reconstructor.js';
export { PoolState } from './reconstruct/pool-state.js';
export { CounterTrack } from './reconstruct/counter-track.js';
export { DestroyTracker } from './reconstruct/destroy-tracker.js';
export { NumberMap, MISSING } from './reconstruct/number-map.js';
export { PageTable, pageKey } from './reconstruct/page-table.js';
export { Timeline, BUCKETS } from './reconstruct/timeline.js';
export { RETRY_WINDOW, STALL_WARN_SECONDS } from './reconstruct/destroy-tracker.js';
export { ModelReplay, type ReplayOptions } from './replay/model-replay.js';
export { ReplayClock } from './replay/replay-clock.js';
export { replayProvider, ReplaySource } from './replay/replay-provider.js';
export { textTracer, FileLineSink, type TextTracerOptions, type TaskContext } from './emit/text-tracer.js';
export { lineHead, holdFields, releaseFields, poolReleaseFields, updateNidFields, secondsText, type EmitFormat, type LineContext } from './emit/format.js';
export { renderText } from './report/text.js';
export { renderHtml } from './report/html.js';
export { pointerText, pfnText, parsePointer } from './hex.js';
