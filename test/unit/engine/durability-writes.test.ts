import { describe, expect, it, vi } from 'vitest';
import type { StepCommit } from '../../../src/engine/index.js';
import { Engine, MemoryStorage, Parallel, Step, Workflow } from '../../../src/engine/index.js';
import { ExecutionCounter, ManualClock, inc, never, processView } from './helpers.js';

describe("durability: 'sync'", () => {
  it('commits each completed step once, with its state change and the session on the main line', async () => {
    const storage = new MemoryStorage();
    const commits: StepCommit[] = [];
    const commitStep = storage.commitStep.bind(storage);
    storage.commitStep = (commit) => {
      commits.push(structuredClone(commit)); // what was written at that moment
      return commitStep(commit);
    };
    const wf = new Workflow({
      name: 'sync', storage, sessionId: 's',
      steps: [
        new Step({ name: 'set', executor: (input) => { input.workflowSessionState.unit = 'cards'; } }),
        new Parallel(new Step({ name: 'b1', executor: (input) => { input.workflowSessionState.b1 = 1; } }), inc('b2'), { name: 'p' }),
        new Step({ name: 'read_only', executor: () => 'no change' }),
      ],
    });
    await wf.run({ message: 0 });
    const calls = commits.map((commit) => ({ path: commit.step.stepPath, delta: commit.step.stateDelta, session: commit.session?.state }));
    expect(calls).toEqual([
      { path: 'set', delta: { set: { unit: 'cards' }, deleted: [] }, session: { unit: 'cards' } },
      { path: 'p/b1', delta: { set: { b1: 1 }, deleted: [] }, session: undefined }, // a branch: no session write
      { path: 'p/b2', delta: null, session: undefined },
      { path: 'p', delta: { set: { b1: 1 }, deleted: [] }, session: { unit: 'cards', b1: 1 } }, // the merge
      { path: 'read_only', delta: null, session: undefined }, // nothing changed: the session is not rewritten
    ]);
  });
});

describe("durability: 'exit'", () => {
  it('writes nothing per step: one finishRun carries every step record and the session', async () => {
    const storage = new MemoryStorage();
    const commits = vi.spyOn(storage, 'commitStep');
    const finishes = vi.spyOn(storage, 'finishRun');
    const wf = new Workflow({ name: 'throwaway', storage, durability: 'exit', steps: [inc('a'), new Step({ name: 'b', executor: (input) => { input.workflowSessionState.seen = true; return 'b'; } })] });
    const result = await wf.run({ message: 0, sessionId: 'x' });
    expect(commits).not.toHaveBeenCalled();
    expect(finishes).toHaveBeenCalledTimes(1);
    expect(finishes.mock.calls[0]?.[0].steps?.map((s) => s.stepPath)).toEqual(['a', 'b']);
    expect((await storage.getSession('x'))?.state).toEqual({ seen: true });
    expect((await storage.getStepResults(result.runId)).length).toBe(2);
  });
});

describe('outbox', () => {
  it('stages messages with the step and writes them in the same commit, with idempotency keys', async () => {
    const storage = new MemoryStorage();
    const commits = vi.spyOn(storage, 'commitStep');
    const wf = new Workflow({
      name: 'alerts', storage,
      steps: [new Step({ name: 'notify', executor: (input) => {
        input.outbox.enqueue('whatsapp.alert', { to: 'agents', text: 'customer waiting' });
        input.outbox.enqueue('whatsapp.alert', { to: 'supervisor' });
        input.outbox.enqueue('email', { to: 'x' }, { key: 'custom-key' });
      } })],
    });
    const result = await wf.run({ message: null });
    expect(commits.mock.calls[0]?.[0].outbox?.map((m) => m.key)).toEqual([`${result.runId}/notify`, `${result.runId}/notify#2`, 'custom-key']);
    expect((await storage.listOutbox({ runId: result.runId })).map((m) => m.topic)).toEqual(['whatsapp.alert', 'whatsapp.alert', 'email']);
  });

  it('drops what a failed attempt staged, and a resumed run never stages a completed step again', async () => {
    const shared = new MemoryStorage();
    const counter = new ExecutionCounter();
    let hang = true;
    const build = () => new Workflow({
      name: 'outboxed',
      steps: [
        new Step({ name: 'alert', maxRetries: 1, retryBackoff: 0, executor: (input) => {
          counter.hit(input);
          input.outbox.enqueue('whatsapp.alert', { attempt: input.attempt });
          if (input.attempt === 1) throw new Error('first attempt fails');
        } }),
        new Step({ name: 'wait', executor: (input) => { counter.hit(input); return hang ? never() : 'done'; } }),
      ],
    });
    const clockA = new ManualClock();
    const processA = new Engine({ storage: processView(shared), workflows: [build()], clock: clockA, owner: 'a', recoverEveryMs: 0 });
    const { runId } = processA.workflow('outboxed').start({ message: null });
    for (let i = 0; i < 20 && counter.of('wait') === 0; i++) await clockA.advance(0); // lets the retry's 0 ms backoff pass
    expect(counter.of('wait')).toBe(1); // then process A dies while "wait" is in flight
    hang = false;
    const processB = new Engine({ storage: processView(shared), workflows: [build()], clock: new ManualClock(clockA.now() + 60_000), owner: 'b', recoverEveryMs: 0 });
    const [recovered] = (await processB.recover()).resumed;
    expect((await recovered!.result).content).toBe('done');
    expect(counter.of('alert')).toBe(2); // two attempts in process A, none after the resume
    expect((await shared.listOutbox({ runId })).map((m) => m.payload)).toEqual([{ attempt: 2 }]);
  });
});

describe('a run without a session id', () => {
  it('reads no session (its session is named after its new run id, so none is stored) and stores its state under that id', async () => {
    const storage = new MemoryStorage();
    const reads = vi.spyOn(storage, 'getSession');
    const wf = new Workflow({ name: 'one_off', storage, steps: [new Step({ name: 'note', executor: (input) => { input.workflowSessionState.noted = true; } })] });
    const result = await wf.run({ message: 'hi' });
    expect(result.status).toBe('completed');
    expect(reads).not.toHaveBeenCalled();
    expect(result.sessionId).toBe(result.runId);
    expect((await storage.getSession(result.runId))?.state).toEqual({ noted: true });
  });

  it('still reads the session when the caller names the run (a chosen id may name stored state)', async () => {
    const storage = new MemoryStorage();
    await storage.saveSession('chosen-run', { carried: 1 }, 0, 0);
    const wf = new Workflow({ name: 'named', storage, steps: [new Step({ name: 'read', executor: (input) => input.workflowSessionState.carried })] });
    const result = await wf.run({ message: 'hi', runId: 'chosen-run' });
    expect(result.content).toBe(1);
  });
});
