// `npm run example -- <name> [args…]`: runs examples/<name>/main.ts from the
// TypeScript sources (tsx, `@netmem/source` condition), so no build is needed.
// Arguments after the name go to the example.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = join(root, 'examples');
const names = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, 'main.ts')))
  .map((d) => d.name)
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  const what = name ? `there is no example "${name}"` : 'name the example to run';
  console.error(`netmem: ${what}: npm run example -- <name> [args…]\n  examples: ${names.join(', ')}`);
  process.exit(2);
}

// tsx resolved from here, so the example runs the same from any working directory.
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--conditions=@netmem/source', '--import', tsx, join(examplesDir, name, 'main.ts'), ...rest], {
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
