/**
 * Webhook batch → inbox rows, BEFORE the provider gets its 200: a message acked is a message stored. The
 * dispatcher (in this thread or the processing thread) is told after the commit; if the process dies in
 * between, `dispatcher.start()` finds the rows.
 * Concurrent webhooks share commits (store/group-commit.ts), each answered after its own rows are committed.
 */
import type { AcceptedBatch } from '../webhooks/types.js';
import type { Intake } from './stages.js';
import { InboxGroupCommit } from '../conversations/store/group-commit.js';
import type { InboxItem, ServiceStore } from '../conversations/store/types.js';

// Postgres refuses U+0000 in text; no customer means it, so it is dropped rather than failing the whole batch.
const clean = (text: string) => text.replaceAll('\u0000', '');

export function inboxItemsOf(batch: AcceptedBatch): InboxItem[] {
  const items: InboxItem[] = [];
  for (const message of batch.messages) {
    items.push({
      provider: message.provider,
      messageId: message.messageId,
      conversationKey: message.conversationKey,
      kind: message.fromMe ? 'agent_reply' : 'text',
      customer: message.from,
      ...(message.name ? { name: clean(message.name) } : {}),
      text: clean(message.text),
      sentAt: message.timestamp,
      raw: message,
    });
  }
  for (const notice of batch.textOnlyNotices) {
    items.push({
      provider: notice.provider,
      messageId: notice.messageId,
      conversationKey: notice.conversationKey,
      kind: notice.because === 'welcome_request' ? 'welcome_request' : 'text_only_notice',
      customer: notice.from,
      ...(notice.name ? { name: clean(notice.name) } : {}),
      text: `[${notice.because}]`,
      sentAt: notice.timestamp,
      raw: notice,
    });
  }
  return items;
}

export interface IntakeOptions {
  now?: () => number;
  /** Gather the webhooks of one event-loop turn into one commit (store/group-commit.ts). @default false */
  gatherPerLoopTurn?: boolean;
  /** Delivery statuses of our own outbound messages (sent, delivered, read, failed), e.g. for get_message_status. */
  onStatusUpdates?: (updates: AcceptedBatch['statusUpdates']) => Promise<void>;
  /**
   * After the batch's rows are stored, before the dispatcher is told (also for a batch with no rows): Chatwoot's
   * conversation statuses are applied here, so a turn starts under the status Chatwoot last reported.
   */
  afterStore?: (batch: AcceptedBatch) => Promise<void>;
}

/** Told which conversations got new committed rows (the dispatcher, here or in the processing thread). */
export type NotifyConversations = (conversationKeys: string[]) => void;

/**
 * `store`: where the rows are committed before the ack — the inbox, or on SQLite beside a processing thread the
 * intake spool (../conversations/store/sqlite-intake-spool.ts), which that thread moves into the inbox.
 */
export function createIntake(store: Pick<ServiceStore, 'insertInbox'>, notify: NotifyConversations, options: IntakeOptions = {}): Intake {
  const now = options.now ?? Date.now;
  const inbox = new InboxGroupCommit(store, { gatherPerLoopTurn: options.gatherPerLoopTurn ?? false });
  return async function accept(batch: AcceptedBatch): Promise<{ stored: number; duplicates: number }> {
    if (batch.statusUpdates.length > 0 && options.onStatusUpdates) await options.onStatusUpdates(batch.statusUpdates);
    const items = inboxItemsOf(batch);
    if (items.length === 0) {
      await options.afterStore?.(batch);
      return { stored: 0, duplicates: 0 };
    }
    const stored = await inbox.insert(items, now());
    await options.afterStore?.(batch);
    if (stored.length > 0) notify([...new Set(stored.map((record) => record.conversationKey))]);
    return { stored: stored.length, duplicates: items.length - stored.length };
  };
}
