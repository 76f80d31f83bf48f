/**
 * Chatwoot decides who answers: the conversation's status as its events report it is applied to zapflow's
 * handoff status, after the event's messages are stored and before the dispatcher hears of them, so a turn
 * always starts under the status Chatwoot last reported.
 *
 *   pending            → the bot answers (Chatwoot's bot state). A conversation a person held goes back to the
 *                        bot, in the same case (same protocol): the agent handed it back.
 *   open / snoozed,    → a person has it: zapflow stays silent (messages are stored, nothing is sent).
 *   a person's message
 *   resolved           → back to the bot, and the case is resolved: the next message is a new problem.
 *
 * One exception: a conversation zapflow itself handed over (`waiting_human`) ignores `pending` until Chatwoot
 * has reported it open, or until the handoff's `toggle_status` is known to have reached Chatwoot. The toggle
 * goes through the outbox, so for a moment Chatwoot still says `pending` about a conversation that is already
 * on its way to the agents; believing it would let the bot answer a customer who was just told a person is
 * coming. (Chatwoot does not redeliver a bot's events: if its `conversation_opened` was lost, the delivered
 * toggle is what tells an agent's later `pending` apart.)
 */
import type { CaseService } from '../service/cases.js';
import { InvalidTransitionError, type ConversationLifecycle } from '../service/lifecycle.js';
import type { ServiceStore } from '../conversations/store/types.js';
import type { Logger } from '../logging.js';
import type { ConversationStatus } from '../webhooks/types.js';
import { handoffOpenedMarker } from './deliverers.js';
import { outboxKeys } from '../service/outbox.js';

export interface ChatwootStatusSyncDeps {
  serviceStore: Pick<ServiceStore, 'getConversation' | 'cases' | 'isOwnMessage'>;
  lifecycle: Pick<ConversationLifecycle, 'agentReplied' | 'release'>;
  cases: Pick<CaseService, 'resolve'>;
  now?: () => number;
  logger?: Logger;
}

/** Who holds a conversation in Chatwoot when zapflow learns it from an event (no agent id is needed here). */
export const CHATWOOT_HOLDER = 'chatwoot';

export class ChatwootStatusSync {
  private readonly now: () => number;

  constructor(private readonly deps: ChatwootStatusSyncDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Applies the statuses in the order the request carried them. */
  async apply(statuses: readonly ConversationStatus[]): Promise<void> {
    for (const status of statuses) await this.applyOne(status);
  }

  private async applyOne(update: ConversationStatus): Promise<void> {
    const { conversationKey } = update;
    const conversation = await this.deps.serviceStore.getConversation(conversationKey);
    // No message of it was ever stored: nothing to follow yet (its first message carries the status again).
    if (!conversation) return;
    const log = { conversationKey, chatwootStatus: update.status, event: update.event };
    if (update.source === 'agent_message' || update.status === 'open' || update.status === 'snoozed') {
      if (conversation.handoffStatus === 'human') return;
      await this.deps.lifecycle.agentReplied(conversationKey, CHATWOOT_HOLDER);
      this.deps.logger?.info(log, 'chatwoot: a person has the conversation; the bot stays silent');
      return;
    }
    if (update.status === 'pending') {
      if (conversation.handoffStatus === 'bot') return;
      if (conversation.handoffStatus === 'waiting_human' && !(await this.handoffReachedChatwoot(conversation.handoffRef))) return;
      await this.release(conversationKey);
      this.deps.logger?.info(log, 'chatwoot: the conversation is back with the bot');
      return;
    }
    // resolved
    if (conversation.handoffStatus !== 'bot') await this.release(conversationKey);
    const open = await this.deps.serviceStore.cases.openCaseOf(conversationKey);
    if (open) {
      await this.deps.cases.resolve(open, CHATWOOT_HOLDER, 'agent');
      await this.deps.serviceStore.cases.recordAudit({
        at: this.now(), actorKind: 'system', actorLabel: CHATWOOT_HOLDER, action: 'resolve', conversationKey, caseId: open.id,
        detail: { protocolNumber: open.protocolNumber ?? null, resolution: 'chatwoot_resolved' },
      });
    }
    this.deps.logger?.info(log, 'chatwoot: conversation resolved; its case is closed');
  }

  /** The handoff's `toggle_status` to open was delivered (its alert row is `alert:<handoffRef>:0`). */
  private async handoffReachedChatwoot(handoffRef: string | undefined): Promise<boolean> {
    if (handoffRef === undefined) return false;
    return this.deps.serviceStore.isOwnMessage('chatwoot', handoffOpenedMarker(outboxKeys.alert(handoffRef)));
  }

  private async release(conversationKey: string): Promise<void> {
    try {
      await this.deps.lifecycle.release(conversationKey);
    } catch (error) {
      // Already with the bot (a concurrent event got there first): nothing to undo.
      if (!(error instanceof InvalidTransitionError)) throw error;
    }
  }
}
