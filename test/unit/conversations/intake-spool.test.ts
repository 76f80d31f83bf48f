/**
 * The intake spool (SQLite beside a processing thread): a webhook's messages are committed to a file of their
 * own, so the ack never waits for the processing thread's commit window on the main file, and that thread moves
 * them into the inbox. What an operator relies on: an acked message is in the spool or the inbox at every
 * moment, is answered once however often it is moved or redelivered, and its text does not stay in two places.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteServiceStore } from '../../../src/conversations/store/sqlite.js';
import { SqliteIntakeSpool, SqliteIntakeSpoolReader, intakeSpoolFile } from '../../../src/conversations/store/sqlite-intake-spool.js';
import type { InboxItem } from '../../../src/conversations/store/types.js';
import { IntakeSpoolMover } from '../../../src/service/intake-spool-mover.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

const message = (n: number, conversation = 'meta:1:5511900000401'): InboxItem => ({
  provider: 'meta', messageId: `wamid.spool-${n}`, conversationKey: conversation, kind: 'text',
  customer: conversation.split(':').at(-1)!, text: `mensagem ${n}`, sentAt: 1_700_000_000_000 + n,
});

let dir: string;
let dbFile: string;
let inbox: SqliteServiceStore;
let spool: SqliteIntakeSpool;
let reader: SqliteIntakeSpoolReader;
const dispatched: string[][] = [];

/** The processing thread's side, as a (re)started process builds it. */
const mover = () => new IntakeSpoolMover({ reader, inbox, dispatch: (keys) => dispatched.push([...keys]), logger: pino({ level: 'silent' }) });
/** Rows in the spool file, as another connection (sqlite3, a backup) sees them. */
const spooledRows = (): number => {
  const db = new Sqlite(intakeSpoolFile(dbFile), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM zapflow_intake_spool').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const inboxIds = async (conversation = 'meta:1:5511900000401') => (await inbox.recentMessages(conversation, 100)).map((record) => record.messageId);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zapflow-spool-'));
  dbFile = join(dir, 'zapflow.db');
  inbox = new SqliteServiceStore({ dbFile });
  await inbox.init();
  // A long interval: the tests prune when they mean to.
  spool = new SqliteIntakeSpool({ dbFile, pruneEveryMs: 3_600_000 });
  await spool.init();
  reader = new SqliteIntakeSpoolReader({ dbFile });
  await reader.init();
  dispatched.length = 0;
});

afterEach(async () => {
  reader.close();
  await spool.close();
  await inbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the intake spool', () => {
  it('lives beside the database file', () => {
    expect(intakeSpoolFile('data/zapflow.db')).toBe(join('data', 'zapflow.intake.db'));
    expect(intakeSpoolFile('/srv/zapflow')).toBe('/srv/zapflow.intake');
    expect(spool.file).toBe(join(dir, 'zapflow.intake.db'));
  });

  it('commits a webhook while another connection holds the main file\'s write lock (the processing thread\'s commit window)', async () => {
    const holder = new Sqlite(dbFile);
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const stored = await spool.insertInbox([message(1)], 1_000);
      expect(stored.map((record) => record.messageId)).toEqual(['wamid.spool-1']);
      // Committed: another connection reads it from the spool file while the main file is still locked.
      const other = new Sqlite(spool.file, { readonly: true });
      expect(other.prepare('SELECT message_id FROM zapflow_intake_spool').all()).toEqual([{ message_id: 'wamid.spool-1' }]);
      other.close();
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
  });

  it('drops a redelivery while the original is spooled', async () => {
    await spool.insertInbox([message(1)], 1_000);
    expect(await spool.insertInbox([message(1), message(2)], 1_001)).toHaveLength(1);
    expect(spooledRows()).toBe(2);
  });

  it('moves messages into the inbox in ack order, stamped no earlier than their ack, and hands their conversations on', async () => {
    await spool.insertInbox([message(2), message(1, 'meta:1:5511900000402')], 1_000);
    await spool.insertInbox([message(3)], 1_005);
    await mover().move();
    expect(await inboxIds()).toEqual(['wamid.spool-2', 'wamid.spool-3']);
    expect(await inboxIds('meta:1:5511900000402')).toEqual(['wamid.spool-1']);
    const records = await inbox.recentMessages('meta:1:5511900000401', 10);
    expect(records.every((record) => record.status === 'pending' && record.receivedAt >= 1_000)).toBe(true);
    expect(await inbox.conversationsWithPendingInbox()).toEqual(['meta:1:5511900000401', 'meta:1:5511900000402']);
    expect(dispatched.flat().sort()).toEqual(['meta:1:5511900000401', 'meta:1:5511900000402']);
  });

  it('stores a message once when it is moved again (a restart before the prune), and hands nothing on the second time', async () => {
    await spool.insertInbox([message(1)], 1_000);
    await mover().move();
    dispatched.length = 0;
    await mover().move(); // a new process: it starts from the first spooled row
    expect(await inboxIds()).toEqual(['wamid.spool-1']);
    expect(dispatched).toEqual([]);
  });

  it('deletes a spooled message only once the inbox holds it committed', async () => {
    await spool.insertInbox([message(1), message(2)], 1_000);
    // The processing thread's transaction has the first one applied, not committed.
    const processing = new Sqlite(dbFile);
    processing.prepare('BEGIN IMMEDIATE').run();
    processing.prepare(
      "INSERT INTO zapflow_inbox (provider, message_id, conversation_key, kind, customer, text, sent_at, status, received_at) VALUES ('meta', 'wamid.spool-1', 'meta:1:5511900000401', 'text', '5511900000401', 'x', 1, 'pending', 1)",
    ).run();
    expect(await spool.prune()).toBe(0);
    processing.prepare('COMMIT').run();
    processing.close();
    expect(await spool.prune()).toBe(1);
    expect(spooledRows()).toBe(1); // the second is still owed
    await mover().move();
    expect(await spool.prune()).toBe(1);
    expect(spooledRows()).toBe(0);
  });

  it('keeps moving after the spool was emptied (ids are never handed out twice)', async () => {
    const processing = mover();
    await spool.insertInbox([message(1), message(2)], 1_000);
    await processing.move();
    expect(await spool.prune()).toBe(2);
    await spool.insertInbox([message(3)], 1_010);
    await processing.move();
    expect(await inboxIds()).toEqual(['wamid.spool-1', 'wamid.spool-2', 'wamid.spool-3']);
  });

  it('drops a redelivery that arrives after the original was moved and pruned: the customer is answered once', async () => {
    const processing = mover();
    await spool.insertInbox([message(1)], 1_000);
    await processing.move();
    await spool.prune();
    dispatched.length = 0;
    await spool.insertInbox([message(1)], 60_000); // the provider delivers it again
    await processing.move();
    expect(await inboxIds()).toEqual(['wamid.spool-1']);
    expect(dispatched).toEqual([]);
    expect(await spool.prune()).toBe(1);
  });

  it('moves a backlog larger than one batch, and a move asked for during a move is not lost', async () => {
    for (let n = 0; n < 450; n++) await spool.insertInbox([message(n, `meta:1:55119000${String(10_000 + n)}`)], 1_000 + n);
    const processing = mover();
    const first = processing.move();
    await spool.insertInbox([message(999)], 5_000);
    const second = processing.move();
    await Promise.all([first, second]);
    expect(new Set(dispatched.flat()).size).toBe(451);
    expect(await inbox.conversationsWithPendingInbox()).toHaveLength(451);
  });

  it('counts a spooled message that is not moved as waiting, so readiness reports a backlog that does not move', async () => {
    expect((await spool.inboxProgressWith(inbox, 0)).oldestWaitingAt).toBeUndefined();
    await spool.insertInbox([message(1)], 1_234);
    expect(await spool.inboxProgressWith(inbox, 0)).toEqual({ oldestWaitingAt: 1_234 });
  });
});
