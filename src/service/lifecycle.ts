/**
 * The handoff lifecycle of a conversation, in one place:
 *
 *   bot ──handoff created──▶ waiting_human ──agent claims / replies──▶ human ──release / idle──▶ bot
 *
 * The conversations table is the authority on who answers: while `waiting_human` or `human` the bot is
 * silent and new customer messages go to the agents. Admin routes, the service and the cron jobs call these
 * methods instead of patching rows, so every transition is checked the same way.
 *
 * Every transition that depends on what it read is a compare-and-set (the store writes only if the row still
 * holds what was read, else it is read again and the decision made again): a claim that lands while a turn
 * creates a handoff is never overwritten, and two re-alerts never count as one.
 */
import {
  ConversationChangedError, ConversationNotFoundError, type ConversationExpectation, type ConversationPatch, type ConversationRecord,
  type ServiceStore, type Urgency,
} from '../conversations/store/types.js';
import { InvalidTransitionError, ConversationClaimedError } from './errors.js';
export { InvalidTransitionError, ConversationClaimedError };

/** Who claims: an id that stays the same across their sessions (user id, `ADMIN_TOKEN`) and a display name. */
export interface Claimant {
  id: string;
  name: string;
}

/** What going back to the bot clears: the open handoff and who held it. */
const BACK_TO_BOT: ConversationPatch = {
  handoffStatus: 'bot', assignedAgent: undefined, assignedAgentName: undefined, handoffRef: undefined, protocolNumber: undefined,
  urgency: undefined, reason: undefined, waitingSince: undefined, lastAlertAt: undefined, realerts: 0,
};

const URGENCY_ORDER: Urgency[] = ['low', 'medium', 'high', 'critical'];

export function raiseUrgency(urgency: Urgency): Urgency {
  return URGENCY_ORDER[Math.min(URGENCY_ORDER.indexOf(urgency) + 1, URGENCY_ORDER.length - 1)]!;
}

export class ConversationLifecycle {
  constructor(
    private readonly store: ServiceStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The handoff workflow created an issue and alerted the agents. Only a conversation the bot still handles
   * starts waiting: one a person already took (or whose handoff is already open) is left as it is, so a turn
   * replayed after a crash or a claim that landed meanwhile is never undone.
   */
  async handoffCreated(conversationKey: string, handoff: { protocolNumber: string; urgency: Urgency; reason: string; handoffRef?: string }): Promise<ConversationRecord> {
    return this.transition(conversationKey, (current, now) => {
      if (current.handoffStatus !== 'bot') return undefined;
      return {
        patch: {
          handoffStatus: 'waiting_human', protocolNumber: handoff.protocolNumber, handoffRef: handoff.handoffRef ?? handoff.protocolNumber,
          urgency: handoff.urgency, reason: handoff.reason, waitingSince: now, lastAlertAt: now, realerts: 0, assignedAgent: undefined, assignedAgentName: undefined,
        },
        expected: { handoffStatus: ['bot'] },
      };
    });
  }

  /**
   * An agent takes the conversation. Exclusive: when another agent holds it, ConversationClaimedError
   * (409, naming the holder) unless `reassign` (admins only — the caller checks the role). Returns the
   * conversation and who held it before (for the audit log and the customer's notice).
   */
  async claim(conversationKey: string, who: Claimant | string, options: { reassign?: boolean } = {}): Promise<{ conversation: ConversationRecord; previous?: Claimant }> {
    const now = this.now();
    const claimant = typeof who === 'string' ? { id: who, name: who } : who;
    const before = await this.require(conversationKey);
    const result = await this.store.cases.claimConversation(conversationKey, { agent: claimant.id, agentName: claimant.name, force: options.reassign === true }, now);
    if (!result) throw new ConversationNotFoundError(conversationKey);
    if (!result.claimed) {
      const holder = result.conversation;
      throw new ConversationClaimedError(conversationKey, { id: holder.assignedAgent ?? '', name: holder.assignedAgentName ?? holder.assignedAgent ?? '' });
    }
    const previous = before.handoffStatus === 'human' && before.assignedAgent && before.assignedAgent !== claimant.id
      ? { id: before.assignedAgent, name: before.assignedAgentName ?? before.assignedAgent }
      : undefined;
    return { conversation: result.conversation, ...(previous ? { previous } : {}) };
  }

  /** An agent answered from the business number (seen as a `fromMe` message): the conversation is theirs. */
  async agentReplied(conversationKey: string, agent = 'whatsapp'): Promise<ConversationRecord> {
    return this.transition(conversationKey, (current, now) => ({
      patch: { handoffStatus: 'human', assignedAgent: current.assignedAgent ?? agent, lastAgentActivityAt: now },
      // Keep the agent who claimed it meanwhile.
      expected: { handoffStatus: [current.handoffStatus], updatedAt: current.updatedAt },
    }));
  }

  /** Back to the bot (admin API, or idle timeout). Clears the open handoff; its protocol stays in the session history. */
  async release(conversationKey: string): Promise<ConversationRecord> {
    return this.transition(conversationKey, (current) => {
      if (current.handoffStatus === 'bot') throw new InvalidTransitionError(conversationKey, 'bot', 'release a conversation the bot already handles');
      return {
        patch: { ...BACK_TO_BOT },
        expected: { handoffStatus: [current.handoffStatus] },
      };
    });
  }

  async customerWrote(conversationKey: string): Promise<void> {
    const now = this.now();
    await this.store.updateConversation(conversationKey, { lastCustomerMessageAt: now }, now);
  }

  /** An SLA re-alert went out: count it (atomically), and raise the urgency every `raiseAfter` re-alerts. */
  async realerted(conversationKey: string, raiseAfter: number): Promise<ConversationRecord> {
    return this.transition(conversationKey, (current, now) => {
      const realerts = current.realerts + 1;
      const urgency = current.urgency ?? 'medium';
      return {
        patch: { realerts, lastAlertAt: now, urgency: realerts % raiseAfter === 0 ? raiseUrgency(urgency) : urgency },
        expected: { realerts: current.realerts },
      };
    });
  }

  /** Conversations with a human where nobody (agent or customer) wrote for `idleMs` go back to the bot. */
  /** `onReleased` gets each conversation as it was before (who held it, the handoff): to tell the customer. */
  async releaseIdle(idleMs: number, onReleased?: (before: ConversationRecord) => Promise<void>): Promise<string[]> {
    const cutoff = this.now() - idleMs;
    const released: string[] = [];
    for (const conversation of await this.store.listConversations({ handoffStatus: 'human', limit: 1000 })) {
      // Chatwoot decides when its conversations go back to the bot (src/chatwoot/status-sync.ts).
      if (conversation.provider === 'chatwoot') continue;
      const lastActivity = Math.max(conversation.lastAgentActivityAt ?? 0, conversation.lastCustomerMessageAt ?? 0, conversation.updatedAt);
      if (lastActivity < cutoff) {
        try {
          // Only if nothing happened since the listing (an agent's reply, a customer's message).
          await this.store.updateConversation(conversation.conversationKey, { ...BACK_TO_BOT }, this.now(), { handoffStatus: ['human'], updatedAt: conversation.updatedAt });
        } catch (error) {
          if (!(error instanceof ConversationChangedError)) throw error;
          continue;
        }
        await onReleased?.(conversation);
        released.push(conversation.conversationKey);
      }
    }
    return released;
  }

  /**
   * Handoffs nobody took within `maxWaitMs` (counted from the later of the handoff and the customer's last
   * message) go back to the bot: past Meta's 24 h window an agent could not answer freely anyway, and the SLA
   * job would otherwise re-alert about them forever.
   */
  async expireWaiting(maxWaitMs: number): Promise<string[]> {
    const cutoff = this.now() - maxWaitMs;
    const expired: string[] = [];
    for (const conversation of await this.store.listConversations({ handoffStatus: 'waiting_human', limit: 1000 })) {
      if (conversation.provider === 'chatwoot') continue; // Chatwoot's agents and statuses decide
      const lastActivity = Math.max(conversation.waitingSince ?? 0, conversation.lastCustomerMessageAt ?? 0);
      if (lastActivity < cutoff) {
        try {
          // Only if nothing happened since the listing (an agent's claim, a customer's message).
          await this.store.updateConversation(
            conversation.conversationKey,
            { handoffStatus: 'bot', assignedAgent: undefined, protocolNumber: undefined, urgency: undefined, reason: undefined, waitingSince: undefined, lastAlertAt: undefined, realerts: 0 },
            this.now(),
            { handoffStatus: ['waiting_human'], updatedAt: conversation.updatedAt },
          );
          expired.push(conversation.conversationKey);
        } catch (error) {
          if (!(error instanceof ConversationChangedError)) throw error;
        }
      }
    }
    return expired;
  }

  /**
   * Read, decide, write only if the row is still what was read; on a concurrent change, read and decide
   * again. `decide` returning undefined leaves the conversation as it is.
   */
  private async transition(
    conversationKey: string,
    decide: (current: ConversationRecord, now: number) => { patch: ConversationPatch; expected: ConversationExpectation } | undefined,
  ): Promise<ConversationRecord> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.require(conversationKey);
      const now = this.now();
      const change = decide(current, now);
      if (change === undefined) return current;
      try {
        return await this.store.updateConversation(conversationKey, change.patch, now, change.expected);
      } catch (error) {
        if (!(error instanceof ConversationChangedError) || attempt >= 20) throw error;
      }
    }
  }

  private async require(conversationKey: string): Promise<ConversationRecord> {
    const current = await this.store.getConversation(conversationKey);
    if (!current) throw new ConversationNotFoundError(conversationKey);
    return current;
  }
}
