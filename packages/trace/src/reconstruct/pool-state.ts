/**
 * One traced pool while the trace streams by: its counters and their
 * completeness, pages in flight over time, hold blocks, distinct and
 * re-held pages, the runs of releases that tell idle/ring pages from direct
 * returns at each destroy attempt, and its issues. The reconstructor owns
 * the pages-in-flight table shared by all pools and calls the handlers
 * here; pool-report.ts turns the state into a {@link PoolReport}.
 */
import type { HeldPage, HoldBlockStart, NidChange, TaskRef, TraceEvent } from '../types.js';
import { CounterTrack } from './counter-track.js';
import type { DestroyTracker } from './destroy-tracker.js';
import { MISSING, NumberMap } from './number-map.js';
import { Timeline } from './timeline.js';

const KEEP_ISSUES = 50;
/**
 * A hold block is one bulk refill: consecutive hold numbers in one task on
 * one CPU, nothing else of the pool between, lines at most BLOCK_GAP_US
 * apart, and at most PP_ALLOC_CACHE_REFILL (64) pages, what one
 * alloc_pages_bulk_node call asks for (so back-to-back refills split).
 */
const BLOCK_MAX = 64;
/** See {@link BLOCK_MAX}: the README's captures emit a block of 64 within 52 µs. */
const BLOCK_GAP_US = 1000;

/**
 * The mutable state of one traced pool.
 * @category Reconstruction
 */
export class PoolState {
  /** First and last event (µs, line). */
  firstUs = -1;
  /** See {@link firstUs}. */
  firstLine = 0;
  /** See {@link firstUs}. */
  lastUs = -1;
  /** See {@link firstUs}. */
  lastLine = 0;
  /** state_hold lines. */
  holds = 0;
  /** state_release lines. */
  releases = 0;
  /** Hold numbers before the trace (a pool that began before it). */
  holdBase = 0;
  /** Release numbers before the trace. */
  releaseBase = 0;
  /** The hold counter's completeness. */
  readonly holdCounter = new CounterTrack();
  /** The release counter's completeness. */
  readonly releaseCounter = new CounterTrack();
  /** Most pages in flight, and when (µs; -1: never above 0). */
  maxInflight = 0;
  /** See {@link maxInflight}. */
  maxInflightUs = -1;
  /** Distinct pages and how often each was held (dropped when the pool ends). */
  distinct: NumberMap | null = new NumberMap(256);
  /** Distinct pages held. */
  distinctCount = 0;
  /** Pages held more than once. */
  heldAgain = 0;
  /** Pages an earlier pool had held, by that pool's index. */
  readonly fromEarlier = new Map<number, number>();
  /** Any net_iov seen. */
  netIov = false;
  /** Releases of pages held before the trace. */
  preTraceReleases = 0;
  /** Releases of pages not held (pool began in the trace). */
  unknownReleases = 0;
  /** Holds of pages still held. */
  doubleHolds = 0;
  /** Releases on another CPU than the hold. */
  crossCpuReleases = 0;
  /** The destroy, once its first page_pool_release line is seen. */
  destroy: DestroyTracker | null = null;
  /** Who destroyed it. */
  destroyTask: TaskRef | null = null;
  /** inflight=0 seen: the pool was freed and its pointer may be reused. */
  ended = false;
  /** A freed pool's pages whose release the trace never showed. */
  stranded: HeldPage[] = [];
  /** update_nid events. */
  readonly nidChanges: NidChange[] = [];
  /** Activity over time. */
  readonly timeline = new Timeline();
  /** Issues found (the first 50) and how many in all. */
  readonly issues: string[] = [];
  /** See {@link issues}. */
  issueCount = 0;

  // Hold blocks.
  /** The first block (a bulk refill). */
  firstBlock: HoldBlockStart | null = null;
  /** Blocks by size. */
  readonly blockSizes = new Map<number, number>();
  /** Longest block, µs. */
  longestBlockUs = 0;
  private blockSize = 0;
  private blockNext = -1;
  private blockUs = 0;
  private blockLastUs = 0;
  private blockLine = 0;
  private blockCpu = 0;
  private blockComm = 0;
  private blockPid = 0;

  // Release runs: consecutive state_release lines of this pool in one task on one CPU.
  private runCount = 0;
  private runCpu = -1;
  private runPid = -1;
  private runComm = -1;
  private directPending = 0;

  constructor(
    /** 1-based index in order of first appearance. */
    readonly index: number,
    /** The pointer as printed. */
    readonly pointer: string,
    /** High 32 bits of the pointer. */
    readonly hi: number,
    /** Low 32 bits of the pointer. */
    readonly lo: number,
    /** The pool existed before the trace began. */
    readonly beganBeforeTrace: boolean,
  ) {
    if (!beganBeforeTrace) {
      this.holdCounter.startAtOne();
      this.releaseCounter.startAtOne();
    }
  }

  /** Pages in flight now: counter bases plus lines. */
  get inflight(): number {
    return this.holdBase + this.holds - this.releaseBase - this.releases;
  }

  /** Notes an issue. */
  issue(text: string): void {
    this.issueCount++;
    if (this.issues.length < KEEP_ISSUES) this.issues.push(text);
  }

  /** Any event: first/last. */
  touch(ev: TraceEvent): void {
    if (this.firstUs < 0) {
      this.firstUs = ev.timeUs;
      this.firstLine = ev.line;
    }
    this.lastUs = ev.timeUs;
    this.lastLine = ev.line;
  }

  /** A state_hold line (the page table was updated by the caller). */
  onHold(ev: TraceEvent, key: number, owners: NumberMap): void {
    if (this.holds === 0 && this.beganBeforeTrace && this.holdCounter.first < 0) this.holdBase = ev.counter - 1;
    this.holdCounter.add(ev.counter, ev.timeUs, ev.line);
    this.holds++;
    if (ev.netIov) this.netIov = true;
    const distinct = this.distinct!;
    const times = distinct.get(key);
    if (times === MISSING) {
      distinct.set(key, 1);
      this.distinctCount++;
      const prev = owners.get(key);
      if (prev !== MISSING && prev !== this.index) this.fromEarlier.set(prev, (this.fromEarlier.get(prev) ?? 0) + 1);
      owners.set(key, this.index);
    } else {
      distinct.set(key, times + 1);
      if (times === 1) this.heldAgain++;
    }
    this.moved(ev.timeUs, 1, 0);
    this.endRun();
    // Blocks: consecutive hold numbers with nothing else of this pool between.
    if (
      this.blockSize > 0 &&
      this.blockSize < BLOCK_MAX &&
      ev.counter === this.blockNext &&
      ev.cpu === this.blockCpu &&
      ev.pid === this.blockPid &&
      ev.timeUs - this.blockLastUs <= BLOCK_GAP_US
    ) {
      this.blockSize++;
      this.blockLastUs = ev.timeUs;
    } else {
      this.closeBlock();
      this.blockSize = 1;
      this.blockUs = this.blockLastUs = ev.timeUs;
      this.blockLine = ev.line;
      this.blockCpu = ev.cpu;
      this.blockComm = ev.comm;
      this.blockPid = ev.pid;
    }
    this.blockNext = ev.counter + 1;
  }

  /** A state_release line; `heldCpu` is the CPU that took the page (-1: unknown). */
  onRelease(ev: TraceEvent, heldCpu: number): void {
    if (this.releases === 0 && this.beganBeforeTrace && this.releaseCounter.first < 0) this.releaseBase = ev.counter - 1;
    this.releaseCounter.add(ev.counter, ev.timeUs, ev.line);
    this.releases++;
    if (heldCpu >= 0 && heldCpu !== ev.cpu) this.crossCpuReleases++;
    this.moved(ev.timeUs, 0, 1);
    this.closeBlock();
    if (this.runCount > 0 && ev.cpu === this.runCpu && ev.pid === this.runPid && ev.comm === this.runComm) {
      this.runCount++;
    } else {
      this.directPending += this.runCount;
      this.runCount = 1;
      this.runCpu = ev.cpu;
      this.runPid = ev.pid;
      this.runComm = ev.comm;
    }
  }

  /**
   * A page_pool_release line: the releases just before it in the same task
   * and CPU are the idle (cache/ring) pages it released; the others since
   * the previous attempt came back directly. Returns [ring, direct].
   */
  takeRuns(ev: TraceEvent): [number, number] {
    let ring = 0;
    if (this.runCount > 0 && ev.cpu === this.runCpu && ev.pid === this.runPid && ev.comm === this.runComm) ring = this.runCount;
    else this.directPending += this.runCount;
    const direct = this.destroy === null ? 0 : this.directPending;
    this.runCount = 0;
    this.directPending = 0;
    this.closeBlock();
    return [ring, direct];
  }

  /** Adopts the counters of a page_pool_release line as bases when the trace showed none of them (a pool that began before the trace). */
  adoptBases(hold: number, release: number): void {
    if (!this.beganBeforeTrace) return;
    if (this.holdCounter.first < 0 && this.holds === 0) this.holdBase = hold;
    if (this.releaseCounter.first < 0 && this.releases === 0) this.releaseBase = release;
  }

  /** An update_nid line. */
  onUpdateNid(ev: TraceEvent): void {
    this.nidChanges.push({ time: ev.timeUs / 1e6, line: ev.line, oldNid: ev.oldNid, newNid: ev.newNid });
    this.endRun();
    this.closeBlock();
  }

  /** End of the trace or of the pool: close the open block. */
  close(): void {
    this.closeBlock();
    this.endRun();
  }

  private moved(us: number, dh: number, dr: number): void {
    const inflight = this.inflight;
    if (inflight > this.maxInflight) {
      this.maxInflight = inflight;
      this.maxInflightUs = us;
    }
    this.timeline.add(us, inflight, dh, dr);
  }

  private endRun(): void {
    this.directPending += this.runCount;
    this.runCount = 0;
  }

  /** Closes the open hold block (any other event of the pool ends it). The first block's task name stays an id until the report. */
  private closeBlock(): void {
    if (this.blockSize === 0) return;
    this.blockSizes.set(this.blockSize, (this.blockSizes.get(this.blockSize) ?? 0) + 1);
    const dur = this.blockLastUs - this.blockUs;
    if (dur > this.longestBlockUs) this.longestBlockUs = dur;
    if (this.firstBlock === null) {
      this.firstBlock = { time: this.blockUs / 1e6, line: this.blockLine, size: this.blockSize, task: { comm: '', pid: this.blockPid, cpu: this.blockCpu } };
      this.firstBlockComm = this.blockComm;
    }
    this.blockSize = 0;
  }

  /** Task name id of the first block (named when the report is built). */
  firstBlockComm = -1;
}
