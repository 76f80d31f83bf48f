/**
 * Postgres ServiceStore (`pg`): the production backend, usually beside the engine's tables. The webhook's
 * insert is ONE statement (inbox rows and the conversation rows they need, via a data-modifying CTE) on
 * connections of its own, so the ack waits for a single round trip and never for a free connection behind
 * the conversation turns; taking a conversation's pending messages is one UPDATE … RETURNING.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { StorageUnavailableError } from '../../engine/index.js';
import { checkOut, ownedPool, PG_RAW_TYPES } from '../../engine/storage-kit.js';
import { connectWithRetry } from '../../engine/storage-kit.js';
import { assertIdentifier } from '../../engine/storage-kit.js';
import { numberedPlaceholders, SqlCaseStore } from './case-sql.js';
import { migrateServicePostgres } from './migrate.js';
import { INBOX_INSERT_COLUMNS, conversationFromRow, expectationConditions, inboxFromRow, inboxItemToParams, patchAssignments } from './rows.js';
import type { Row } from './rows.js';
import type {
  ConversationExpectation, ConversationPatch, ConversationRecord, HandoffStatus, InboxItem, InboxProgress, InboxRecord, InboxStatus, OwnMessage, ServiceStore,
} from './types.js';
import { ConversationChangedError, ConversationNotFoundError } from './types.js';

export interface PostgresServiceStoreOptions {
  /** Connection string, e.g. `process.env.DATABASE_URL`. Required unless `pool` is given. */
  dbUrl?: string;
  /** Bring your own pool (e.g. the engine storage's): `close()` leaves it open. */
  pool?: pg.Pool;
  /** Prefix of the service tables. @default 'zapflow_' */
  tableName?: string;
  /** Schema holding the tables; created if missing. @default 'public' */
  schema?: string;
  /** Connections of the pool this store creates. @default 5 */
  poolSize?: number;
  /**
   * Connections reserved for `insertInbox` (the webhook path: the provider waits for its commit), so a
   * backlog of conversation turns holding the main pool never delays an acknowledgement. Not used with a
   * caller's `pool`. @default 2
   */
  intakePoolSize?: number;
  /** Connection attempts at `init()` before StorageUnavailableError (the wait doubles from 250 ms). @default 5 */
  connectAttempts?: number;
  /**
   * Runs inside the inbox insert's transaction with the rows that were new (scale-out: their conversations'
   * turn jobs), so an acked message always has its job. Without it the insert is one autocommit statement.
   */
  withinInboxCommit?: (client: pg.PoolClient, stored: InboxRecord[]) => Promise<void>;
}

const DEADLOCK = '40P01';
const sqlArrayTypes: Record<(typeof INBOX_INSERT_COLUMNS)[number], string> = {
  provider: 'text', message_id: 'text', conversation_key: 'text', kind: 'text', customer: 'text', name: 'text', text: 'text', sent_at: 'bigint', raw: 'json',
};

export class PostgresServiceStore implements ServiceStore {
  readonly kind = 'postgres';
  readonly tableName: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  /** The webhook path's own connections (the main pool when the caller gave one). */
  private readonly intakePool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly where: string;
  private readonly connectAttempts: number;
  private readonly statementNames = new Map<string, string>();
  private ready: Promise<void> | undefined;
  private closed = false;
  readonly cases: SqlCaseStore;

  constructor(private readonly options: PostgresServiceStoreOptions) {
    if (!options.pool && !options.dbUrl) {
      throw new TypeError('PostgresServiceStore needs dbUrl (e.g. process.env.DATABASE_URL) or an existing pg pool.');
    }
    this.tableName = assertIdentifier('PostgresServiceStore tableName', options.tableName ?? 'zapflow_');
    this.schema = assertIdentifier('PostgresServiceStore schema', options.schema ?? 'public');
    this.connectAttempts = Math.max(1, options.connectAttempts ?? 5);
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? ownedPool(options.dbUrl, options.poolSize ?? 5);
    this.intakePool = options.pool ?? ownedPool(options.dbUrl, options.intakePoolSize ?? 2);
    this.where = describeServer(options.dbUrl);
    const run = (text: string, params: unknown[]) => this.query(numberedPlaceholders(text), params);
    this.cases = new SqlCaseStore({ read: run, write: run });
  }

  init(): Promise<void> {
    this.ready ??= this.connectAndMigrate().catch((error: unknown) => {
      this.ready = undefined; // a later init() (a readiness retry) tries again
      throw error;
    });
    return this.ready;
  }

  private async connectAndMigrate(): Promise<void> {
    const target = { schema: this.schema, prefix: this.tableName, where: this.where };
    const { client, release } = await connectWithRetry(this.pool, target, this.connectAttempts, 250);
    try {
      await migrateServicePostgres(client, this.schema, this.tableName, this.where);
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await Promise.all([this.pool.end(), this.intakePool.end()]);
  }

  /** `{p}` is the schema-qualified table prefix. Named (prepared once per connection) per SQL text. */
  private async query(text: string, values: unknown[], prepared = true, pool: pg.Pool | pg.PoolClient = this.pool): Promise<Row[]> {
    const sql = text.replaceAll('{p}', `"${this.schema}".${this.tableName}`);
    let name: string | undefined;
    if (prepared) {
      name = this.statementNames.get(text);
      if (!name) {
        name = `zfs_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
        this.statementNames.set(text, name);
      }
    }
    try {
      return (await pool.query<Row>({ ...(name ? { name } : {}), text: sql, values, types: PG_RAW_TYPES })).rows;
    } catch (error) {
      if (this.closed) throw new StorageUnavailableError('PostgresServiceStore is closed.', { cause: error });
      throw error;
    }
  }

  async insertInbox(items: InboxItem[], now: number): Promise<InboxRecord[]> {
    return this.insert(items, now, 'pending');
  }

  async recordProcessed(items: InboxItem[], now: number): Promise<void> {
    await this.insert(items, now, 'done');
  }

  private async insert(items: InboxItem[], now: number, status: 'pending' | 'done'): Promise<InboxRecord[]> {
    if (items.length === 0) return [];
    const columns = INBOX_INSERT_COLUMNS.map((column, index) => [column, index] as const);
    // One array parameter per column (unnest): the same SQL text for any batch size, so it stays prepared.
    const text =
      `WITH item AS (SELECT * FROM unnest(${columns.map(([column, i]) => `$${i + 1}::${sqlArrayTypes[column]}[]`).join(', ')}) ` +
        `WITH ORDINALITY AS t(${INBOX_INSERT_COLUMNS.join(', ')}, position)), ` +
      `inserted AS (INSERT INTO {p}inbox (${INBOX_INSERT_COLUMNS.join(', ')}, status, received_at, processed_at) ` +
        `SELECT ${INBOX_INSERT_COLUMNS.join(', ')}, $${columns.length + 2}::text, $${columns.length + 1}, ` +
        `CASE WHEN $${columns.length + 2}::text = 'done' THEN $${columns.length + 1}::bigint END FROM item ORDER BY position ` +
        'ON CONFLICT (provider, message_id) DO NOTHING RETURNING *), ' +
      // A new conversation takes its name from its first new message, like the in-memory store.
      'conversation AS (INSERT INTO {p}conversations (conversation_key, provider, customer, name, handoff_status, realerts, created_at, updated_at) ' +
        `SELECT DISTINCT ON (conversation_key) conversation_key, provider, customer, NULLIF(name, ''), 'bot', 0, $${columns.length + 1}, $${columns.length + 1} ` +
        'FROM inserted ORDER BY conversation_key, id ON CONFLICT (conversation_key) DO NOTHING) ' +
      'SELECT * FROM inserted ORDER BY id';
    const params = items.map(inboxItemToParams);
    const values = [...columns.map(([, index]) => params.map((row) => row[index])), now, status];
    // Only customer messages get turn jobs; the bot's own replies are stored done.
    const withinCommit = status === 'pending' ? this.options.withinInboxCommit : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        if (withinCommit) return await this.insertWithinTransaction(text, values, withinCommit);
        return (await this.query(text, values, true, status === 'pending' ? this.intakePool : this.pool)).map(inboxFromRow);
      } catch (error) {
        // Two deliveries of overlapping batches in different orders can wait on each other's new rows; the
        // statement is idempotent, so running it again is safe.
        if ((error as { code?: unknown }).code !== DEADLOCK || attempt >= 3) throw error;
      }
    }
  }

  async appendThread(items: InboxItem[], now: number): Promise<void> {
    if (items.length === 0) return;
    const columns = INBOX_INSERT_COLUMNS.map((column, index) => [column, index] as const);
    const text =
      `INSERT INTO {p}inbox (${INBOX_INSERT_COLUMNS.join(', ')}, status, received_at, processed_at) ` +
      `SELECT *, 'done', $${columns.length + 1}::bigint, $${columns.length + 1}::bigint FROM unnest(${columns.map(([column, i]) => `$${i + 1}::${sqlArrayTypes[column]}[]`).join(', ')}) ` +
      'ON CONFLICT (provider, message_id) DO NOTHING';
    const params = items.map(inboxItemToParams);
    await this.query(text, [...columns.map(([, index]) => params.map((row) => row[index])), now]);
  }

  private async insertWithinTransaction(text: string, values: unknown[], withinCommit: NonNullable<PostgresServiceStoreOptions['withinInboxCommit']>): Promise<InboxRecord[]> {
    const { client, release } = await checkOut(this.intakePool);
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const stored = (await this.query(text, values, true, client)).map(inboxFromRow);
      await withinCommit(client, stored);
      await client.query('COMMIT');
      return stored;
    } catch (error) {
      broken = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction may be dead (a database restart): do not pool it again.
      release(broken instanceof Error && !('code' in broken) ? broken : undefined);
    }
  }

  async conversationsWithPendingInbox(): Promise<string[]> {
    const rows = await this.query(
      "SELECT conversation_key FROM {p}inbox WHERE status IN ('pending', 'processing') GROUP BY conversation_key ORDER BY min(id)", [],
    );
    return rows.map((row) => String(row.conversation_key));
  }

  async takePending(conversationKey: string, runId: string, now: number): Promise<InboxRecord[]> {
    // One statement, one snapshot: the rows a crashed run left processing (that run's only), or else the
    // pending rows, taken for `runId` — never both, so a recovered run gets exactly the messages it had.
    const rows = await this.query(
      "WITH crashed AS (SELECT run_id FROM {p}inbox WHERE conversation_key = $1 AND status = 'processing' ORDER BY sent_at, id LIMIT 1), " +
        "taken AS (UPDATE {p}inbox SET status = 'processing', run_id = $2, processed_at = $3 " +
        "WHERE conversation_key = $1 AND status = 'pending' AND NOT EXISTS (SELECT 1 FROM crashed) RETURNING *) " +
        'SELECT * FROM (SELECT * FROM taken UNION ALL ' +
        "SELECT i.* FROM {p}inbox i JOIN crashed c ON i.run_id = c.run_id WHERE i.conversation_key = $1 AND i.status = 'processing') AS batch " +
        'ORDER BY sent_at, id',
      [conversationKey, runId, now],
    );
    return rows.map(inboxFromRow);
  }

  async markInbox(ids: number[], status: InboxStatus, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.query('UPDATE {p}inbox SET status = $1, processed_at = $2 WHERE id = ANY($3::bigint[])', [status, now, ids]);
  }

  async recordOwnMessages(messages: OwnMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.query(
      'INSERT INTO {p}own_messages (provider, message_id, conversation_key, sent_at) ' +
        'SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING',
      [messages.map((m) => m.provider), messages.map((m) => m.messageId), messages.map((m) => m.conversationKey), messages.map((m) => m.sentAt)],
    );
  }

  async isOwnMessage(provider: OwnMessage['provider'], messageId: string): Promise<boolean> {
    const rows = await this.query('SELECT 1 FROM {p}own_messages WHERE provider = $1 AND message_id = $2', [provider, messageId]);
    return rows.length > 0;
  }

  async recentMessages(conversationKey: string, limit: number): Promise<InboxRecord[]> {
    const rows = await this.query(
      'SELECT * FROM {p}inbox WHERE conversation_key = $1 ORDER BY sent_at DESC, id DESC LIMIT $2', [conversationKey, Math.max(0, limit)],
    );
    return rows.reverse().map(inboxFromRow);
  }

  async getConversation(conversationKey: string): Promise<ConversationRecord | undefined> {
    const [row] = await this.query('SELECT * FROM {p}conversations WHERE conversation_key = $1', [conversationKey]);
    return row && conversationFromRow(row);
  }

  async updateConversation(conversationKey: string, patch: ConversationPatch, now: number, expected?: ConversationExpectation): Promise<ConversationRecord> {
    const assignments = patchAssignments(conversationKey, patch);
    const columns = [...assignments.map(([column], i) => `${column} = $${i + 3}`), 'updated_at = $2'].join(', ');
    const condition = expectationConditions(expected, (index) => `$${index}`, assignments.length + 3);
    // Unprepared: the SQL text depends on which fields the patch holds.
    const [row] = await this.query(
      `UPDATE {p}conversations SET ${columns} WHERE conversation_key = $1${condition.sql} RETURNING *`,
      [conversationKey, now, ...assignments.map(([, value]) => value), ...condition.values],
      false,
    );
    if (!row) {
      if (expected !== undefined && (await this.getConversation(conversationKey))) throw new ConversationChangedError(conversationKey, expected);
      throw new ConversationNotFoundError(conversationKey);
    }
    return conversationFromRow(row);
  }

  async inboxProgress(recentFrom: number): Promise<InboxProgress> {
    const [row] = await this.query(
      "WITH oldest AS (SELECT min(received_at) AS at FROM {p}inbox WHERE status IN ('pending', 'processing')) " +
        'SELECT oldest.at AS oldest_waiting_at, (SELECT max(processed_at) FROM {p}inbox ' +
        "WHERE status IN ('done', 'forwarded') AND received_at >= GREATEST(oldest.at, $1::bigint)) AS last_finished_at FROM oldest",
      [recentFrom],
    );
    if (row?.oldest_waiting_at === null || row?.oldest_waiting_at === undefined) return {};
    return {
      oldestWaitingAt: Number(row.oldest_waiting_at),
      ...(row.last_finished_at === null || row.last_finished_at === undefined ? {} : { lastFinishedAt: Number(row.last_finished_at) }),
    };
  }

  async listConversations(filter: { handoffStatus?: HandoffStatus; limit?: number }): Promise<ConversationRecord[]> {
    const rows = await this.query(
      'SELECT * FROM {p}conversations WHERE $1::text IS NULL OR handoff_status = $1 ORDER BY updated_at DESC, conversation_key LIMIT $2',
      [filter.handoffStatus ?? null, Math.max(0, filter.limit ?? 100)],
    );
    return rows.map(conversationFromRow);
  }

  async countConversations(handoffStatus: HandoffStatus): Promise<number> {
    const rows = await this.query('SELECT count(*) AS n FROM {p}conversations WHERE handoff_status = $1', [handoffStatus]);
    return Number(rows[0]?.n ?? 0);
  }

  async purge(before: number): Promise<{ inbox: number; conversations: number }> {
    // One statement, one snapshot: a conversation goes only when none of its inbox rows outlive this purge,
    // and never while a person owns it.
    const [row] = await this.query(
      "WITH gone AS (DELETE FROM {p}inbox WHERE received_at < $1 AND status IN ('done', 'forwarded') RETURNING 1), " +
        "idle AS (DELETE FROM {p}conversations c WHERE c.updated_at < $1 AND c.handoff_status = 'bot' AND NOT EXISTS (" +
        'SELECT 1 FROM {p}inbox i WHERE i.conversation_key = c.conversation_key ' +
        "AND NOT (i.received_at < $1 AND i.status IN ('done', 'forwarded'))) RETURNING 1) " +
        'SELECT (SELECT count(*) FROM gone) AS inbox, (SELECT count(*) FROM idle) AS conversations',
      [before],
    );
    await this.query('DELETE FROM {p}own_messages WHERE sent_at < $1', [before]);
    // The WhatsApp MCP server's shared log holds recipients' numbers (LGPD): it goes with the inbox. Its
    // idempotency keys are long past any outbox retry (OUTBOX_RETRY_HOURS ≤ 14 days) by then.
    await this.query('DELETE FROM {p}sent_messages WHERE created_at < $1', [before]);
    return { inbox: Number(row?.inbox ?? 0), conversations: Number(row?.conversations ?? 0) };
  }
}

function describeServer(dbUrl: string | undefined): string {
  if (!dbUrl) return 'the given pool';
  try {
    const url = new URL(dbUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'the configured DATABASE_URL';
  }
}
