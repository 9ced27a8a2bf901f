import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The public API must stay documented: typedoc treats every warning (an
// undocumented export, a broken link) as an error and exits non-zero.
it('typedoc builds the API reference with no warnings', () => {
  const root = join(__dirname, '..');
  const out = execFileSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(out).not.toMatch(/\[warning\]|\[error\]/);
}, 180_000);
