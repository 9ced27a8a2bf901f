import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/provider.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  // Code splitting for CJS too: the three entries must share one copy of the registries and module state.
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
