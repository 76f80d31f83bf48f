/**
 * A test that must fail. `.ci/run` runs it through `npm test` (with `ZAPFLOW_CANARY=1`, which is the only way
 * vitest picks it up) and fails CI unless that exits non-zero: proof that a failing test fails the test command
 * on this machine, including on the throwaway-Postgres path (no DATABASE_URL).
 */
import { expect, it } from 'vitest';

it('fails on purpose, so that CI can check a failing test fails `npm test`', () => {
  expect(1 + 1).toBe(3);
});
