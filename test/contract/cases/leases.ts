import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';
import { LeaseLostError } from '../../../src/engine/index.js';
import { T0, makeRun, makeStep } from './context.js';

export function leaseCases(ctx: ContractContext): void {
  describe('run leases', () => {
    it('heartbeat extends only the running runs of that owner', async () => {
      const storage = ctx.storage();
      const mine = makeRun({ leaseOwner: 'proc-a' });
      const theirs = makeRun({ leaseOwner: 'proc-b' });
      const paused = makeRun({ leaseOwner: 'proc-a', status: 'paused' });
      for (const run of [mine, theirs, paused]) await storage.createRun(run);
      expect(await storage.heartbeat('proc-a', T0 + 60_000, T0 + 10)).toBe(1);
      expect((await storage.getRun(mine.runId))?.leaseExpiresAt).toBe(T0 + 60_000);
      expect((await storage.getRun(theirs.runId))?.leaseExpiresAt).toBe(T0 + 30_000);
      expect((await storage.getRun(paused.runId))?.leaseExpiresAt).toBe(T0 + 30_000);
    });

    it('claims only running runs whose lease expired, up to the limit, oldest lease first', async () => {
      const storage = ctx.storage();
      const expiredOld = makeRun({ leaseExpiresAt: T0 + 1 });
      const expiredNew = makeRun({ leaseExpiresAt: T0 + 2 });
      const alive = makeRun({ leaseExpiresAt: T0 + 1_000 });
      const paused = makeRun({ leaseExpiresAt: T0 + 1, status: 'paused' });
      const done = makeRun({ leaseExpiresAt: T0 + 1, status: 'completed' });
      for (const run of [expiredOld, expiredNew, alive, paused, done]) await storage.createRun(run);
      const first = await storage.claimExpiredRuns('proc-z', T0 + 500, T0 + 100, 1);
      expect(first.map((r) => r.runId)).toEqual([expiredOld.runId]);
      expect(first[0]).toMatchObject({ leaseOwner: 'proc-z', leaseExpiresAt: T0 + 500 });
      expect((await storage.claimExpiredRuns('proc-z', T0 + 500, T0 + 100, 10)).map((r) => r.runId)).toEqual([expiredNew.runId]);
      expect(await storage.claimExpiredRuns('proc-y', T0 + 500, T0 + 100, 10)).toEqual([]);
      expect((await storage.getRun(expiredOld.runId))?.leaseOwner).toBe('proc-z');
    });

    it('two owners racing for expired runs never get the same run (two instances)', async () => {
      const storage = ctx.storage();
      const other = await ctx.db().open();
      const runs = Array.from({ length: 40 }, (_, i) => makeRun({ runId: `run-${i}`, leaseExpiresAt: T0 + i }));
      for (const run of runs) await storage.createRun(run);
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? storage : other).claimExpiredRuns(`proc-${i}`, T0 + 99_999, T0 + 50, 7)),
      );
      const claimed = claims.flat().map((r) => r.runId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual(runs.map((r) => r.runId).sort());
      for (const [i, batch] of claims.entries()) {
        for (const run of batch) expect((await storage.getRun(run.runId))?.leaseOwner).toBe(`proc-${i}`);
      }
    });
  });

  describe('fencing on the run lease', () => {
    it('a writer whose run was taken over cannot commit a step, write an outbox row or finish the run', async () => {
      const storage = ctx.storage();
      const run = makeRun({ leaseOwner: 'proc-paused', leaseExpiresAt: T0 + 1, attempts: [{ process: 'proc-paused', startedAt: T0 }] });
      await storage.createRun(run);
      const [taken] = await storage.claimExpiredRuns('proc-new', T0 + 60_000, T0 + 10, 1);
      expect(taken?.attempts).toEqual([{ process: 'proc-paused', startedAt: T0 }, { process: 'proc-new', startedAt: T0 + 10 }]);
      const late = storage.commitStep({
        step: makeStep(run.runId, 'reply'), leaseOwner: 'proc-paused',
        outbox: [{ key: `${run.runId}/reply`, topic: 'whatsapp.customer', payload: { text: 'oi' }, runId: run.runId }],
      });
      await expect(late).rejects.toBeInstanceOf(LeaseLostError);
      await expect(storage.finishRun({ runId: run.runId, status: 'completed', leaseOwner: 'proc-paused', now: T0 + 20 })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await storage.getStepResults(run.runId)).toEqual([]);
      expect(await storage.listOutbox({ runId: run.runId })).toEqual([]);
      expect((await storage.getRun(run.runId))?.status).toBe('running');
      await storage.commitStep({ step: makeStep(run.runId, 'reply'), leaseOwner: 'proc-new' });
      expect((await storage.getStepResults(run.runId)).map((s) => s.stepPath)).toEqual(['reply']);
    });
  });

  describe('named leases', () => {
    it('one owner at a time; free again when expired or released', async () => {
      const storage = ctx.storage();
      expect(await storage.tryAcquireLease('cron:sla', 'a', T0 + 100, T0)).toBe(true);
      expect(await storage.tryAcquireLease('cron:sla', 'b', T0 + 100, T0 + 50)).toBe(false);
      expect(await storage.tryAcquireLease('cron:sla', 'a', T0 + 200, T0 + 50)).toBe(true);
      expect(await storage.tryAcquireLease('cron:sla', 'b', T0 + 300, T0 + 150)).toBe(false);
      expect(await storage.tryAcquireLease('cron:sla', 'b', T0 + 300, T0 + 200)).toBe(true);
      await storage.releaseLease('cron:sla', 'a');
      expect(await storage.tryAcquireLease('cron:sla', 'a', T0 + 400, T0 + 250)).toBe(false);
      await storage.releaseLease('cron:sla', 'b');
      expect(await storage.tryAcquireLease('cron:sla', 'a', T0 + 400, T0 + 250)).toBe(true);
      expect(await storage.tryAcquireLease('cron:purge', 'b', T0 + 400, T0 + 250)).toBe(true);
    });

    it('of many owners racing for a free lease exactly one gets it', async () => {
      const storage = ctx.storage();
      const other = await ctx.db().open();
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? storage : other).tryAcquireLease('single-flight', `owner-${i}`, T0 + 100, T0)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });
}
