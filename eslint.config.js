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
            group: ['**/agents/**', '**/workflows/**', '**/mcp/**', '**/webhooks/**', '**/conversations/**', '**/http/**', '**/service/**',
              '**/cron/**', '**/cli/**', '**/taxonomy/**', '**/console/**', '**/people/**', '**/config.js', '**/app.js', '../../*', '!../../engine/**'],
            message: 'src/engine imports nothing outside src/engine (test/unit/engine-boundary.test.ts checks resolved paths too).',
          },
        ],
      }],
    },
  },
  // The directions of the message path (ARCHITECTURE.md, "Layout"). ESLint applies one no-restricted-imports
  // per file (the last matching block wins), so each folder's block repeats the rule every file outside the
  // engine keeps: the engine only through its two entry points.
  ...directionRules({
    'src/mcp/**/*.ts': [
      { group: ['**/workflows/**'], message: 'src/mcp implements the ports of the pipeline (src/service/ports.ts); it does not depend on the workflows.' },
      { group: ['**/service/*', '!**/service/ports.js'], message: 'src/mcp may import only src/service/ports.ts from the pipeline (the ports it implements).' },
    ],
    'src/service/**/*.ts': [
      { group: ['**/http/**', '**/console/**', '**/cli/**', '**/app.js'], message: 'The pipeline (src/service) does not import the request side: http, console and the CLI sit on top of it.' },
    ],
    'src/workflows/**/*.ts': [
      { group: ['**/service/*', '!**/service/ports.js', '!**/service/outbox.js'], message: 'Workflows use the pipeline only through its ports (src/service/ports.ts) and the outbox effects (src/service/outbox.ts).' },
      { group: ['**/http/**', '**/console/**', '**/cli/**', '**/app.js', '**/mcp/**', '**/webhooks/**'], message: 'Workflows do not reach the request side or the transports; they stage effects for the outbox.' },
    ],
    'src/**/*.ts': [],
  }),
  {
    // The outbox has one writer (src/service/outbox.ts): every other module hands it typed effects.
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**', 'src/service/outbox.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.property.name='enqueueOutbox']", message: 'Write outbox rows through src/service/outbox.ts (Outbox.write), which owns topics, keys and payload schemas.' },
        { selector: "CallExpression[callee.property.name='enqueue'][callee.object.property.name='outbox']", message: 'Stage a step\'s effects with stageEffects() from src/service/outbox.ts.' },
      ],
    },
  },
);

/** One no-restricted-imports block per folder (specific folders after the catch-all), each with the engine rule. */
function directionRules(byFolder) {
  const engineEntry = {
    group: ['**/engine/**', '!**/engine/index.js', '!**/engine/storage-kit.js'],
    message: 'Outside src/engine, import the engine through src/engine/index.ts (or src/engine/storage-kit.ts for the stores), never its internals.',
  };
  const folders = Object.keys(byFolder).sort((a, b) => (a === 'src/**/*.ts' ? -1 : b === 'src/**/*.ts' ? 1 : 0));
  return folders.map((files) => ({
    files: [files],
    ignores: ['src/engine/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [engineEntry, ...byFolder[files]] }] },
  }));
}
