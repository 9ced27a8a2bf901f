/**
 * The README's quickstart and provider walkthrough, taken from the README
 * alone, in a folder outside the workspace: core and provider-pages are
 * built (tsup, as published: dist and package.json only, `@internal`
 * members stripped from the types), the README's files are type-checked
 * against them with plain node16-style resolution (no workspace paths),
 * compiled and run: the quickstart to its end, the walkthrough under
 * `node:test` with every conformance case passing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'netmem-readme-provider-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The README's `// file: NAME` code blocks, by name. */
function readmeFiles(): Map<string, string> {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of md.matchAll(/```ts\n\/\/ file: (\S+)\n([\s\S]*?)```/g)) out.set(m[1], m[2]);
  return out;
}

it('the quickstart runs and the provider written from the README alone passes the conformance suite, outside the workspace', () => {
  const files = readmeFiles();
  expect([...files.keys()].sort()).toEqual(['arena-provider.test.ts', 'arena-provider.ts', 'quickstart.ts']);

  // Build core and provider-pages as published and "install" them: package.json + dist, core's dependency beside it.
  for (const pkg of ['core', 'provider-pages']) {
    const dir = join(root, 'packages', pkg);
    execFileSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: dir, stdio: 'pipe' });
    const installed = join(work, 'node_modules', '@netmem', pkg);
    mkdirSync(installed, { recursive: true });
    cpSync(join(dir, 'package.json'), join(installed, 'package.json'));
    cpSync(join(dir, 'dist'), join(installed, 'dist'), { recursive: true });
  }
  const core = join(root, 'packages', 'core');
  symlinkSync(join(core, 'node_modules', 'eventemitter3'), join(work, 'node_modules', 'eventemitter3'));
  mkdirSync(join(work, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(work, 'node_modules', '@types', 'node'));

  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'my-provider', private: true, type: 'module' }));
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, outDir: 'out', types: ['node'], skipLibCheck: false },
      include: ['src'],
    }),
  );
  mkdirSync(join(work, 'src'));
  for (const [name, text] of files) writeFileSync(join(work, 'src', name), text);

  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', work], { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);

  const run = spawnSync(process.execPath, ['--test', join(work, 'out', 'arena-provider.test.js')], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  const out = run.stdout + run.stderr;
  expect(out).toMatch(/# fail 0/);
  expect(out).toMatch(/# pass 12/); // 11 lifecycle cases + the order-1 refusal
  expect(run.status).toBe(0);

  const quick = spawnSync(process.execPath, [join(work, 'out', 'quickstart.js')], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  expect(quick.stderr).toBe('');
  expect(quick.stdout).toMatch(/pool freed\n$/);
  expect(quick.status).toBe(0);
}, 180_000);
