/**
 * Fencing: a process that stalls past its run's lease (GC pause, SIGSTOP, partition) while another process
 * takes the run over must not be able to commit anything when it wakes up — no step, no outbox row, no end.
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError, MemoryStorage, Step, Workflow } from '../../../src/engine/index.js';

describe('fencing on the run lease', () => {
  it('a stalled process whose run was taken over commits no step, no outbox row and no end; the new holder continues', async () => {
    const storage = new MemoryStorage();
    let wake: () => void = () => {};
    const stalled = new Promise<void>((resolve) => (wake = resolve));
    const workflow = new Workflow({
      name: 'reply',
      storage,
      owner: 'worker-paused',
      leaseTtlMs: 1000,
      steps: [
        new Step({ name: 'think', executor: async () => { await stalled; return 'resposta'; } }),
        new Step({ name: 'answer', executor: (input) => { input.outbox.enqueue('customer_message', { text: 'olá' }); return 'sent'; } }),
      ],
    });
    const handle = workflow.start({ message: 'oi', sessionId: 'meta:ana', runId: 'run-1' });
    const outcome = handle.result.then(() => 'finished', (error: unknown) => error);
    await expect.poll(async () => (await storage.getRun('run-1'))?.status).toBe('running');

    // Another worker got the conversation's job and took the run over after the lease ran out.
    const [taken] = await storage.claimExpiredRuns('worker-new', Date.now() + 60_000, Date.now() + 5_000, 1);
    expect(taken?.attempts?.map((attempt) => attempt.process)).toEqual(['worker-paused', 'worker-new']);

    wake(); // SIGCONT
    expect(await outcome).toBeInstanceOf(LeaseLostError);
    expect(await storage.getStepResults('run-1')).toEqual([]);
    expect(await storage.listOutbox({})).toEqual([]);
    expect(await storage.getRun('run-1')).toMatchObject({ status: 'running', leaseOwner: 'worker-new' });
  });
});
