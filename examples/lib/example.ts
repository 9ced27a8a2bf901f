/**
 * What every example's `main()` returns, and the small helpers they share:
 * run `main` when the file is the entry point, and collect "clean final
 * state" checks into one pass/fail answer.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryDomain } from '@netmem/core';
import type { TraceReport } from '@netmem/trace';

/** The outcome of one example run. */
export interface ExampleResult {
  /** Example name (its folder). */
  name: string;
  /** True when every check passed and the final state is clean. */
  ok: boolean;
  /** One line for run-all's summary. */
  summary: string;
  /** The checks that failed (empty when ok). */
  failures: string[];
}

/** Collects named checks; `result()` turns them into an {@link ExampleResult}. */
export class Checks {
  readonly failures: string[] = [];
  private count = 0;

  constructor(private readonly name: string) {}

  /** Records a check; prints nothing when it passes. */
  expect(cond: boolean, what: string): void {
    this.count++;
    if (!cond) this.failures.push(what);
  }

  /** Records `actual === expected`, with both in the failure text. */
  equal(actual: unknown, expected: unknown, what: string): void {
    this.expect(Object.is(actual, expected), `${what}: expected ${String(expected)}, got ${String(actual)}`);
  }

  /** The result, printing the failures (if any). */
  result(summary: string): ExampleResult {
    const ok = this.failures.length === 0;
    if (ok) console.log(`  ✔ ${this.count} checks passed: final state is clean`);
    else for (const f of this.failures) console.log(`  ✘ ${f}`);
    return { name: this.name, ok, summary, failures: [...this.failures] };
  }
}

/**
 * Runs `main` when `moduleUrl` is the program's entry point; sets a non-zero
 * exit code when it fails or throws.
 */
export function runIfMain(moduleUrl: string, main: () => ExampleResult | Promise<ExampleResult>): void {
  const entry = process.argv[1];
  if (!entry || resolve(entry) !== fileURLToPath(moduleUrl)) return;
  Promise.resolve()
    .then(main)
    .then(
      (r) => {
        if (!r.ok) process.exitCode = 1;
      },
      (e: unknown) => {
        console.error(e);
        process.exitCode = 1;
      },
    );
}

/** What {@link observe} reports to: run-all sets one when a report was asked for (`--html`, `--json`). */
export interface ExampleObserver {
  /** A memory domain the example created. */
  domain(domain: MemoryDomain): void;
  /** A kernel capture the example read. */
  trace(report: TraceReport): void;
}

let observer: ExampleObserver | null = null;

/** Sets (or with null, clears) the observer that {@link observe} and {@link observeTrace} report to. */
export function setExampleObserver(o: ExampleObserver | null): void {
  observer = o;
}

/**
 * Every example calls this on each domain it creates, before making pools
 * there, so the demo report can record them. Without a report it does nothing.
 */
export function observe(domain: MemoryDomain): void {
  observer?.domain(domain);
}

/** The same for a kernel capture an example reads with `netmem trace` (it makes no domain of its own). */
export function observeTrace(report: TraceReport): void {
  observer?.trace(report);
}
