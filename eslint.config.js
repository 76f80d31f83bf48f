// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'bench/.cache/**', 'node_modules/**', 'coverage/**', 'data/**', 'test/fixtures/**', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The engine is a library: it must not reach into the application around it.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            group: ['**/agents/**', '**/workflows/**', '**/mcp/**', '**/webhooks/**', '**/conversations/**', '**/http/**',
              '**/cron/**', '**/cli/**', '**/taxonomy/**', '**/config.js', '**/app.js', '../../*', '!../../engine/**'],
            message: 'src/engine imports nothing outside src/engine (test/unit/engine-boundary.test.ts checks resolved paths too).',
          },
        ],
      }],
    },
  },
);
