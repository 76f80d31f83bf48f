import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2-core machines: child-process kill tests and Postgres tests are heavy; keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
});
