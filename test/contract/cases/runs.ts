import { describe, expect, it } from 'vitest';
import { DuplicateRunError, LeaseLostError, RunNotFoundError, StaleSessionStateError } from '../../../src/engine/errors.js';
import type { ContractContext } from './context.js';
import { T0, makeRun, makeStep } from './context.js';
import { TRICKY_JSON } from './sessions.js';

export function runCases(ctx: ContractContext): void {
  describe('runs', () => {
    it('stores a run and gives it back field for field', async () => {
      const storage = ctx.storage();
      const run = makeRun({ parentRunId: 'run-parent', rerunFromStep: 'classify', metrics: { tokens: 12 }, initialState: TRICKY_JSON });
      await storage.createRun(run);
      expect(await storage.getRun(run.runId)).toEqual(run);
      expect(JSON.stringify((await storage.getRun(run.runId))?.initialState)).toBe(JSON.stringify(TRICKY_JSON));
      expect(await storage.getRun('run-missing')).toBeUndefined();
    });

    it('refuses a second run with the same id', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      await expect(storage.createRun({ ...run, workflowName: 'other' })).rejects.toBeInstanceOf(DuplicateRunError);
      expect((await storage.getRun(run.runId))?.workflowName).toBe('typification');
    });

    it('many runs created at once are all stored field for field; a duplicate among them fails only its caller', async () => {
      // On Postgres concurrent creations share one INSERT (group commit).
      const storage = ctx.storage();
      const existing = makeRun();
      await storage.createRun(existing);
      const runs = Array.from({ length: 30 }, (_, i) => (i === 11 ? { ...existing, workflowName: 'other' } : makeRun({
        sessionId: `conv-${i}`, metrics: i % 2 ? { tokens: i } : undefined, initialState: i === 5 ? TRICKY_JSON : { turns: i },
        parentRunId: i % 3 ? undefined : existing.runId, leaseExpiresAt: T0 + i, finishedAt: i === 7 ? T0 + 99 : undefined,
      })));
      const settled = await Promise.allSettled(runs.map((run) => storage.createRun(run)));
      for (const [i, outcome] of settled.entries()) {
        if (i === 11) {
          expect(outcome.status === 'rejected' && outcome.reason instanceof DuplicateRunError, 'the duplicate is refused').toBe(true);
          continue;
        }
        expect(outcome.status, `run ${i}`).toBe('fulfilled');
        expect(await storage.getRun(runs[i]!.runId), `run ${i}`).toEqual(runs[i]);
      }
      expect((await storage.getRun(existing.runId))?.workflowName).toBe('typification');
    });

    it('lists newest first, filters, pages, and counts the total', async () => {
      const storage = ctx.storage();
      for (let i = 0; i < 7; i++) {
        await storage.createRun(makeRun({
          runId: `run-${i}`, createdAt: T0 + i, status: i % 2 === 0 ? 'completed' : 'running',
          workflowName: i < 5 ? 'typification' : 'handoff', sessionId: `conv-${i % 3}`, parentRunId: i === 6 ? 'run-0' : undefined,
        }));
      }
      const page = await storage.listRuns({ limit: 3, offset: 1 });
      expect(page.total).toBe(7);
      expect(page.runs.map((r) => r.runId)).toEqual(['run-5', 'run-4', 'run-3']);
      expect((await storage.listRuns({ status: 'completed' })).runs.map((r) => r.runId)).toEqual(['run-6', 'run-4', 'run-2', 'run-0']);
      expect((await storage.listRuns({ workflowName: 'handoff', status: 'running' })).runs.map((r) => r.runId)).toEqual(['run-5']);
      expect((await storage.listRuns({ sessionId: 'conv-0' })).total).toBe(3);
      expect((await storage.listRuns({ parentRunId: 'run-0' })).runs.map((r) => r.runId)).toEqual(['run-6']);
      expect(await storage.listRuns({ workflowName: 'nope' })).toEqual({ runs: [], total: 0 });
    });

    it('finishRun records the outcome, session, events and (exit durability) steps together, and drops the lease', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      await storage.saveSession(run.sessionId, { a: 1 }, 0, T0);
      const { sessionVersion } = await storage.finishRun({
        runId: run.runId, status: 'completed', content: { answer: 'ok' }, metrics: { durationMs: 5 }, now: T0 + 10,
        session: { sessionId: run.sessionId, state: { a: 2 }, expectedVersion: 1 },
        events: [{ runId: run.runId, seq: 0, type: 'WorkflowCompleted', time: T0 + 10 }],
        steps: [makeStep(run.runId, 'a'), makeStep(run.runId, 'b', { finishedAt: T0 + 3 })],
      });
      expect(sessionVersion).toBe(2);
      const stored = await storage.getRun(run.runId);
      expect(stored).toMatchObject({ status: 'completed', content: { answer: 'ok' }, metrics: { durationMs: 5 }, finishedAt: T0 + 10, updatedAt: T0 + 10 });
      expect(stored?.leaseOwner).toBeUndefined();
      expect(stored?.leaseExpiresAt).toBeUndefined();
      expect((await storage.getStepResults(run.runId)).map((s) => s.stepPath)).toEqual(['a', 'b']);
      expect((await storage.getEvents(run.runId)).map((e) => e.type)).toEqual(['WorkflowCompleted']);
      expect((await storage.getSession(run.sessionId))?.state).toEqual({ a: 2 });
    });

    it('finishRun with a stale session changes nothing', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      await storage.saveSession(run.sessionId, { a: 1 }, 0, T0);
      await storage.saveSession(run.sessionId, { a: 'other writer' }, 1, T0);
      await expect(storage.finishRun({
        runId: run.runId, status: 'completed', content: 'x', now: T0 + 10,
        session: { sessionId: run.sessionId, state: { a: 2 }, expectedVersion: 1 },
        events: [{ runId: run.runId, seq: 0, type: 'WorkflowCompleted', time: T0 }],
        steps: [makeStep(run.runId, 'a')],
      })).rejects.toBeInstanceOf(StaleSessionStateError);
      expect((await storage.getRun(run.runId))?.status).toBe('running');
      expect(await storage.getStepResults(run.runId)).toEqual([]);
      expect(await storage.getEvents(run.runId)).toEqual([]);
    });

    it('many runs finishing at once each get their own outcome; a stale session, lost lease or unknown run fails only its caller', async () => {
      // On Postgres concurrent finishes share one statement (group commit): a refused member must not take its
      // neighbours down, and a finish reported done must be readable with its steps, events and session.
      const storage = ctx.storage();
      const runs = Array.from({ length: 30 }, (_, i) => makeRun({ sessionId: `conv-finish-${i}`, leaseOwner: i === 7 ? 'proc-new' : 'proc-a' }));
      for (const [i, run] of runs.entries()) if (i !== 12) await storage.createRun(run);
      for (const run of runs) await storage.saveSession(run.sessionId, { turn: 0 }, 0, T0);
      await storage.saveSession('conv-finish-3', { v: 'someone else' }, 1, T0);
      const finishes = runs.map((run, i) => storage.finishRun({
        runId: run.runId, status: i % 5 === 4 ? 'paused' : 'completed', content: { i }, metrics: { durationMs: i }, now: T0 + 10 + i,
        pause: i % 5 === 4 ? { stepPath: 'approval', reason: 'needs a human', resumeKey: `key-${i}` } : undefined,
        session: { sessionId: run.sessionId, state: { turn: 1, i }, expectedVersion: 1 },
        events: [{ runId: run.runId, seq: 0, type: 'WorkflowCompleted', time: T0 + 10 + i }],
        steps: i % 2 ? [makeStep(run.runId, 'a'), makeStep(run.runId, 'b')] : undefined,
        leaseOwner: 'proc-a',
      }));
      const settled = await Promise.allSettled(finishes);
      for (const [i, outcome] of settled.entries()) {
        const run = runs[i]!;
        const refused = { 3: StaleSessionStateError, 7: LeaseLostError, 12: RunNotFoundError }[i];
        if (refused) {
          expect(outcome.status === 'rejected' && outcome.reason instanceof refused, `run ${i}: ${refused.name}`).toBe(true);
          expect(await storage.getEvents(run.runId), `run ${i} events`).toEqual([]);
          if (i !== 12) expect((await storage.getRun(run.runId))?.status, `run ${i} status`).toBe('running');
          continue;
        }
        expect(outcome, `run ${i}`).toEqual({ status: 'fulfilled', value: { sessionVersion: 2 } });
        const paused = i % 5 === 4;
        const stored = await storage.getRun(run.runId);
        expect(stored, `run ${i}`).toMatchObject({ status: paused ? 'paused' : 'completed', content: { i }, metrics: { durationMs: i }, updatedAt: T0 + 10 + i });
        expect(stored?.finishedAt, `run ${i} finishedAt`).toBe(paused ? undefined : T0 + 10 + i);
        expect(stored?.leaseOwner, `run ${i} lease`).toBeUndefined();
        expect((await storage.getStepResults(run.runId)).length, `run ${i} steps`).toBe(i % 2 ? 2 : 0);
        expect((await storage.getEvents(run.runId)).map((e) => e.type), `run ${i} events`).toEqual(['WorkflowCompleted']);
        expect((await storage.getSession(run.sessionId))?.state, `run ${i} session`).toEqual({ turn: 1, i });
      }
      // A batch with no refused member is written as one: every finish gets its own session version.
      const more = Array.from({ length: 12 }, (_, i) => makeRun({ sessionId: `conv-finish-more-${i}` }));
      for (const run of more) await storage.createRun(run);
      const results = await Promise.all(more.map((run, i) => storage.finishRun({
        runId: run.runId, status: 'completed', content: { i }, now: T0 + 50, leaseOwner: 'proc-a',
        session: { sessionId: run.sessionId, state: { created: i }, expectedVersion: 0 }, steps: [makeStep(run.runId, 'only')],
      })));
      expect(results).toEqual(more.map(() => ({ sessionVersion: 1 })));
      for (const [i, run] of more.entries()) {
        expect(await storage.getRun(run.runId), `more ${i}`).toMatchObject({ status: 'completed', content: { i }, finishedAt: T0 + 50 });
        expect((await storage.getSession(run.sessionId))?.state, `more ${i} session`).toEqual({ created: i });
        expect((await storage.getStepResults(run.runId)).map((s) => s.stepPath), `more ${i} steps`).toEqual(['only']);
      }
    });

    it('finishRun of an unknown run is a RunNotFoundError', async () => {
      await expect(ctx.storage().finishRun({ runId: 'run-ghost', status: 'completed', now: T0 })).rejects.toBeInstanceOf(RunNotFoundError);
    });

    it('a paused run keeps its pause until resumed once, with the resume data and a fresh lease', async () => {
      const storage = ctx.storage();
      const run = makeRun();
      await storage.createRun(run);
      const pause = { stepPath: 'approval', reason: 'needs a human', resumeKey: 'key-1' };
      await storage.finishRun({ runId: run.runId, status: 'paused', pause, now: T0 + 5 });
      expect(await storage.getRun(run.runId)).toMatchObject({ status: 'paused', pause });
      expect((await storage.getRun(run.runId))?.finishedAt).toBeUndefined();
      expect(await storage.markResumed(run.runId, { approved: true }, 'proc-b', T0 + 99, T0 + 6)).toBe(true);
      expect(await storage.markResumed(run.runId, { approved: false }, 'proc-c', T0 + 99, T0 + 7)).toBe(false);
      const resumed = await storage.getRun(run.runId);
      expect(resumed).toMatchObject({ status: 'running', resumeData: { approved: true }, leaseOwner: 'proc-b', leaseExpiresAt: T0 + 99 });
      expect(resumed?.pause).toBeUndefined();
      expect(await storage.markResumed('run-ghost', null, 'proc-b', T0, T0)).toBe(false);
    });
  });
}
