/**
 * Upgrading a SQLite database made before migration 3 (step records and events as rowid tables appended in
 * write order). What a user relies on: the runs already stored keep their steps and events, in order; a run
 * interrupted before the upgrade still finds its completed steps (resume reuses them by path); a step written
 * again replaces its record, and an event written twice is kept once — as before.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../../src/engine/index.js';
import { loadMigrations } from '../../../src/engine/storage/migrate.js';
import { sqliteDatabaseAtVersion, type OldSqliteDatabase } from '../../helpers/sqlite-at-version.js';

const PREFIX = 'up_';
let old: OldSqliteDatabase;
let dbFile: string;

/** A database as zapflow left it at schema version 2, holding one interrupted run. */
function databaseAtVersion2(): OldSqliteDatabase {
  return sqliteDatabaseAtVersion(PREFIX, 2, (db) => {
    db.prepare(`INSERT INTO ${PREFIX}runs (run_id, workflow_name, session_id, status, input, initial_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run('run-old', 'conversation-typification', 'meta:5511900000001', 'running', '{"message":"minha maquininha não liga"}', '{}', 1, 3);
    const step = db.prepare(`INSERT INTO ${PREFIX}step_results (run_id, step_path, step_name, step_type, status, output, state_delta, attempts, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // A large output, as a report is: it spilled into an overflow page in the old layout.
    step.run('run-old', '0', 'business_unit_classification', 'Step', 'completed', JSON.stringify({ content: { id: 'adquirencia', why: 'x'.repeat(3000) } }), null, 1, 1, 2);
    step.run('run-old', '1', 'product_classification', 'Step', 'completed', JSON.stringify({ content: { id: 'maquininha' } }), null, 1, 2, 3);
    const event = db.prepare(`INSERT INTO ${PREFIX}events (run_id, seq, type, step_path, time, data) VALUES (?, ?, ?, ?, ?, ?)`);
    event.run('run-old', 0, 'WorkflowStarted', null, 1, null);
    event.run('run-old', 1, 'StepCompleted', '0', 2, '{"attempts":1}');
    event.run('run-old', 2, 'StepCompleted', '1', 3, '{"attempts":1}');
  });
}

beforeEach(() => {
  old = databaseAtVersion2();
  dbFile = old.dbFile;
});

afterEach(() => old.remove());

describe('upgrading a SQLite database to append-ordered step records and events', () => {
  it('keeps the stored runs whole: steps by path, events in order, a rewritten step replaced, a repeated event kept once', async () => {
    const storage = new SqliteStorage({ dbFile, tableName: PREFIX });
    await storage.init();
    try {
      const steps = await storage.getStepResults('run-old');
      expect(steps.map((step) => [step.stepPath, step.stepName])).toEqual([['0', 'business_unit_classification'], ['1', 'product_classification']]);
      expect((steps[0]?.output as { content: { why: string } }).content.why).toHaveLength(3000);
      expect((await storage.getEvents('run-old')).map((event) => event.type)).toEqual(['WorkflowStarted', 'StepCompleted', 'StepCompleted']);

      // The interrupted run goes on after the upgrade: its step "1" written again (a retried attempt) replaces
      // the old record, the next step and its event are appended, and a replayed event is not duplicated.
      await storage.commitStep({
        step: { runId: 'run-old', stepPath: '1', stepName: 'product_classification', stepType: 'Step', status: 'completed', output: { content: { id: 'maquininha', again: true } }, stateDelta: null, attempts: 2, startedAt: 4, finishedAt: 5 },
        events: [{ runId: 'run-old', seq: 2, type: 'StepCompleted', stepPath: '1', time: 3 }, { runId: 'run-old', seq: 3, type: 'StepCompleted', stepPath: '2', time: 6 }],
      });
      await storage.commitStep({
        step: { runId: 'run-old', stepPath: '2', stepName: 'motive_classification', stepType: 'Step', status: 'completed', output: { content: { id: 'nao_liga' } }, stateDelta: null, attempts: 1, startedAt: 5, finishedAt: 6 },
      });
      const after = await storage.getStepResults('run-old');
      expect(after.map((step) => [step.stepPath, step.attempts])).toEqual([['0', 1], ['1', 2], ['2', 1]]);
      expect((await storage.getEvents('run-old')).map((event) => event.seq)).toEqual([0, 1, 2, 3]);
    } finally {
      await storage.close();
    }
    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.prepare(`SELECT max(version) AS v FROM ${PREFIX}schema_migrations`).get()).toEqual({ v: loadMigrations('sqlite').at(-1)?.version });
    } finally {
      db.close();
    }
  });
});
