/**
 * The WhatsApp topics of the outbox and their deliverers: what a step enqueues (`agentAlertOutboxMessage`,
 * `customerMessageOutboxMessage`) and how the dispatcher delivers it (through the Notifier / CustomerMessenger
 * ports, i.e. the MCP client). The row key is the idempotency key all the way down to the MCP server.
 */
import { z } from 'zod';
import type { OutboxMessage, OutboxRecord } from '../engine/storage/types.js';
import { OUTBOX_TOPICS, type AgentAlert, type CustomerMessenger, type Notifier } from '../workflows/ports.js';
import { parseConversationKey } from '../webhooks/conversation-key.js';
import type { OutboxDeliverer } from './outbox-dispatcher.js';
import type { OwnMessage } from '../conversations/store/types.js';
import { OutboxPayloadError } from './outbox-errors.js';

export { OUTBOX_TOPICS };

export const agentAlertPayloadSchema = z.object({
  protocolNumber: z.string().min(1),
  conversationKey: z.string().min(1),
  urgency: z.enum(['low', 'medium', 'high', 'critical']),
  reason: z.string(),
  text: z.string().min(1),
  realert: z.number().int().min(0).optional(),
  link: z.string().optional(),
  recipients: z.array(z.string().min(1)).min(1).optional(),
});

export const customerMessagePayloadSchema = z.object({
  conversationKey: z.string().min(1),
  text: z.string().min(1),
});

export type CustomerMessagePayload = z.infer<typeof customerMessagePayloadSchema>;

/** The outbox row a step writes to alert the agents. `key`: run id + step path (+ re-alert number). */
export function agentAlertOutboxMessage(key: string, alert: AgentAlert): OutboxMessage {
  return { key, topic: OUTBOX_TOPICS.agentAlert, payload: agentAlertPayloadSchema.parse(alert) };
}

/** The outbox row a step writes to answer the customer. */
export function customerMessageOutboxMessage(key: string, payload: CustomerMessagePayload): OutboxMessage {
  return { key, topic: OUTBOX_TOPICS.customerMessage, payload: customerMessagePayloadSchema.parse(payload) };
}

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
