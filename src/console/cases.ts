/**
 * What the console asks of the conversations side: the queue and search (read here, over the conversations
 * table and session state), and the agent's actions, which are AgentActions' — one implementation of claim,
 * reply, release, resolve, corrections and reruns (cases, protocol, audit) behind the admin API and the console.
 */
import type { AgentActions } from '../service/agent-actions.js';
import type { ConversationRecord, ServiceStore, Urgency } from '../conversations/store/types.js';
import type { Storage } from '../engine/index.js';
import type { Actor } from '../people/actor.js';
import { readConversationState } from '../workflows/session-state.js';

export interface QueueItem {
  conversation: ConversationRecord;
  /** When the SLA of the handoff's urgency runs out (epoch ms). */
  slaDeadline: number;
}

export interface ConsoleCases {
  /** Open handoffs (waiting or with an agent), earliest SLA deadline first. */
  queue(filter: { mine?: Actor }): Promise<QueueItem[]>;
  /** By phone (full or last digits), customer name or protocol number. */
  search(query: string): Promise<ConversationRecord[]>;
  claim(conversationKey: string, actor: Actor, options?: { reassign?: boolean }): Promise<void>;
  /** `replyId` (from the form) makes a double submit one message. */
  reply(conversationKey: string, actor: Actor, text: string, replyId?: string): Promise<void>;
  release(conversationKey: string, actor: Actor): Promise<void>;
  resolve(conversationKey: string, actor: Actor): Promise<void>;
  correct(conversationKey: string, actor: Actor, path: { businessUnit: string; product: string; motive: string; submotive: string }): Promise<void>;
  /** A rerun started from the run page: it joins its case, and the audit log says who. */
  rerunStarted(actor: Actor, parentRunId: string, newRunId: string, fromStep: string | undefined): Promise<void>;
}

/** How a claim names its holder in `assignedAgent`: the user id (stable across renames), as AgentActions does. */
export const holderOf = (actor: Actor): string => (actor.kind === 'user' ? actor.userId : actor.name);

export interface ConsoleCasesDeps {
  serviceStore: ServiceStore;
  storage: Storage;
  slaMinutes: Record<Urgency, number>;
  actions: Pick<AgentActions, 'claim' | 'reply' | 'release' | 'resolve' | 'correctTypification' | 'rerunStarted'>;
}

export function consoleCases(deps: ConsoleCasesDeps): ConsoleCases {
  const deadline = (c: ConversationRecord) => (c.waitingSince ?? c.updatedAt) + deps.slaMinutes[c.urgency ?? 'medium'] * 60_000;
  const open = async () => [
    ...(await deps.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 1000 })),
    ...(await deps.serviceStore.listConversations({ handoffStatus: 'human', limit: 1000 })),
  ];
  const { actions } = deps;

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

    claim: async (key, actor, options) => void (await actions.claim(key, actor, options)),
    reply: async (key, actor, text, replyId) => void (await actions.reply(key, actor, text, replyId ? { replyId } : {})),
    release: async (key, actor) => void (await actions.release(key, actor)),
    resolve: async (key, actor) => void (await actions.resolve(key, actor)),
    correct: async (key, actor, path) => void (await actions.correctTypification(key, actor, path)),
    rerunStarted: (actor, parentRunId, newRunId, fromStep) => actions.rerunStarted(actor, parentRunId, newRunId, fromStep),
  };
}
