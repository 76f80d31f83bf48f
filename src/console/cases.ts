/**
 * What the console asks of the conversations side: the queue, search, and the agent's actions. One small
 * port, so the pages do not care whether a claim is a conversation row update or a case with its own
 * protocol; `conversationCases` implements it over today's conversations table, lifecycle and outbox.
 */
import { randomUUID } from 'node:crypto';
import type { ConversationLifecycle } from '../conversations/lifecycle.js';
import { customerMessageOutboxMessage } from '../conversations/outbox-deliverers.js';
import type { ConversationRecord, ServiceStore, Urgency } from '../conversations/store/types.js';
import type { Storage } from '../engine/index.js';
import type { Actor } from '../people/actor.js';
import { readConversationState } from '../workflows/session-state.js';

export interface QueueItem {
  conversation: ConversationRecord;
  /** When the SLA of the handoff's urgency runs out (epoch ms). */
  slaDeadline: number;
}

export class ClaimConflictError extends Error {
  readonly code = 'CLAIM_CONFLICT';
  constructor(readonly conversationKey: string, readonly heldBy: string) {
    super(`Conversation "${conversationKey}" is already with ${heldBy}.`);
    this.name = 'ClaimConflictError';
  }
}

export class NotYoursError extends Error {
  readonly code = 'NOT_CLAIMED_BY_YOU';
  constructor(readonly conversationKey: string) {
    super(`Claim conversation "${conversationKey}" before answering or resolving it.`);
    this.name = 'NotYoursError';
  }
}

export interface ConsoleCases {
  /** Open handoffs (waiting or with an agent), earliest SLA deadline first. */
  queue(filter: { mine?: Actor }): Promise<QueueItem[]>;
  /** By phone (full or last digits), customer name or protocol number. */
  search(query: string): Promise<ConversationRecord[]>;
  claim(conversationKey: string, actor: Actor, options?: { reassign?: boolean }): Promise<void>;
  reply(conversationKey: string, actor: Actor, text: string): Promise<void>;
  release(conversationKey: string, actor: Actor): Promise<void>;
  resolve(conversationKey: string, actor: Actor): Promise<void>;
  correct(conversationKey: string, actor: Actor, path: { businessUnit: string; product: string; motive: string; submotive: string }): Promise<void>;
}

/** How a claim names its holder in `assignedAgent`: the user id (stable across renames), as the cases side does. */
export const holderOf = (actor: Actor): string => (actor.kind === 'user' ? actor.userId : actor.name);

/** Every agent action is audited by the implementation (the cases side audits its own the same way). */
export type RecordAudit = (actor: Actor, action: string, about: { conversationKey?: string; detail?: Record<string, unknown> }) => Promise<void>;

export interface ConversationCasesDeps {
  serviceStore: ServiceStore;
  storage: Storage;
  lifecycle: ConversationLifecycle;
  slaMinutes: Record<Urgency, number>;
  kickOutbox: () => void;
  recordAudit: RecordAudit;
  now?: () => number;
}

export function conversationCases(deps: ConversationCasesDeps): ConsoleCases {
  const now = deps.now ?? Date.now;
  const deadline = (c: ConversationRecord) => (c.waitingSince ?? c.updatedAt) + deps.slaMinutes[c.urgency ?? 'medium'] * 60_000;
  const open = async () => [
    ...(await deps.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 1000 })),
    ...(await deps.serviceStore.listConversations({ handoffStatus: 'human', limit: 1000 })),
  ];
  const requireHolder = async (conversationKey: string, actor: Actor) => {
    const current = await deps.serviceStore.getConversation(conversationKey);
    if (!current || current.handoffStatus !== 'human' || (current.assignedAgent !== holderOf(actor) && !(actor.kind === 'user' && actor.role === 'admin'))) {
      throw new NotYoursError(conversationKey);
    }
    return current;
  };

  return {
    async queue(filter) {
      const items = (await open())
        .filter((c) => !filter.mine || c.assignedAgent === holderOf(filter.mine))
        .map((conversation) => ({ conversation, slaDeadline: deadline(conversation) }));
      return items.sort((a, b) => a.slaDeadline - b.slaDeadline || a.conversation.conversationKey.localeCompare(b.conversation.conversationKey));
    },

    async search(query) {
      const needle = query.trim().toLowerCase();
      if (!needle) return [];
      const digits = needle.replace(/\D/g, '');
      const matches: ConversationRecord[] = [];
      for (const conversation of await deps.serviceStore.listConversations({ limit: 5000 })) {
        const byPhone = digits.length >= 4 && digits.length === needle.replace(/[\s()+-]/g, '').length && conversation.customer.endsWith(digits);
        const byName = conversation.name?.toLowerCase().includes(needle) ?? false;
        let byProtocol = conversation.protocolNumber === needle;
        if (!byProtocol && digits.length >= 14 && digits === needle) {
          const state = readConversationState((await deps.storage.getSession(conversation.conversationKey))?.state);
          byProtocol = (state.protocolNumbers ?? []).includes(needle);
        }
        if (byPhone || byName || byProtocol) matches.push(conversation);
        if (matches.length >= 50) break;
      }
      return matches;
    },

    async claim(conversationKey, actor, options = {}) {
      const current = await deps.serviceStore.getConversation(conversationKey);
      const holder = holderOf(actor);
      if (current?.handoffStatus === 'human' && current.assignedAgent && current.assignedAgent !== holder && !options.reassign) {
        throw new ClaimConflictError(conversationKey, current.assignedAgent);
      }
      await deps.lifecycle.claim(conversationKey, holder);
      await deps.recordAudit(actor, 'claim', { conversationKey, ...(options.reassign ? { detail: { reassignedFrom: current?.assignedAgent ?? null } } : {}) });
    },

    async reply(conversationKey, actor, text) {
      const conversation = await requireHolder(conversationKey, actor);
      const id = randomUUID();
      const at = now();
      // Through the outbox like the bot's replies: delivered once, retried with backoff, visible when dead.
      await deps.storage.enqueueOutbox([customerMessageOutboxMessage(`console-reply:${id}`, { conversationKey, text })], at);
      // In the thread at once, as the agent's message; `done` so no turn ever picks it up.
      const [stored] = await deps.serviceStore.insertInbox(
        [{ provider: conversation.provider, messageId: `console:${id}`, conversationKey, kind: 'agent_reply', customer: conversation.customer, text, sentAt: at }],
        at,
      );
      if (stored) await deps.serviceStore.markInbox([stored.id], 'done', at);
      await deps.lifecycle.agentReplied(conversationKey, holderOf(actor));
      deps.kickOutbox();
      await deps.recordAudit(actor, 'reply', { conversationKey });
    },

    async release(conversationKey, actor) {
      await requireHolder(conversationKey, actor);
      await deps.lifecycle.release(conversationKey);
      await deps.recordAudit(actor, 'release', { conversationKey });
    },

    async resolve(conversationKey, actor) {
      await requireHolder(conversationKey, actor);
      await deps.lifecycle.release(conversationKey);
      await deps.recordAudit(actor, 'resolve', { conversationKey });
    },

    async correct(conversationKey, actor, path) {
      // Without a cases table the audit entry is the labeled example (path ids; the messages are in the inbox).
      await deps.recordAudit(actor, 'correction', { conversationKey, detail: { path: [path.businessUnit, path.product, path.motive, path.submotive].join(' / ') } });
    },
  };
}
