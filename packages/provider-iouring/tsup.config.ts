import { defineConfig } from 'tsup';

export default defineConfig({
  // The consumer worker is its own entry: spawnZcrxWorker starts it by URL.
  entry: ['src/index.ts', 'src/worker.ts'],
  shims: true,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
