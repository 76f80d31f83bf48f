/**
 * SQLite ServiceStore (better-sqlite3): the embedded default, usually in the same file as the engine's
 * tables, on its own connection. WAL lets readers run beside the writer; writes run in IMMEDIATE
 * transactions (the write lock taken up front, waiting up to busyTimeoutMs for another process), so the
 * inbox insert and its conversation rows commit together or not at all.
 */
import type Database from 'better-sqlite3';
import { assertIdentifier, encodeJson } from '../../engine/storage-kit.js';
import { openSqlite } from '../../engine/storage-kit.js';
import { SqliteConnection } from '../../engine/storage-kit.js';
import { SqlCaseStore } from './case-sql.js';
import { migrateServiceSqlite } from './migrate.js';
import { INBOX_INSERT_COLUMNS, conversationFromRow, expectationConditions, inboxFromRow, inboxItemToParams, patchAssignments } from './rows.js';
import type { Row } from './rows.js';
import type {
  ConversationExpectation, ConversationPatch, ConversationRecord, HandoffStatus, InboxItem, InboxProgress, InboxRecord, InboxStatus, OwnMessage, ServiceStore,
} from './types.js';
import { ConversationChangedError, ConversationNotFoundError } from './types.js';
import { byCustomerOrder } from './shared.js';

export interface SqliteServiceStoreOptions {
  /** Database file (the engine's file is fine); its folder is created if missing. @default './data/zapflow.db' */
  dbFile?: string;
  /** Prefix of the service tables. @default 'zapflow_' */
  tableName?: string;
  /** 'normal': an acked message survives a process kill; 'full': a power loss too (fsync per commit). @default 'normal' */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another connection holding the write lock. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * How a write waits for that lock. `block`: in SQLite's busy handler, which SLEEPS the calling thread
   * (1, 2, 5, 10 … 100 ms). `yield`: never sleeps; a write that finds the lock taken is retried from the
   * event loop (next iteration, then every millisecond) until `busyTimeoutMs`. The request thread uses
   * `yield` while the processing thread writes the same file: its loop keeps reading and queueing webhooks
   * (the next commit stores them together) instead of stalling every ack for a sleep. @default 'block'
   */
  lockWait?: 'block' | 'yield';
  /**
   * With `yield`: told when a write starts waiting for the lock and when it is done, so that the other
   * thread gives way (src/service/sqlite-write-gate.ts). @default none
   */
  announceWait?: { want(): void; done(): void };
  /** Called before each write transaction, with no lock held (see SqliteStorageOptions.beforeWrite). */
  beforeWrite?: () => void;
  /**
   * Group commit (with `lockWait: 'block'`, the processing thread's): the writes asked for while the current
   * microtasks run — the ones a turn issues together (its case, run and conversation marks), and those of
   * other turns and deliveries that reach a write in the same run — are written in ONE transaction when the
   * microtasks are done, each in its own savepoint (a write that fails is rolled back alone and only its
   * caller sees the error). Every commit appends its pages to the WAL, so one commit instead of several is
   * less CPU; a caller's promise still resolves only after the transaction holding its write committed.
   * `false`: every write commits alone, at once. @default true
   */
  groupCommit?: boolean;
}

interface QueuedWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const isBusy = (error: unknown) => error instanceof Error && /^SQLITE_BUSY/.test(String((error as Error & { code?: unknown }).code));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const oneMillisecond = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

// Built once: the statement cache is keyed by SQL text.
/** A customer's message, owed a turn; a redelivery is dropped (no row comes back). */
const INSERT_PENDING =
  `INSERT INTO {p}inbox (${INBOX_INSERT_COLUMNS.join(', ')}, status, received_at) VALUES (${INBOX_INSERT_COLUMNS.map(() => '?').join(', ')}, 'pending', ?) ` +
  'ON CONFLICT (provider, message_id) DO NOTHING RETURNING *';
/** An inbox row stored already `done` (the bot's replies, the thread's notes); a redelivery is dropped. */
const INSERT_DONE =
  `INSERT INTO {p}inbox (${INBOX_INSERT_COLUMNS.join(', ')}, status, received_at, processed_at) VALUES (${INBOX_INSERT_COLUMNS.map(() => '?').join(', ')}, 'done', ?, ?) ` +
  'ON CONFLICT (provider, message_id) DO NOTHING';
const INSERT_CONVERSATION =
  'INSERT INTO {p}conversations (conversation_key, provider, customer, name, handoff_status, realerts, created_at, updated_at) ' +
  "VALUES (?, ?, ?, ?, 'bot', 0, ?, ?) ON CONFLICT (conversation_key) DO NOTHING";

/** Items the store is done with; everything else is still owed to the customer and never purged. */
const FINISHED = `status IN ('done', 'forwarded')`;

export class SqliteServiceStore implements ServiceStore {
  readonly kind = 'sqlite';
  readonly dbFile: string;
  readonly tableName: string;
  private readonly synchronous: 'normal' | 'full';
  private readonly busyTimeoutMs: number;
  private readonly lockWait: 'block' | 'yield';
  private readonly announceWait: { want(): void; done(): void } | undefined;
  private readonly beforeWrite: (() => void) | undefined;
  private readonly connection: SqliteConnection;
  private readonly groupCommit: boolean;
  private queuedWrites: QueuedWrite[] = [];
  // One transaction function each (better-sqlite3 builds its BEGIN/COMMIT wrappers when one is made).
  private transaction: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  private savepoint: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  readonly cases: SqlCaseStore;

  constructor(options: SqliteServiceStoreOptions = {}) {
    this.dbFile = options.dbFile ?? './data/zapflow.db';
    this.tableName = assertIdentifier('SqliteServiceStore tableName', options.tableName ?? 'zapflow_');
    this.synchronous = options.synchronous ?? 'normal';
    if (this.synchronous !== 'normal' && this.synchronous !== 'full') {
      throw new TypeError(`SqliteServiceStore synchronous must be 'normal' or 'full', got ${JSON.stringify(options.synchronous)}`);
    }
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.lockWait = options.lockWait ?? 'block';
    this.announceWait = options.announceWait;
    this.beforeWrite = options.beforeWrite;
    this.groupCommit = (options.groupCommit ?? true) && this.lockWait === 'block';
    this.connection = new SqliteConnection(`SqliteServiceStore(${this.dbFile})`, this.tableName);
    const statement = (text: string, params: unknown[]): Row[] => {
      const prepared = this.sql(text);
      if (prepared.reader) return prepared.all(...params) as Row[];
      prepared.run(...params);
      return [];
    };
    this.cases = new SqlCaseStore({
      read: async (text, params) => statement(text, params),
      write: (text, params) => this.write(() => statement(text, params)),
    });
  }

  async init(): Promise<void> {
    if (this.connection.isOpen) return;
    const prefix = this.tableName;
    const db = openSqlite({
      dbFile: this.dbFile,
      prefix,
      synchronous: this.synchronous,
      busyTimeoutMs: this.busyTimeoutMs,
      migrate: (db, file) => db.transaction(() => migrateServiceSqlite(db, file, prefix)).immediate(),
    });
    if (this.lockWait === 'yield') {
      // Retries are ours (write() below); checkpoints are left to the other connections, so that a commit
      // here never also copies the WAL back into the database file.
      db.pragma('busy_timeout = 0');
      db.pragma('wal_autocheckpoint = 0');
    }
    this.connection.open(db);
  }

  async close(): Promise<void> {
    // Writes still queued for this microtask run are committed first: their callers are waiting for them.
    if (this.queuedWrites.length > 0) this.flushWrites();
    this.transaction = undefined;
    this.savepoint = undefined;
    this.connection.close();
  }

  private get db(): Database.Database {
    return this.connection.db;
  }

  private sql(text: string): Database.Statement {
    return this.connection.sql(text);
  }

  /** Runs `work` in one IMMEDIATE transaction. */
  private commit<T>(work: () => T): T {
    this.transaction ??= this.db.transaction((run: () => unknown) => run());
    return this.transaction.immediate(work) as T;
  }

  private async write<T>(work: () => T): Promise<T> {
    if (this.lockWait === 'block') {
      if (this.groupCommit) return this.grouped(work);
      this.beforeWrite?.();
      return this.commit(work);
    }
    const deadline = Date.now() + this.busyTimeoutMs;
    let announced = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          // BEGIN IMMEDIATE fails before `work` runs, so a retry never repeats half a transaction.
          return this.commit(work);
        } catch (error) {
          if (!isBusy(error) || Date.now() >= deadline) throw error;
          if (!announced) this.announceWait?.want();
          announced = true;
          await (attempt <= 8 ? nextTurn() : oneMillisecond());
        }
      }
    } finally {
      if (announced) this.announceWait?.done();
    }
  }

  /**
   * Queues `work` for the group commit (see `groupCommit`). The flush is a process.nextTick: it runs once the
   * current microtasks are drained, so no event-loop turn is added and a turn never gives the loop back here.
   */
  private grouped<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queuedWrites.length === 0) process.nextTick(() => this.flushWrites());
      this.queuedWrites.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private flushWrites(): void {
    const batch = this.queuedWrites;
    this.queuedWrites = [];
    if (batch.length === 0) return;
    try {
      this.beforeWrite?.();
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    if (batch.length === 1) {
      const only = batch[0]!;
      try {
        only.resolve(this.commit(only.work));
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.commit(() => {
        // A nested better-sqlite3 transaction is a savepoint: a write that throws is rolled back alone.
        this.savepoint ??= this.db.transaction((run: () => unknown) => run());
        for (const queued of batch) {
          try {
            outcomes.push({ ok: true, value: this.savepoint(queued.work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed (the lock stayed taken past busy_timeout, the disk is full): nothing is written.
      for (const queued of batch) queued.reject(error);
      return;
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  async insertInbox(items: InboxItem[], now: number): Promise<InboxRecord[]> {
    const insertItem = this.sql(INSERT_PENDING);
    const insertConversation = this.sql(INSERT_CONVERSATION);
    return this.write(() => {
      const inserted: InboxRecord[] = [];
      for (const item of items) {
        const row = insertItem.get(...inboxItemToParams(item), now) as Row | undefined;
        if (!row) continue; // a redelivery
        inserted.push(inboxFromRow(row));
        insertConversation.run(item.conversationKey, item.provider, item.customer, item.name || null, now, now);
      }
      return inserted;
    });
  }

  async recordProcessed(items: InboxItem[], now: number): Promise<void> {
    if (items.length === 0) return;
    // Like insertInbox, without reading the rows back: nobody needs them.
    const insertItem = this.sql(INSERT_DONE);
    const insertConversation = this.sql(INSERT_CONVERSATION);
    await this.write(() => {
      for (const item of items) {
        if (insertItem.run(...inboxItemToParams(item), now, now).changes === 0) continue; // recorded before
        insertConversation.run(item.conversationKey, item.provider, item.customer, item.name || null, now, now);
      }
    });
  }

  async appendThread(items: InboxItem[], now: number): Promise<void> {
    if (items.length === 0) return;
    const insert = this.sql(INSERT_DONE);
    await this.write(() => {
      for (const item of items) insert.run(...inboxItemToParams(item), now, now);
    });
  }

  async conversationsWithPendingInbox(): Promise<string[]> {
    const rows = this.sql(
      "SELECT conversation_key FROM {p}inbox WHERE status IN ('pending', 'processing') GROUP BY conversation_key ORDER BY min(id)",
    ).all() as Array<{ conversation_key: string }>;
    return rows.map((row) => row.conversation_key);
  }

  async takePending(conversationKey: string, runId: string, now: number): Promise<InboxRecord[]> {
    return this.write(() => {
      // Usually none; the first in the customer's order is picked here, not by an ORDER BY (a sort costs
      // ~15 µs in SQLite even for no rows, and every turn asks).
      const left = this.sql("SELECT run_id, sent_at, id FROM {p}inbox WHERE conversation_key = ? AND status = 'processing'")
        .all(conversationKey) as Array<{ run_id: string | null; sent_at: number; id: number }>;
      let crashed: (typeof left)[number] | undefined;
      for (const row of left) if (!crashed || (row.sent_at - crashed.sent_at || row.id - crashed.id) < 0) crashed = row;
      if (crashed === undefined) {
        // The rows it marks are the batch: returned by the UPDATE itself, put in the customer's order here.
        const taken = this.sql("UPDATE {p}inbox SET status = 'processing', run_id = ?, processed_at = ? WHERE conversation_key = ? AND status = 'pending' RETURNING *")
          .all(runId, now, conversationKey) as Row[];
        return taken.map(inboxFromRow).sort(byCustomerOrder);
      }
      const rows = this.sql("SELECT * FROM {p}inbox WHERE conversation_key = ? AND status = 'processing' AND run_id IS ? ORDER BY sent_at, id")
        .all(conversationKey, crashed.run_id) as Row[];
      return rows.map(inboxFromRow);
    });
  }

  async markInbox(ids: number[], status: InboxStatus, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.write(() => this.sql('UPDATE {p}inbox SET status = ?, processed_at = ? WHERE id IN (SELECT value FROM json_each(?))')
      .run(status, now, encodeJson(ids)));
  }

  async recordOwnMessages(messages: OwnMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.write(() => {
      const insert = this.sql('INSERT OR IGNORE INTO {p}own_messages (provider, message_id, conversation_key, sent_at) VALUES (?, ?, ?, ?)');
      for (const m of messages) insert.run(m.provider, m.messageId, m.conversationKey, m.sentAt);
    });
  }

  async isOwnMessage(provider: OwnMessage['provider'], messageId: string): Promise<boolean> {
    return this.sql('SELECT 1 FROM {p}own_messages WHERE provider = ? AND message_id = ?').get(provider, messageId) !== undefined;
  }

  async recentMessages(conversationKey: string, limit: number): Promise<InboxRecord[]> {
    const rows = this.sql('SELECT * FROM {p}inbox WHERE conversation_key = ? ORDER BY sent_at DESC, id DESC LIMIT ?')
      .all(conversationKey, Math.max(0, limit)) as Row[];
    return rows.reverse().map(inboxFromRow);
  }

  async getConversation(conversationKey: string): Promise<ConversationRecord | undefined> {
    const row = this.sql('SELECT * FROM {p}conversations WHERE conversation_key = ?').get(conversationKey) as Row | undefined;
    return row && conversationFromRow(row);
  }

  async updateConversation(conversationKey: string, patch: ConversationPatch, now: number, expected?: ConversationExpectation): Promise<ConversationRecord> {
    const assignments = patchAssignments(conversationKey, patch);
    const columns = [...assignments.map(([column]) => `${column} = ?`), 'updated_at = ?'].join(', ');
    const condition = expectationConditions(expected, () => '?', 0);
    const row = await this.write(() => this.sql(`UPDATE {p}conversations SET ${columns} WHERE conversation_key = ?${condition.sql} RETURNING *`)
      .get(...assignments.map(([, value]) => value), now, conversationKey, ...condition.values)) as Row | undefined;
    if (!row) {
      if (expected !== undefined && (await this.getConversation(conversationKey))) throw new ConversationChangedError(conversationKey, expected);
      throw new ConversationNotFoundError(conversationKey);
    }
    return conversationFromRow(row);
  }

  async countConversations(handoffStatus: HandoffStatus): Promise<number> {
    const row = this.sql('SELECT count(*) AS n FROM {p}conversations WHERE handoff_status = ?').get(handoffStatus) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  }

  async inboxProgress(recentFrom: number): Promise<InboxProgress> {
    const oldest = this.sql("SELECT min(received_at) AS at FROM {p}inbox WHERE status IN ('pending', 'processing')").get() as { at: number | null };
    if (oldest.at === null) return {};
    const finished = this.sql("SELECT max(processed_at) AS at FROM {p}inbox WHERE status IN ('done', 'forwarded') AND received_at >= ?")
      .get(Math.max(Number(oldest.at), recentFrom)) as { at: number | null };
    return { oldestWaitingAt: Number(oldest.at), ...(finished.at === null ? {} : { lastFinishedAt: Number(finished.at) }) };
  }

  async listConversations(filter: { handoffStatus?: HandoffStatus; limit?: number }): Promise<ConversationRecord[]> {
    const limit = Math.max(0, filter.limit ?? 100);
    const rows = (filter.handoffStatus === undefined
      ? this.sql('SELECT * FROM {p}conversations ORDER BY updated_at DESC, conversation_key LIMIT ?').all(limit)
      : this.sql('SELECT * FROM {p}conversations WHERE handoff_status = ? ORDER BY updated_at DESC, conversation_key LIMIT ?')
        .all(filter.handoffStatus, limit)) as Row[];
    return rows.map(conversationFromRow);
  }

  async purge(before: number): Promise<{ inbox: number; conversations: number }> {
    return this.write(() => {
      const inbox = this.sql(`DELETE FROM {p}inbox WHERE received_at < ? AND ${FINISHED}`).run(before).changes;
      this.sql('DELETE FROM {p}own_messages WHERE sent_at < ?').run(before);
      // A conversation goes only once nothing of it is left in the inbox, and never while a person owns it.
      const conversations = this.sql(
        "DELETE FROM {p}conversations WHERE updated_at < ? AND handoff_status = 'bot' " +
          'AND NOT EXISTS (SELECT 1 FROM {p}inbox i WHERE i.conversation_key = {p}conversations.conversation_key)',
      ).run(before).changes;
      return { inbox, conversations };
    });
  }
}
