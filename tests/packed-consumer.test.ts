/**
 * The packages as npm users get them. Each package is built (tsup, into a
 * staging copy: packages/*\/dist is left alone, other tests read it) and
 * packed with pnpm, which rewrites `workspace:` ranges. The tarballs are
 * installed with npm into a consumer project outside the workspace whose
 * tools set the common `source` condition: it must still get the built files
 * (the repository's own condition is `@netmem/source`), type-check with
 * node16, nodenext and bundler resolution, and run as ESM and as CommonJS.
 * The README's quickstart and "Writing a provider" walkthrough (its
 * `// file: NAME` blocks, unchanged) are compiled and run there too.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CJS_CONSUMER, ESM_CONSUMER, TS_CJS_CONSUMER, TS_ESM_CONSUMER } from './packed/consumer-files.js';
import { readmeFiles } from './packed/readme-files.js';

const run = promisify(execFile);
const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'netmem-packed-'));
const stage = join(work, 'stage');
const tarballs = join(work, 'tarballs');
const consumer = join(work, 'consumer');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Pkg {
  dir: string;
  name: string;
  version: string;
  exports: Record<string, unknown>;
  tarball: string;
}
const pkgs: Pkg[] = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((dir) => {
    const pj = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    return { dir, name: pj.name, version: pj.version, exports: pj.exports, tarball: '' };
  });
/** Every entry point a user can import: `@netmem/core`, `@netmem/core/provider`, … */
const entries = pkgs.flatMap((p) =>
  Object.keys(p.exports)
    .filter((k) => k !== './package.json')
    .map((k) => p.name + k.slice(1)),
);

/**
 * This environment without the npm_config_* variables npm sets for the
 * script running vitest (npx and pnpm would warn about, or act on, them);
 * the ones that say how to reach the registry stay.
 */
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^npm_config_/i.test(k) ||
      /^npm_config_(registry|.+:registry|proxy|https_proxy|http_proxy|noproxy|no_proxy|cafile|ca|strict_ssl|cache|userconfig)$/i.test(k),
  ),
);

/** Runs `file args` in `cwd`; on failure the error carries the command's output. */
async function sh(file: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  try {
    const r = await run(file, args, { cwd, env, timeout, maxBuffer: 32 << 20 });
    return r.stdout + r.stderr;
  } catch (e) {
    const x = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
  }
}
const node = (args: string[], cwd: string) => sh(process.execPath, args, cwd);

/** Builds `p` into its staging copy: what `npm run build` puts in dist, without touching the repository's dist. */
async function buildStaged(p: Pkg): Promise<void> {
  const src = join(root, 'packages', p.dir);
  const dst = join(stage, 'packages', p.dir);
  mkdirSync(dst, { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'src', 'bin']) {
    if (existsSync(join(src, f))) cpSync(join(src, f), join(dst, f), { recursive: true });
  }
  await node([join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent', '--out-dir', join(dst, 'dist')], src);
}

beforeAll(async () => {
  // Two builds at a time: tsup's type build is the slow part, and CI has two cores.
  const queue = [...pkgs];
  await Promise.all(
    [0, 1].map(async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await buildStaged(p);
    }),
  );
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'netmem-stage', private: true }));
  writeFileSync(join(stage, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
  // pnpm reads a workspace dependency's version through its link, as `pnpm install` would have made it.
  for (const p of pkgs) {
    const pj = JSON.parse(readFileSync(join(stage, 'packages', p.dir, 'package.json'), 'utf8'));
    const workspaceDeps = new Set(
      ['dependencies', 'devDependencies', 'peerDependencies'].flatMap((k) => Object.keys(pj[k] ?? {}).filter((d) => String(pj[k][d]).startsWith('workspace:'))),
    );
    for (const d of workspaceDeps) {
      const link = join(stage, 'packages', p.dir, 'node_modules', d);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join(stage, 'packages', pkgs.find((q) => q.name === d)!.dir), link, 'dir');
    }
  }
  await sh('npx', ['--yes', 'pnpm@10', '-r', 'pack', '--pack-destination', tarballs], stage);
  for (const p of pkgs) p.tarball = join(tarballs, `${p.name.slice(1).replace('/', '-')}-${p.version}.tgz`);

  mkdirSync(join(consumer, 'src'), { recursive: true });
  const deps = Object.fromEntries(pkgs.map((p) => [p.name, `file:${p.tarball}`]));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'netmem-consumer', private: true, type: 'module', dependencies: deps }, null, 2));
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], consumer, 180_000);
}, 300_000);

describe('packed packages', () => {
  it('each tarball holds LICENSE, README.md, CHANGELOG.md and both builds; workspace: ranges are rewritten to real ones', async () => {
    const core = pkgs.find((p) => p.name === '@netmem/core')!;
    for (const p of pkgs) {
      const files = (await sh('tar', ['-tzf', p.tarball], work)).split('\n');
      for (const f of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
        expect(files, `${p.name} tarball`).toContain(`package/${f}`);
      }
      const text = await sh('tar', ['-xOzf', p.tarball, 'package/package.json'], work);
      expect(text, `${p.name}'s packed package.json`).not.toMatch(/workspace:/);
      const pj = JSON.parse(text);
      expect(pj.license).toBe('MIT');
      expect(pj.repository).toMatchObject({ type: 'git', directory: `packages/${p.dir}` });
      expect(pj.engines.node).toBe('>=20');
      if (p !== core) {
        expect(pj.peerDependencies, `${p.name} takes core as a peer`).toEqual({ '@netmem/core': `^${core.version}` });
        expect(pj.dependencies?.['@netmem/core']).toBeUndefined();
      }
    }
    // Peers: one copy of core in the consumer, none nested under a provider.
    for (const p of pkgs) expect(existsSync(join(consumer, 'node_modules', p.name, 'node_modules', '@netmem', 'core')), p.name).toBe(false);
  });

  it('type-checks with customConditions ["source"] under node16, nodenext and bundler resolution, from dist only', async () => {
    writeFileSync(join(consumer, 'src', 'esm.ts'), TS_ESM_CONSUMER(entries));
    writeFileSync(join(consumer, 'src', 'cjs.cts'), TS_CJS_CONSUMER(entries));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const base = {
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      customConditions: ['source'],
    };
    const configs = {
      node16: { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, include: ['src'] },
      nodenext: { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, include: ['src'] },
      bundler: { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, include: ['src/esm.ts'] },
    };
    await Promise.all(
      Object.entries(configs).map(async ([name, cfg]) => {
        writeFileSync(join(consumer, `tsconfig.${name}.json`), JSON.stringify(cfg));
        const out = await sh(process.execPath, [tsc, '-p', `tsconfig.${name}.json`, '--listFiles'], consumer);
        const ours = out.split('\n').filter((l) => l.includes('/node_modules/@netmem/'));
        expect(ours.length, `${name}: files of @netmem packages in the program`).toBeGreaterThan(0);
        expect(
          ours.filter((l) => !/\/dist\/[^/]+\.d\.c?ts$/.test(l)),
          `${name}: only dist declarations`,
        ).toEqual([]);
      }),
    );
  }, 120_000);

  it.each([[[]], [['--conditions=source']]])(
    'runs as ESM and as CommonJS, resolving to dist (node flags %j)',
    async (flags: string[]) => {
      writeFileSync(join(consumer, 'esm.mjs'), ESM_CONSUMER(entries));
      writeFileSync(join(consumer, 'cjs.cjs'), CJS_CONSUMER(entries));
      for (const [file, ext] of [
        ['esm.mjs', '.js'],
        ['cjs.cjs', '.cjs'],
      ]) {
        const out = JSON.parse(await node([...flags, file], consumer)) as { resolved: Record<string, string>; traced: number; freed: boolean };
        expect(Object.keys(out.resolved).sort()).toEqual([...entries].sort());
        for (const [entry, path] of Object.entries(out.resolved))
          expect(path, `${file}: ${entry}`).toMatch(new RegExp(`/node_modules/@netmem/[^/]+/dist/[^/]+\\${ext}$`));
        expect(out).toMatchObject({ traced: 1, freed: true });
      }
      const cli = await node([...flags, join(consumer, 'node_modules', '@netmem', 'trace', 'bin', 'netmem.js'), '--help'], consumer);
      expect(cli).toMatch(/usage: netmem trace FILE/);
    },
    60_000,
  );

  it('runs the README quickstart and its provider walkthrough unchanged: every conformance case passes', async () => {
    const files = readmeFiles(join(root, 'README.md'));
    expect([...files.keys()].sort()).toEqual(['arena-provider.test.ts', 'arena-provider.ts', 'quickstart.ts']);
    const dir = join(consumer, 'readme');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const cfg = {
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        outDir: 'out',
        rootDir: 'readme',
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      include: ['readme'],
    };
    writeFileSync(join(consumer, 'tsconfig.readme.json'), JSON.stringify(cfg));
    expect(await node([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.readme.json'], consumer)).toBe('');
    const conformance = await node(['--test', '--test-reporter=tap', join('out', 'arena-provider.test.js')], consumer); // TAP: Node 23+ print spec by default
    expect(conformance).toMatch(/# fail 0/);
    expect(conformance).toMatch(/# pass 12/); // 11 lifecycle cases + the order-1 refusal
    expect(await node([join('out', 'quickstart.js')], consumer)).toMatch(/pool freed\n$/);
  }, 120_000);
});
