import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run on the TypeScript sources: the aliases point each workspace package at its src/.
export default defineConfig({
  resolve: {
    alias: {
      '@regulab/kernels': src('./packages/kernels/src/index.ts'),
      '@regulab/lab': src('./packages/lab/src/index.ts'),
      regulab: src('./packages/core/src/index.ts'),
      // the kernels' platform module (package.json "imports"), the Node one under test
      '#platform': src('./packages/kernels/src/platform/node.ts'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
