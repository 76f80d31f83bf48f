/** In-memory ServiceStore: tests and the demo's throwaway mode. Same semantics as the SQL stores. */
import { meetsExpectation } from './rows.js';
import type {
  ConversationExpectation, ConversationPatch, ConversationRecord, HandoffStatus, InboxItem, InboxProgress, InboxRecord, InboxStatus, OwnMessage, ServiceStore,
} from './types.js';
import { ConversationChangedError, ConversationNotFoundError } from './types.js';
import { byCustomerOrder, checkPatch, newConversation } from './shared.js';
import { MemoryCaseStore } from './case-memory.js';

export class MemoryServiceStore implements ServiceStore {
  readonly kind = 'memory';
  private readonly inbox: InboxRecord[] = [];
  private readonly dedupe = new Set<string>();
  private readonly conversations = new Map<string, ConversationRecord>();
  private readonly ownMessages = new Map<string, OwnMessage>();
  private nextId = 1;
  readonly cases = new MemoryCaseStore(this.conversations);

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async insertInbox(items: InboxItem[], now: number): Promise<InboxRecord[]> {
    return this.insert(items, now, 'pending');
  }

  async recordProcessed(items: InboxItem[], now: number): Promise<void> {
    this.insert(items, now, 'done');
  }

  private insert(items: InboxItem[], now: number, status: 'pending' | 'done'): InboxRecord[] {
    const inserted: InboxRecord[] = [];
    for (const item of items) {
      const key = `${item.provider}\u0000${item.messageId}`;
      if (this.dedupe.has(key)) continue;
      this.dedupe.add(key);
      const record: InboxRecord = { ...structuredClone(item), id: this.nextId++, status, receivedAt: now, ...(status === 'done' ? { processedAt: now } : {}) };
      this.inbox.push(record);
      inserted.push(structuredClone(record));
      if (!this.conversations.has(item.conversationKey)) this.conversations.set(item.conversationKey, newConversation(item, now));
    }
    return inserted;
  }

  async appendThread(items: InboxItem[], now: number): Promise<void> {
    for (const item of items) {
      const key = `${item.provider}\u0000${item.messageId}`;
      if (this.dedupe.has(key)) continue;
      this.dedupe.add(key);
      this.inbox.push({ ...structuredClone(item), id: this.nextId++, status: 'done', receivedAt: now, processedAt: now });
    }
  }

  async recordOwnMessages(messages: OwnMessage[]): Promise<void> {
    for (const message of messages) {
      const key = `${message.provider}\u0000${message.messageId}`;
      if (!this.ownMessages.has(key)) this.ownMessages.set(key, { ...message });
    }
  }

  async isOwnMessage(provider: OwnMessage['provider'], messageId: string): Promise<boolean> {
    return this.ownMessages.has(`${provider}\u0000${messageId}`);
  }

  async conversationsWithPendingInbox(): Promise<string[]> {
    return [...new Set(this.inbox.filter((r) => r.status === 'pending' || r.status === 'processing').map((r) => r.conversationKey))];
  }

  async takePending(conversationKey: string, runId: string, now: number): Promise<InboxRecord[]> {
    const mine = this.inbox.filter((r) => r.conversationKey === conversationKey).sort(byCustomerOrder);
    const crashedRun = mine.find((r) => r.status === 'processing')?.runId;
    if (crashedRun !== undefined) return mine.filter((r) => r.status === 'processing' && r.runId === crashedRun).map((r) => structuredClone(r));
    const taken = mine.filter((r) => r.status === 'pending');
    for (const record of taken) {
      record.status = 'processing';
      record.runId = runId;
      record.processedAt = now;
    }
    return taken.map((r) => structuredClone(r));
  }

  async markInbox(ids: number[], status: InboxStatus, now: number): Promise<void> {
    const wanted = new Set(ids);
    for (const record of this.inbox) {
      if (wanted.has(record.id)) {
        record.status = status;
        record.processedAt = now;
      }
    }
  }

  async recentMessages(conversationKey: string, limit: number): Promise<InboxRecord[]> {
    return this.inbox
      .filter((r) => r.conversationKey === conversationKey)
      .sort(byCustomerOrder)
      .slice(limit > 0 ? -limit : Infinity) // slice(-0) would be everything
      .map((r) => structuredClone(r));
  }

  async getConversation(conversationKey: string): Promise<ConversationRecord | undefined> {
    const found = this.conversations.get(conversationKey);
    return found ? structuredClone(found) : undefined;
  }

  async updateConversation(conversationKey: string, patch: ConversationPatch, now: number, expected?: ConversationExpectation): Promise<ConversationRecord> {
    checkPatch(conversationKey, patch);
    const current = this.conversations.get(conversationKey);
    if (!current) throw new ConversationNotFoundError(conversationKey);
    if (!meetsExpectation(current, expected)) throw new ConversationChangedError(conversationKey, expected ?? {});
    const next: ConversationRecord = { ...current, ...structuredClone(patch), updatedAt: now };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete (next as unknown as Record<string, unknown>)[key];
    next.realerts ??= 0; // always has a value: clearing it resets the count
    this.conversations.set(conversationKey, next);
    return structuredClone(next);
  }

  async listConversations(filter: { handoffStatus?: HandoffStatus; limit?: number }): Promise<ConversationRecord[]> {
    return [...this.conversations.values()]
      .filter((c) => !filter.handoffStatus || c.handoffStatus === filter.handoffStatus)
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, filter.limit ?? 100)
      .map((c) => structuredClone(c));
  }

  async countConversations(handoffStatus: HandoffStatus): Promise<number> {
    return [...this.conversations.values()].filter((c) => c.handoffStatus === handoffStatus).length;
  }

  async inboxProgress(recentFrom: number): Promise<InboxProgress> {
    const waiting = this.inbox.filter((r) => r.status === 'pending' || r.status === 'processing');
    if (waiting.length === 0) return {};
    const oldestWaitingAt = Math.min(...waiting.map((r) => r.receivedAt));
    const finished = this.inbox.filter((r) => (r.status === 'done' || r.status === 'forwarded') && r.receivedAt >= Math.max(oldestWaitingAt, recentFrom) && r.processedAt !== undefined);
    return { oldestWaitingAt, ...(finished.length > 0 ? { lastFinishedAt: Math.max(...finished.map((r) => r.processedAt ?? 0)) } : {}) };
  }

  async purge(before: number): Promise<{ inbox: number; conversations: number }> {
    for (const [key, message] of this.ownMessages) if (message.sentAt < before) this.ownMessages.delete(key);
    const keep = this.inbox.filter((r) => !(r.receivedAt < before && (r.status === 'done' || r.status === 'forwarded')));
    const inbox = this.inbox.length - keep.length;
    this.inbox.splice(0, this.inbox.length, ...keep);
    let conversations = 0;
    for (const [key, c] of this.conversations) {
      if (c.updatedAt < before && c.handoffStatus === 'bot' && !keep.some((r) => r.conversationKey === key)) {
        this.conversations.delete(key);
        conversations++;
      }
    }
    return { inbox, conversations };
  }
}
