import { describe, expect, it } from 'vitest';
import { MemoryStorage, RunCancelledError, StaleSessionStateError, Step, Workflow } from '../../../src/engine/index.js';
import { ManualClock, inc, trace } from './helpers.js';

/** A step that waits until its signal aborts (or forever if it never does). */
const waitForAbort = (seen: { reason?: unknown }) => new Step({
  name: 'waiting',
  executor: (input) => new Promise((_, reject) => input.signal.addEventListener('abort', () => {
    seen.reason = input.signal.reason;
    reject(new Error('stopped by signal'));
  })),
});

describe('cancellation', () => {
  it('run.cancel() ends the run as cancelled and the step receives the signal', async () => {
    const seen: { reason?: unknown } = {};
    const wf = new Workflow({ name: 'cancellable', steps: [inc('a'), waitForAbort(seen), inc('never')] });
    const handle = wf.start({ message: 0 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    handle.cancel('customer left');
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(result.error).toBeInstanceOf(RunCancelledError);
    expect(result.error?.message).toContain('customer left');
    expect(seen.reason).toBeInstanceOf(RunCancelledError);
    expect(trace(result.events).at(-1)).toBe('WorkflowCancelled');
    expect((await wf.getRun(handle.runId))?.status).toBe('cancelled');
  });

  it('an AbortSignal passed to run() cancels it, even when the step ignores its signal', async () => {
    const controller = new AbortController();
    const wf = new Workflow({ name: 'signalled', steps: [new Step({ name: 'deaf', executor: () => new Promise(() => {}) })] });
    const running = wf.run({ message: 0, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutdown')), 5);
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.error?.cause).toMatchObject({ message: 'shutdown' });
  });

  it('wf.cancel(runId) cancels a run waiting for a retry', async () => {
    const clock = new ManualClock();
    const wf = new Workflow({ name: 'retry_cancel', clock, steps: [new Step({ name: 'flaky', maxRetries: 5, retryBackoff: 60_000, executor: () => { throw new Error('down'); } })] });
    const handle = wf.start({ message: 0 });
    await clock.advance(0);
    expect(wf.cancel(handle.runId)).toBe(true);
    expect((await handle.result).status).toBe('cancelled');
    expect(wf.cancel(handle.runId)).toBe(false); // no longer executing
  });

  it('a run cancelled before it starts never executes a step', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const wf = new Workflow({ name: 'pre_cancelled', steps: [new Step({ name: 's', executor: () => { ran = true; } })] });
    expect((await wf.run({ message: 0, signal: controller.signal })).status).toBe('cancelled');
    expect(ran).toBe(false);
  });
});

describe('session state', () => {
  const counter = new Step({ name: 'count', executor: async (input) => {
    const before = (input.workflowSessionState.count as number | undefined) ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 2)); // another run of the session would interleave here
    input.workflowSessionState.count = before + 1;
    return before + 1;
  } });

  it('persists per session across runs and starts new sessions from sessionState', async () => {
    const wf = new Workflow({ name: 'stateful', sessionState: { count: 10 }, steps: [counter] });
    expect((await wf.run({ message: null, sessionId: 's1' })).content).toBe(11);
    expect((await wf.run({ message: null, sessionId: 's1' })).content).toBe(12);
    expect((await wf.run({ message: null, sessionId: 's2' })).content).toBe(11);
  });

  it('serializes runs of one session so no update is lost', async () => {
    const storage = new MemoryStorage();
    const wf = new Workflow({ name: 'serialized', storage, steps: [counter] });
    const results = await Promise.all(Array.from({ length: 5 }, () => wf.run({ message: null, sessionId: 'busy' })));
    expect(results.map((r) => r.content).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await storage.getSession('busy'))?.state).toEqual({ count: 5 });
  });

  it('detects a stale session write from another writer instead of losing it', async () => {
    const storage = new MemoryStorage();
    const wf = new Workflow({
      name: 'stale', storage,
      steps: [new Step({ name: 'meanwhile', executor: async (input) => {
        // Another process writes the session while this run is in flight.
        const current = await storage.getSession('shared');
        await storage.saveSession('shared', { other: true }, current?.version ?? 0, Date.now());
        input.workflowSessionState.mine = true;
      } })],
    });
    const result = await wf.run({ message: null, sessionId: 'shared' });
    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(StaleSessionStateError);
    expect((await storage.getSession('shared'))?.state).toEqual({ other: true });
  });
});

describe('workflow history', () => {
  it('gives steps the earlier runs of the session (addWorkflowHistory on the workflow)', async () => {
    const clock = new ManualClock();
    const wf = new Workflow({ name: 'chat', clock, addWorkflowHistory: { lastRuns: 2 }, steps: [new Step({ name: 'reply', executor: (input) => input.workflowHistory.map((h) => `${String(h.input)}→${String(h.content)}`) })] });
    for (const [message, sessionId] of [['a', 'c'], ['b', 'c'], ['other session', 'd']]) {
      await wf.run({ message, sessionId });
      await clock.advance(1000);
    }
    const result = await wf.run({ message: 'c', sessionId: 'c' });
    expect(result.content).toEqual(['a→', 'b→a→']);
  });

  it('only the step that asks for history sees it', async () => {
    const wf = new Workflow({
      name: 'step_history',
      steps: [
        new Step({ name: 'plain', executor: (input) => input.workflowHistory.length }),
        new Step({ name: 'aware', addWorkflowHistory: true, executor: (input) => input.workflowHistory.length }),
      ],
    });
    await wf.run({ message: 1, sessionId: 'h' });
    const result = await wf.run({ message: 2, sessionId: 'h' });
    expect(result.stepResults.map((o) => o.content)).toEqual([0, 1]);
  });
});
