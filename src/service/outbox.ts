/**
 * The outbox: the one module that writes outbox rows. It owns the topics, the payload schema of each topic and
 * the idempotency-key scheme; everything else says *what* should reach someone as a typed effect (a reply to
 * the customer, an alert to the agents, a customer message forwarded to an agent) and hands it here:
 *
 * - a workflow step stages its effects in its own commit (`stageEffects(input.outbox, …)`): written only if the
 *   step completes, with its result, so a resumed or retried step never sends twice;
 * - the service (a turn's bot reply, an agent's reply, a re-alert) writes them with `Outbox.write`.
 *
 * The row key is the idempotency key all the way down to the MCP server and the provider, so a key is built
 * once, here, from what makes the message unique (`outboxKeys`); the thread keeps our own messages under
 * `out:<key>` (`threadMessageId`), which is how a replayed turn finds the reply it already decided.
 *
 * This file imports only types and zod: workflows import it to stage their effects.
 */
import { z } from 'zod';
import type { OutboxMessage, StepOutbox, Storage } from '../engine/index.js';
import type { AgentAlert } from './ports.js';

export const OUTBOX_TOPICS = {
  /** Payload: AgentAlert (agentAlertPayloadSchema). */
  agentAlert: 'agent_alert',
  /** Payload: { conversationKey, text } (customerMessagePayloadSchema). */
  customerMessage: 'customer_message',
  /** Payload: a Chatwoot call of a handoff (chatwootActionPayloadSchema): behind Chatwoot, an alert expands into these. */
  chatwootAction: 'chatwoot_action',
} as const;

export type OutboxTopic = (typeof OUTBOX_TOPICS)[keyof typeof OUTBOX_TOPICS];

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

export const chatwootActionPayloadSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('note'), conversationKey: z.string().min(1), text: z.string().min(1) }),
  z.object({ action: z.literal('labels'), conversationKey: z.string().min(1), labels: z.array(z.string().min(1)) }),
  z.object({ action: z.literal('priority'), conversationKey: z.string().min(1), priority: z.enum(['urgent', 'high', 'medium', 'low']) }),
  /** `afterNote`: the note's row key; the conversation opens once the note is posted (or after a few tries without it). */
  z.object({ action: z.literal('open'), conversationKey: z.string().min(1), afterNote: z.string().min(1).optional() }),
]);
export type ChatwootAction = z.infer<typeof chatwootActionPayloadSchema>;

/**
 * The idempotency keys, one builder per kind of message. Each names what makes the message unique, so the
 * same decision taken twice (a replayed turn, a rerun, a double click) is one row and one WhatsApp message.
 */
export const outboxKeys = {
  /** The bot's answer of a turn (its run). */
  botReply: (runId: string) => `${runId}/reply`,
  /** The greeting to a customer's first message. */
  welcome: (provider: string, messageId: string) => `welcome:${provider}:${messageId}`,
  /** "We read text only" for a message that is not text. */
  textOnlyNotice: (provider: string, messageId: string) => `notice:${provider}:${messageId}`,
  /** The customer's protocol and wait at a handoff (one per handoff: a rerun reuses it). */
  handoffAck: (handoffRef: string) => `${HANDOFF_ACK_PREFIX}${handoffRef}`,
  /** The agents' first alert of a handoff. */
  alert: (handoffRef: string) => `alert:${handoffRef}:0`,
  /** The SLA job's nth re-alert of a handoff (a crash between sending and counting never sends it twice). */
  realert: (handoffRef: string, realertNumber: number) => `realert:${handoffRef}:${realertNumber}`,
  /** A customer's message forwarded to the agents (or the claiming agent) while a person holds the conversation. */
  forward: (provider: string, messageId: string) => `forward:${provider}:${messageId}`,
  /** An agent's reply: the console's reply id (or a fresh one), so a double submit is one message. */
  agentReply: (replyId: string) => `agent-reply:${replyId}`,
  /** One Chatwoot call a handoff's alert row expands into (note, labels, priority, open). */
  chatwootAction: (alertKey: string, action: ChatwootAction['action']) => `${alertKey}/chatwoot:${action}`,
  /** What the service tells the customer on an agent's action (joined, released, resolved). */
  agentActionNotice: (action: string, id: string) => `${action}:${id}`,
} as const;

const HANDOFF_ACK_PREFIX = 'handoff-ack:';

/** How our own message with this outbox key is kept in the conversation's thread. */
export const threadMessageId = (key: string): string => `out:${key}`;

/** A thread entry that is the customer's handoff acknowledgement (it closes an episode of the conversation). */
export const isHandoffAck = (threadId: string): boolean => threadId.startsWith(threadMessageId(HANDOFF_ACK_PREFIX));

/** What should reach someone, decided by a step or by the service; the Outbox turns it into a row. */
export type OutboxEffect =
  | { kind: 'customer_message'; key: string; conversationKey: string; text: string }
  | { kind: 'agent_alert'; key: string; alert: AgentAlert }
  | { kind: 'chatwoot_action'; key: string; action: ChatwootAction };

export const effects = {
  /** A message to the customer of `conversationKey` (bot reply, acknowledgement, notice, an agent's words). */
  toCustomer: (key: string, conversationKey: string, text: string): OutboxEffect => ({ kind: 'customer_message', key, conversationKey, text }),
  /** An alert to the agents (the alert numbers, or `alert.recipients`). */
  toAgents: (key: string, alert: AgentAlert): OutboxEffect => ({ kind: 'agent_alert', key, alert }),
  /** A call to Chatwoot's API for a handoff (behind Chatwoot). */
  inChatwoot: (key: string, action: ChatwootAction): OutboxEffect => ({ kind: 'chatwoot_action', key, action }),
} as const;

/** The row of an effect, its payload checked against its topic's schema (a bad payload fails where it is made). */
export function outboxMessageOf(effect: OutboxEffect): OutboxMessage {
  switch (effect.kind) {
    case 'customer_message':
      return { key: effect.key, topic: OUTBOX_TOPICS.customerMessage, payload: customerMessagePayloadSchema.parse({ conversationKey: effect.conversationKey, text: effect.text }) };
    case 'agent_alert':
      return { key: effect.key, topic: OUTBOX_TOPICS.agentAlert, payload: agentAlertPayloadSchema.parse(effect.alert) };
    case 'chatwoot_action':
      return { key: effect.key, topic: OUTBOX_TOPICS.chatwootAction, payload: chatwootActionPayloadSchema.parse(effect.action) };
  }
}

/** Stages effects in a workflow step's own commit. Returns their keys. */
export function stageEffects(outbox: StepOutbox, staged: readonly OutboxEffect[]): string[] {
  return staged.map((effect) => {
    const message = outboxMessageOf(effect);
    return outbox.enqueue(message.topic, message.payload, { key: message.key });
  });
}

/** Writes effects decided outside a workflow step (the turn's reply, an agent's action, the SLA job). */
export class Outbox {
  constructor(private readonly deps: { storage: Pick<Storage, 'enqueueOutbox'>; now?: () => number }) {}

  /** One statement for all of them; a key already written is skipped (the effect was decided before). */
  async write(written: readonly OutboxEffect[], options: { runId?: string } = {}): Promise<void> {
    if (written.length === 0) return;
    const now = this.deps.now ?? Date.now;
    await this.deps.storage.enqueueOutbox(written.map((effect) => ({ ...outboxMessageOf(effect), ...(options.runId ? { runId: options.runId } : {}) })), now());
  }
}
