/**
 * The outbox behind Chatwoot: the same rows the workflows and the turn processor write (customer replies,
 * agent alerts), delivered through Chatwoot's API for `chatwoot:` conversations, with the outbox's guarantees
 * (claimed, retried with backoff while Chatwoot is down, dead only on a refusal retrying cannot fix).
 *
 * - `customer_message` → a bot message in the Chatwoot conversation.
 * - `agent_alert` of a handoff → expanded, once, into four `chatwoot_action` rows: the private note with the
 *   report, the labels, the priority, and last `toggle_status` to `open` (so agents find the note there when
 *   the conversation reaches them). Each is its own row, retried on its own; their payloads are fixed when
 *   the handoff is expanded, so a retry sends the very same note.
 * - `agent_alert` rows that are not a handoff — customer messages forwarded while a person holds the
 *   conversation, SLA re-alerts — are nothing to do here: agents see the thread in Chatwoot, and Chatwoot
 *   runs its own SLAs. They are recorded delivered with `skipped`.
 *
 * Exactly once as far as zapflow can see: a message Chatwoot accepted is remembered under its row key (the
 * sent-message table, `chatwoot` / `delivery:<key>`) before the row is marked delivered, so a row delivered
 * again after a crash or a lost mark is not posted twice. Only an answer lost on the wire after Chatwoot
 * committed the message can repeat it (Chatwoot's message API takes no idempotency key).
 */
import type { z } from 'zod';
import type { OutboxRecord, Storage } from '../engine/index.js';
import type { Logger } from '../logging.js';
import type { Taxonomy } from '../taxonomy/index.js';
import type { AgentAlert } from '../service/ports.js';
import { agentAlertPayloadSchema, chatwootActionPayloadSchema, customerMessagePayloadSchema, effects, outboxKeys, OUTBOX_TOPICS, type Outbox } from '../service/outbox.js';
import { readConversationState } from '../workflows/session-state.js';
import { parseConversationKey } from '../webhooks/conversation-key.js';
import type { OutboxDeliverer } from '../service/outbox-dispatcher.js';
import { OutboxPayloadError } from '../service/errors.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { ChatwootApiError, type ChatwootApi, type ChatwootConversationRef } from './api.js';
import { buildHandoffReport } from './handoff-report.js';
import type { ConfidenceThresholds } from '../workflows/conversation-typification/report.js';
import type { ChatwootAction } from '../service/outbox.js';

/**
 * Remembered once a handoff's `toggle_status` to open reached Chatwoot (keyed on the handoff's alert row,
 * `alert:<handoffRef>:0`): a `pending` Chatwoot reports after that is an agent handing the conversation back,
 * not our toggle still on its way (./status-sync.ts).
 */
export function handoffOpenedMarker(alertKey: string): string {
  return `opened:${alertKey}`;
}

/** Attempts of the `open` action that wait for the handoff note before opening without it. */
const NOTE_WAIT_ATTEMPTS = 3;

/** The topic of the Chatwoot calls a handoff expands into (its payload schema is the outbox's). */
export const CHATWOOT_ACTION_TOPIC = OUTBOX_TOPICS.chatwootAction;
export { chatwootActionPayloadSchema as chatwootActionSchema, type ChatwootAction } from '../service/outbox.js';

export function isChatwootConversation(conversationKey: string): boolean {
  return conversationKey.startsWith('chatwoot:');
}

export interface ChatwootDeliveryDeps {
  api: ChatwootApi;
  storage: Pick<Storage, 'getSession'>;
  /** Where a handoff's Chatwoot calls are written (the one outbox writer). */
  outbox: Outbox;
  /** The confidence Router's thresholds, for the report's confidence label. */
  confidenceThresholds: ConfidenceThresholds;
  serviceStore: Pick<ServiceStore, 'recordOwnMessages' | 'isOwnMessage'>;
  taxonomy: Taxonomy;
  /** Deliver the expanded rows now rather than at the next poll. */
  kick?: () => void;
  now?: () => number;
  logger?: Logger;
}

function refOf(conversationKey: string): ChatwootConversationRef {
  const parts = parseConversationKey(conversationKey);
  if (!parts || parts.provider !== 'chatwoot' || !/^\d+$/.test(parts.channel) || !/^\d+$/.test(parts.customer)) {
    throw new OutboxPayloadError(CHATWOOT_ACTION_TOPIC, `"${conversationKey}" is not a Chatwoot conversation key (chatwoot:<account>:<conversation>)`);
  }
  return { account: parts.channel, conversation: parts.customer };
}

function parse<T>(row: OutboxRecord, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(row.payload);
  if (!parsed.success) throw new OutboxPayloadError(row.topic, parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
  return parsed.data;
}

export class ChatwootDelivery {
  private readonly now: () => number;

  constructor(private readonly deps: ChatwootDeliveryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Posts a message as the bot, once per row key. The first attempt cannot have posted before (claims count
   * attempts), so only a retry asks whether an earlier attempt already did.
   */
  async postOnce(row: OutboxRecord, conversationKey: string, content: string, isPrivate: boolean): Promise<unknown> {
    const marker = `delivery:${row.key}`;
    if (row.attempts > 1 && (await this.deps.serviceStore.isOwnMessage('chatwoot', marker))) return { alreadyPosted: true };
    const { messageId } = await this.deps.api.createMessage(refOf(conversationKey), { content, private: isPrivate });
    const sentAt = this.now();
    await this.deps.serviceStore.recordOwnMessages([
      { provider: 'chatwoot', messageId: marker, conversationKey, sentAt },
      { provider: 'chatwoot', messageId, conversationKey, sentAt },
    ]);
    return { messageId };
  }

  customerMessage(): OutboxDeliverer {
    return {
      deliver: async (row) => {
        const payload = parse(row, customerMessagePayloadSchema);
        return this.postOnce(row, payload.conversationKey, payload.text, false);
      },
      orderingKey: (row) => conversationOf(row),
    };
  }

  /** A handoff's alert becomes the Chatwoot actions; anything else an agent alert carries is Chatwoot's own business. */
  agentAlert(): OutboxDeliverer {
    return {
      deliver: async (row) => {
        const alert: AgentAlert = parse(row, agentAlertPayloadSchema);
        if ((alert.realert ?? 0) > 0) return { skipped: 'sla_realert_is_chatwoot_s' };
        if (alert.reason === 'customer_message') return { skipped: 'agents_read_the_thread_in_chatwoot' };
        const session = await this.deps.storage.getSession(alert.conversationKey);
        const report = buildHandoffReport(this.deps.taxonomy, alert, readConversationState(session?.state), this.deps.confidenceThresholds);
        const key = (action: ChatwootAction['action']) => outboxKeys.chatwootAction(row.key, action);
        const conversationKey = alert.conversationKey;
        const actions = [
          effects.inChatwoot(key('note'), { action: 'note', conversationKey, text: report.note }),
          ...(report.labels.length > 0 ? [effects.inChatwoot(key('labels'), { action: 'labels', conversationKey, labels: report.labels })] : []),
          effects.inChatwoot(key('priority'), { action: 'priority', conversationKey, priority: report.priority }),
          effects.inChatwoot(key('open'), { action: 'open', conversationKey, afterNote: key('note') }),
        ];
        // A second insert of a key is a no-op: a retried expansion keeps the first payloads.
        await this.deps.outbox.write(actions, row.runId ? { runId: row.runId } : {});
        this.deps.kick?.();
        return { expandedInto: actions.map((action) => action.key) };
      },
      orderingKey: (row) => conversationOf(row),
    };
  }

  action(): OutboxDeliverer {
    return {
      deliver: async (row) => {
        const action = parse(row, chatwootActionPayloadSchema);
        const ref = refOf(action.conversationKey);
        switch (action.action) {
          case 'note':
            return this.postOnce(row, action.conversationKey, action.text, true);
          case 'labels':
            return this.addLabels(ref, action.labels);
          case 'priority':
            try {
              await this.deps.api.togglePriority(ref, action.priority);
              return { priority: action.priority };
            } catch (error) {
              // Chatwoot before priorities (< 3.x) has no such action: the note still states the urgency.
              if (error instanceof ChatwootApiError && error.httpStatus === 404) return this.skip('priority', 'this Chatwoot has no conversation priority (toggle_priority: 404)');
              throw error;
            }
          case 'open': {
            await this.noteFirst(row, action.afterNote);
            const opened = await this.deps.api.toggleStatus(ref, 'open');
            const alertKey = row.key.replace(/\/chatwoot:open$/, '');
            await this.deps.serviceStore.recordOwnMessages([{ provider: 'chatwoot', messageId: handoffOpenedMarker(alertKey), conversationKey: action.conversationKey, sentAt: this.now() }]);
            return opened;
          }
        }
      },
      // A handoff's actions go in the order they were written: the note before the conversation opens.
      orderingKey: (row) => conversationOf(row),
    };
  }

  /**
   * Agents should find the report when the conversation reaches them, so the opening waits for the note — a
   * few attempts only: a note Chatwoot keeps refusing must never keep the customer from the agents.
   */
  private async noteFirst(row: OutboxRecord, noteKey: string | undefined): Promise<void> {
    if (noteKey === undefined || row.attempts > NOTE_WAIT_ATTEMPTS) return;
    if (await this.deps.serviceStore.isOwnMessage('chatwoot', `delivery:${noteKey}`)) return;
    throw new ChatwootApiError('CHATWOOT_NOTE_PENDING', 'The handoff note is not posted yet; the conversation opens after it (or after a few more tries without it).', true);
  }

  /** Adds to the labels the conversation has (Chatwoot's POST replaces the list: an agent's labels are kept). */
  private async addLabels(ref: ChatwootConversationRef, labels: string[]): Promise<unknown> {
    try {
      const current = await this.deps.api.labels(ref);
      const merged = [...new Set([...current, ...labels])];
      if (merged.length !== current.length) await this.deps.api.setLabels(ref, merged);
      return { labels: merged };
    } catch (error) {
      // Agent-bot tokens reach the labels endpoints only since chatwoot#14655: on older versions the note
      // still lists the typification, and nothing is retried in vain.
      if (error instanceof ChatwootApiError && error.botNotAllowed) return this.skip('labels', 'this Chatwoot does not let agent bots set labels (401/403)');
      throw error;
    }
  }

  private skip(action: string, why: string): { skipped: string } {
    this.deps.logger?.warn({ action }, `chatwoot ${action} skipped: ${why}`);
    return { skipped: why };
  }
}

function conversationOf(row: OutboxRecord): string {
  const key = (row.payload as { conversationKey?: unknown } | null)?.conversationKey;
  return typeof key === 'string' ? key : row.key;
}

/**
 * The dispatcher's deliverers with Chatwoot conversations routed to Chatwoot (the WhatsApp deliverers keep
 * every other conversation), plus the `chatwoot_action` topic.
 */
export function routeChatwoot(deliverers: Record<string, OutboxDeliverer>, delivery: ChatwootDelivery): Record<string, OutboxDeliverer> {
  const byTopic: Record<string, OutboxDeliverer> = {
    [OUTBOX_TOPICS.customerMessage]: delivery.customerMessage(),
    [OUTBOX_TOPICS.agentAlert]: delivery.agentAlert(),
  };
  const routed = Object.fromEntries(Object.entries(deliverers).map(([topic, whatsapp]) => {
    const chatwoot = byTopic[topic];
    if (!chatwoot) return [topic, whatsapp];
    const deliverer: OutboxDeliverer = {
      deliver: (row) => (isChatwootConversation(conversationOf(row)) ? chatwoot.deliver(row) : whatsapp.deliver(row)),
      orderingKey: (row) => conversationOf(row),
    };
    return [topic, deliverer];
  }));
  return { ...routed, [CHATWOOT_ACTION_TOPIC]: delivery.action() };
}
