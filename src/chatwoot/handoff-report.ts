/**
 * What Chatwoot's agents get when zapflow hands a conversation over: a private note with the report (where
 * the conversation was filed and how sure the model was, why it was escalated, urgency, the customer's mood,
 * the protocol, the details the customer gave), labels from the typification, and a priority from the
 * urgency. Built once per handoff from the alert the workflow wrote and the conversation's session state.
 */
import type { Taxonomy } from '../taxonomy/index.js';
import type { AgentAlert, Urgency } from '../service/ports.js';
import type { ConversationSessionState } from '../workflows/session-state.js';
import { confidenceLabel, pathLabel, type ConfidenceThresholds } from '../workflows/conversation-typification/report.js';
import { REASON_LABELS, URGENCY_LABELS } from '../workflows/human-handoff/messages.js';
import type { ChatwootPriority } from './api.js';

const EMOTION_LABELS: Record<string, string> = {
  neutral: 'neutro',
  satisfied: 'satisfeito',
  confused: 'confuso',
  frustrated: 'frustrado',
  angry: 'irritado',
  urgent: 'com pressa',
};

/** Chatwoot's `priority` for each urgency (Chatwoot's levels: urgent, high, medium, low). */
export const CHATWOOT_PRIORITY: Record<Urgency, ChatwootPriority> = { critical: 'urgent', high: 'high', medium: 'medium', low: 'low' };

/**
 * A Chatwoot label: Chatwoot keeps labels lowercase and accepts letters, digits, `-` and `_` only
 * (Label#title validation), so "Maquininha de cartão" becomes `maquininha-de-cartao`.
 */
export function chatwootLabel(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 64);
}

export interface HandoffReport {
  note: string;
  labels: string[];
  priority: ChatwootPriority;
}

export function buildHandoffReport(taxonomy: Taxonomy, alert: AgentAlert, state: ConversationSessionState, thresholds: ConfidenceThresholds): HandoffReport {
  const typification = state.typification;
  const path = typification ? [typification.path.businessUnit, typification.path.product, typification.path.motive, typification.path.submotive] : [];
  const known = path.filter((id) => taxonomy.has(id));
  const escalation = state.escalation;
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  const lines = [
    '🤖 zapflow — conversa transferida para a equipe',
    `Protocolo: ${alert.protocolNumber}`,
    `Tipificação: ${known.length > 0 ? pathLabel(taxonomy, known) : 'não identificada'}`,
    ...(typification ? [`Confiança: ${confidenceLabel(typification.confidence, thresholds)} (${percent(typification.confidence)})`] : []),
    `Motivo do encaminhamento: ${REASON_LABELS[alert.reason] ?? alert.reason}`,
    `Urgência: ${URGENCY_LABELS[alert.urgency]}`,
    ...(escalation ? [`Emoção do cliente: ${EMOTION_LABELS[escalation.emotion] ?? escalation.emotion}`] : []),
    '',
    // The workflow's alert: summary, the customer's details collected (name, documents, account hints), contacts.
    alert.text,
  ];
  const labels = known.slice(0, 3).map((id) => chatwootLabel(taxonomy.label(id))).filter((label) => label.length > 0);
  return { note: lines.join('\n'), labels: [...new Set(labels)], priority: CHATWOOT_PRIORITY[alert.urgency] };
}
