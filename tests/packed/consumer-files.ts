/**
 * The files of the packed-package consumer (tests/packed-consumer.test.ts).
 * Each loads every entry point it is given and runs the same small program
 * through three packages (core, provider-pages, trace: the model's own run
 * written as page_pool tracepoints and read back), so a second copy of core
 * or a missing file shows up. The runtime files print one JSON line.
 */

const imports = (entries: readonly string[], line: (name: string, entry: string) => string): string => entries.map((e, i) => line(`m${i}`, e)).join('\n');
const names = (entries: readonly string[]): string => entries.map((_, i) => `m${i}`).join(', ');

/** The trace walkthrough of `textTracer`'s doc comment, with or without type annotations. */
const program = (typed: boolean): string => `
const domain = new MemoryDomain({ pages: 1024 });
const lines${typed ? ': string[]' : ''} = [];
setPagePoolTracer(domain, textTracer(domain, { write: (l${typed ? ': string' : ''}) => lines.push(l) }));
const pool = createPagePool({ domain, provider: pagesProvider() });
pool.putNetmem(pool.allocNetmems());
pool.destroy();
const report = analyzeTraceText(lines.join(''));
`;
const js = program(false);
const ts = program(true);

/** ESM TypeScript (node16, nodenext, bundler): every entry as a namespace, and the program typed. */
export const TS_ESM_CONSUMER = (entries: readonly string[]): string => `
${imports(entries, (n, e) => `import * as ${n} from '${e}';`)}
import { MemoryDomain, createPagePool, setPagePoolTracer, type PagePool } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { analyzeTraceText, textTracer, type TraceReport } from '@netmem/trace';
${ts}
export const modules: object[] = [${names(entries)}];
export const result: [PagePool, TraceReport] = [pool, report];
`;

/** CommonJS TypeScript (.cts, node16 and nodenext): \`import x = require()\`, typed by the .d.cts files. */
export const TS_CJS_CONSUMER = (entries: readonly string[]): string => `
${imports(entries, (n, e) => `import ${n} = require('${e}');`)}
import core = require('@netmem/core');
import pages = require('@netmem/provider-pages');
import trace = require('@netmem/trace');
const { MemoryDomain, createPagePool, setPagePoolTracer } = core;
const { pagesProvider } = pages;
const { analyzeTraceText, textTracer } = trace;
${ts}
export const modules: object[] = [${names(entries)}];
export const result: [core.PagePool, trace.TraceReport] = [pool, report];
`;

/** Runtime ESM: loads every entry, reports where each resolved, runs the program. */
export const ESM_CONSUMER = (entries: readonly string[]): string => `
import { fileURLToPath } from 'node:url';
import { MemoryDomain, createPagePool, setPagePoolTracer } from '@netmem/core';
import { pagesProvider } from '@netmem/provider-pages';
import { analyzeTraceText, textTracer } from '@netmem/trace';
const entries = ${JSON.stringify(entries)};
for (const e of entries) await import(e);
const resolved = Object.fromEntries(entries.map((e) => [e, fileURLToPath(import.meta.resolve(e))]));
${js}
console.log(JSON.stringify({ resolved, traced: report.pools.length, freed: pool.isFreed }));
`;

/** Runtime CommonJS: the same through require(). */
export const CJS_CONSUMER = (entries: readonly string[]): string => `
const { MemoryDomain, createPagePool, setPagePoolTracer } = require('@netmem/core');
const { pagesProvider } = require('@netmem/provider-pages');
const { analyzeTraceText, textTracer } = require('@netmem/trace');
const entries = ${JSON.stringify(entries)};
for (const e of entries) require(e);
const resolved = Object.fromEntries(entries.map((e) => [e, require.resolve(e)]));
${js}
console.log(JSON.stringify({ resolved, traced: report.pools.length, freed: pool.isFreed }));
`;
