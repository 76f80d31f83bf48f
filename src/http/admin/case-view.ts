/**
 * The people side of a conversation as the admin API (and the console) shows it: its cases (protocol,
 * typification with history, runs), the thread (customer, bot, agent, system), the queue entry. Times are
 * ISO 8601. Texts are scrubbed of phone numbers and documents, but never of the case's protocol numbers
 * (a 14-digit protocol looks like a CNPJ to the scrubber: the agent must read it as the customer did).
 */
import type { CaseRecord, CaseRun, CaseTypification } from '../../conversations/store/case-types.js';
import type { ConversationRecord, InboxRecord, Urgency } from '../../conversations/store/types.js';
import { maskPhone, scrubPersonalData } from '../../privacy.js';
import type { Taxonomy } from '../../taxonomy/index.js';
import { pathLabel } from '../../workflows/conversation-typification/report.js';
import { REASON_LABELS } from '../../workflows/human-handoff/messages.js';

export const iso = (epochMs: number | undefined): string | null => (epochMs === undefined ? null : new Date(epochMs).toISOString());

/** Scrubs personal data except the given protocol numbers, which are kept as written. */
export function scrubKeepingProtocols(text: string, protocols: readonly string[]): string {
  const known = protocols.filter((p) => /^\d+$/.test(p));
  if (known.length === 0) return scrubPersonalData(text);
  const pattern = new RegExp(`\\b(${known.join('|')})\\b`, 'g');
  const kept: string[] = [];
  // Placeholders the scrubber leaves alone (no digits run long enough to look like a document).
  const masked = scrubPersonalData(text.replace(pattern, (match) => `⟦p${String.fromCharCode(97 + kept.push(match) - 1)}⟧`));
  return masked.replace(/⟦p([a-z])⟧/g, (_whole, letter: string) => kept[letter.charCodeAt(0) - 97] ?? '');
}

export interface TypificationView {
  path: CaseTypification['path'];
  label: string;
  source: CaseTypification['source'];
  actor: string | null;
  confidence: number | null;
  runId: string | null;
  at: string;
}

export interface CaseView {
  id: string;
  status: CaseRecord['status'];
  protocolNumber: string | null;
  previousProtocol: string | null;
  handoffs: number;
  openedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: CaseRecord['resolution'] | null;
  /** The latest (an agent's correction or the last turn's); the whole history below, oldest first. */
  typification: TypificationView | null;
  typificationHistory: TypificationView[];
  runs: Array<{ runId: string; addedAt: string }>;
}

function typificationView(taxonomy: Taxonomy, entry: CaseTypification): TypificationView {
  const { path } = entry;
  return {
    path,
    label: pathLabel(taxonomy, [path.businessUnit, path.product, path.motive, path.submotive]),
    source: entry.source,
    actor: entry.actor ?? null,
    confidence: entry.confidence ?? null,
    runId: entry.runId ?? null,
    at: new Date(entry.at).toISOString(),
  };
}

export function buildCaseView(taxonomy: Taxonomy, record: CaseRecord, history: CaseTypification[], runs: CaseRun[]): CaseView {
  const views = history.map((entry) => typificationView(taxonomy, entry));
  return {
    id: record.id,
    status: record.status,
    protocolNumber: record.protocolNumber ?? null,
    previousProtocol: record.previousProtocol ?? null,
    handoffs: record.handoffs,
    openedAt: new Date(record.openedAt).toISOString(),
    resolvedAt: iso(record.resolvedAt),
    resolvedBy: record.resolvedBy ?? null,
    resolution: record.resolution ?? null,
    typification: views.at(-1) ?? null,
    typificationHistory: views,
    runs: runs.map((run) => ({ runId: run.runId, addedAt: new Date(run.addedAt).toISOString() })),
  };
}

export type ThreadAuthor = 'customer' | 'bot' | 'agent' | 'system';

export interface ThreadMessage {
  id: number;
  author: ThreadAuthor;
  /** The agent's display name for agent messages sent from the console. */
  agentName: string | null;
  text: string;
  at: string;
}

const AUTHORS: Record<InboxRecord['kind'], ThreadAuthor> = {
  text: 'customer',
  text_only_notice: 'customer',
  welcome_request: 'customer',
  bot_reply: 'bot',
  agent_message: 'agent',
  agent_reply: 'agent',
  system_note: 'system',
};

const ECHO_WINDOW_MS = 10 * 60_000;

/**
 * The conversation as people read it, oldest first. Evolution echoes what we sent back as `fromMe`
 * messages: those copies of our own bot or agent messages are left out.
 */
export function buildThread(messages: InboxRecord[], protocols: readonly string[]): ThreadMessage[] {
  const ours = messages.filter((m) => m.kind === 'bot_reply' || m.kind === 'agent_message');
  return messages
    .filter((m) => !(m.kind === 'agent_reply' && ours.some((o) => o.text === m.text && Math.abs(o.sentAt - m.sentAt) < ECHO_WINDOW_MS)))
    .map((m) => ({
      id: m.id,
      author: AUTHORS[m.kind] ?? 'system',
      agentName: m.kind === 'agent_message' ? (m.name ?? null) : null,
      text: m.kind === 'text_only_notice' ? '(mensagem que não é texto)' : m.kind === 'welcome_request' ? '(abriu a conversa)' : scrubKeepingProtocols(m.text, protocols),
      at: new Date(m.sentAt).toISOString(),
    }));
}

export interface QueueItem {
  /** The conversation key, to open it (`/admin/conversations/<url-encoded key>`). */
  key: string;
  name: string | null;
  customer: string;
  status: ConversationRecord['handoffStatus'];
  urgency: Urgency;
  reason: string | null;
  reasonLabel: string | null;
  protocolNumber: string | null;
  assignedAgent: { id: string; name: string } | null;
  waitingSince: string | null;
  waitingSeconds: number;
  /** waitingSince + the urgency's SLA limit. */
  slaDeadline: string | null;
  overdue: boolean;
}

export function buildQueueItem(conversation: ConversationRecord, slaMinutes: Readonly<Record<Urgency, number>>, now: number): QueueItem & { deadlineMs: number } {
  const urgency = conversation.urgency ?? 'medium';
  const since = conversation.waitingSince ?? conversation.updatedAt;
  const deadlineMs = since + slaMinutes[urgency] * 60_000;
  return {
    key: conversation.conversationKey,
    name: conversation.name ? scrubPersonalData(conversation.name) : null,
    customer: maskPhone(conversation.customer),
    status: conversation.handoffStatus,
    urgency,
    reason: conversation.reason ?? null,
    reasonLabel: conversation.reason ? (REASON_LABELS[conversation.reason] ?? conversation.reason) : null,
    protocolNumber: conversation.protocolNumber ?? null,
    assignedAgent: conversation.assignedAgent ? { id: conversation.assignedAgent, name: conversation.assignedAgentName ?? conversation.assignedAgent } : null,
    waitingSince: iso(conversation.waitingSince),
    waitingSeconds: Math.max(0, Math.floor((now - since) / 1000)),
    slaDeadline: new Date(deadlineMs).toISOString(),
    overdue: conversation.handoffStatus === 'waiting_human' && now > deadlineMs,
    deadlineMs,
  };
}
