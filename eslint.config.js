import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', 'runs/**', 'test-results/**', '**/*.wasm'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Browser builds (issue 18): the library runs unmodified in browsers; Node-only code lives
    // behind the kernels' #platform import (package.json "imports": node / default conditions).
    files: ['packages/core/src/**', 'packages/kernels/src/**'],
    ignores: [
      'packages/kernels/src/platform/node.ts',
      'packages/kernels/src/native/binding.ts',
      'packages/kernels/src/native/layout-hash.ts',
      'packages/kernels/src/fused/abi-emit.ts',
    ],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'not in browsers: use platform.env() from #platform' },
        { name: 'Buffer', message: 'not in browsers: use Uint8Array' },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'Node-only: put it in kernels/src/platform/node.ts' }] },
      ],
    },
  },
  {
    // Clean edges (issue 9): the lab's experiments and training loop never depend on its command line.
    files: ['packages/lab/src/experiments/**', 'packages/lab/src/train/**', 'packages/lab/src/model/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/*', '**/cli.js'],
              message: 'experiments/, train/ and model/ must not import cli/',
            },
          ],
        },
      ],
    },
  },
);
