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
