/**
 * SQLite writes held open (SqliteStorageOptions.holdOpen, zapflow's processing thread): the writes of one
 * event-loop turn — awaited one after the other, as a customer's turn does — share ONE commit at the check
 * phase. What a user relies on: another process sees all of them or none (never half a turn), anything that
 * leaves the thread through a claim is on disk first, the request thread's inbox commit is not held up until
 * the check phase, and a COMMIT that fails after its callers were answered is never taken as done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../../src/engine/index.js';
import { SqliteGroupCommit } from '../../../src/engine/storage-kit.js';
import { SqliteServiceStore } from '../../../src/conversations/store/sqlite.js';

let dir: string;
let dbFile: string;
let begun: number;
let wanted: boolean;
let storage: SqliteStorage;
/** A second connection to the same file: another process, as far as SQLite can tell. */
let other: Database.Database;

const run = (runId: string) => ({
  runId, workflowName: 'conversation-typification', sessionId: 'meta:5511900000001', status: 'running' as const,
  input: { message: 'minha maquininha não liga' }, initialState: {}, createdAt: 1, updatedAt: 1,
});
const checkPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

const runsSeenBy = (db: Database.Database): number => (db.prepare('SELECT count(*) AS n FROM ho_runs').get() as { n: number }).n;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zapflow-hold-open-'));
  dbFile = join(dir, 'zapflow.db');
  begun = 0;
  wanted = false;
  // beforeWrite is called once before each write transaction is begun: it counts them.
  storage = new SqliteStorage({ dbFile, tableName: 'ho_', holdOpen: true, beforeWrite: () => void begun++, lockWanted: () => wanted });
  await storage.init();
  // Timeout 0: a lock still held would throw instead of being waited for.
  other = new Database(dbFile, { timeout: 0 });
});

afterEach(async () => {
  other.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite writes held open until the check phase', () => {
  it('a turn of awaited writes is one commit: another process sees none of them before the check phase, all after', async () => {
    // Four writes, each awaited before the next is asked for: four commits without holdOpen.
    await storage.createRun(run('run-1'));
    await storage.nextSequenceValue('protocol', 'case-1');
    await storage.enqueueOutbox([{ key: 'reply:run-1', topic: 'customer_reply', payload: { text: 'Seu protocolo é 2026…' } }], 2);
    await storage.createRun(run('run-2'));
    expect(runsSeenBy(other)).toBe(0);
    await checkPhase();
    expect(runsSeenBy(other)).toBe(2);
    expect(begun).toBe(1);
  });

  it('a claim commits what was held before it: the outbox row it hands out is on disk when it returns', async () => {
    await storage.createRun(run('run-1'));
    await storage.enqueueOutbox([{ key: 'reply:run-1', topic: 'customer_reply', payload: { text: 'Oi!' } }], 2);
    const claimed = await storage.claimOutbox('owner-a', 60_000, 3, 10);
    expect(claimed.map((row) => row.key)).toEqual(['reply:run-1']);
    // Before any check phase: the claim, the row and the run before it are visible to another process.
    expect(runsSeenBy(other)).toBe(1);
    expect(other.prepare("SELECT status FROM ho_outbox WHERE key = 'reply:run-1'").get()).toEqual({ status: 'delivering' });
  });

  it('when another connection waits for the lock, the held transaction commits at the next group, not at the check phase', async () => {
    await storage.createRun(run('run-1'));
    // The request thread announces that its inbox commit waits (the shared write gate).
    wanted = true;
    await storage.createRun(run('run-2'));
    expect(runsSeenBy(other)).toBe(2);
    // The lock is free: another process's IMMEDIATE transaction gets it at once (timeout 0 would throw).
    other.prepare('BEGIN IMMEDIATE').run();
    other.prepare('COMMIT').run();
  });

  it('a write that fails is refused alone; the writes around it are kept', async () => {
    await storage.createRun(run('run-1'));
    await expect(storage.createRun(run('run-1'))).rejects.toThrow(/run-1/);
    await storage.createRun(run('run-2'));
    await checkPhase();
    expect(runsSeenBy(other)).toBe(2);
  });

  it('closing commits what is held', async () => {
    await storage.createRun(run('run-1'));
    await storage.close();
    expect(runsSeenBy(other)).toBe(1);
  });

  it("the service tables share the runs' transaction through one connection", async () => {
    const store = new SqliteServiceStore({ dbFile, tableName: 'ho_', share: storage.shared() });
    await store.init();
    try {
      const before = begun;
      const [stored] = await store.insertInbox([{
        provider: 'meta', messageId: 'wamid.1', conversationKey: 'meta:5511900000001', kind: 'text', customer: '5511900000001', text: 'oi', sentAt: 1, raw: {},
      }], 1);
      await storage.createRun(run('run-1'));
      expect(stored?.messageId).toBe('wamid.1');
      expect(runsSeenBy(other)).toBe(0);
      await checkPhase();
      expect(runsSeenBy(other)).toBe(1);
      expect(other.prepare('SELECT count(*) AS n FROM ho_inbox').get()).toEqual({ n: 1 });
      expect(begun - before).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a COMMIT that fails after its callers were answered is rolled back and reported, never taken as done', async () => {
    const db = new Database(join(dir, 'deferred.db'));
    db.exec('PRAGMA foreign_keys = ON; CREATE TABLE parent (id INTEGER PRIMARY KEY); ' +
      'CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    const lost: unknown[] = [];
    const commits = new SqliteGroupCommit(() => db, { holdOpen: true, onLostCommit: (error) => lost.push(error) });
    try {
      // Accepted when applied (the foreign key is checked at COMMIT), so the caller is answered…
      await commits.grouped(() => db.prepare('INSERT INTO child (id, parent_id) VALUES (1, 42)').run());
      await checkPhase();
      // …and the COMMIT refuses it: rolled back, reported.
      expect(lost).toHaveLength(1);
      expect(String((lost[0] as Error).message)).toMatch(/FOREIGN KEY/);
      expect(db.inTransaction).toBe(false);
      expect(db.prepare('SELECT count(*) AS n FROM child').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
