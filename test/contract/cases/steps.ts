import { describe, expect, it } from 'vitest';
import { LeaseLostError, StaleSessionStateError } from '../../../src/engine/errors.js';
import type { ContractContext } from './context.js';
import { T0, makeRun, makeStep } from './context.js';
import { TRICKY_JSON } from './sessions.js';

export function stepCases(ctx: ContractContext): void {
  describe('commitStep and events', () => {
    it('commits the step, the session state, its events and outbox rows together', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      const step = makeStep(run.runId, 'final_processing/validation', { output: { content: TRICKY_JSON, success: true } });
      const result = await storage.commitStep({
        step,
        session: { sessionId: run.sessionId, state: { validated: true }, expectedVersion: 0 },
        events: [
          { runId: run.runId, seq: 1, type: 'StepCompleted', stepPath: step.stepPath, time: T0 + 2, data: { ok: true } },
          { runId: run.runId, seq: 0, type: 'StepStarted', stepPath: step.stepPath, time: T0 + 1 },
        ],
        outbox: [{ key: `${run.runId}/alert`, topic: 'whatsapp.alert', payload: { to: 'agents' }, runId: run.runId }],
      });
      expect(result).toEqual({ sessionVersion: 1 });
      const steps = await storage.getStepResults(run.runId);
      expect(steps).toEqual([step]);
      expect(JSON.stringify(steps[0]?.output)).toBe(JSON.stringify(step.output));
      expect(await storage.getSession(run.sessionId)).toMatchObject({ state: { validated: true }, version: 1 });
      expect(await storage.getEvents(run.runId)).toEqual([
        { runId: run.runId, seq: 0, type: 'StepStarted', stepPath: step.stepPath, time: T0 + 1 },
        { runId: run.runId, seq: 1, type: 'StepCompleted', stepPath: step.stepPath, time: T0 + 2, data: { ok: true } },
      ]);
      expect(await storage.listOutbox({ runId: run.runId })).toMatchObject([{ key: `${run.runId}/alert`, status: 'pending', payload: { to: 'agents' } }]);
    });

    it('a step inside a Parallel branch commits without touching the session', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      expect(await storage.commitStep({ step: makeStep(run.runId, 'research/#0/web', { stateDelta: null, output: null }) })).toEqual({});
      const [stored] = await storage.getStepResults(run.runId);
      expect(stored?.stateDelta).toBeNull();
      expect(stored?.output).toBeNull();
      expect(await storage.getSession(run.sessionId)).toBeUndefined();
    });

    it('a stale session write leaves no step row, no events and no outbox rows', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      await storage.saveSession(run.sessionId, { v: 1 }, 0, T0);
      await storage.saveSession(run.sessionId, { v: 'someone else' }, 1, T0);
      const commit = storage.commitStep({
        step: makeStep(run.runId, 'classify'),
        session: { sessionId: run.sessionId, state: { v: 2 }, expectedVersion: 1 },
        events: [{ runId: run.runId, seq: 0, type: 'StepCompleted', time: T0 }],
        outbox: [{ key: 'k-stale', topic: 't', payload: 1, runId: run.runId }],
      });
      await expect(commit).rejects.toBeInstanceOf(StaleSessionStateError);
      await expect(commit).rejects.toMatchObject({ expectedVersion: 1, actualVersion: 2 });
      expect(await storage.getStepResults(run.runId)).toEqual([]);
      expect(await storage.getEvents(run.runId)).toEqual([]);
      expect(await storage.listOutbox({ runId: run.runId })).toEqual([]);
      expect((await storage.getSession(run.sessionId))?.state).toEqual({ v: 'someone else' });
    });

    it('a step that must create the session fails if another writer created it first', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.saveSession(run.sessionId, { v: 'first' }, 0, T0);
      await expect(storage.commitStep({
        step: makeStep(run.runId, 'a'), session: { sessionId: run.sessionId, state: { v: 'mine' }, expectedVersion: 0 },
      })).rejects.toMatchObject({ code: 'STALE_SESSION_STATE', actualVersion: 1 });
      expect(await storage.getStepResults(run.runId)).toEqual([]);
    });

    it('many runs committing at once each get their own answer; one stale session or lost lease fails only its caller', async () => {
      // On Postgres concurrent commits share statements (group commit): a refused member must not take its
      // neighbours down, and every step reported complete must be readable afterwards.
      const storage = ctx.storage();
      const runs = Array.from({ length: 40 }, (_, i) => makeRun({ sessionId: `conv-many-${i}`, leaseOwner: i === 7 ? 'proc-new' : 'proc-a' }));
      for (const run of runs) await storage.createRun(run);
      await storage.saveSession('conv-many-3', { v: 'someone else' }, 0, T0);
      const commits = runs.map((run, i) => storage.commitStep({
        step: makeStep(run.runId, 'classify'),
        session: { sessionId: run.sessionId, state: { turn: i }, expectedVersion: 0 },
        events: [{ runId: run.runId, seq: 0, type: 'StepCompleted', time: T0 + i }],
        outbox: [{ key: `${run.runId}/reply`, topic: 'customer_message', payload: { i }, runId: run.runId }],
        leaseOwner: 'proc-a',
      }));
      const settled = await Promise.allSettled(commits);
      for (const [i, outcome] of settled.entries()) {
        const run = runs[i]!;
        if (i === 3) expect(outcome.status === 'rejected' && outcome.reason instanceof StaleSessionStateError, `run ${i}: stale`).toBe(true);
        else if (i === 7) expect(outcome.status === 'rejected' && outcome.reason instanceof LeaseLostError, `run ${i}: lease lost`).toBe(true);
        else expect(outcome, `run ${i}`).toEqual({ status: 'fulfilled', value: { sessionVersion: 1 } });
        const written = i !== 3 && i !== 7;
        expect(await storage.getStepResults(run.runId), `run ${i} step`).toHaveLength(written ? 1 : 0);
        expect(await storage.getEvents(run.runId), `run ${i} events`).toHaveLength(written ? 1 : 0);
        expect(await storage.listOutbox({ runId: run.runId }), `run ${i} outbox`).toHaveLength(written ? 1 : 0);
        expect((await storage.getSession(run.sessionId))?.state, `run ${i} session`).toEqual(i === 3 ? { v: 'someone else' } : written ? { turn: i } : undefined);
      }
      // The next step of every run that went through commits on top of version 1.
      const next = await Promise.all(runs.filter((_, i) => i !== 3 && i !== 7).map((run) => storage.commitStep({
        step: makeStep(run.runId, 'reply'), session: { sessionId: run.sessionId, state: { replied: true }, expectedVersion: 1 }, leaseOwner: 'proc-a',
      })));
      expect(next.every((result) => result.sessionVersion === 2)).toBe(true);
    });

    it('a re-executed step path replaces its record (the in-flight step may run twice)', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.commitStep({ step: makeStep(run.runId, 'loop/#1/draft', { output: 'first', attempts: 1 }) });
      await storage.commitStep({ step: makeStep(run.runId, 'loop/#1/draft', { output: 'second', attempts: 2 }) });
      expect(await storage.getStepResults(run.runId)).toMatchObject([{ stepPath: 'loop/#1/draft', output: 'second', attempts: 2 }]);
    });

    it('step results come back in completion order', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.commitStep({ step: makeStep(run.runId, 'z', { startedAt: T0, finishedAt: T0 + 1 }) });
      await storage.commitStep({ step: makeStep(run.runId, 'parallel/#1/b', { startedAt: T0 + 1, finishedAt: T0 + 3 }) });
      await storage.commitStep({ step: makeStep(run.runId, 'parallel/#0/a', { startedAt: T0 + 1, finishedAt: T0 + 2 }) });
      await storage.commitStep({ step: makeStep('run-other', 'z') });
      expect((await storage.getStepResults(run.runId)).map((s) => s.stepPath)).toEqual(['z', 'parallel/#0/a', 'parallel/#1/b']);
    });

    it('events come back in seq order; a re-sent seq is stored once', async () => {
      const storage = ctx.storage();
      await storage.appendEvents([
        { runId: 'r1', seq: 2, type: 'C', time: T0 },
        { runId: 'r1', seq: 0, type: 'A', time: T0, data: [1, { x: null }] },
        { runId: 'r2', seq: 0, type: 'other run', time: T0 },
      ]);
      await storage.appendEvents([{ runId: 'r1', seq: 1, type: 'B', time: T0 }, { runId: 'r1', seq: 2, type: 'C again', time: T0 }]);
      await storage.appendEvents([]);
      const events = await storage.getEvents('r1');
      expect(events.map((e) => [e.seq, e.type])).toEqual([[0, 'A'], [1, 'B'], [2, 'C']]);
      expect(events[0]?.data).toEqual([1, { x: null }]);
    });

    it('a long run of events in one write (more than a statement takes), some already stored, is kept whole and once', async () => {
      const storage = ctx.storage();
      const event = (seq: number, type: string) => ({ runId: 'r-many', seq, type, stepPath: `s${seq}`, time: T0 + seq, data: { seq } });
      await storage.appendEvents([event(3, 'first'), event(20, 'first')]);
      await storage.appendEvents(Array.from({ length: 40 }, (_, seq) => event(seq, 'second')));
      const events = await storage.getEvents('r-many');
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, seq) => seq));
      expect(events.filter((e) => e.type === 'first').map((e) => e.seq)).toEqual([3, 20]);
      expect(events[39]).toMatchObject({ stepPath: 's39', time: T0 + 39, data: { seq: 39 } });
    });

    it('keeps only the stored fields of a richer event object (same answer from every storage)', async () => {
      const storage = ctx.storage();
      const engineEvent = { runId: 'r1', seq: 0, type: 'StepCompleted', stepPath: 'a', stepName: 'a', time: T0, data: { n: 1 } };
      await storage.appendEvents([engineEvent]);
      expect(await storage.getEvents('r1')).toEqual([{ runId: 'r1', seq: 0, type: 'StepCompleted', stepPath: 'a', time: T0, data: { n: 1 } }]);
    });
  });
}
