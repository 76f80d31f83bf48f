/**
 * The admin view of one conversation, built from the conversations table (who answers now) and the
 * session state the workflows keep (typification, escalation, protocol numbers).
 *
 * Personal data is masked here, once, whatever the caller does with the JSON afterwards (tickets, chats,
 * screenshots): the customer's number with `maskPhone`, and phone numbers, CPFs and CNPJs inside message
 * texts and free-text fields with `scrubPersonalData`. Taxonomy ids and protocol numbers stay as they are.
 */
import type { ConversationRecord, InboxRecord } from '../../conversations/store/types.js';
import { maskPhone, scrubPersonalData } from '../../privacy.js';
import { parseConversationKey } from '../../webhooks/conversation-key.js';
import type { ConversationSessionState, EscalationRecord, TypificationRecord } from '../../workflows/session-state.js';
import { buildThread, iso, scrubKeepingProtocols, type CaseView, type ThreadMessage } from './case-view.js';

export interface ConversationView {
  /** The key with its customer part masked (`meta:<phone id>:55119****4321`). */
  conversationKey: string;
  provider: ConversationRecord['provider'];
  customer: string;
  name?: string;
  handoff: {
    status: ConversationRecord['handoffStatus'];
    assignedAgent: string | null;
    /** The holder's display name (who a second claim is told holds it). */
    assignedAgentName: string | null;
    protocolNumber: string | null;
    urgency: NonNullable<ConversationRecord['urgency']> | null;
    reason: string | null;
    waitingSince: number | null;
    realerts: number;
    lastAlertAt: number | null;
  };
  typification: {
    path: TypificationRecord['path'];
    confidence: number;
    levelConfidences: TypificationRecord['levelConfidences'];
    route: TypificationRecord['route'];
    runId: string;
    at: number;
  } | null;
  /** The latest escalation analysis; its summary scrubbed. */
  escalation: EscalationRecord | null;
  /** Every protocol given in this conversation, oldest first (reruns never remove one). */
  protocolNumbers: string[];
  /** Cases, newest first: the open one (if any) then earlier ones. */
  cases: CaseView[];
  /** The conversation as people read it (customer, bot, agent, system), oldest first, ISO times. */
  thread: ThreadMessage[];
  recentMessages: Array<{
    id: number;
    kind: InboxRecord['kind'];
    status: InboxRecord['status'];
    text: string;
    sentAt: number;
    receivedAt: number;
    runId: string | null;
  }>;
  createdAt: number;
  updatedAt: number;
  /** `createdAt`/`updatedAt` as ISO 8601. */
  createdAtIso: string;
  updatedAtIso: string;
}

export function maskConversationKey(key: string): string {
  const parts = parseConversationKey(key);
  if (!parts) return scrubPersonalData(key);
  return `${parts.provider}:${parts.channel}:${maskPhone(parts.customer)}`;
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

function typificationView(record: TypificationRecord | undefined): ConversationView['typification'] {
  if (!record) return null;
  return { path: record.path, confidence: record.confidence, levelConfidences: record.levelConfidences, route: record.route, runId: record.runId, at: record.at };
}

function escalationView(record: EscalationRecord | undefined): ConversationView['escalation'] {
  // The summary is written by a model from the customer's words: it can quote a number or a CPF.
  return record ? { ...record, summary: scrubPersonalData(record.summary) } : null;
}

export function buildConversationView(conversation: ConversationRecord, state: ConversationSessionState, messages: InboxRecord[], cases: CaseView[] = []): ConversationView {
  const caseProtocols = cases.map((c) => c.protocolNumber).filter((p): p is string => p !== null).reverse();
  const protocolNumbers = [...new Set([...(state.protocolNumbers ?? []), ...caseProtocols, ...(conversation.protocolNumber ? [conversation.protocolNumber] : [])])];
  return {
    conversationKey: maskConversationKey(conversation.conversationKey),
    provider: conversation.provider,
    customer: maskPhone(conversation.customer),
    ...(conversation.name ? { name: scrubPersonalData(conversation.name) } : {}),
    handoff: {
      status: conversation.handoffStatus,
      assignedAgent: orNull(conversation.assignedAgent),
      assignedAgentName: orNull(conversation.assignedAgentName),
      protocolNumber: orNull(conversation.protocolNumber),
      urgency: orNull(conversation.urgency),
      reason: conversation.reason === undefined ? null : scrubPersonalData(conversation.reason),
      waitingSince: orNull(conversation.waitingSince),
      realerts: conversation.realerts,
      lastAlertAt: orNull(conversation.lastAlertAt),
    },
    typification: typificationView(state.typification),
    escalation: escalationView(state.escalation),
    protocolNumbers,
    cases,
    thread: buildThread(messages, protocolNumbers),
    recentMessages: messages.map((message) => ({
      id: message.id,
      kind: message.kind,
      status: message.status,
      text: scrubKeepingProtocols(message.text, protocolNumbers),
      sentAt: message.sentAt,
      receivedAt: message.receivedAt,
      runId: orNull(message.runId),
    })),
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
    createdAtIso: iso(conversation.createdAt)!,
    updatedAtIso: iso(conversation.updatedAt)!,
  };
}
