import { describe, expect, it } from 'vitest';
import type { Storage } from '../../../src/engine/index.js';
import { MemoryStorage, Parallel, RunNotFoundError, RunNotPausedError, Step, UnknownStepError, Workflow, WorkflowMismatchError } from '../../../src/engine/index.js';
import { ExecutionCounter, processView } from './helpers.js';

function approvalWorkflow(storage: Storage, counter: ExecutionCounter): Workflow {
  const counted = (name: string, run: (input: Parameters<NonNullable<ConstructorParameters<typeof Step>[0]['executor']>>[0]) => unknown) =>
    new Step({ name, executor: (input) => { counter.hit(input); return run(input); } });
  return new Workflow({
    name: 'refund', storage,
    steps: [
      counted('ask', (input) => { input.workflowSessionState.asked = true; return 'refund R$ 50?'; }),
      counted('approval', (input) => {
        const decision = input.resumeData as { by: string } | undefined;
        if (decision === undefined) input.pause('a supervisor must approve refunds', { resumeKey: 'refund-42' });
        input.workflowSessionState.approvedBy = decision?.by;
        return `approved by ${decision?.by}`;
      }),
      counted('notify', (input) => `${String(input.previousStepContent)}, customer notified`),
    ],
  });
}

describe('pause for a human', () => {
  it('pauses with a reason and resume key, and resumes in another process with the data', async () => {
    const shared = new MemoryStorage();
    const counter = new ExecutionCounter();
    const paused = await approvalWorkflow(processView(shared), counter).run({ message: 'I want my money back', sessionId: 'c1' });
    expect(paused.status).toBe('paused');
    expect(paused.pause).toEqual({ stepPath: 'approval', reason: 'a supervisor must approve refunds', resumeKey: 'refund-42' });
    expect(paused.events.at(-1)?.type).toBe('WorkflowPaused');
    expect(await shared.getRun(paused.runId)).toMatchObject({ status: 'paused', pause: { resumeKey: 'refund-42' } });

    const otherProcess = approvalWorkflow(processView(shared), counter);
    const resumed = await otherProcess.resume(paused.runId, { by: 'Bia' });
    expect(resumed.status).toBe('completed');
    expect(resumed.content).toBe('approved by Bia, customer notified');
    expect(resumed.sessionState).toEqual({ asked: true, approvedBy: 'Bia' });
    expect(counter.of('ask')).toBe(1);
    expect(counter.of('approval')).toBe(2);
    expect(counter.of('notify')).toBe(1);
  });

  it('refuses to resume a run that is not paused, unknown, or of another workflow', async () => {
    const storage = new MemoryStorage();
    const wf = approvalWorkflow(storage, new ExecutionCounter());
    const paused = await wf.run({ message: 'x' });
    await wf.resume(paused.runId, { by: 'Caio' });
    await expect(wf.resume(paused.runId, { by: 'again' })).rejects.toBeInstanceOf(RunNotPausedError);
    await expect(wf.resume('no-such-run')).rejects.toBeInstanceOf(RunNotFoundError);
    const other = new Workflow({ name: 'other', storage, steps: [new Step({ name: 's', executor: () => 1 })] });
    await expect(other.resume(paused.runId)).rejects.toBeInstanceOf(WorkflowMismatchError);
  });

  it('a pause inside a Parallel keeps the finished branch: it does not run again on resume', async () => {
    const counter = new ExecutionCounter();
    const wf = new Workflow({
      name: 'par_pause',
      steps: [new Parallel(
        new Step({ name: 'lookup', executor: (input) => { counter.hit(input); return 'found'; } }),
        new Step({ name: 'confirm', executor: (input) => { counter.hit(input); return input.resumeData ?? input.pause('confirm the address'); } }),
        { name: 'p' },
      )],
    });
    const paused = await wf.run({ message: null });
    expect(paused.pause?.stepPath).toBe('p/confirm');
    const result = await wf.resume(paused.runId, 'Rua A, 1');
    expect(result.content).toEqual({ lookup: 'found', confirm: 'Rua A, 1' });
    expect(counter.of('p/lookup')).toBe(1);
    expect(counter.of('p/confirm')).toBe(2);
  });
});

describe('rerun', () => {
  function counted(storage: Storage, counter: ExecutionCounter): Workflow {
    const step = (name: string) => new Step({ name, executor: (input) => { counter.hit(input); input.workflowSessionState[name] = (input.workflowSessionState[name] as number | undefined ?? 0) + 1; return `${String(input.previousStepContent ?? input.message)}>${name}`; } });
    return new Workflow({ name: 'typify', storage, steps: [step('unit'), step('product'), step('motive')] });
  }

  it('fromStep reuses the earlier steps and runs the rest again, as a new linked run', async () => {
    const storage = new MemoryStorage();
    const counter = new ExecutionCounter();
    const wf = counted(storage, counter);
    const first = await wf.run({ message: 'msg', sessionId: 'c' });
    const again = await wf.rerun(first.runId, { fromStep: 'product' });
    expect(again.runId).not.toBe(first.runId);
    expect(again.content).toBe('msg>unit>product>motive');
    expect(counter.of('unit')).toBe(1);
    expect(counter.of('product')).toBe(2);
    expect(counter.of('motive')).toBe(2);
    expect(again.sessionState).toEqual({ unit: 1, product: 1, motive: 1 }); // replayed from the original's initial state
    expect(await wf.getRun(again.runId)).toMatchObject({ parentRunId: first.runId, rerunFromStep: 'product', status: 'completed' });
    expect((await storage.getStepResults(again.runId)).map((r) => r.stepPath).sort()).toEqual(['motive', 'product', 'unit']);
    expect((await wf.listRuns({ parentRunId: first.runId })).runs.map((r) => r.runId)).toEqual([again.runId]);
  });

  it('steps of a rerun (and of a rerun of a rerun) see the original run as rootRunId', async () => {
    const roots: string[] = [];
    const wf = new Workflow({ name: 'rooted', steps: [new Step({ name: 's', executor: (input) => { roots.push(input.rootRunId); } })] });
    const first = await wf.run({ message: null });
    const second = await wf.rerun(first.runId);
    await wf.rerun(second.runId);
    expect(roots).toEqual([first.runId, first.runId, first.runId]);
  });

  it('without fromStep everything runs again', async () => {
    const counter = new ExecutionCounter();
    const wf = counted(new MemoryStorage(), counter);
    const first = await wf.run({ message: 'm' });
    await wf.rerun(first.runId);
    expect(counter.repeated().sort()).toEqual(['motive', 'product', 'unit']);
  });

  it('an unknown step name is an error listing the valid ones', async () => {
    const wf = counted(new MemoryStorage(), new ExecutionCounter());
    const first = await wf.run({ message: 'm' });
    const error = await wf.rerun(first.runId, { fromStep: 'submotive' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownStepError);
    expect((error as Error).message).toBe('Workflow "typify" has no top-level step "submotive". Valid steps: "unit", "product", "motive".');
  });
});
