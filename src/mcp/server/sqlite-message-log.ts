/**
 * SQLite sent-message log (better-sqlite3, WAL): the stdio server is restarted by its client whenever the
 * client restarts or the server dies, and a restart must not forget which idempotency keys were already
 * sent. Its own small file (`mcp-whatsapp.sqlite` under ZAPFLOW_DATA_DIR), because the server is a separate
 * program other MCP clients can run too; it does not need zapflow's database.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { WhatsAppConfigError } from '../errors.js';
import type { WhatsAppProvider } from '../senders/types.js';
import type { SentMessageLog, SentMessageRecord } from './message-log.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sent_messages (
  message_id      TEXT PRIMARY KEY,
  idempotency_key TEXT,
  part            INTEGER NOT NULL,
  parts           INTEGER NOT NULL,
  request_hash    TEXT NOT NULL,
  provider        TEXT NOT NULL,
  instance        TEXT,
  recipient       TEXT NOT NULL,
  text            TEXT,
  text_length     INTEGER NOT NULL,
  status          TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS sent_messages_key_part ON sent_messages (idempotency_key, part) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS sent_messages_created ON sent_messages (created_at);
`;

interface Row {
  message_id: string;
  idempotency_key: string | null;
  part: number;
  parts: number;
  request_hash: string;
  provider: WhatsAppProvider;
  instance: string | null;
  recipient: string;
  text: string | null;
  text_length: number;
  status: string;
  created_at: number;
  updated_at: number;
}

export class SqliteSentMessageLog implements SentMessageLog {
  private readonly db: Database.Database;
  /** Prepared once per SQL text: every reply looks a key up and records a message (prepare parses the SQL). */
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the log at `filename`; `:memory:` works for tests. */
  constructor(filename: string) {
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    this.db = new Database(filename);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      // As zapflow's own database: a record survives a process kill (the WAL is in the OS page cache); only a
      // power loss could take the last ones. FULL fsynced the WAL on every send, the costliest part of a reply.
      this.db.pragma('synchronous = NORMAL');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new WhatsAppConfigError([
          `${filename} was written by a newer zapflow (sent-message log schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade zapflow or use another ZAPFLOW_DATA_DIR.`,
        ]);
      }
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<SentMessageRecord[]> {
    // `+?`, not `?`: SQLite plans this ORDER BY with the key bound and would prepare the statement again at every
    // call (every reply asks); it does not look through a unary plus (see pinParameters in zapflow's engine).
    const rows = this.sql('SELECT * FROM sent_messages WHERE idempotency_key = +? ORDER BY part').all(idempotencyKey) as Row[];
    return rows.map(fromRow);
  }

  async findByMessageId(messageId: string): Promise<SentMessageRecord | undefined> {
    const row = this.sql('SELECT * FROM sent_messages WHERE message_id = ?').get(messageId) as Row | undefined;
    return row && fromRow(row);
  }

  async record(message: SentMessageRecord): Promise<void> {
    this
      .sql(
        `INSERT INTO sent_messages (message_id, idempotency_key, part, parts, request_hash, provider, instance, recipient, text, text_length, status, created_at, updated_at)
         VALUES (@messageId, @idempotencyKey, @part, @parts, @requestHash, @provider, @instance, @recipient, @text, @textLength, @status, @createdAt, @updatedAt)
         ON CONFLICT DO NOTHING`,
      )
      .run({ ...message, idempotencyKey: message.idempotencyKey ?? null, instance: message.instance ?? null, text: message.text ?? null });
  }

  async updateStatus(messageId: string, status: string, now: number): Promise<boolean> {
    return this.sql('UPDATE sent_messages SET status = ?, updated_at = ? WHERE message_id = ?').run(status, now, messageId).changes > 0;
  }

  async list(filter: { provider?: WhatsAppProvider; limit?: number } = {}): Promise<SentMessageRecord[]> {
    const limit = filter.limit ?? 100;
    const rows = (filter.provider
      ? this.sql('SELECT * FROM sent_messages WHERE provider = +? ORDER BY created_at DESC, rowid DESC LIMIT +?').all(filter.provider, limit)
      : this.sql('SELECT * FROM sent_messages ORDER BY created_at DESC, rowid DESC LIMIT +?').all(limit)) as Row[];
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function fromRow(row: Row): SentMessageRecord {
  return {
    messageId: row.message_id,
    ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
    part: row.part,
    parts: row.parts,
    requestHash: row.request_hash,
    provider: row.provider,
    ...(row.instance !== null ? { instance: row.instance } : {}),
    recipient: row.recipient,
    ...(row.text !== null ? { text: row.text } : {}),
    textLength: row.text_length,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
