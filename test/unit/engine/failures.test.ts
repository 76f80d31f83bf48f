import { afterEach, describe, expect, it, vi } from 'vitest';
import { Step, StepFailedError, StepOutput, StepTimeoutError, Workflow } from '../../../src/engine/index.js';
import { ManualClock, inc, trace } from './helpers.js';

describe('retries', () => {
  it('retries maxRetries times with exponential backoff and jitter on the injected clock, then succeeds', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const flaky = new Step({
      name: 'flaky', maxRetries: 3, retryBackoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0.5 },
      executor: (input) => {
        attempts++;
        if (input.attempt < 4) throw new Error(`boom ${input.attempt}`);
        return 'ok';
      },
    });
    // random() = 1 → +50 % jitter, 0 → −50 %, 0.5 → none
    const randoms = [1, 0, 0.5];
    const wf = new Workflow({ name: 'retrying', clock, random: () => randoms.shift() ?? 0.5, steps: [flaky] });
    const running = wf.run({ message: null });
    await clock.advance(0);
    expect(clock.pendingDelays()).toEqual([150]); // 100 × 1.5
    await clock.advance(150);
    expect(clock.pendingDelays()).toEqual([100]); // 200 × 0.5
    await clock.advance(100);
    expect(clock.pendingDelays()).toEqual([400]); // 400, no jitter
    await clock.advance(400);
    const result = await running;
    expect(result.status).toBe('completed');
    expect(attempts).toBe(4);
    const retries = result.events.filter((e) => e.type === 'StepRetry');
    expect(retries.map((e) => e.data)).toMatchObject([{ attempt: 1, delayMs: 150 }, { attempt: 2, delayMs: 100 }, { attempt: 3, delayMs: 400 }]);
  });

  it('caps the backoff at maxMs', async () => {
    const clock = new ManualClock();
    const wf = new Workflow({
      name: 'capped', clock, random: () => 0.5,
      steps: [new Step({ name: 'always', maxRetries: 3, retryBackoff: { initialMs: 400, factor: 10, maxMs: 1000 }, executor: () => { throw new Error('no'); } })],
    });
    const running = wf.run({ message: null });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await clock.advance(0);
      delays.push(...clock.pendingDelays());
      await clock.advance(clock.pendingDelays()[0] ?? 0);
    }
    expect(delays).toEqual([400, 1000, 1000]);
    expect((await running).status).toBe('error');
  });

  describe('with vitest fake timers and the system clock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits the backoff before each retry', async () => {
      vi.useFakeTimers();
      let attempts = 0;
      const wf = new Workflow({ name: 'fake_timers', random: () => 0.5, steps: [new Step({ name: 's', maxRetries: 2, retryBackoff: 1000, executor: () => (++attempts < 3 ? Promise.reject(new Error('x')) : 'done') })] });
      const running = wf.run({ message: null });
      await vi.advanceTimersByTimeAsync(999);
      expect(attempts).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(attempts).toBe(2);
      await vi.advanceTimersByTimeAsync(2000);
      expect(attempts).toBe(3);
      expect((await running).content).toBe('done');
    });
  });
});

describe('failures', () => {
  it('ends the run with status error and a StepFailedError whose cause is what the step threw', async () => {
    const original = new TypeError('taxonomy path invented');
    const wf = new Workflow({ name: 'failing', steps: [inc('a'), new Step({ name: 'bad', maxRetries: 1, retryBackoff: 0, executor: () => { throw original; } }), inc('never')] });
    const result = await wf.run({ message: 0 });
    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(StepFailedError);
    expect(result.error).toMatchObject({ code: 'STEP_FAILED', stepPath: 'bad', attempts: 2 });
    expect(result.error?.cause).toBe(original);
    expect(trace(result.events).slice(-3)).toEqual(['StepRetry@bad', 'StepError@bad', 'WorkflowError']);
    const stored = await wf.getRun(result.runId);
    expect(stored?.status).toBe('error');
    expect(stored?.error).toMatchObject({ code: 'STEP_FAILED', stepPath: 'bad', cause: { name: 'TypeError', message: 'taxonomy path invented' } });
  });

  it('treats a StepOutput with success: false as a failure', async () => {
    const wf = new Workflow({ name: 'reported', steps: [new Step({ name: 'soft', executor: () => new StepOutput({ success: false, error: { name: 'Error', message: 'no answer' } }) })] });
    const result = await wf.run({ message: null });
    expect(result.status).toBe('error');
    expect(result.error?.message).toMatch(/no answer/);
  });

  it('rolls back the session-state changes of a failed attempt', async () => {
    const wf = new Workflow({
      name: 'rollback', sessionId: 'rollback-session',
      steps: [new Step({
        name: 'half', maxRetries: 1, retryBackoff: 0,
        executor: (input) => {
          input.workflowSessionState.attempts = [...((input.workflowSessionState.attempts as number[] | undefined) ?? []), input.attempt];
          if (input.attempt === 1) throw new Error('first attempt fails after writing');
        },
      })],
    });
    const result = await wf.run({ message: null });
    expect(result.sessionState).toEqual({ attempts: [2] });
  });

  it('skipOnFailure keeps the run going with a failed output', async () => {
    const wf = new Workflow({ name: 'skipping', steps: [inc('a'), new Step({ name: 'optional', skipOnFailure: true, executor: () => { throw new Error('optional failed'); } }), new Step({ name: 'after', executor: (input) => input.getStepContent('a') })] });
    const result = await wf.run({ message: 0 });
    expect(result.status).toBe('completed');
    expect(result.content).toBe(1);
    const skipped = result.stepResults[1];
    expect(skipped).toMatchObject({ success: false, error: { code: 'STEP_FAILED', cause: { message: 'optional failed' } } });
    expect(result.events.find((e) => e.type === 'StepError')?.data).toMatchObject({ skipped: true });
    const records = await wf.storage.getStepResults(result.runId);
    expect(records.find((r) => r.stepPath === 'optional')?.status).toBe('skipped');
  });
});

describe('timeoutMs', () => {
  it('aborts the attempt through its signal and fails with StepTimeoutError', async () => {
    const clock = new ManualClock();
    let sawAbort: unknown;
    const wf = new Workflow({
      name: 'timing_out', clock,
      steps: [new Step({ name: 'slow', timeoutMs: 5000, executor: (input) => new Promise(() => input.signal.addEventListener('abort', () => (sawAbort = input.signal.reason))) })],
    });
    const running = wf.run({ message: null });
    await clock.advance(4999);
    expect(sawAbort).toBeUndefined();
    await clock.advance(1);
    const result = await running;
    expect(sawAbort).toBeInstanceOf(StepTimeoutError);
    expect(result.status).toBe('error');
    expect(result.error?.cause).toBeInstanceOf(StepTimeoutError);
    expect(result.error?.cause).toMatchObject({ code: 'STEP_TIMEOUT', timeoutMs: 5000, stepPath: 'slow' });
  });

  it('retries a timed-out attempt with a fresh signal', async () => {
    const clock = new ManualClock();
    const wf = new Workflow({
      name: 'timeout_retry', clock, random: () => 0.5,
      steps: [new Step({ name: 'slow_then_fast', timeoutMs: 100, maxRetries: 1, retryBackoff: 10, executor: (input) => (input.attempt === 1 ? new Promise(() => {}) : `attempt ${input.attempt}, aborted=${input.signal.aborted}`) })],
    });
    const running = wf.run({ message: null });
    await clock.advance(100);
    await clock.advance(10);
    expect((await running).content).toBe('attempt 2, aborted=false');
  });
});
