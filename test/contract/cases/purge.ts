import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/engine/storage/types.js';
import type { ContractContext } from './context.js';
import { T0, makeRun, makeStep } from './context.js';

const OLD = T0;
const CUTOFF = T0 + 10_000;
const RECENT = T0 + 20_000;

async function seed(ctx: ContractContext): Promise<void> {
  const storage = ctx.storage();
  const runs: Array<[string, RunStatus, string, number]> = [
    ...Array.from({ length: 5 }, (_, i): [string, RunStatus, string, number] => [`done-${i}`, 'completed', 'conv-old', OLD]),
    ['failed', 'error', 'conv-old', OLD],
    ['cancelled', 'cancelled', 'conv-old', OLD],
    ['still-running', 'running', 'conv-running', OLD],
    ['waiting-human', 'paused', 'conv-paused', OLD],
    ['done-recently', 'completed', 'conv-new', RECENT],
  ];
  for (const [runId, status, sessionId, at] of runs) {
    await storage.createRun(makeRun({ runId, status, sessionId, createdAt: at, updatedAt: at }));
    await storage.commitStep({
      step: makeStep(runId, 'a'),
      events: [{ runId, seq: 0, type: 'StepStarted', time: at }, { runId, seq: 1, type: 'StepCompleted', time: at }],
    });
    await storage.commitStep({ step: makeStep(runId, 'b') });
  }
  for (const sessionId of ['conv-old', 'conv-running', 'conv-paused', 'conv-idle']) await storage.saveSession(sessionId, { x: 1 }, 0, OLD);
  await storage.saveSession('conv-new', { x: 1 }, 0, RECENT);
  await storage.enqueueOutbox(['delivered', 'dead', 'pending', 'delivered-recently'].map((key) => ({ key, topic: 't', payload: null })), OLD);
  const claimed = await storage.claimOutbox('d', OLD + 100, OLD, 10);
  const idOf = (key: string) => claimed.find((row) => row.key === key)!.id;
  await storage.markOutboxDelivered(idOf('delivered'), 'd', 'ok', OLD + 1);
  await storage.markOutboxFailed(idOf('dead'), 'd', 'gone', OLD + 1, true, OLD + 1);
  await storage.markOutboxFailed(idOf('pending'), 'd', 'retry later', OLD + 1, false, OLD + 1);
  await storage.markOutboxDelivered(idOf('delivered-recently'), 'd', 'ok', RECENT);
}

export function purgeCases(ctx: ContractContext): void {
  describe('purge (retention)', () => {
    it('deletes old finished runs with their steps and events, idle sessions and settled outbox rows, in batches', async () => {
      const storage = ctx.storage();
      await seed(ctx);
      const counts = await storage.purge({ before: CUTOFF, batchSize: 2 });
      expect(counts).toEqual({ runs: 7, stepResults: 14, events: 14, sessions: 2, outbox: 2 });
      const left = (await storage.listRuns({})).runs.map((r) => r.runId).sort();
      expect(left).toEqual(['done-recently', 'still-running', 'waiting-human']);
      expect(await storage.getStepResults('done-0')).toEqual([]);
      expect(await storage.getEvents('done-0')).toEqual([]);
      expect(await storage.getStepResults('waiting-human')).toHaveLength(2);
      expect(await storage.getSession('conv-old')).toBeUndefined();
      expect(await storage.getSession('conv-idle')).toBeUndefined();
      for (const kept of ['conv-running', 'conv-paused', 'conv-new']) expect(await storage.getSession(kept)).toBeDefined();
      expect((await storage.listOutbox({})).map((r) => r.key).sort()).toEqual(['delivered-recently', 'pending']);
      expect(await storage.purge({ before: CUTOFF, batchSize: 2 })).toEqual({ runs: 0, stepResults: 0, events: 0, sessions: 0, outbox: 0 });
    });

    it('purges only the asked statuses and never running or paused runs, even when asked', async () => {
      const storage = ctx.storage();
      await seed(ctx);
      const counts = await storage.purge({ before: CUTOFF, statuses: ['error', 'running', 'paused'] });
      expect(counts.runs).toBe(1);
      expect(await storage.getRun('failed')).toBeUndefined();
      for (const kept of ['done-0', 'still-running', 'waiting-human']) expect(await storage.getRun(kept)).toBeDefined();
    });
  });
}
