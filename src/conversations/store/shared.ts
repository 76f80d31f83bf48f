import type { ConversationPatch, ConversationRecord, InboxItem, InboxRecord } from './types.js';

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

/** What `updateConversation` may change; identity fields (key, provider, customer, timestamps) never change. */
const PATCHABLE_FIELDS: ReadonlySet<string> = new Set<keyof ConversationPatch>([
  'name', 'handoffStatus', 'assignedAgent', 'assignedAgentName', 'handoffRef', 'protocolNumber', 'urgency', 'reason', 'waitingSince', 'realerts',
  'lastAlertAt', 'lastCustomerMessageAt', 'lastAgentActivityAt',
]);

/**
 * Refuses identity fields and unknown keys (an admin payload passed through): a caller that believes it
 * changed them would be wrong silently. A key present with `undefined` clears the field.
 */
export function checkPatch(conversationKey: string, patch: ConversationPatch): void {
  for (const field of Object.keys(patch)) {
    if (!PATCHABLE_FIELDS.has(field)) {
      throw new TypeError(`Cannot update "${field}" of conversation "${conversationKey}": only ${[...PATCHABLE_FIELDS].join(', ')} can change.`);
    }
  }
}
