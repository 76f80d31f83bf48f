import { describe, expect, it } from 'vitest';
import { Condition, InvalidDefinitionError, Loop, Parallel, Router, Step, Steps, Workflow } from '../../../src/engine/index.js';
import { inc } from './helpers.js';

/** Asserts construction throws an InvalidDefinitionError whose message contains every fragment. */
function rejects(build: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidDefinitionError);
  expect((caught as InvalidDefinitionError).code).toBe('INVALID_DEFINITION');
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe('definitions are validated at construction', () => {
  it('duplicate step names in one scope, naming the step', () => {
    rejects(() => new Workflow({ name: 'w', steps: [inc('same'), inc('same')] }), 'Step "same"', 'used twice', 'Workflow "w"');
    rejects(() => new Parallel(inc('b'), inc('b'), { name: 'p' }), 'Step "b"', 'Parallel "p"');
    rejects(() => new Steps({ name: 'g', steps: [inc('x'), inc('x')] }), 'Steps "g"');
  });

  it('allows one name in different scopes (two Router routes, a group and the top level)', () => {
    const shared = inc('process');
    expect(() => new Workflow({ name: 'ok', steps: [inc('process'), new Router({ name: 'r', evaluator: () => 'a', routes: { a: shared, b: [inc('check'), shared] } })] })).not.toThrow();
  });

  it('a Router route pointing nowhere, or no routes', () => {
    rejects(() => new Router({ name: 'r', evaluator: () => 'a', routes: { a: [] } }), 'Step "r"', 'route "a" points nowhere');
    rejects(() => new Router({ name: 'r', evaluator: () => 'a', routes: { a: undefined as never } }), 'route "a" points nowhere');
    rejects(() => new Router({ name: 'r', evaluator: () => 'a', routes: {} }), 'at least one route');
  });

  it('a Loop with maxIterations < 1 or without steps', () => {
    rejects(() => new Loop({ name: 'l', steps: [inc('x')], maxIterations: 0 }), 'Step "l"', 'maxIterations must be an integer ≥ 1');
    rejects(() => new Loop({ name: 'l', steps: [] }), 'Step "l"', 'at least one step');
  });

  it('bad step options, naming the step', () => {
    rejects(() => new Step({ name: 'r', executor: () => 1, maxRetries: -1 }), 'Step "r"', 'maxRetries');
    rejects(() => new Step({ name: 't', executor: () => 1, timeoutMs: 0 }), 'Step "t"', 'timeoutMs');
    rejects(() => new Step({ name: 'b', executor: () => 1, retryBackoff: { jitter: 2 } }), 'Step "b"', 'jitter');
    rejects(() => new Step({ name: 'none' }), 'Step "none"', 'exactly one of executor, agent, team or workflow');
    rejects(() => new Step({ name: 'two', executor: () => 1, agent: { name: 'a', run: async () => ({ content: 1 }) } }), 'executor and agent');
    rejects(() => new Step({ name: 'nested', workflow: new Workflow({ name: 'inner', steps: [inc('x')] }), maxRetries: 2 }), 'Step "nested"', 'inside a nested workflow');
  });

  it('names that would break step paths, anonymous functions, things that are not steps', () => {
    rejects(() => inc('a/b'), 'may not contain "/"');
    rejects(() => inc('#1'), 'start with "#"');
    rejects(() => inc(''), 'non-empty string');
    rejects(() => new Workflow({ name: 'w', steps: [(() => () => 1)()] }), 'anonymous function');
    rejects(() => new Workflow({ name: 'w', steps: [42 as never] }), 'number 42', 'not a step');
    rejects(() => new Workflow({ name: 'w', steps: [] }), 'at least one step');
    rejects(() => new Parallel(inc('a'), inc('b') as never), 'options object with a name');
    rejects(() => new Condition({ name: 'c', evaluator: 'yes' as never, steps: [inc('a')] }), 'Step "c"', 'evaluator');
  });

  it('workflow options', () => {
    rejects(() => new Workflow({ name: 'w', steps: [inc('a')], durability: 'always' as never }), "durability must be 'sync' or 'exit'");
    rejects(() => new Workflow({ name: 'w', steps: [inc('a')], eventsToSkip: ['StepBegan' as never] }), 'unknown event types StepBegan');
    rejects(() => new Workflow({ name: 'w', steps: [inc('a')], addWorkflowHistory: { lastRuns: 0 } }), 'addWorkflowHistory');
  });
});
