/**
 * The intake spool: on SQLite beside a processing thread, the request thread commits a webhook's messages to a
 * file of its own (`zapflow.intake.db` beside `zapflow.db`) before the provider gets its 200, and the processing
 * thread moves them into the inbox.
 *
 * Why a file of its own: SQLite has one write lock per file, and the processing thread holds the main file's
 * lock through its commit window (SQLITE_COMMIT_WINDOW_MS: the turns under way share one commit). An inbox
 * commit in that file waited for the window's end — webhook acks at ~2.2× the bare receiver's p99 at 1,000
 * messages a second (bench/README.md, issue 21). The spool's only writer is the request thread: an ack waits
 * for nobody's commit.
 *
 * What keeps "a message acked is a message stored":
 * - A spooled row is committed before the ack, like an inbox row was (same durability setting).
 * - The processing thread reads the spool on its own connection (SqliteIntakeSpoolReader) and inserts the rows
 *   with the inbox's own insert, which drops a message id it already holds: moving a row twice (a crash between
 *   the move and the prune, a restart) stores it once.
 * - A row leaves the spool only once the inbox holds its message as COMMITTED in the main file (`prune` reads
 *   the main file through ATTACH, which sees committed data only). A crash at any point leaves every acked
 *   message in the spool or in the inbox, and the processing thread's start moves what is left.
 * - Ids grow forever (AUTOINCREMENT): the reader moves rows by id, and an emptied table must not hand out an
 *   id it already moved past.
 * A provider's redelivery is dropped by the spool's unique key while the original is spooled, and by the inbox's
 * after it moved. Message text is kept in two places only until the next prune (a second).
 */
import { basename, dirname, extname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { assertIdentifier, openSqlite, SqliteConnection } from '../../engine/storage-kit.js';
import { INBOX_INSERT_COLUMNS, inboxFromRow, inboxItemToParams, type Row } from './rows.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { InboxItem, InboxProgress, InboxRecord, ServiceStore } from './types.js';

/** The spool file beside the main database file: `data/zapflow.db` → `data/zapflow.intake.db`. */
export function intakeSpoolFile(dbFile: string): string {
  const extension = extname(dbFile);
  return join(dirname(dbFile), `${basename(dbFile, extension)}.intake${extension}`);
}

export interface SqliteIntakeSpoolOptions {
  /** The main database file (the inbox's); the spool is intakeSpoolFile(dbFile). */
  dbFile: string;
  /** Prefix of the tables (the service tables'). @default 'zapflow_' */
  tableName?: string;
  /** As the main file's: 'normal' survives a process kill, 'full' a power loss too. @default 'normal' */
  synchronous?: 'normal' | 'full';
  /** How long a write keeps retrying when another process holds the spool's lock. @default 5000 */
  busyTimeoutMs?: number;
  /** How often moved rows are deleted (and the spool's WAL copied back into its file). @default 1000 */
  pruneEveryMs?: number;
  /** A prune failed (it is tried again at the next tick; the rows stay, nothing is lost). */
  onPruneError?: (error: unknown) => void;
}

const createTable = (prefix: string) =>
  `CREATE TABLE IF NOT EXISTS ${prefix}intake_spool (` +
  'id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, message_id TEXT NOT NULL, conversation_key TEXT NOT NULL, ' +
  'kind TEXT NOT NULL, customer TEXT NOT NULL, name TEXT, text TEXT NOT NULL, sent_at INTEGER NOT NULL, raw TEXT, received_at INTEGER NOT NULL, ' +
  'UNIQUE (provider, message_id))';

/**
 * Every connection to the spool: checkpoints are the request thread's, after its prunes, off the ack path —
 * never inside whichever commit crossed 1,000 pages, nor by the reader, which never needs to copy the WAL back.
 */
function openSpool(file: string, prefix: string, synchronous: 'normal' | 'full', busyTimeoutMs: number): Database.Database {
  const db = openSqlite({
    dbFile: file, prefix, synchronous, busyTimeoutMs,
    migrate: (opened) => opened.transaction(() => opened.exec(createTable(prefix))).immediate(),
  });
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

const INSERT =
  `INSERT INTO {p}intake_spool (${INBOX_INSERT_COLUMNS.join(', ')}, received_at) VALUES (${INBOX_INSERT_COLUMNS.map(() => '?').join(', ')}, ?) ` +
  'ON CONFLICT (provider, message_id) DO NOTHING RETURNING id';
/** `inbox_db` is the main file, attached: its committed inbox. */
const PRUNE =
  'DELETE FROM {p}intake_spool WHERE EXISTS (SELECT 1 FROM inbox_db.{p}inbox i ' +
  'WHERE i.provider = {p}intake_spool.provider AND i.message_id = {p}intake_spool.message_id)';

/** The request thread's side: spools webhooks' messages, and deletes the ones the inbox holds. */
export class SqliteIntakeSpool {
  readonly file: string;
  private readonly prefix: string;
  private readonly connection: SqliteConnection;
  private readonly pruner: SqliteConnection;
  private readonly writer: SqliteWriter;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SqliteIntakeSpoolOptions) {
    this.file = intakeSpoolFile(options.dbFile);
    this.prefix = assertIdentifier('SqliteIntakeSpool tableName', options.tableName ?? 'zapflow_');
    this.connection = new SqliteConnection(`SqliteIntakeSpool(${this.file})`, this.prefix);
    this.pruner = new SqliteConnection(`SqliteIntakeSpool(${this.file}) pruner`, this.prefix);
    // Never sleeps the request thread: a write that finds the lock taken (another process on this file) retries
    // from the event loop.
    this.writer = new SqliteWriter(() => this.connection.db, { lockWait: 'yield', busyTimeoutMs: options.busyTimeoutMs ?? 5000, groupCommit: false });
  }

  async init(): Promise<void> {
    if (this.connection.isOpen) return;
    // Opened (and migrated) waiting up to busyTimeoutMs for another process; then busy_timeout 0 on both: the
    // request thread never sleeps on a lock (the writer retries from the event loop, a prune at the next tick).
    const db = openSpool(this.file, this.prefix, this.options.synchronous ?? 'normal', this.options.busyTimeoutMs ?? 5000);
    db.pragma('busy_timeout = 0');
    this.connection.open(db);
    // Its own connection, with the main file attached: BEGIN IMMEDIATE takes the write lock of every database
    // attached to a connection, so the inserts' connection must not see the main file. The prune is one
    // statement in autocommit, which only reads the main file (no lock there in WAL mode).
    const pruner = openSpool(this.file, this.prefix, this.options.synchronous ?? 'normal', this.options.busyTimeoutMs ?? 5000);
    pruner.pragma('busy_timeout = 0');
    pruner.prepare('ATTACH DATABASE ? AS inbox_db').run(this.options.dbFile);
    this.pruner.open(pruner);
    const every = this.options.pruneEveryMs ?? 1000;
    this.pruneTimer = setInterval(() => {
      this.prune().catch((error: unknown) => this.options.onPruneError?.(error));
    }, every).unref();
  }

  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    this.writer.close();
    this.pruner.close();
    this.connection.close();
  }

  /**
   * Same contract as ServiceStore.insertInbox for the intake (InboxGroupCommit): the items that were new, once
   * committed — as the spool holds them (their `id` is the spool's, their status `pending`). Built from the items
   * in hand: on the ack path, reading each row back and parsing its raw JSON again would be work for nothing.
   */
  async insertInbox(items: InboxItem[], now: number): Promise<InboxRecord[]> {
    const insert = this.connection.sql(INSERT);
    return this.writer.write(() => {
      const inserted: InboxRecord[] = [];
      for (const item of items) {
        const row = insert.get(...inboxItemToParams(item), now) as { id: number } | undefined;
        if (row) inserted.push({ ...item, id: Number(row.id), status: 'pending', receivedAt: now });
      }
      return inserted;
    });
  }

  /**
   * Deletes the spooled rows whose message the inbox holds (committed); returns how many. The spool's lock is
   * taken by this thread only (another process on the file makes it fail; the next tick tries again).
   */
  async prune(): Promise<number> {
    const deleted = this.pruner.sql(PRUNE).run().changes;
    // Every tick, not only after deletes: while the processing thread cannot move (the main file locked for
    // long), the acks keep appending to the WAL, which only a checkpoint keeps from growing.
    this.connection.db.pragma('wal_checkpoint(PASSIVE)');
    return deleted;
  }

  /**
   * The inbox's progress (ServiceStore.inboxProgress) with the spool's oldest row counted as waiting: messages
   * the processing thread does not move show in readiness as a backlog that does not move. (A row moved and not
   * yet pruned is at most a prune interval old.)
   */
  async inboxProgressWith(inbox: Pick<ServiceStore, 'inboxProgress'>, recentFrom: number): Promise<InboxProgress> {
    const progress = await inbox.inboxProgress(recentFrom);
    const oldest = this.connection.sql('SELECT min(received_at) AS at FROM {p}intake_spool').get() as { at: number | null };
    if (oldest.at === null || (progress.oldestWaitingAt !== undefined && progress.oldestWaitingAt <= oldest.at)) return progress;
    return { ...progress, oldestWaitingAt: Number(oldest.at) };
  }
}

/** A spooled message, as the processing thread reads it. */
export interface SpooledMessage {
  id: number;
  receivedAt: number;
  item: InboxItem;
}

/** The processing thread's side: reads the spool on a connection of its own (it never writes it). */
export class SqliteIntakeSpoolReader {
  readonly file: string;
  private readonly prefix: string;
  private readonly connection: SqliteConnection;

  constructor(private readonly options: Pick<SqliteIntakeSpoolOptions, 'dbFile' | 'tableName' | 'synchronous' | 'busyTimeoutMs'>) {
    this.file = intakeSpoolFile(options.dbFile);
    this.prefix = assertIdentifier('SqliteIntakeSpoolReader tableName', options.tableName ?? 'zapflow_');
    this.connection = new SqliteConnection(`SqliteIntakeSpoolReader(${this.file})`, this.prefix);
  }

  async init(): Promise<void> {
    if (this.connection.isOpen) return;
    this.connection.open(openSpool(this.file, this.prefix, this.options.synchronous ?? 'normal', this.options.busyTimeoutMs ?? 5000));
  }

  close(): void {
    this.connection.close();
  }

  /** Up to `limit` spooled messages after id `afterId`, in id order (the order they were acked). */
  after(afterId: number, limit: number): SpooledMessage[] {
    const rows = this.connection.sql('SELECT * FROM {p}intake_spool WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Row[];
    return rows.map((row) => {
      const { id, receivedAt, status: _status, ...item } = inboxFromRow({ ...row, status: 'pending' });
      return { id, receivedAt, item };
    });
  }
}
