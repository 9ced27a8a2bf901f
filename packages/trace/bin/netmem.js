#!/usr/bin/env node
// The `netmem` command. A built package (dist/ present: what npm installs)
// runs dist/cli.js; a source checkout of the monorepo runs src/cli.ts through
// tsx with the `@netmem/source` export condition, so workspace packages resolve to
// their TypeScript sources.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  const { main } = await import(dist.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const src = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const r = spawnSync(process.execPath, ['--conditions=@netmem/source', '--import', tsx, src, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
