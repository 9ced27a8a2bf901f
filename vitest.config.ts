import { defineConfig } from 'vitest/config';

// One project per package plus the cross-package integration tests. The
// `@netmem/source` condition makes workspace imports resolve to TypeScript sources,
// so tests never run against a stale build.
const shared = { resolve: { conditions: ['@netmem/source'] }, ssr: { resolve: { conditions: ['@netmem/source'] } } };

// Tests that read only sources and build output (the API site in Chromium, the import-boundary check) do
// not depend on the Node version: CI runs them under Node 20 and sets NETMEM_RUNTIME_TESTS_ONLY=1 for 22 and 24.
const runtimeOnly = process.env.NETMEM_RUNTIME_TESTS_ONLY === '1' ? ['api-docs-site.test.ts', 'boundaries.test.ts'] : [];

export default defineConfig({
  test: {
    projects: [
      { ...shared, test: { name: 'core', root: 'packages/core', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'provider-pages', root: 'packages/provider-pages', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'provider-devmem', root: 'packages/provider-devmem', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'provider-iouring', root: 'packages/provider-iouring', include: ['test/**/*.test.ts'] } },
      { ...shared, test: { name: 'trace', root: 'packages/trace', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      // Real loopback sockets and worker threads (@netmem/io): each test bounds its own bytes and time.
      { ...shared, test: { name: 'io', root: 'packages/io', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      { ...shared, test: { name: 'integration', root: 'tests', include: ['**/*.test.ts'], exclude: ['**/node_modules/**', ...runtimeOnly] } },
      // Long-run leak tests: heap and external memory per cycle, measured with gc() (tests/leaks/*.leaks.ts, so the integration project's *.test.ts does not pick them up).
      {
        ...shared,
        test: {
          name: 'leaks',
          root: 'tests/leaks',
          include: ['**/*.leaks.ts'],
          pool: 'forks',
          execArgv: ['--expose-gc'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
