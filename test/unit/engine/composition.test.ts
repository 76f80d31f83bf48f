import { describe, expect, it } from 'vitest';
import { Loop, MemoryStorage, Parallel, Step, StepOutput, Steps, Workflow } from '../../../src/engine/index.js';
import { inc, trace } from './helpers.js';

describe('Steps (a named group)', () => {
  it('runs its steps in order under group/step and emits StepsExecution events', async () => {
    const wf = new Workflow({ name: 'grouped', steps: [new Steps({ name: 'prep', steps: [inc('one'), inc('two')] }), inc('after')] });
    const result = await wf.run({ message: 0 });
    expect(result.content).toBe(3);
    expect(trace(result.events)).toEqual([
      'WorkflowStarted', 'StepsExecutionStarted@prep', 'StepStarted@prep/one', 'StepCompleted@prep/one', 'StepStarted@prep/two',
      'StepCompleted@prep/two', 'StepsExecutionCompleted@prep', 'StepStarted@after', 'StepCompleted@after', 'WorkflowCompleted',
    ]);
  });
});

describe('a Workflow as a step', () => {
  it('shares the run and the session state; its steps are prefixed by its name', async () => {
    const inner = new Workflow({
      name: 'handoff',
      steps: [new Step({ name: 'protocol', executor: (input) => { input.workflowSessionState.protocol = `P-${String(input.workflowSessionState.unit)}`; return 'protocol made'; } })],
    });
    const storage = new MemoryStorage();
    const outer = new Workflow({
      name: 'typification', storage, sessionId: 'conv-7',
      steps: [
        new Step({ name: 'classify', executor: (input) => { input.workflowSessionState.unit = 'cards'; } }),
        inner,
        new Step({ name: 'reply', executor: (input) => `${String(input.previousStepContent)}: ${String(input.workflowSessionState.protocol)}` }),
      ],
    });
    const result = await outer.run({ message: null });
    expect(result.content).toBe('protocol made: P-cards');
    expect(trace(result.events)).toContain('StepCompleted@handoff/protocol');
    expect((await storage.getSession('conv-7'))?.state).toEqual({ unit: 'cards', protocol: 'P-cards' });
    expect((await storage.getStepResults(result.runId)).map((r) => r.stepPath)).toEqual(['classify', 'handoff/protocol', 'reply']);
  });
});

describe('stop', () => {
  it('a step returning stop ends the workflow early with status completed and its content', async () => {
    const wf = new Workflow({ name: 'stopping', steps: [inc('a'), new Step({ name: 'gate', executor: () => new StepOutput({ content: 'enough', stop: true }) }), inc('never')] });
    const result = await wf.run({ message: 0 });
    expect(result.status).toBe('completed');
    expect(result.content).toBe('enough');
    expect(result.stepResults.map((o) => o.stepName)).toEqual(['a', 'gate']);
    expect(result.events.at(-1)?.data).toMatchObject({ stoppedEarly: true });
  });

  it('stops from inside a Loop and a Parallel too', async () => {
    const stopAt2 = new Step({ name: 'check', executor: (input) => new StepOutput({ content: input.previousStepContent, stop: input.previousStepContent === 2 }) });
    const looped = new Workflow({ name: 'stop_loop', steps: [new Loop({ name: 'l', maxIterations: 10, steps: [inc('x'), stopAt2] }), inc('never')] });
    expect((await looped.run({ message: 0 })).content).toBe(2);
    const parallel = new Workflow({ name: 'stop_par', steps: [new Parallel(new Step({ name: 's', executor: () => new StepOutput({ content: 'halt', stop: true }) }), inc('y'), { name: 'p' }), inc('never')] });
    const result = await parallel.run({ message: 0 });
    expect(result.content).toBe('halt');
    expect(result.stepResults.map((o) => o.stepName)).toEqual(['p']);
  });
});
