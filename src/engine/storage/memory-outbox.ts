/**
 * MemoryStorage's outbox table: rows by id, an index on the idempotency key, the same claim / deliver / fail
 * rules as the SQL storages. Rows are copied through JSON on the way in and out.
 */
import { DEFAULT_LIST_LIMIT, cloneJson, compact } from './serialize.js';
import type { OutboxMessage, OutboxRecord, OutboxStatus } from './types.js';

export class MemoryOutbox {
  private readonly rows = new Map<number, OutboxRecord>();
  private readonly keys = new Map<string, number>();
  private nextId = 1;

  /** The key is the idempotency key: a second insert with a known key is a no-op (ON CONFLICT DO NOTHING). */
  insert(messages: Array<OutboxMessage & { runId?: string }>, now: number): void {
    for (const message of messages) {
      if (this.keys.has(message.key)) continue;
      const id = this.nextId++;
      this.keys.set(message.key, id);
      this.rows.set(id, compact({
        id, key: message.key, topic: message.topic, payload: cloneJson(message.payload), runId: message.runId,
        status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now,
      }));
    }
  }

  /** `attempts` counts claims: a message that crashes its deliverer still moves towards `dead`. */
  claim(owner: string, claimExpiresAt: number, now: number, limit: number, topics?: string[]): OutboxRecord[] {
    const due = [...this.rows.values()]
      .filter((row) =>
        (topics === undefined || topics.includes(row.topic)) &&
        ((row.status === 'pending' && row.nextAttemptAt <= now) ||
          (row.status === 'delivering' && (row.claimExpiresAt ?? 0) < now)))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
      .slice(0, Math.max(0, limit));
    for (const row of due) {
      Object.assign(row, { status: 'delivering', claimedBy: owner, claimExpiresAt, attempts: row.attempts + 1, updatedAt: now });
    }
    return due.map((row) => cloneJson(row));
  }

  /** Delivered wins over any claim: once the provider accepted the message, nobody may send it again. */
  markDelivered(id: number, owner: string, result: unknown, now: number): void {
    const row = this.rows.get(id);
    if (!row || row.status === 'delivered' || row.status === 'dead') return;
    this.rows.set(id, compact({
      ...row, status: 'delivered', result: cloneJson(result), claimedBy: owner, claimExpiresAt: undefined, deliveredAt: now, updatedAt: now,
    }));
  }

  /** Only the current claimer may report a failure: a late report must not undo another owner's claim. */
  markFailed(id: number, owner: string, error: string, nextAttemptAt: number, dead: boolean, now: number): void {
    const row = this.rows.get(id);
    if (!row || row.status !== 'delivering' || row.claimedBy !== owner) return;
    this.rows.set(id, compact({
      ...row, status: dead ? 'dead' : 'pending', lastError: error, nextAttemptAt, claimedBy: undefined, claimExpiresAt: undefined, updatedAt: now,
    }));
  }

  extendClaims(owner: string, ids: number[], claimExpiresAt: number): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row && row.status === 'delivering' && row.claimedBy === owner) this.rows.set(id, { ...row, claimExpiresAt });
    }
  }

  list(filter: { status?: OutboxStatus; runId?: string; limit?: number; offset?: number }): OutboxRecord[] {
    const offset = filter.offset ?? 0;
    return [...this.rows.values()]
      .filter((row) => (filter.status === undefined || row.status === filter.status) && (filter.runId === undefined || row.runId === filter.runId))
      .sort((a, b) => a.id - b.id)
      .slice(offset, offset + (filter.limit ?? DEFAULT_LIST_LIMIT))
      .map((row) => cloneJson(row));
  }

  count(status: OutboxStatus): number {
    let count = 0;
    for (const row of this.rows.values()) if (row.status === status) count++;
    return count;
  }

  get(id: number): OutboxRecord | undefined {
    const row = this.rows.get(id);
    return row && cloneJson(row);
  }

  retry(id: number, now: number): boolean {
    const row = this.rows.get(id);
    if (!row || (row.status !== 'dead' && row.status !== 'pending')) return false;
    Object.assign(row, { status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now });
    return true;
  }

  /** Deletes delivered and dead rows last updated before `before`; returns how many. */
  purge(before: number): number {
    let purged = 0;
    for (const row of [...this.rows.values()]) {
      if ((row.status === 'delivered' || row.status === 'dead') && row.updatedAt < before) {
        this.rows.delete(row.id);
        this.keys.delete(row.key);
        purged++;
      }
    }
    return purged;
  }
}
