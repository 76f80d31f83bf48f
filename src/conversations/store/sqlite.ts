/**
 * SQLite ServiceStore (better-sqlite3): the embedded default, usually in the same file as the engine's
 * tables, on its own connection. WAL lets readers run beside the writer; writes run in IMMEDIATE
 * transactions (the write lock taken up front, waiting up to busyTimeoutMs for another process), so the
 * inbox insert and its conversation rows commit together or not at all.
 */
import type Database from 'better-sqlite3';
import { assertIdentifier, encodeJson } from '../../engine/storage-kit.js';
import { openSqlite } from '../../engine/storage-kit.js';
import { SqliteConnection, type SharedSqlite } from '../../engine/storage-kit.js';
import { SqlCaseStore } from './case-sql.js';
import { migrateServiceSqlite } from './migrate.js';
import { SqliteWriter } from './sqlite-writer.js';
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
  /** Group commit of the writes of one microtask run, with `lockWait: 'block'` (./sqlite-writer.ts). @default true */
  groupCommit?: boolean;
  /**
   * Write through the engine storage's connection and group commit (SqliteStorage.shared()) instead of a
   * connection of its own: the service's writes and the runs' share transactions, and a transaction held
   * open (SqliteStorageOptions.holdOpen) holds both. The storage must be open first and stays the owner.
   * @default a connection of its own
   */
  share?: SharedSqlite;
}

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
  private readonly connection: SqliteConnection;
  /** `share`: the connection is the engine storage's, which opens and closes it. */
  private readonly shared: boolean;
  private readonly writer: SqliteWriter;
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
    this.shared = options.share !== undefined;
    if (options.share && this.lockWait !== 'block') throw new TypeError("SqliteServiceStore share needs lockWait 'block' (the storage's group commit waits for the lock)");
    this.connection = options.share?.connection ?? new SqliteConnection(`SqliteServiceStore(${this.dbFile})`, this.tableName);
    this.writer = new SqliteWriter(() => this.connection.db, {
      lockWait: this.lockWait,
      busyTimeoutMs: this.busyTimeoutMs,
      announceWait: options.announceWait,
      beforeWrite: options.beforeWrite,
      groupCommit: options.groupCommit ?? true,
      commits: options.share?.commits,
    });
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
    const prefix = this.tableName;
    if (this.shared) {
      const { db } = this.connection;
      db.transaction(() => migrateServiceSqlite(db, this.dbFile, prefix)).immediate();
      return;
    }
    if (this.connection.isOpen) return;
    const db = openSqlite({
      dbFile: this.dbFile,
      prefix,
      synchronous: this.synchronous,
      busyTimeoutMs: this.busyTimeoutMs,
      migrate: (db, file) => db.transaction(() => migrateServiceSqlite(db, file, prefix)).immediate(),
    });
    if (this.lockWait === 'yield') {
      // Retries are ours (./sqlite-writer.ts); checkpoints are left to the other connections, so that a commit
      // here never also copies the WAL back into the database file.
      db.pragma('busy_timeout = 0');
      db.pragma('wal_autocheckpoint = 0');
    }
    this.connection.open(db);
  }

  async close(): Promise<void> {
    this.writer.close();
    if (!this.shared) this.connection.close();
  }

  private sql(text: string): Database.Statement {
    return this.connection.sql(text);
  }

  private write<T>(work: () => T): Promise<T> {
    return this.writer.write(work);
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
      // Usually none; the first in the customer's order is picked here, not by an ORDER BY: every turn asks,
      // and a row or two need no sort.
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
