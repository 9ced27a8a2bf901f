/**
 * Runs every example in order (the README's demo): each one's account, then a
 * one-line summary per example and a total. Exits non-zero if any failed.
 * `--html FILE` / `--json FILE` also write the demo report (report/);
 * `--only name,name` runs just those examples.
 *
 *   node --conditions=@netmem/source --import tsx examples/run-all.ts
 */
import type { ExampleResult } from './lib/example.js';
import { finishReport, parseDemoArgs, startReport } from './report/demo-report.js';
import { main as quickstart } from './quickstart/main.js';
import { main as customProvider } from './custom-provider/main.js';
import { main as driverUnbind } from './driver-unbind/main.js';
import { main as echoRx } from './echo-rx/main.js';
import { main as devmemTcp } from './devmem-tcp/main.js';
import { main as iouringZcrx } from './iouring-zcrx/main.js';
import { main as traceReplay } from './trace-replay/main.js';
import { main as tcpPooled } from './tcp-pooled/main.js';

/** The examples, in order. Adding one is one import and one line here. */
const EXAMPLES: [name: string, main: () => ExampleResult | Promise<ExampleResult>][] = [
  ['quickstart', quickstart],
  ['custom-provider', customProvider],
  ['driver-unbind', driverUnbind],
  ['echo-rx', echoRx],
  ['devmem-tcp', devmemTcp],
  ['iouring-zcrx', iouringZcrx],
  ['trace-replay', traceReplay],
  ['tcp-pooled', () => tcpPooled({ bytes: 32 << 20, timeoutMs: 30_000 })], // 32 MiB in the demo (256 MiB when run alone)
];

async function runAll(): Promise<boolean> {
  const args = parseDemoArgs(
    process.argv.slice(2),
    EXAMPLES.map(([n]) => n),
  );
  process.argv.length = 2; // the flags are the demo's: an example reading argv (trace-replay's --html DIR) sees none
  const report = startReport(args);
  const run = args.only === null ? EXAMPLES : EXAMPLES.filter(([n]) => args.only!.includes(n));
  const lines: string[] = [];
  let failed = 0;
  for (const [name, main] of run) {
    console.log(`\n=== ${name} ===`);
    report?.begin(name);
    const t0 = performance.now();
    let r: ExampleResult;
    try {
      r = await main();
    } catch (e) {
      console.error(e);
      r = { name, ok: false, summary: `threw: ${e instanceof Error ? e.message : String(e)}`, failures: ['threw'] };
    }
    const elapsed = performance.now() - t0;
    report?.end(r, elapsed);
    const ms = elapsed.toFixed(0);
    if (!r.ok) failed++;
    lines.push(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${name.padEnd(16)} ${r.summary} (${ms} ms)`);
  }
  console.log('\n=== summary ===');
  for (const l of lines) console.log(l);
  console.log(`  ${run.length - failed}/${run.length} examples passed`);
  if (report !== null) for (const l of finishReport(report, args)) console.log(l);
  return failed === 0;
}

runAll().then(
  (ok) => {
    if (!ok) process.exitCode = 1;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
