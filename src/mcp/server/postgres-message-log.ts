/**
 * Postgres sent-message log: when zapflow runs as several processes on one database, the outbox row of a reply
 * can be delivered by a worker other than the one that started sending it (the first was killed, paused past
 * its lease, or lost the database for a moment). A log per process cannot see the first attempt; this one is
 * a table every process shares (`<prefix>sent_messages`, created by the service migrations).
 *
 * A part sent under an idempotency key is claimed in its row (state `sending`, owner, lease) BEFORE the
 * provider is called and marked `sent` with the provider's message id right after. A second sender of the
 * same key finds the row: `sent` → it returns the recorded result; `sending` with a live lease → it waits.
 * Leases are read on the database's clock, so machines with skewed clocks agree on when one ran out.
 *
 * The residual window: an owner that dies after the provider accepted the part and before its `sent` update
 * leaves a `sending` row whose lease runs out; the next sender takes the claim over and sends again (Meta and
 * Evolution take no idempotency key, so nothing can tell whether the first call landed).
 */
import type pg from 'pg';
import type { WhatsAppProvider } from '../senders/types.js';
import type { PendingPart, SendClaim, SendClaims, SentMessageLog, SentMessageRecord } from './message-log.js';

export interface PostgresSentMessageLogOptions {
  pool: pg.Pool;
  /** The table, schema-qualified and quoted as needed (e.g. `"public".zapflow_sent_messages`). */
  table: string;
  /** `close()` ends the pool. @default false */
  ownsPool?: boolean;
}

interface Row {
  message_id: string | null;
  idempotency_key: string | null;
  part: number;
  parts: number;
  request_hash: string;
  state: 'sending' | 'sent';
  provider: WhatsAppProvider;
  instance: string | null;
  recipient: string;
  text: string | null;
  text_length: number;
  status: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'message_id, idempotency_key, part, parts, request_hash, state, provider, instance, recipient, text, text_length, status, created_at, updated_at';

export class PostgresSentMessageLog implements SentMessageLog {
  readonly claims: SendClaims;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private closed = false;

  constructor(private readonly options: PostgresSentMessageLogOptions) {
    this.pool = options.pool;
    this.table = options.table;
    this.claims = {
      claim: (part, owner, leaseMs) => this.claim(part, owner, leaseMs),
      renew: (key, part, owner, leaseMs) => this.renew(key, part, owner, leaseMs),
      release: (key, part, owner) => this.release(key, part, owner),
      complete: (record, owner) => this.complete(record, owner),
    };
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<SentMessageRecord[]> {
    const rows = await this.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE idempotency_key = $1 AND state = 'sent' ORDER BY part`, [idempotencyKey]);
    return rows.map(fromRow);
  }

  async findByMessageId(messageId: string): Promise<SentMessageRecord | undefined> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE message_id = $1 AND state = 'sent' ORDER BY created_at LIMIT 1`, [messageId]);
    return row && fromRow(row);
  }

  /** First send wins; a `sending` claim of the same (key, part) is completed by it. */
  async record(message: SentMessageRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'sent', $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (idempotency_key, part) WHERE idempotency_key IS NOT NULL DO UPDATE
         SET state = 'sent', message_id = EXCLUDED.message_id, status = EXCLUDED.status, instance = EXCLUDED.instance,
             owner = NULL, lease_until = NULL, updated_at = EXCLUDED.updated_at
         WHERE ${this.table}.state = 'sending'`,
      [message.messageId, message.idempotencyKey ?? null, message.part, message.parts, message.requestHash, message.provider, message.instance ?? null,
        message.recipient, message.text ?? null, message.textLength, message.status, message.createdAt, message.updatedAt],
    );
  }

  async updateStatus(messageId: string, status: string, now: number): Promise<boolean> {
    const rows = await this.query(`UPDATE ${this.table} SET status = $2, updated_at = $3 WHERE message_id = $1 AND state = 'sent' RETURNING part`, [messageId, status, now]);
    return rows.length > 0;
  }

  async list(filter: { provider?: WhatsAppProvider; limit?: number } = {}): Promise<SentMessageRecord[]> {
    const rows = await this.query(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE state = 'sent' AND ($1::text IS NULL OR provider = $1) ORDER BY created_at DESC, id DESC LIMIT $2`,
      [filter.provider ?? null, filter.limit ?? 100],
    );
    return rows.map(fromRow);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsPool) await this.pool.end();
  }

  private async claim(part: PendingPart, owner: string, leaseMs: number): Promise<SendClaim> {
    // Insert the claim, or take over a `sending` row whose lease ran out (or that this owner already held).
    const [claimed] = await this.query<{ inserted: boolean }>(
      `INSERT INTO ${this.table} (idempotency_key, part, parts, request_hash, state, owner, lease_until, provider, instance, recipient, text, text_length, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'sending', $5, clock_timestamp() + $6 * interval '1 millisecond', $7, $8, $9, $10, $11, $12, $12)
       ON CONFLICT (idempotency_key, part) WHERE idempotency_key IS NOT NULL DO UPDATE
         SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, updated_at = EXCLUDED.updated_at
         WHERE ${this.table}.state = 'sending' AND ${this.table}.request_hash = EXCLUDED.request_hash
           AND (${this.table}.lease_until < clock_timestamp() OR ${this.table}.owner = EXCLUDED.owner)
       RETURNING (xmax = 0) AS inserted`,
      [part.idempotencyKey, part.part, part.parts, part.requestHash, owner, leaseMs, part.provider, part.instance ?? null, part.recipient,
        part.text ?? null, part.textLength, part.createdAt],
    );
    if (claimed) return { outcome: 'claimed', expiredClaim: !claimed.inserted };
    const [row] = await this.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE idempotency_key = $1 AND part = $2`, [part.idempotencyKey, part.part]);
    // Released between the two statements: the caller claims again.
    if (!row) return { outcome: 'busy', requestHash: part.requestHash };
    if (row.state === 'sent') return { outcome: 'sent', record: fromRow(row) };
    return { outcome: 'busy', requestHash: row.request_hash };
  }

  private async renew(idempotencyKey: string, part: number, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.query(
      `UPDATE ${this.table} SET lease_until = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE idempotency_key = $1 AND part = $2 AND state = 'sending' AND owner = $3 RETURNING part`,
      [idempotencyKey, part, owner, leaseMs],
    );
    return rows.length > 0;
  }

  private async release(idempotencyKey: string, part: number, owner: string): Promise<void> {
    await this.query(`DELETE FROM ${this.table} WHERE idempotency_key = $1 AND part = $2 AND state = 'sending' AND owner = $3`, [idempotencyKey, part, owner]);
  }

  private async complete(record: SentMessageRecord & { idempotencyKey: string }, owner: string): Promise<boolean> {
    const rows = await this.query(
      `UPDATE ${this.table} SET state = 'sent', message_id = $4, status = $5, instance = $6, owner = NULL, lease_until = NULL, updated_at = $7
       WHERE idempotency_key = $1 AND part = $2 AND state = 'sending' AND owner = $3 RETURNING part`,
      [record.idempotencyKey, record.part, owner, record.messageId, record.status, record.instance ?? null, record.updatedAt],
    );
    if (rows.length > 0) return true;
    // Taken over while this owner was paused: keep the record only if the row is still unsent (first send wins).
    await this.record(record);
    return false;
  }

  private async query<T = Row>(text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query(text, values)).rows as T[];
  }
}

function fromRow(row: Row): SentMessageRecord {
  return {
    messageId: row.message_id ?? '',
    ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
    part: row.part,
    parts: row.parts,
    requestHash: row.request_hash,
    provider: row.provider,
    ...(row.instance !== null ? { instance: row.instance } : {}),
    recipient: row.recipient,
    ...(row.text !== null ? { text: row.text } : {}),
    textLength: row.text_length,
    status: row.status ?? 'accepted',
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
