import { describe, expect, it } from 'vitest';
import { Condition, Loop, Router, Step, UnknownRouteError, Workflow } from '../../../src/engine/index.js';
import { inc, trace } from './helpers.js';

describe('Condition', () => {
  it('runs its steps when the evaluator says yes', async () => {
    const wf = new Workflow({ name: 'cond_yes', steps: [inc('a'), new Condition({ name: 'big', evaluator: (input) => (input.previousStepContent as number) > 0, steps: [inc('b')] })] });
    const result = await wf.run({ message: 0 });
    expect(result.content).toBe(2);
    expect(trace(result.events)).toEqual([
      'WorkflowStarted', 'StepStarted@a', 'StepCompleted@a', 'ConditionExecutionStarted@big', 'StepStarted@big/b', 'StepCompleted@big/b',
      'ConditionExecutionCompleted@big', 'WorkflowCompleted',
    ]);
  });

  it('skips its steps when the evaluator says no, and the previous content flows on', async () => {
    const wf = new Workflow({ name: 'cond_no', steps: [inc('a'), new Condition({ name: 'never', evaluator: false, steps: [inc('b')] }), inc('c')] });
    const result = await wf.run({ message: 0 });
    expect(result.content).toBe(2);
    expect(result.events.find((e) => e.type === 'ConditionExecutionCompleted')?.data).toEqual({ result: false });
    expect(result.stepResults.map((o) => o.stepName)).toEqual(['a', 'c']);
  });

  it('a failing evaluator fails the run naming the condition', async () => {
    const wf = new Workflow({ name: 'cond_err', steps: [new Condition({ name: 'gate', evaluator: () => { throw new Error('model down'); }, steps: [inc('b')] })] });
    const result = await wf.run({ message: 0 });
    expect(result.error).toMatchObject({ code: 'STEP_FAILED', stepPath: 'gate', cause: { message: 'model down' } });
  });
});

describe('Router', () => {
  const routes = { tech_path: [inc('tech')], business_path: [new Step({ name: 'biz', executor: () => 'biz' }), new Step({ name: 'biz2', executor: (i) => `${String(i.previousStepContent)}!` })] };

  it('runs the chosen route under router/route/step', async () => {
    const wf = new Workflow({ name: 'routed', steps: [new Router({ name: 'topic', evaluator: (input) => (input.message === 'money' ? 'business_path' : 'tech_path'), routes })] });
    const result = await wf.run({ message: 'money' });
    expect(result.content).toBe('biz!');
    expect(trace(result.events)).toEqual([
      'WorkflowStarted', 'RouterExecutionStarted@topic', 'StepStarted@topic/business_path/biz', 'StepCompleted@topic/business_path/biz',
      'StepStarted@topic/business_path/biz2', 'StepCompleted@topic/business_path/biz2', 'RouterExecutionCompleted@topic', 'WorkflowCompleted',
    ]);
  });

  it('accepts one of the routes steps returned by the evaluator', async () => {
    const tech = inc('tech');
    const wf = new Workflow({ name: 'by_step', steps: [new Router({ name: 'r', evaluator: () => tech, routes: { a: tech, b: inc('other') } })] });
    expect((await wf.run({ message: 1 })).content).toBe(2);
  });

  it('an unknown route key ends the run with an error naming the valid keys', async () => {
    const wf = new Workflow({ name: 'lost', steps: [new Router({ name: 'topic', evaluator: () => 'sports_path', routes })] });
    const result = await wf.run({ message: null });
    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(UnknownRouteError);
    expect(result.error?.message).toContain('"sports_path"');
    expect(result.error?.message).toContain('"tech_path", "business_path"');
  });
});

describe('Loop', () => {
  it('stops when the exit condition is met, with iteration paths loop/#n/step', async () => {
    const seen: number[][] = [];
    const wf = new Workflow({
      name: 'looping',
      steps: [new Loop({ name: 'research', steps: [inc('deep')], maxIterations: 10, exitCondition: (outputs) => { seen.push(outputs.map((o) => o.content as number)); return (outputs[0]?.content as number) >= 3; } })],
    });
    const result = await wf.run({ message: 0 });
    expect(result.content).toBe(3);
    expect(seen).toEqual([[1], [2], [3]]);
    expect(trace(result.events)).toEqual([
      'WorkflowStarted', 'LoopExecutionStarted@research',
      'LoopIterationStarted@research', 'StepStarted@research/#1/deep', 'StepCompleted@research/#1/deep', 'LoopIterationCompleted@research',
      'LoopIterationStarted@research', 'StepStarted@research/#2/deep', 'StepCompleted@research/#2/deep', 'LoopIterationCompleted@research',
      'LoopIterationStarted@research', 'StepStarted@research/#3/deep', 'StepCompleted@research/#3/deep', 'LoopIterationCompleted@research',
      'LoopExecutionCompleted@research', 'WorkflowCompleted',
    ]);
    expect(result.stepResults[0]?.steps?.length).toBe(3); // every iteration's output kept
  });

  it('stops at maxIterations (default 3) when the condition never holds', async () => {
    const wf = new Workflow({ name: 'capped_loop', steps: [new Loop({ name: 'l', steps: [inc('x')], exitCondition: () => false })] });
    const result = await wf.run({ message: 0 });
    expect(result.content).toBe(3);
    expect(result.events.find((e) => e.type === 'LoopExecutionCompleted')?.data).toEqual({ iterations: 3 });
  });
});
