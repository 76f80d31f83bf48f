import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StepInput } from '../../../src/engine/index.js';
import { Parallel, Step, StepFailedError, Steps, Workflow } from '../../../src/engine/index.js';
import { inc, trace } from './helpers.js';

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Parallel', () => {
  it('runs branches concurrently and keeps every branch output, by name and in declared order', async () => {
    const started: string[] = [];
    const branch = (name: string, ms: number, content: string) => new Step({ name, executor: async () => { started.push(name); await sleepMs(ms); return content; } });
    const wf = new Workflow({
      name: 'fan_out',
      steps: [
        new Parallel(branch('validation', 20, 'valid'), branch('protocol_generation', 1, 'P-1'), { name: 'final_processing' }),
        new Step({ name: 'report', executor: (input: StepInput) => ({ all: input.previousStepContent, protocol: input.getStepContent('protocol_generation'), group: input.getStepContent('final_processing') }) }),
      ],
    });
    const result = await wf.run({ message: null });
    expect(started).toEqual(['validation', 'protocol_generation']); // both started before either finished
    const all = { validation: 'valid', protocol_generation: 'P-1' };
    expect(result.content).toEqual({ all, protocol: 'P-1', group: all });
    expect(Object.keys(result.stepResults[0]?.content as object)).toEqual(['validation', 'protocol_generation']);
    expect(result.stepResults[0]?.steps?.map((o) => o.stepName)).toEqual(['validation', 'protocol_generation']);
  });

  it('gives each branch an isolated copy of the state and merges in declared order, reporting shared keys', async () => {
    const writer = (name: string, ms: number, changes: Record<string, unknown>) => new Step({
      name,
      executor: async (input) => {
        await sleepMs(ms);
        expect(input.workflowSessionState).toEqual({ base: 1 }); // sees no sibling's change
        Object.assign(input.workflowSessionState, changes);
      },
    });
    const wf = new Workflow({
      name: 'merging', sessionState: { base: 1 },
      steps: [new Parallel(writer('first', 15, { shared: 'first', a: 1 }), writer('second', 1, { shared: 'second', b: 2 }), { name: 'par' })],
    });
    const result = await wf.run({ message: null });
    expect(result.sessionState).toEqual({ base: 1, shared: 'second', a: 1, b: 2 });
    const conflict = result.events.find((e) => e.type === 'ParallelStateConflict');
    expect(conflict?.data).toEqual({ key: 'shared', branches: ['first', 'second'], winner: 'second' });
  });

  it('emits its events around the branches', async () => {
    const wf = new Workflow({ name: 'par_events', steps: [new Parallel(inc('x'), new Steps({ name: 'y', steps: [inc('y1')] }), { name: 'p' })] });
    const result = await wf.run({ message: 0 });
    expect(trace(result.events)).toEqual([
      'WorkflowStarted', 'ParallelExecutionStarted@p', 'StepStarted@p/x', 'StepsExecutionStarted@p/y', 'StepStarted@p/y/y1',
      'StepCompleted@p/x', 'StepCompleted@p/y/y1', 'StepsExecutionCompleted@p/y', 'ParallelExecutionCompleted@p', 'WorkflowCompleted',
    ]);
  });

  it('fails with the first failing branch in declared order, after all branches have finished', async () => {
    let slowFinished = false;
    const wf = new Workflow({
      name: 'par_fail',
      steps: [new Parallel(
        new Step({ name: 'slow', executor: async () => { await sleepMs(10); slowFinished = true; } }),
        new Step({ name: 'bad_b', executor: async () => { await sleepMs(5); throw new Error('b'); } }),
        new Step({ name: 'bad_c', executor: () => { throw new Error('c'); } }),
        { name: 'p' },
      )],
    });
    const result = await wf.run({ message: null });
    expect(slowFinished).toBe(true);
    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(StepFailedError);
    expect(result.error).toMatchObject({ stepPath: 'p/bad_b' });
  });

  it('merges deterministically whatever order the branches finish in (property)', async () => {
    const keys = ['k1', 'k2', 'k3'];
    const branchArb = fc.record({ delay: fc.integer({ min: 0, max: 3 }), writes: fc.dictionary(fc.constantFrom(...keys), fc.integer({ min: 0, max: 9 })), deletes: fc.subarray(keys) });
    await fc.assert(
      fc.asyncProperty(fc.array(branchArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(3), { minLength: 5, maxLength: 5 }), async (branches, shuffle) => {
        const build = (delays: number[]) => new Workflow({
          name: 'prop', sessionState: { k1: -1, k2: -2 },
          steps: [new Parallel(
            ...branches.map((branch, i) => new Step({
              name: `b${i}`,
              executor: async (input) => {
                await sleepMs(delays[i] ?? 0);
                for (const key of branch.deletes) delete input.workflowSessionState[key];
                Object.assign(input.workflowSessionState, branch.writes);
                return i;
              },
            })),
            { name: 'p' },
          )],
        });
        const inOrder = await build(branches.map((_, i) => i)).run({ message: null });
        const shuffled = await build(branches.map((b, i) => (b.delay + (shuffle[i] ?? 0)) % 4)).run({ message: null });
        // Reference merge: apply each branch's own changes in declared order.
        const expected: Record<string, unknown> = { k1: -1, k2: -2 };
        for (const branch of branches) {
          const copy: Record<string, unknown> = { k1: -1, k2: -2 };
          for (const key of branch.deletes) delete copy[key];
          Object.assign(copy, branch.writes);
          for (const key of keys) {
            const before = ({ k1: -1, k2: -2 } as Record<string, unknown>)[key];
            if (!(key in copy) && before !== undefined) delete expected[key];
            else if (key in copy && copy[key] !== before) expected[key] = copy[key];
          }
        }
        expect(shuffled.sessionState).toEqual(inOrder.sessionState);
        expect(inOrder.sessionState).toEqual(expected);
        expect(shuffled.content).toEqual(inOrder.content);
        expect(Object.keys(shuffled.content as object)).toEqual(branches.map((_, i) => `b${i}`));
      }),
      { numRuns: 40 },
    );
  });
});
