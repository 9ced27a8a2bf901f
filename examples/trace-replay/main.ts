/**
 * trace-replay: `netmem trace` on two real kernel captures (Linux 6.18, veth
 * with native XDP): the steady-state one (two pools at the same address)
 * and the held-at-destroy one (a destroy deferred for 9 s while a socket
 * held the pages). Prints each summary and checks the conclusions the
 * captures' README states; exits non-zero when one differs. With `--html
 * DIR` it also writes each report as a self-contained HTML page.
 *
 *   node --conditions=@netmem/source --import tsx examples/trace-replay/main.ts [--html DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTraceFile, renderHtml, renderText, type TraceReport } from '@netmem/trace';
import { Checks, observeTrace, runIfMain, type ExampleResult } from '../lib/example.js';

/** ../shared/traces beside the repository. */
const TRACES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'traces');

function htmlDir(): string | null {
  const i = process.argv.indexOf('--html');
  return i < 0 ? null : (process.argv[i + 1] ?? '.');
}

function analyze(name: string, html: string | null): TraceReport {
  const r = analyzeTraceFile(path.join(TRACES, name), { source: name });
  observeTrace(r);
  console.log(renderText(r).replace(/^/gm, '  '));
  if (html !== null) {
    mkdirSync(html, { recursive: true });
    const out = path.join(html, `${name}.html`);
    writeFileSync(out, renderHtml(r));
    console.log(`  wrote ${out}`);
  }
  return r;
}

export function main(): ExampleResult {
  const c = new Checks('trace-replay');
  const html = htmlDir();
  console.log(`trace-replay: real page_pool tracepoints from ${TRACES}\n`);

  // The README's conclusions for veth-xdp-steady.perf.txt.
  const steady = analyze('veth-xdp-steady.perf.txt', html);
  c.equal(steady.pools.length, 2, 'steady: pools');
  c.expect(
    steady.pools.every((p) => p.pointer === '0xffff888118a3e000'),
    'steady: both pools at 0xffff888118a3e000',
  );
  const [p1, p2] = steady.pools;
  c.equal(p1?.holds, 1024, 'steady #1 holds');
  c.equal(p1?.distinctPages, 965, 'steady #1 distinct pfns');
  c.equal(p1?.pagesHeldAgain, 59, 'steady #1 pfns held twice');
  c.equal(p1?.maxInflight, 960, 'steady #1 max in flight');
  c.equal(p1?.releaseCounter.outOfOrder, 2, 'steady #1 release numbers out of order');
  c.equal(p1?.destroy?.attempts[0]?.ringReleased, 250, 'steady #1 idle pages released at destroy');
  c.equal(p2?.holds, 64, 'steady #2 holds');
  c.equal(p2?.pagesFromEarlierPools[0]?.pages, 43, "steady #2 pfns that were pool #1's");
  c.expect(
    steady.pools.every((p) => p.state === 'freed' && p.heldAtEnd.length === 0),
    'steady: both pools freed, nothing held at the end',
  );

  // The README's conclusions for veth-xdp-held-at-destroy.perf.txt.
  console.log('');
  const held = analyze('veth-xdp-held-at-destroy.perf.txt', html);
  const h = held.pools[0];
  c.equal(held.pools.length, 1, 'held: pools');
  c.equal(h?.holds, 1984, 'held: holds');
  c.equal(h?.holdBlocks.map((b) => `${b.count}x${b.size}`).join(), '31x64', 'held: blocks of 64');
  c.equal(h?.destroy?.task.comm, 'ip', 'held: destroyed by');
  c.equal(h?.destroy?.attempts.map((a) => a.inflight).join(), '1962,1962,1962,1962,1962,1315,1315,1315,1315,0', 'held: inflight per attempt');
  c.equal(h?.destroy?.freed?.cnt, 10, 'held: freed at attempt');
  c.equal(h?.destroy?.attempts[5]?.directReleased, 404, 'held: pages returned directly after the first read');
  c.equal(h?.destroy?.attempts[5]?.ringReleased, 243, 'held: pages emptied from the ring at attempt 6');

  for (const r of [steady, held]) {
    c.equal(r.replay?.disagreementCount, 0, `${r.source}: model disagreements`);
    c.equal(r.replay?.violations.length, 0, `${r.source}: invariant violations`);
    c.equal(r.parse.malformed, 0, `${r.source}: malformed lines`);
  }
  return c.result(`${steady.pools.length + held.pools.length} pools read to the README's conclusions, model replay in agreement`);
}

runIfMain(import.meta.url, main);
