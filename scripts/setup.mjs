// Installs the workspace's dependencies when they are missing or stale, so that
// `npm run demo` and `npm test` work on a fresh clone with only Node 20 and npm.
// pnpm comes from the npm registry through npx (corepack's signature check fails here).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'node_modules', '.netmem-install-stamp');
const inputs = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'];

function fingerprint() {
  const h = createHash('sha256');
  for (const f of inputs) {
    const p = join(root, f);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return h.digest('hex');
}

const want = fingerprint();
const have = existsSync(stamp) ? readFileSync(stamp, 'utf8') : '';
if (want !== have || !existsSync(join(root, 'node_modules', '.bin', 'vitest'))) {
  const lock = existsSync(join(root, 'pnpm-lock.yaml'));
  const args = ['--yes', 'pnpm@10', 'install', ...(lock ? ['--frozen-lockfile'] : []), '--reporter=append-only'];
  const t0 = Date.now();
  process.stderr.write('netmem: installing dependencies (npx pnpm@10 install)... ');
  // pnpm's output is kept and shown only if the install fails: the first
  // lines a user sees are the demo's or the tests'.
  const r = spawnSync('npx', args, { cwd: root, env: childEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    process.stderr.write('failed\n');
    if (r.stdout) process.stderr.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    console.error(`netmem: \`npx ${args.join(' ')}\` failed (${why}); run it in ${root} to see why.`);
    process.exit(1);
  }
  writeFileSync(stamp, fingerprint());
  process.stderr.write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

/**
 * This environment minus the npm_config_* variables a package manager exports
 * to the scripts it runs (npx warns "Unknown env config" about pnpm's, and
 * they are not settings the user chose), keeping the ones that say where and
 * how to reach the registry.
 */
function childEnv() {
  const keep = /^npm_config_(registry|.+:registry|proxy|https_proxy|http_proxy|noproxy|no_proxy|cafile|ca|cert|key|strict_ssl|cache|userconfig)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k) || keep.test(k)));
}
