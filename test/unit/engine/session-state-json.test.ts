/**
 * Session state holds JSON values only: a value JSON would change or drop fails the step at its commit,
 * naming the key and the step, instead of coming back different after a reload.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage, SessionStateValueError, Step, StepFailedError, Workflow } from '../../../src/engine/index.js';

const storage = new MemoryStorage();

function workflowSetting(value: () => unknown): Workflow {
  return new Workflow({
    name: 'state-values',
    storage,
    steps: [
      new Step({
        name: 'remember_things',
        maxRetries: 2,
        executor: (input) => {
          input.workflowSessionState.ok = 'kept';
          input.workflowSessionState.things = value();
          return 'done';
        },
      }),
    ],
  });
}

describe('session state values', () => {
  it.each([
    ['a Date', () => ({ when: new Date(0) }), 'things.when', 'toISOString'],
    ['a Map', () => new Map([['a', 1]]), 'things', 'Object.fromEntries'],
    ['a Set', () => ({ tags: new Set(['x']) }), 'things.tags', '[...set]'],
    ['a BigInt', () => ({ cents: 10n }), 'things.cents', 'toString()'],
    ['NaN', () => [1, Number.NaN], 'things[1]', 'null'],
    ['undefined in an array', () => [1, undefined], 'things[1]', 'null'],
    ['a class instance', () => ({ at: new URL('https://example.com') }), 'things.at', 'plain object'],
  ])('%s fails the step at its commit, naming the key and the step, without retries', async (_name, value, at, advice) => {
    const wf = workflowSetting(value);
    const sessionId = `s1-${_name}`;
    const result = await wf.run({ message: 'x', sessionId });
    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(StepFailedError);
    const cause = (result.error as StepFailedError).cause;
    expect(cause).toBeInstanceOf(SessionStateValueError);
    expect(cause).toMatchObject({ code: 'SESSION_STATE_NOT_JSON', stepName: 'remember_things', key: 'things', at });
    expect((cause as Error).message).toContain('"remember_things"');
    expect((cause as Error).message).toContain(advice);
    expect((result.error as StepFailedError).attempts).toBe(1);
    // Nothing of the step's state change was stored.
    expect((await storage.getSession(sessionId))?.state ?? {}).not.toHaveProperty('ok');
  });

  it('JSON values are kept, and an undefined property reads back the same (absent)', async () => {
    const wf = workflowSetting(() => ({ list: [1, 'two', null, { deep: true }], optional: undefined, n: 1.5 }));
    const result = await wf.run({ message: 'x', sessionId: 's2' });
    expect(result.status).toBe('completed');
    const stored = (await storage.getSession('s2'))?.state as { things: Record<string, unknown> };
    expect(stored.things).toEqual({ list: [1, 'two', null, { deep: true }], n: 1.5 });
    expect(stored.things.optional).toBeUndefined();
  });
});

describe('session state values, whatever their shape', () => {
  // Values JSON would change or refuse, placed at any depth inside otherwise plain JSON.
  const notJson = fc.constantFrom<[string, () => unknown]>(
    ['a Date', () => new Date(0)], ['a Map', () => new Map()], ['a Set', () => new Set()], ['NaN', () => Number.NaN],
    ['Infinity', () => Number.POSITIVE_INFINITY], ['a BigInt', () => 1n], ['a class instance', () => new URL('https://example.com')],
    ['undefined in an array', () => [undefined]], ['a function', () => () => 1],
  );
  const nest = (value: unknown, levels: Array<'object' | 'array'>): unknown =>
    levels.reduce<unknown>((inner, kind) => (kind === 'array' ? [null, inner] : { inner, other: 1 }), value);

  it('a step keeps plain JSON exactly, and fails naming the key when anything in it is not JSON', async () => {
    await fc.assert(fc.asyncProperty(
      fc.jsonValue(), fc.option(notJson, { nil: undefined }), fc.array(fc.constantFrom<'object' | 'array'>('object', 'array'), { maxLength: 6 }),
      async (plain, bad, levels) => {
        const value = nest(bad === undefined ? plain : { plain, bad: bad[1]() }, levels);
        const sessionId = `prop-${Math.random()}`;
        const result = await workflowSetting(() => value).run({ message: 'x', sessionId });
        if (bad === undefined) {
          expect(result.status).toBe('completed');
          expect((await storage.getSession(sessionId))?.state.things).toEqual(JSON.parse(JSON.stringify(value)));
        } else {
          expect(result.status).toBe('error');
          expect((result.error as StepFailedError).cause).toMatchObject({ code: 'SESSION_STATE_NOT_JSON', key: 'things' });
        }
      },
    ), { numRuns: 200 });
  });
});
