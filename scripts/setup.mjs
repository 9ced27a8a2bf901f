// Installs the workspace's dependencies when they are missing or stale, so that
// `npm run demo` and `npm test` work on a fresh clone with only Node 20 and npm.
// pnpm comes from the npm registry through npx (corepack's signature check fails here).
import { execSync } from 'node:child_process';
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
  const cmd = `npx --yes pnpm@10 install ${lock ? '--frozen-lockfile' : ''} --reporter=append-only`;
  console.error(`netmem: installing dependencies (${cmd})`);
  execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(stamp, fingerprint());
}
