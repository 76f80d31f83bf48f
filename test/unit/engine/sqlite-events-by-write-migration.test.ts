/**
 * Upgrading a SQLite database made before migration 4 (a write's events in one row). What a user relies on:
 * the admin run view shows the same events after the upgrade — with or without data, a `null` data kept as
 * `null`, step paths, times, order — a run interrupted before the upgrade goes on numbering its events where it
 * left off, an event re-sent with a seq already stored is kept once (the first), and retention counts events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../../src/engine/index.js';
import { sqliteDatabaseAtVersion, type OldSqliteDatabase } from '../../helpers/sqlite-at-version.js';

const PREFIX = 'ev_';
let old: OldSqliteDatabase;

/** A database as zapflow left it at schema version 3: one finished run and one interrupted, with their events. */
function databaseAtVersion3(): OldSqliteDatabase {
  return sqliteDatabaseAtVersion(PREFIX, 3, (db) => {
    const run = db.prepare(`INSERT INTO ${PREFIX}runs (run_id, workflow_name, session_id, status, input, initial_state, created_at, updated_at, finished_at) VALUES (?, 'conversation-typification', ?, ?, '{}', '{}', 1, ?, ?)`);
    run.run('run-done', 'meta:5511900000001', 'completed', 10, 10);
    run.run('run-open', 'meta:5511900000002', 'running', 3, null);
    const event = db.prepare(`INSERT INTO ${PREFIX}events (run_id, seq, type, step_path, time, data) VALUES (?, ?, ?, ?, ?, ?)`);
    event.run('run-open', 0, 'WorkflowStarted', null, 1, null);
    event.run('run-done', 0, 'WorkflowStarted', null, 1, '{"input":{"message":"minha maquininha não liga"}}');
    event.run('run-open', 1, 'StepStarted', '0', 2, '{"stepType":"function"}');
    event.run('run-done', 1, 'StepCompleted', '0', 2, 'null');
    event.run('run-open', 2, 'StepCompleted', '0', 3, '{"content":{"id":"maquininha","label":"Maquininha \\"POS\\""},"attempts":1}');
    event.run('run-done', 2, 'WorkflowCompleted', null, 10, '[1,"dois",{"tres":3}]');
  });
}

beforeEach(() => {
  old = databaseAtVersion3();
});

afterEach(() => old.remove());

describe('upgrading a SQLite database to events stored a write at a time', () => {
  it('shows every stored event as before, goes on from the last seq, keeps a re-sent seq once and counts events in a purge', async () => {
    const storage = new SqliteStorage({ dbFile: old.dbFile, tableName: PREFIX });
    await storage.init();
    try {
      expect(await storage.getEvents('run-done')).toEqual([
        { runId: 'run-done', seq: 0, type: 'WorkflowStarted', time: 1, data: { input: { message: 'minha maquininha não liga' } } },
        { runId: 'run-done', seq: 1, type: 'StepCompleted', stepPath: '0', time: 2, data: null },
        { runId: 'run-done', seq: 2, type: 'WorkflowCompleted', time: 10, data: [1, 'dois', { tres: 3 }] },
      ]);
      expect(await storage.getEvents('run-open')).toEqual([
        { runId: 'run-open', seq: 0, type: 'WorkflowStarted', time: 1 },
        { runId: 'run-open', seq: 1, type: 'StepStarted', stepPath: '0', time: 2, data: { stepType: 'function' } },
        { runId: 'run-open', seq: 2, type: 'StepCompleted', stepPath: '0', time: 3, data: { content: { id: 'maquininha', label: 'Maquininha "POS"' }, attempts: 1 } },
      ]);

      // The interrupted run goes on: a replayed step re-sends seq 2 (a different body: the first one stays).
      await storage.commitStep({
        step: { runId: 'run-open', stepPath: '1', stepName: 'product_classification', stepType: 'Step', status: 'completed', output: { content: { id: 'nao_liga' } }, stateDelta: null, attempts: 1, startedAt: 4, finishedAt: 5 },
        events: [
          { runId: 'run-open', seq: 2, type: 'StepCompleted', stepPath: '0', time: 4, data: { replayed: true } },
          { runId: 'run-open', seq: 3, type: 'StepCompleted', stepPath: '1', time: 5, data: { content: { id: 'nao_liga' } } },
        ],
      });
      const events = await storage.getEvents('run-open');
      expect(events.map((event) => [event.seq, event.time])).toEqual([[0, 1], [1, 2], [2, 3], [3, 5]]);

      expect(await storage.purge({ before: 100 })).toMatchObject({ runs: 1, events: 3 });
      expect(await storage.getEvents('run-done')).toEqual([]);
      expect(await storage.getEvents('run-open')).toHaveLength(4);
    } finally {
      await storage.close();
    }
  });
});
