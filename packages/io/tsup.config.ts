import { defineConfig } from 'tsup';

export default defineConfig({
  // Two entries: the owner's side (sockets, PoolWorker) and the worker thread's side (@netmem/io/worker).
  entry: ['src/index.ts', 'src/worker.ts'],
  // import.meta.url in the CJS build (PoolWorker finds worker-boot.mjs by URL).
  shims: true,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
