/**
 * The SQLite zapflow ships with plans some statements with the values bound to them (a `LIMIT ?`, `col = ?`
 * in a query planned for an ORDER BY) and then prepares them again at every call, since every call binds anew:
 * a conversation's recent messages, its cases and the outbox claim were each re-prepared at every turn.
 * SqliteConnection writes every parameter as `+?`, which SQLite does not look through. What a user relies on:
 * the same rows in the same order (the whole suite runs through it) and the same query plans, i.e. no statement
 * got slower for it — the plans below, of the statements that order, limit or match partial indexes, are
 * compared with the plans of the statements as written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../../src/engine/index.js';
import { pinParameters } from '../../../src/engine/storage/sqlite-statements.js';
import { SqliteServiceStore } from '../../../src/conversations/store/sqlite.js';

describe('pinParameters', () => {
  it('pins every placeholder and leaves quoted text and comments as they are', () => {
    expect(pinParameters('SELECT * FROM t WHERE a = ? AND b IN (SELECT value FROM json_each(?)) LIMIT ? OFFSET ?'))
      .toBe('SELECT * FROM t WHERE a = +? AND b IN (SELECT value FROM json_each(+?)) LIMIT +? OFFSET +?');
    expect(pinParameters("SELECT '?', 'it''s ?', \"?\" FROM t WHERE x = ? -- why?\n AND y = ? /* z = ? */"))
      .toBe("SELECT '?', 'it''s ?', \"?\" FROM t WHERE x = +? -- why?\n AND y = +? /* z = ? */");
    expect(pinParameters("INSERT INTO t (a, b) VALUES (?, CAST(? AS BIGINT)) ON CONFLICT DO UPDATE SET a = ?"))
      .toBe('INSERT INTO t (a, b) VALUES (+?, CAST(+? AS BIGINT)) ON CONFLICT DO UPDATE SET a = +?');
  });
});

describe('statements with pinned parameters keep their query plans (engine and service tables, SQLite)', () => {
  let dir: string;
  let db: Database.Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zapflow-pinned-'));
    const dbFile = join(dir, 'zapflow.db');
    const storage = new SqliteStorage({ dbFile, tableName: 'zf_' });
    await storage.init();
    const store = new SqliteServiceStore({ dbFile, tableName: 'zf_' });
    await store.init();
    await store.close();
    await storage.close();
    db = new Database(dbFile);
    // Enough rows that an index beats a scan, and statistics as a database that has run `PRAGMA optimize` has.
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO zf_inbox (provider, message_id, conversation_key, kind, customer, text, sent_at, status, received_at)
        SELECT 'meta', 'm' || i, 'c' || (i % 200), 'text', 'x', 'oi', i, 'done', i FROM n`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO zf_outbox (key, topic, payload, run_id, status, attempts, next_attempt_at, created_at, updated_at)
        SELECT 'k' || i, 'customer', '{}', 'r' || i, 'delivered', 1, i, i, i FROM n`);
    db.exec('ANALYZE');
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const plan = (sql: string, params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);

  const statements: Array<[string, string, unknown[]]> = [
    ["a conversation's recent messages", 'SELECT * FROM zf_inbox WHERE conversation_key = ? ORDER BY sent_at DESC, id DESC LIMIT ?', ['c7', 12]],
    ["a conversation's cases, newest first", 'SELECT * FROM zf_cases WHERE conversation_key = ? ORDER BY opened_at DESC, id DESC LIMIT ?', ['c7', 1]],
    ['the open case (a partial unique index)', "SELECT * FROM zf_cases WHERE conversation_key = ? AND status = 'open'", ['c7']],
    ['the outbox claim, every topic', "UPDATE zf_outbox SET status = 'delivering', claimed_by = ?, claim_expires_at = ?, attempts = attempts + 1, updated_at = ? " +
      "WHERE id IN (SELECT id FROM zf_outbox WHERE ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND claim_expires_at < ?)) " +
      'AND (? IS NULL OR topic IN (SELECT value FROM json_each(?))) ORDER BY next_attempt_at, id LIMIT ?) RETURNING *', ['o', 1, 1, 1, 1, null, '[]', 16]],
    ['the outbox claim, some topics', "UPDATE zf_outbox SET status = 'delivering', claimed_by = ?, claim_expires_at = ?, attempts = attempts + 1, updated_at = ? " +
      "WHERE id IN (SELECT id FROM zf_outbox WHERE ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND claim_expires_at < ?)) " +
      'AND (? IS NULL OR topic IN (SELECT value FROM json_each(?))) ORDER BY next_attempt_at, id LIMIT ?) RETURNING *', ['o', 1, 1, 1, 1, 1, '["customer"]', 16]],
    ['runs whose lease expired', "SELECT run_id FROM zf_runs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY lease_expires_at, created_at LIMIT ?", [1, 16]],
    ["a run's step records", 'SELECT * FROM zf_step_results WHERE run_id = ? ORDER BY finished_at, started_at, step_path', ['r1']],
    ["a run's outbox rows (a partial index)", 'SELECT * FROM zf_outbox WHERE run_id = ?', ['r1']],
    ['the admin run list', 'SELECT * FROM zf_runs WHERE workflow_name = ? ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?', ['conversation-typification', 50, 0]],
    ['the audit log of a conversation', 'SELECT * FROM zf_audit_log WHERE conversation_key = ? ORDER BY at DESC, id DESC LIMIT ? OFFSET ?', ['c7', 50, 0]],
  ];

  it.each(statements)('%s', (_name, sql, params) => {
    expect(plan(pinParameters(sql), params)).toEqual(plan(sql, params));
  });
});
