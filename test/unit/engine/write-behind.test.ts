/**
 * Write-behind on SQLite: a step that answers without waiting on I/O does not hold up the next step; its
 * record goes to disk with the run's next write. What a user relies on: every step is on disk when the run
 * returns, a run watched through a stream is told of no step that is not on disk, and a refused write (a lost
 * lease, a session another writer changed) stops the run with nothing after it kept and no update lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, SqliteStorage, StaleSessionStateError, Step, Workflow } from '../../../src/engine/index.js';
import type { StepExecutor } from '../../../src/engine/index.js';

let dir: string;
let dbFile: string;
let storage: SqliteStorage;
let transactions: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zapflow-write-behind-'));
  dbFile = join(dir, 'zapflow.db');
  transactions = 0;
  // beforeWrite is called once before each write transaction: it counts them.
  storage = new SqliteStorage({ dbFile, tableName: 'wb_', beforeWrite: () => void transactions++ });
  await storage.init();
});

afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Six classification-like steps: three answer synchronously, three through an already settled promise. */
const sixSteps = (first?: StepExecutor): Step[] =>
  Array.from({ length: 6 }, (_, i) => new Step({
    name: `level_${i}`,
    executor: i === 0 && first ? first : i % 2 === 0
      ? (input) => { input.workflowSessionState[`level_${i}`] = i; return { level: i }; }
      : async (input) => { input.workflowSessionState[`level_${i}`] = i; return { level: i }; },
  }));

/** A second connection to the same file: another process, as far as SQLite can tell. */
function otherProcess(): Database.Database {
  return new Database(dbFile, { timeout: 5000 });
}

describe('write-behind on SQLite', () => {
  it('a run of steps that wait on no I/O is written in two transactions, and every step is on disk when it returns', async () => {
    const workflow = new Workflow({ name: 'typify', storage, steps: sixSteps() });
    const result = await workflow.run({ message: 'minha maquininha não liga', sessionId: 'meta:ana', runId: 'run-1' });

    expect(result.status).toBe('completed');
    expect((await storage.getStepResults('run-1')).map((step) => step.stepName)).toEqual(['level_0', 'level_1', 'level_2', 'level_3', 'level_4', 'level_5']);
    expect((await storage.getRun('run-1'))?.status).toBe('completed');
    expect((await storage.getSession('meta:ana'))?.state).toMatchObject({ level_0: 0, level_5: 5 });
    // The run record, then the six steps with the run's end (one per step plus two before write-behind).
    expect(transactions).toBe(2);
  });

  it('a run streamed to a listener still commits each step before the next starts', async () => {
    const workflow = new Workflow({ name: 'typify', storage, steps: sixSteps() });
    const stream = workflow.stream({ message: 'oi', sessionId: 'meta:bia', runId: 'run-2', streamIntermediateSteps: true });
    const completed: string[] = [];
    for await (const event of stream) {
      if (event.type !== 'StepCompleted') continue;
      // Whoever watches is told of a step only once its record is on disk.
      const onDisk = (await storage.getStepResults('run-2')).map((step) => step.stepName);
      expect(onDisk).toContain(event.stepName);
      completed.push(event.stepName ?? '');
    }
    expect(completed).toHaveLength(6);
    expect(transactions).toBeGreaterThanOrEqual(7);
  });

  it('a step that waits on I/O is on disk before the next step starts', async () => {
    const workflow = new Workflow({
      name: 'reply',
      storage,
      steps: [
        new Step({ name: 'ask_model', executor: async () => { await new Promise((resolve) => setTimeout(resolve, 5)); return 'resposta'; } }),
        new Step({ name: 'check', executor: () => 'ok' }),
      ],
    });
    expect((await workflow.run({ message: 'oi', sessionId: 'meta:caio', runId: 'run-3' })).status).toBe('completed');
    // ask_model's record was its own transaction (awaited), check and the end shared one.
    const db = otherProcess();
    const rows = db.prepare('SELECT step_name FROM wb_step_results WHERE run_id = ? ORDER BY finished_at').all('run-3');
    db.close();
    expect(rows).toEqual([{ step_name: 'ask_model' }, { step_name: 'check' }]);
    expect(transactions).toBe(3);
  });

  it('what is on disk while a step waits is the state as the last written step left it, never a later step half done', async () => {
    let storedWhileWaiting: unknown;
    const workflow = new Workflow({
      name: 'count_contacts',
      storage,
      steps: [
        new Step({ name: 'count', executor: (input) => { input.workflowSessionState.contacts = 1; return 'counted'; } }),
        new Step({
          name: 'ask_model',
          executor: async (input) => {
            input.workflowSessionState.contacts = 2; // changed, then the step waits on I/O
            await new Promise((resolve) => setTimeout(resolve, 5));
            const db = otherProcess();
            storedWhileWaiting = JSON.parse((db.prepare('SELECT state FROM wb_sessions WHERE session_id = ?').get('meta:fabi') as { state: string }).state);
            db.close();
            return 'resposta';
          },
        }),
      ],
    });
    await workflow.run({ message: 'oi', sessionId: 'meta:fabi', runId: 'run-6' });
    // A crash at that moment resumes after `count` from contacts = 1: ask_model's change is applied once.
    expect(storedWhileWaiting).toEqual({ contacts: 1 });
    expect((await storage.getSession('meta:fabi'))?.state).toEqual({ contacts: 2 });
  });

  it('a lease lost under a run refuses its unwritten steps and its end: nothing after the takeover is kept', async () => {
    const thief = otherProcess();
    const workflow = new Workflow({
      name: 'typify',
      storage,
      steps: sixSteps((input) => {
        // Another process takes the run over while this one computes (a stall past the lease, then a claim).
        thief.prepare("UPDATE wb_runs SET lease_owner = 'worker-new' WHERE run_id = ?").run('run-4');
        input.workflowSessionState.level_0 = 0;
        return { level: 0 };
      }),
    });
    const outcome = await workflow.run({ message: 'oi', sessionId: 'meta:duda', runId: 'run-4' }).then(() => 'finished', (error: unknown) => error);
    thief.close();

    expect(outcome).toBeInstanceOf(LeaseLostError);
    expect(await storage.getStepResults('run-4')).toEqual([]);
    expect(await storage.getRun('run-4')).toMatchObject({ status: 'running', leaseOwner: 'worker-new' });
    expect(await storage.getSession('meta:duda')).toBeUndefined();
  });

  it("a session another writer changed mid-run is never overwritten: the run ends in error and keeps none of its later steps", async () => {
    const workflow = new Workflow({ name: 'typify', storage, steps: sixSteps() });
    await workflow.run({ message: 'primeira', sessionId: 'meta:edu', runId: 'run-5a' });

    const other = otherProcess();
    const racing = new Workflow({
      name: 'typify',
      storage,
      steps: sixSteps((input) => {
        // Another writer (an agent's action in another process) saves the conversation's state meanwhile.
        other.prepare("UPDATE wb_sessions SET state = '{\"agentNote\":\"cliente VIP\"}', version = version + 1 WHERE session_id = ?").run('meta:edu');
        input.workflowSessionState.level_0 = 10;
        return { level: 0 };
      }),
    });
    const result = await racing.run({ message: 'segunda', sessionId: 'meta:edu', runId: 'run-5b' });
    other.close();

    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(StaleSessionStateError);
    expect(await storage.getStepResults('run-5b')).toEqual([]);
    expect((await storage.getRun('run-5b'))?.status).toBe('error');
    // The other writer's state stands; no step of the refused run was written over it.
    expect((await storage.getSession('meta:edu'))?.state).toEqual({ agentNote: 'cliente VIP' });
  });
});
