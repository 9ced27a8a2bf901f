/**
 * Where the shared kernel captures are: `../shared/traces` next to the
 * repository (the CI checkout has `../shared` beside it). A missing folder
 * fails the tests loudly; they never skip.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** The shared traces folder; throws when it is missing. */
export function tracesDir(): string {
  const dir = path.join(repoRoot, '..', 'shared', 'traces');
  if (!existsSync(path.join(dir, 'README.md'))) {
    throw new Error(`the shared kernel traces are missing: expected ${dir} (../shared/traces next to the repository)`);
  }
  return dir;
}

/** A shared trace file by name. */
export function tracePath(name: string): string {
  return path.join(tracesDir(), name);
}
