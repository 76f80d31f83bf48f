import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/canary/ holds a test that fails on purpose; only `.ci/run` asks for it (ZAPFLOW_CANARY=1).
    include: process.env.ZAPFLOW_CANARY === '1' ? ['test/canary/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: process.env.ZAPFLOW_CANARY === '1' ? [] : ['test/canary/**', '**/node_modules/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2-core machines: child-process kill tests and Postgres tests are heavy; keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
});
