/**
 * The sent-message log of the WhatsApp MCP server: what was sent under which idempotency key (so a repeated
 * call returns the first result instead of a second WhatsApp message), the provider's ids for
 * `get_message_status`, and — for dry-run only — the text itself, so the demo can show what would have gone
 * out. Three implementations: in memory (tests, in-process use), SQLite (the stdio server survives restarts) and
 * Postgres (every process of a scaled-out zapflow shares one log, with send claims: ./postgres-message-log.ts).
 */
import type { WhatsAppProvider } from '../senders/types.js';

export interface SentMessageRecord {
  messageId: string;
  /** The caller's idempotency key, when it gave one. With `part` it is unique. */
  idempotencyKey?: string;
  /** 0-based index of this part of a split message, and how many parts the message had. */
  part: number;
  parts: number;
  /** Hash of (instance, recipient, whole text): the same key reused for a different message is refused. */
  requestHash: string;
  provider: WhatsAppProvider;
  instance?: string;
  /** Canonical recipient (`+5511…` or a JID). */
  recipient: string;
  /** Only for dry-run messages (never stored for real sends: the provider already has it). */
  text?: string;
  textLength: number;
  /** `accepted` / `dry_run` at send time; later `sent` / `delivered` / `read` / `failed` from status webhooks. */
  status: string;
  createdAt: number;
  updatedAt: number;
}

export interface SentMessageLog {
  /** Every recorded part sent under this key, ordered by part. */
  findByIdempotencyKey(idempotencyKey: string): Promise<SentMessageRecord[]>;
  findByMessageId(messageId: string): Promise<SentMessageRecord | undefined>;
  /** Records one sent part. A second record for the same (key, part) is ignored: the first send wins. */
  record(message: SentMessageRecord): Promise<void>;
  /** Updates the status of a known message (e.g. from a delivery webhook). False when the id is unknown. */
  updateStatus(messageId: string, status: string, now: number): Promise<boolean>;
  /** Newest first. */
  list(filter?: { provider?: WhatsAppProvider; limit?: number }): Promise<SentMessageRecord[]>;
  close(): Promise<void>;
  /**
   * Present when several processes share the log: a part is claimed in the log BEFORE the provider is called,
   * so a second sender of the same key waits for the first one's result instead of sending again.
   */
  readonly claims?: SendClaims;
}

/** One part about to be sent under an idempotency key: everything of its record but the provider's answer. */
export type PendingPart = Omit<SentMessageRecord, 'messageId' | 'status' | 'updatedAt' | 'idempotencyKey'> & { idempotencyKey: string };

export type SendClaim =
  /** This owner may call the provider now. `expiredClaim`: a previous sender's claim ran out (it died or hung). */
  | { outcome: 'claimed'; expiredClaim: boolean }
  /** Already sent (by anyone): its record is the answer. */
  | { outcome: 'sent'; record: SentMessageRecord }
  /** Another live sender holds the claim; `requestHash` tells whether it is the same message. */
  | { outcome: 'busy'; requestHash: string };

export interface SendClaims {
  /** Claims (key, part) for `owner` for `leaseMs`, unless it is sent or claimed by a live sender. */
  claim(part: PendingPart, owner: string, leaseMs: number): Promise<SendClaim>;
  /** Extends the owner's claim while the provider call is under way. False: the claim is no longer this owner's. */
  renew(idempotencyKey: string, part: number, owner: string, leaseMs: number): Promise<boolean>;
  /** The provider refused the part: drop the claim so a later attempt may send it. */
  release(idempotencyKey: string, part: number, owner: string): Promise<void>;
  /** Marks the claimed part sent with the provider's answer. False: the claim had been taken over meanwhile. */
  complete(record: SentMessageRecord & { idempotencyKey: string }, owner: string): Promise<boolean>;
}

export class MemorySentMessageLog implements SentMessageLog {
  /** Insertion order = send order, which `list` reverses. */
  private readonly byId = new Map<string, SentMessageRecord>();
  /** idempotency key → part → message id */
  private readonly byKey = new Map<string, Map<number, string>>();

  async findByIdempotencyKey(idempotencyKey: string): Promise<SentMessageRecord[]> {
    const parts = this.byKey.get(idempotencyKey);
    if (!parts) return [];
    return [...parts.entries()]
      .sort(([a], [b]) => a - b)
      .flatMap(([, messageId]) => {
        const record = this.byId.get(messageId);
        return record ? [{ ...record }] : [];
      });
  }

  async findByMessageId(messageId: string): Promise<SentMessageRecord | undefined> {
    const record = this.byId.get(messageId);
    return record && { ...record };
  }

  async record(message: SentMessageRecord): Promise<void> {
    if (this.byId.has(message.messageId)) return;
    if (message.idempotencyKey !== undefined) {
      const parts = this.byKey.get(message.idempotencyKey) ?? new Map<number, string>();
      if (parts.has(message.part)) return;
      parts.set(message.part, message.messageId);
      this.byKey.set(message.idempotencyKey, parts);
    }
    this.byId.set(message.messageId, { ...message });
  }

  async updateStatus(messageId: string, status: string, now: number): Promise<boolean> {
    const record = this.byId.get(messageId);
    if (!record) return false;
    record.status = status;
    record.updatedAt = now;
    return true;
  }

  async list(filter: { provider?: WhatsAppProvider; limit?: number } = {}): Promise<SentMessageRecord[]> {
    return [...this.byId.values()]
      .filter((r) => filter.provider === undefined || r.provider === filter.provider)
      .reverse()
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, filter.limit ?? 100)
      .map((r) => ({ ...r }));
  }

  async close(): Promise<void> {}
}
