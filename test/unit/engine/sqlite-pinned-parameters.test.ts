/**
 * The SQLite zapflow ships with plans some statements with the values bound to them (a `LIMIT ?`, `col = ?`
 * in a query planned for an ORDER BY) and then prepares them again at every call, since every call binds anew:
 * a conversation's recent messages, its cases and the outbox claim were each re-prepared at every turn.
 * SqliteConnection writes every parameter as `+?`, which SQLite does not look through. What a user relies on:
 * the same rows in the same order (the whole suite runs through it) and the same query plans, i.e. no statement
 * got slower for it: the statements the engine storage and the service tables prepare for their listing,
 * claiming and reading calls are recorded as they run, and each one's plan is compared with the plan of the
 * statement as written, on an analyzed database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
  /** Each statement the stores prepared (pinned, as run) with the parameters of its first call. */
  const prepared = new Map<string, unknown[]>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zapflow-pinned-'));
    const dbFile = join(dir, 'zapflow.db');
    const storage = new SqliteStorage({ dbFile, tableName: 'zf_' });
    await storage.init();
    const store = new SqliteServiceStore({ dbFile, tableName: 'zf_', share: storage.shared() });
    await store.init();
    db = new Database(dbFile);
    // Enough rows that an index beats a scan, and statistics as a database that has run `PRAGMA optimize` has.
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO zf_inbox (provider, message_id, conversation_key, kind, customer, text, sent_at, status, received_at)
        SELECT 'meta', 'm' || i, 'c' || (i % 200), 'text', 'x', 'oi', i, 'done', i FROM n`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO zf_outbox (key, topic, payload, run_id, status, attempts, next_attempt_at, created_at, updated_at)
        SELECT 'k' || i, 'customer', '{}', 'r' || i, 'delivered', 1, i, i, i FROM n`);
    db.exec('ANALYZE');

    // What the stores prepare from here on, as they run it: the statements that order, limit, filter by a
    // bound value or could use a partial index (the open case, a run's outbox rows, running runs).
    const prepare = Database.prototype.prepare;
    const spy = vi.spyOn(Database.prototype, 'prepare').mockImplementation(function record(this: Database.Database, source: string) {
      const statement = prepare.call(this, source);
      for (const method of ['all', 'get', 'run'] as const) {
        const call = statement[method].bind(statement) as (...params: unknown[]) => unknown;
        (statement as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => {
          if (!prepared.has(source)) prepared.set(source, params);
          return call(...params);
        };
      }
      return statement;
    });
    try {
      await storage.listRuns({});
      await storage.listRuns({ status: 'running', workflowName: 'conversation-typification', sessionId: 'c7', parentRunId: 'r1' });
      await storage.getRun('r1');
      await storage.getSession('c7');
      await storage.getStepResults('r1');
      await storage.getEvents('r1');
      await storage.claimExpiredRuns('o', 1, 1, 16);
      await storage.claimOutbox('o', 1, 1, 16);
      await storage.claimOutbox('o', 1, 1, 16, ['customer']);
      await storage.listOutbox({});
      await storage.listOutbox({ status: 'pending', runId: 'r1', limit: 10, offset: 0 });
      await store.recentMessages('c7', 12);
      await store.takePending('c7', 'run-1', 1);
      await store.markInbox([1, 2], 'done', 1);
      await store.conversationsWithPendingInbox();
      await store.inboxProgress(0);
      await store.listConversations({});
      await store.listConversations({ handoffStatus: 'human' });
      await store.cases.casesOf('c7', 1);
      await store.cases.openCaseOf('c7');
      await store.cases.listAudit({ conversationKey: 'c7', limit: 50, offset: 0 });
      await store.cases.searchConversations('ana', 10);
    } finally {
      spy.mockRestore();
      await store.close();
      await storage.close();
    }
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const plan = (sql: string, params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);

  it('every statement is prepared pinned and plans as it was written', () => {
    const ordered = [...prepared].filter(([sql]) => /ORDER BY|LIMIT|WHERE/.test(sql));
    expect(ordered.length).toBeGreaterThanOrEqual(20);
    for (const [sql, params] of ordered) {
      expect(sql, sql).not.toMatch(/(^|[^+])\?/);
      expect(plan(sql, params), sql).toEqual(plan(sql.replaceAll('+?', '?'), params));
    }
  });
});
