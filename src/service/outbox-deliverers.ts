/**
 * How the outbox dispatcher delivers each WhatsApp topic: through the Notifier / CustomerMessenger ports, i.e.
 * the MCP client. The rows were written by ./outbox.ts (topics, payload schemas, keys); the row key is the
 * idempotency key all the way down to the MCP server.
 */
import type { z } from 'zod';
import type { OutboxRecord } from '../engine/index.js';
import { agentAlertPayloadSchema, customerMessagePayloadSchema, OUTBOX_TOPICS } from './outbox.js';
import type { CustomerMessenger, Notifier } from './ports.js';
import { parseConversationKey } from '../webhooks/conversation-key.js';
import type { OutboxDeliverer } from './outbox-dispatcher.js';
import type { OwnMessage } from '../conversations/store/types.js';
import { OutboxPayloadError } from './errors.js';

export function agentAlertDeliverer(notifier: Notifier): OutboxDeliverer {
  return {
    deliver: async (row) => notifier.sendAgentAlert(parsePayload(row, agentAlertPayloadSchema), row.key),
    orderingKey: (row) => conversationOf(row),
  };
}

/** Keeps the provider ids of what was sent (ServiceStore.recordOwnMessages), to tell our echoes from a person's messages. */
export type RecordOwnMessages = (messages: OwnMessage[]) => Promise<void>;

export function customerMessageDeliverer(messenger: CustomerMessenger, recordOwnMessages?: RecordOwnMessages, now: () => number = Date.now): OutboxDeliverer {
  return {
    deliver: async (row) => {
      const payload = parsePayload(row, customerMessagePayloadSchema);
      const sent = await messenger.sendToCustomer(payload.conversationKey, payload.text, row.key);
      const provider = parseConversationKey(payload.conversationKey)?.provider;
      if (recordOwnMessages && provider) {
        const ids = 'messageIds' in sent && Array.isArray(sent.messageIds) ? (sent.messageIds as string[]) : [sent.messageId];
        // After the send: a failure here leaves the row to be retried, and the retry is deduplicated by the
        // MCP server's idempotency key (same ids back), so the ids are recorded then.
        await recordOwnMessages(ids.map((messageId) => ({ provider, messageId, conversationKey: payload.conversationKey, sentAt: now() })));
      }
      return sent;
    },
    // A customer reads replies in the order the bot wrote them.
    orderingKey: (row) => conversationOf(row),
  };
}

/** Both WhatsApp topics, ready for `new OutboxDispatcher({ deliverers })`. */
export function whatsAppDeliverers(ports: { notifier: Notifier; messenger: CustomerMessenger; recordOwnMessages?: RecordOwnMessages }): Record<string, OutboxDeliverer> {
  return {
    [OUTBOX_TOPICS.agentAlert]: agentAlertDeliverer(ports.notifier),
    [OUTBOX_TOPICS.customerMessage]: customerMessageDeliverer(ports.messenger, ports.recordOwnMessages),
  };
}

function parsePayload<T>(row: OutboxRecord, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(row.payload);
  if (!parsed.success) throw new OutboxPayloadError(row.topic, parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
  return parsed.data;
}

function conversationOf(row: OutboxRecord): string {
  const key = (row.payload as { conversationKey?: unknown } | null)?.conversationKey;
  return typeof key === 'string' ? key : row.key;
}
