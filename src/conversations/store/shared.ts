import type { ConversationRecord, InboxItem, InboxRecord } from './types.js';

/** The customer's order: when they sent it, then when we received it (providers' clocks tie at the second). */
export function byCustomerOrder(a: InboxRecord, b: InboxRecord): number {
  return a.sentAt - b.sentAt || a.id - b.id;
}

export function newConversation(item: InboxItem, now: number): ConversationRecord {
  return {
    conversationKey: item.conversationKey,
    provider: item.provider,
    customer: item.customer,
    ...(item.name ? { name: item.name } : {}),
    handoffStatus: 'bot',
    realerts: 0,
    createdAt: now,
    updatedAt: now,
  };
}
