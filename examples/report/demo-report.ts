/**
 * The demo's command line and its report: `--html FILE`, `--json FILE` and
 * `--only name,name`. With neither file asked for there is no recorder,
 * `observe` stays a no-op, and the demo runs and prints as it always did.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setExampleObserver } from '../lib/example.js';
import { renderDemoHtml } from './html.js';
import { DemoRecorder } from './recorder.js';

/** What the demo was asked for. */
export interface DemoArgs {
  /** Write the HTML report here. */
  html: string | null;
  /** Write the JSON report here. */
  json: string | null;
  /** Run only these examples (null: all). */
  only: string[] | null;
}

const USAGE = 'usage: run-all.ts [--html FILE] [--json FILE] [--only name,name]';

/** Reads the demo's flags; throws on anything else, or on an example name not in `names`. */
export function parseDemoArgs(argv: readonly string[], names: readonly string[]): DemoArgs {
  const out: DemoArgs = { html: null, json: null, only: null };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value (${USAGE})`);
    if (flag === '--html') out.html = value;
    else if (flag === '--json') out.json = value;
    else if (flag === '--only') {
      out.only = value.split(',').filter((s) => s.length > 0);
      const unknown = out.only.filter((n) => !names.includes(n));
      if (unknown.length > 0) throw new Error(`--only: no example named ${unknown.join(', ')} (examples: ${names.join(', ')})`);
    } else throw new Error(`unknown argument ${flag} (${USAGE})`);
  }
  return out;
}

/** A recorder observing the examples, when a report was asked for; null otherwise. */
export function startReport(args: DemoArgs): DemoRecorder | null {
  if (args.html === null && args.json === null) return null;
  const rec = new DemoRecorder();
  setExampleObserver(rec);
  return rec;
}

function write(file: string, text: string): string {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
  return `  wrote ${file} (${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB)`;
}

/** Stops observing and writes the files asked for; returns one line per file. */
export function finishReport(rec: DemoRecorder, args: DemoArgs): string[] {
  setExampleObserver(null);
  const report = rec.report();
  const lines: string[] = [];
  if (args.json !== null) lines.push(write(args.json, JSON.stringify(report)));
  if (args.html !== null) lines.push(write(args.html, renderDemoHtml(report)));
  return lines;
}
