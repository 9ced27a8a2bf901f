import { defineConfig } from 'vitest/config';

// One project per package plus the cross-package integration tests. The
// `source` condition makes workspace imports resolve to TypeScript sources,
// so tests never run against a stale build.
const shared = { resolve: { conditions: ['source'] }, ssr: { resolve: { conditions: ['source'] } } };

export default defineConfig({
  test: {
    projects: [
      { ...shared, test: { name: 'core', root: 'packages/core', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'provider-pages', root: 'packages/provider-pages', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'provider-devmem', root: 'packages/provider-devmem', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'provider-iouring', root: 'packages/provider-iouring', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'trace', root: 'packages/trace', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      { ...shared, test: { name: 'integration', root: 'tests', include: ['**/*.test.ts'] } },
    ],
  },
});
