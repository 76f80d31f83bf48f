import { describe, expect, it } from 'vitest';
import type { StepAgent, StepInput, WorkflowEvent } from '../../../src/engine/index.js';
import { MemoryStorage, Step, StepOutput, Workflow } from '../../../src/engine/index.js';
import { inc, trace } from './helpers.js';

describe('Workflow.run', () => {
  it('runs function steps in order and returns the last content, every step output and metrics', async () => {
    const wf = new Workflow({ name: 'count', steps: [inc('a'), inc('b'), inc('c')] });
    const result = await wf.run({ message: 10 });
    expect(result.status).toBe('completed');
    expect(result.content).toBe(13);
    expect(result.stepResults.map((o) => [o.stepName, o.content])).toEqual([['a', 11], ['b', 12], ['c', 13]]);
    expect(result.metrics.stepsExecuted).toBe(3);
    expect(result.runId).toMatch(/[0-9a-f-]{36}/);
  });

  it('accepts named functions, agents, teams and StepOutput results directly in the steps list', async () => {
    const seen: string[] = [];
    const agent: StepAgent = {
      name: 'echo_agent',
      run: async (input) => {
        seen.push(input);
        return { content: `agent saw ${input}`, metrics: { tokens: 3 } };
      },
    };
    function first(input: StepInput) {
      return new StepOutput({ content: { greeting: `hi ${String(input.message)}` } });
    }
    const wf = new Workflow({ name: 'mixed', steps: [first, agent, new Step({ name: 'team_step', team: { name: 'team', run: async (text) => ({ content: text.length }) } })] });
    const result = await wf.run({ message: 'ana' });
    expect(seen).toEqual(['{"greeting":"hi ana"}']); // non-string content reaches the agent as JSON
    expect(result.stepResults[1]?.metrics).toEqual({ tokens: 3 });
    expect(result.content).toBe('agent saw {"greeting":"hi ana"}'.length);
    expect(result.stepResults.map((o) => o.stepType)).toEqual(['function', 'agent', 'team']);
  });

  it('gives steps the StepInput of the guide', async () => {
    let captured: Record<string, unknown> = {};
    const wf = new Workflow({
      name: 'inputs',
      steps: [
        new Step({ name: 'classify', executor: () => ({ unit: 'cards' }) }),
        new Step({
          name: 'inspect',
          executor: (input) => {
            captured = {
              message: input.message, previous: input.previousStepContent, byName: input.getStepContent('classify'),
              outputs: Object.keys(input.previousStepOutputs), additionalData: input.additionalData, media: input.media,
              runId: input.runId, sessionId: input.sessionId, userId: input.userId, path: input.stepPath, attempt: input.attempt,
              signal: input.signal instanceof AbortSignal, history: input.workflowHistory,
            };
          },
        }),
      ],
    });
    const result = await wf.run({ message: 'oi', sessionId: 'conv-1', userId: 'u1', additionalData: { channel: 'meta' }, media: [{ kind: 'image' }] });
    expect(captured).toEqual({
      message: 'oi', previous: { unit: 'cards' }, byName: { unit: 'cards' }, outputs: ['classify'], additionalData: { channel: 'meta' },
      media: [{ kind: 'image' }], runId: result.runId, sessionId: 'conv-1', userId: 'u1', path: 'inspect', attempt: 1, signal: true, history: [],
    });
  });

  it('rejects bad run options with a clear error', async () => {
    const wf = new Workflow({ name: 'opts', steps: [inc('a')] });
    await expect(wf.run(null as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(wf.run({ message: 1, sessionId: '' })).rejects.toThrow(/sessionId must be a non-empty string/);
    await expect(wf.run({ message: 1, media: 'x' as never })).rejects.toThrow(/media must be an array/);
  });

  it('stores the run so getRun reads it, with its input and final content', async () => {
    const wf = new Workflow({ name: 'stored', steps: [inc('a')] });
    const result = await wf.run({ message: 1, userId: 'u9' });
    const record = await wf.getRun(result.runId);
    expect(record).toMatchObject({ runId: result.runId, workflowName: 'stored', status: 'completed', content: 2, input: { message: 1, userId: 'u9' } });
    expect(record?.leaseOwner).toBeUndefined();
  });
});

describe('Workflow.start and stream', () => {
  it('start returns the run id at once; getRun sees the run while it executes', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const wf = new Workflow({ name: 'bg', steps: [new Step({ name: 'wait', executor: async () => { await gate; return 'done'; } })] });
    const handle = wf.start({ message: null });
    expect((await wf.getRun(handle.runId))?.status).toBe('running');
    release();
    expect((await handle.result).content).toBe('done');
    expect((await wf.getRun(handle.runId))?.status).toBe('completed');
  });

  it('stream yields only workflow events by default, and every event with streamIntermediateSteps', async () => {
    const wf = new Workflow({ name: 'streamed', steps: [inc('a'), inc('b')] });
    const quiet: WorkflowEvent[] = [];
    for await (const event of wf.stream({ message: 0 })) quiet.push(event);
    expect(trace(quiet)).toEqual(['WorkflowStarted', 'WorkflowCompleted']);

    const stream = wf.stream({ message: 0, streamIntermediateSteps: true });
    const all: WorkflowEvent[] = [];
    for await (const event of stream) all.push(event);
    expect(trace(all)).toEqual(['WorkflowStarted', 'StepStarted@a', 'StepCompleted@a', 'StepStarted@b', 'StepCompleted@b', 'WorkflowCompleted']);
    expect(all.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await stream.result).content).toBe(2);
  });

  it('a reader that stops reading cancels the run', async () => {
    const wf = new Workflow({ name: 'abandoned', steps: [inc('a'), new Step({ name: 'slow', executor: (input) => new Promise((_, reject) => input.signal.addEventListener('abort', () => reject(new Error('aborted')))) })] });
    const stream = wf.stream({ message: 0, streamIntermediateSteps: true });
    for await (const event of stream) {
      if (event.type === 'StepStarted' && event.stepPath === 'slow') break;
    }
    expect((await stream.result).status).toBe('cancelled');
  });

  it('keeps events in storage only with storeEvents, minus eventsToSkip', async () => {
    const storage = new MemoryStorage();
    const plain = new Workflow({ name: 'no_events', storage, steps: [inc('a')] });
    const stored = new Workflow({ name: 'events', storage, storeEvents: true, eventsToSkip: ['StepStarted'], steps: [inc('a')] });
    const r1 = await plain.run({ message: 0 });
    const r2 = await stored.run({ message: 0 });
    expect(await storage.getEvents(r1.runId)).toEqual([]);
    expect((await storage.getEvents(r2.runId)).map((e) => e.type)).toEqual(['WorkflowStarted', 'StepCompleted', 'WorkflowCompleted']);
    expect(trace(r2.events)).toEqual(['WorkflowStarted', 'StepCompleted@a', 'WorkflowCompleted']);
  });
});
