/**
 * What an agent does with a conversation — claim, reply, release, resolve, correct the typification — and
 * the audit entry each one leaves. The admin API and the console call these, so both check the same rules:
 *
 * - a claim is exclusive (ConversationClaimedError, 409, names the holder); an admin may reassign;
 * - the customer is told when an agent joins (with the agent's display name) and when the bot takes over;
 * - an agent's reply goes through the outbox and the MCP client like the bot's (Meta and Evolution alike)
 *   and is kept in the thread;
 * - corrections must be a valid taxonomy path; they refine the case and become labeled examples.
 *
 * Customer-facing sends are outbox rows with keys of their own (`agent-reply:<uuid>`, …): the dispatcher
 * delivers them with retries, exactly once, in the conversation's order.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '../engine/index.js';
import type { Actor } from '../people/actor.js';
import { actorLabel } from '../people/actor.js';
import type { Taxonomy } from '../taxonomy/index.js';
import { effects, outboxKeys, threadMessageId, type Outbox } from './outbox.js';
import { NoCaseError, type CaseService } from './cases.js';
import { ConversationClaimedError, type Claimant, type ConversationLifecycle } from './lifecycle.js';
import type { AuditAction, AuditEntry, CaseRecord, CaseTypification, TypificationPath } from '../conversations/store/case-types.js';
import { ConversationNotFoundError, type ConversationRecord, type InboxItem, type ServiceStore } from '../conversations/store/types.js';
import { InvalidTypificationError, ForbiddenActionError } from './errors.js';
export { InvalidTypificationError, ForbiddenActionError };

/** Texts told to the customer (Config['cases']['texts']): `{agent}`, `{protocol}` placeholders. */
export interface AgentActionTexts {
  agentJoined: string;
  releasedToBot: string;
  resolved: string;
}

export const DEFAULT_AGENT_ACTION_TEXTS: AgentActionTexts = {
  agentJoined: 'Olá! Aqui é {agent}, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.',
  releasedToBot: 'Seu atendimento com a nossa equipe foi encerrado por aqui. Se precisar de mais alguma coisa, é só escrever que o assistente automático te ajuda.',
  resolved: 'Seu atendimento (protocolo {protocol}) foi concluído. Obrigado pelo contato! Se precisar de algo mais, é só escrever.',
};

export interface AgentActionsDeps {
  storage: Pick<Storage, 'nextSequenceValue'>;
  /** What the customer is told (agents' replies, joined/released/resolved notices): the one outbox writer. */
  outbox: Outbox;
  serviceStore: ServiceStore;
  lifecycle: ConversationLifecycle;
  cases: CaseService;
  taxonomy: Taxonomy;
  texts?: AgentActionTexts;
  /** Deliver outbox rows now rather than at the next poll (the processing side, in this thread or its own). */
  kickOutbox?: () => void;
  now?: () => number;
}

/** Admins (and the ADMIN_TOKEN automation) may reassign, release others' conversations, and read the audit log. */
export const isAdmin = (actor: Actor): boolean => actor.kind === 'token' || actor.role === 'admin';

/** The claim identity of an actor: the user id (stable across sessions) and the name customers see. */
export function claimantOf(actor: Actor): Claimant {
  return actor.kind === 'user' ? { id: actor.userId, name: actor.displayName } : { id: actor.name, name: actor.name };
}

const fill = (template: string, values: Record<string, string>): string => template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

export class AgentActions {
  private readonly now: () => number;
  private readonly texts: AgentActionTexts;

  constructor(private readonly deps: AgentActionsDeps) {
    this.now = deps.now ?? Date.now;
    this.texts = deps.texts ?? DEFAULT_AGENT_ACTION_TEXTS;
  }

  /** Audit entry for anything a person did (the console records sign-in/sign-out through this too). */
  async recordAudit(actor: Actor, action: AuditAction, target: { conversationKey?: string; caseId?: string; detail?: Record<string, unknown> } = {}): Promise<AuditEntry> {
    return this.deps.serviceStore.cases.recordAudit({
      at: this.now(),
      actorKind: actor.kind,
      ...(actor.kind === 'user' ? { actorId: actor.userId } : {}),
      actorLabel: actorLabel(actor),
      action,
      ...(target.conversationKey ? { conversationKey: target.conversationKey } : {}),
      ...(target.caseId ? { caseId: target.caseId } : {}),
      ...(target.detail ? { detail: target.detail } : {}),
    });
  }

  /**
   * Takes the conversation; `reassign` (admins) takes it from another agent. The customer is told who joined.
   * `onBehalfOf`: the ADMIN_TOKEN automation claiming for a named agent (a user always claims as themselves).
   */
  async claim(conversationKey: string, actor: Actor, options: { reassign?: boolean; onBehalfOf?: string } = {}): Promise<ConversationRecord> {
    if (options.reassign && !isAdmin(actor)) throw new ForbiddenActionError('Only an admin can reassign a conversation another agent holds.');
    const claimant = actor.kind === 'token' && options.onBehalfOf ? { id: options.onBehalfOf, name: options.onBehalfOf } : claimantOf(actor);
    const before = await this.require(conversationKey);
    const { conversation, previous } = await this.deps.lifecycle.claim(conversationKey, claimant, { reassign: options.reassign === true });
    const alreadyMine = before.handoffStatus === 'human' && before.assignedAgent === claimant.id;
    const openCase = await this.deps.serviceStore.cases.openCaseOf(conversationKey);
    if (!alreadyMine) {
      await this.tellCustomer(conversation, 'agent-joined', fill(this.texts.agentJoined, { agent: claimant.name }));
      await this.note(conversation, previous ? `${claimant.name} assumiu o atendimento (antes com ${previous.name})` : `${claimant.name} assumiu o atendimento`);
    }
    await this.recordAudit(actor, 'claim', {
      conversationKey,
      ...(openCase ? { caseId: openCase.id } : {}),
      detail: { protocolNumber: conversation.protocolNumber ?? openCase?.protocolNumber ?? null, ...(previous ? { reassignedFrom: previous.name } : {}) },
    });
    return conversation;
  }

  /** Back to the bot; the customer is told. Someone else's conversation only by an admin. */
  async release(conversationKey: string, actor: Actor): Promise<ConversationRecord> {
    const current = await this.require(conversationKey);
    this.refuseIfHeldByOther(current, actor);
    const conversation = await this.deps.lifecycle.release(conversationKey);
    await this.tellCustomer(conversation, 'released', this.texts.releasedToBot);
    await this.note(conversation, 'Conversa devolvida ao assistente automático');
    const openCase = await this.deps.serviceStore.cases.openCaseOf(conversationKey);
    await this.recordAudit(actor, 'release', { conversationKey, ...(openCase ? { caseId: openCase.id } : {}), detail: { protocolNumber: current.protocolNumber ?? null } });
    return conversation;
  }

  /**
   * Sends `text` to the customer as the agent (claiming the conversation first when nobody holds it), through
   * the outbox like every other message, and keeps it in the thread.
   */
  async reply(conversationKey: string, actor: Actor, text: string, options: { replyId?: string } = {}): Promise<{ conversation: ConversationRecord; outboxKey: string }> {
    let conversation = await this.require(conversationKey);
    // A reply id (the console's form carries one; API clients may send one) makes a double submit — a
    // double click, a retried request — one message: the second finds the first in the thread and sends nothing.
    const outboxKey = outboxKeys.agentReply(options.replyId ?? randomUUID());
    if (options.replyId && (await this.deps.serviceStore.recentMessages(conversationKey, 50)).some((item) => item.messageId === threadMessageId(outboxKey))) {
      return { conversation, outboxKey };
    }
    const claimant = claimantOf(actor);
    const heldByOther = conversation.handoffStatus === 'human' && conversation.assignedAgent !== undefined && conversation.assignedAgent !== claimant.id;
    if (heldByOther) {
      // An admin may step in without taking the conversation; an agent may not answer someone else's.
      this.refuseIfHeldByOther(conversation, actor);
    } else if (conversation.handoffStatus !== 'human') {
      conversation = await this.claim(conversationKey, actor);
    }
    await this.deps.outbox.write([effects.toCustomer(outboxKey, conversationKey, text)]);
    await this.deps.serviceStore.appendThread([this.threadItem(conversation, 'agent_message', threadMessageId(outboxKey), text, claimant.name)], this.now());
    conversation = await this.deps.serviceStore.updateConversation(conversationKey, { lastAgentActivityAt: this.now() }, this.now());
    this.kick();
    const openCase = await this.deps.serviceStore.cases.openCaseOf(conversationKey);
    // The audit says that a reply went out and how long it was; the words stay in the thread only.
    await this.recordAudit(actor, 'reply', { conversationKey, ...(openCase ? { caseId: openCase.id } : {}), detail: { outboxKey, characters: text.length } });
    return { conversation, outboxKey };
  }

  /** Resolves the open case; a conversation with a person goes back to the bot; the customer is told. */
  async resolve(conversationKey: string, actor: Actor): Promise<CaseRecord> {
    const current = await this.require(conversationKey);
    this.refuseIfHeldByOther(current, actor);
    const open = await this.deps.serviceStore.cases.openCaseOf(conversationKey);
    if (!open) throw new NoCaseError(conversationKey);
    const withProtocol = await this.deps.cases.withProtocol(open);
    const resolved = await this.deps.cases.resolve(withProtocol, actorLabel(actor), 'agent');
    const conversation = current.handoffStatus === 'bot' ? current : await this.deps.lifecycle.release(conversationKey);
    await this.tellCustomer(conversation, 'resolved', fill(this.texts.resolved, { protocol: withProtocol.protocolNumber ?? '' }));
    await this.note(conversation, `Caso resolvido (protocolo ${withProtocol.protocolNumber ?? '—'})`);
    await this.recordAudit(actor, 'resolve', { conversationKey, caseId: resolved.id, detail: { protocolNumber: resolved.protocolNumber ?? null } });
    return resolved;
  }

  /**
   * Sets the typification of the conversation's open case (or its latest one) by hand: validated against the
   * taxonomy, added to the case's history, and stored as a labeled example with the case's messages.
   */
  async correctTypification(conversationKey: string, actor: Actor, path: TypificationPath): Promise<CaseTypification> {
    const ids = [path.businessUnit, path.product, path.motive, path.submotive];
    if (!this.deps.taxonomy.isValidPath(ids)) throw new InvalidTypificationError(ids);
    await this.require(conversationKey);
    const target = (await this.deps.serviceStore.cases.openCaseOf(conversationKey)) ?? (await this.deps.serviceStore.cases.casesOf(conversationKey, 1))[0];
    if (!target) throw new NoCaseError(conversationKey);
    const at = this.now();
    const label = actorLabel(actor);
    const entry = await this.deps.serviceStore.cases.addTypification({ caseId: target.id, at, source: 'agent', actor: label, path });
    await this.deps.serviceStore.cases.addCorrection({ at, caseId: target.id, conversationKey, actor: label, label: path, messages: await this.caseMessages(target) });
    await this.recordAudit(actor, 'correction', { conversationKey, caseId: target.id, detail: { path: ids.join(' / ') } });
    return entry;
  }

  /**
   * The idle release gave the conversation back to the bot: the customer is told (once per handoff: the
   * key is the handoff's, so a job run again after a crash does not say it twice), with a note and an audit entry.
   */
  async idleReleased(before: ConversationRecord): Promise<void> {
    const handoff = before.handoffRef ?? before.protocolNumber ?? String(before.waitingSince ?? before.updatedAt);
    await this.tellCustomer(before, 'released', this.texts.releasedToBot, outboxKeys.agentActionNotice('released-idle', handoff));
    await this.note(before, 'Conversa devolvida ao assistente automático por inatividade');
    const openCase = await this.deps.serviceStore.cases.openCaseOf(before.conversationKey);
    await this.deps.serviceStore.cases.recordAudit({
      at: this.now(), actorKind: 'system', actorLabel: 'bot', action: 'release', conversationKey: before.conversationKey,
      ...(openCase ? { caseId: openCase.id } : {}), detail: { reason: 'idle', heldBy: before.assignedAgentName ?? before.assignedAgent ?? null },
    });
  }

  /** A rerun joins the case of the run it reruns (what the customer was told stays); audited. */
  async rerunStarted(actor: Actor, parentRunId: string, newRunId: string, fromStep: string | undefined): Promise<void> {
    const parentCase = await this.deps.serviceStore.cases.caseOfRun(parentRunId);
    if (parentCase) await this.deps.cases.addRun(parentCase.id, newRunId);
    await this.recordAudit(actor, 'rerun', {
      ...(parentCase ? { conversationKey: parentCase.conversationKey, caseId: parentCase.id } : {}),
      detail: { runId: parentRunId, newRunId, fromStep: fromStep ?? null },
    });
  }

  /** The case's conversation as the dataset stores it: customer and bot (and agent) turns, oldest first. */
  private async caseMessages(target: CaseRecord): Promise<Array<{ role: 'customer' | 'bot' | 'agent'; text: string }>> {
    // From the end of the case before it (its messages may predate the case row: it opens when processed).
    const earlier = (await this.deps.serviceStore.cases.casesOf(target.conversationKey, 50)).find((c) => c.openedAt < target.openedAt);
    const from = earlier?.resolvedAt ?? 0;
    const messages = await this.deps.serviceStore.recentMessages(target.conversationKey, 200);
    const roles = { text: 'customer', bot_reply: 'bot', agent_message: 'agent', agent_reply: 'agent' } as const;
    return messages
      .filter((m) => m.receivedAt > from && (target.resolvedAt === undefined || m.receivedAt <= target.resolvedAt))
      .filter((m): m is typeof m & { kind: keyof typeof roles } => m.kind in roles)
      .map((m) => ({ role: roles[m.kind], text: m.text }));
  }

  private refuseIfHeldByOther(conversation: ConversationRecord, actor: Actor): void {
    const mine = claimantOf(actor).id;
    if (conversation.handoffStatus === 'human' && conversation.assignedAgent && conversation.assignedAgent !== mine && !isAdmin(actor)) {
      throw new ConversationClaimedError(conversation.conversationKey, { id: conversation.assignedAgent, name: conversation.assignedAgentName ?? conversation.assignedAgent });
    }
  }

  private async tellCustomer(conversation: ConversationRecord, what: string, text: string, fixedKey?: string): Promise<void> {
    const key = fixedKey ?? outboxKeys.agentActionNotice(what, randomUUID());
    await this.deps.outbox.write([effects.toCustomer(key, conversation.conversationKey, text)]);
    await this.deps.serviceStore.appendThread([this.threadItem(conversation, 'bot_reply', threadMessageId(key), text)], this.now());
    this.kick();
  }

  private async note(conversation: ConversationRecord, text: string): Promise<void> {
    await this.deps.serviceStore.appendThread([this.threadItem(conversation, 'system_note', `note:${randomUUID()}`, text)], this.now());
  }

  private threadItem(conversation: ConversationRecord, kind: InboxItem['kind'], messageId: string, text: string, name?: string): InboxItem {
    return {
      provider: conversation.provider, messageId, conversationKey: conversation.conversationKey, kind, customer: conversation.customer, text, sentAt: this.now(),
      ...(name ? { name } : {}),
    };
  }

  private kick(): void {
    try {
      this.deps.kickOutbox?.();
    } catch {
      // The row is pending: the dispatcher's next poll delivers it.
    }
  }

  private async require(conversationKey: string): Promise<ConversationRecord> {
    const conversation = await this.deps.serviceStore.getConversation(conversationKey);
    if (!conversation) throw new ConversationNotFoundError(conversationKey);
    return conversation;
  }
}
