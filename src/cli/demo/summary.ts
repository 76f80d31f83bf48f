/** The demo's closing table: per conversation, where it was filed, what happened, and whether that was expected. */
import type { App } from '../../app.js';
import { loadSelfServiceContent } from '../../service/replies.js';
import { readConversationState } from '../../workflows/session-state.js';

export interface DemoConversation {
  id: string;
  provider: 'meta' | 'evolution';
  customer: { name: string; phone: string };
  scenario: string;
  expect: { outcome: 'self_service' | 'clarifying_question' | 'escalation'; [key: string]: unknown };
  messages: Array<{ text: string; delayMs: number }>;
}

export interface DemoRow {
  id: string;
  provider: string;
  path: string;
  confidence: string;
  outcome: 'self_service' | 'clarifying_question' | 'escalation' | 'none';
  detail: string;
  protocols: string;
  expected: boolean;
}

export async function summarize(app: App, byKey: Map<string, DemoConversation>): Promise<DemoRow[]> {
  // A self-service answer sent again after a follow-up question comes after a short lead line.
  const answers = Object.values(loadSelfServiceContent().answers);
  const isAnswer = (text: string) => answers.some((answer) => text === answer || text.endsWith(`\n\n${answer}`));
  const rows: DemoRow[] = [];
  for (const [key, conversation] of byKey) {
    const record = await app.serviceStore.getConversation(key);
    const state = readConversationState((await app.storage.getSession(key))?.state);
    const messages = await app.serviceStore.recentMessages(key, 50);
    const botReplies = messages.filter((m) => m.kind === 'bot_reply');
    const last = botReplies.at(-1);
    const escalated = record?.handoffStatus !== 'bot' || state.handoff !== undefined;
    const outcome: DemoRow['outcome'] = escalated ? 'escalation' : !last ? 'none' : isAnswer(last.text) ? 'self_service' : 'clarifying_question';
    const path = state.typification?.path;
    rows.push({
      id: conversation.id,
      provider: conversation.provider,
      path: path ? `${path.product} › ${path.submotive}` : '—',
      confidence: state.typification ? `${Math.round(state.typification.confidence * 100)}% ${state.typification.route}` : '—',
      outcome,
      detail: escalated ? `${state.handoff?.reason ?? record?.reason ?? ''} ${state.handoff?.urgency ?? record?.urgency ?? ''}`.trim() : `${botReplies.length} repl${botReplies.length === 1 ? 'y' : 'ies'}`,
      protocols: (state.protocolNumbers ?? []).join(' '),
      expected: outcome === conversation.expect.outcome,
    });
  }
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}

export function renderSummary(rows: DemoRow[]): string[] {
  const header: DemoRow = { id: 'conversation', provider: 'provider', path: 'typification (product › submotive)', confidence: 'confidence', outcome: 'none', detail: 'detail', protocols: 'protocol numbers', expected: true };
  const cells = (row: DemoRow, isHeader = false) => [
    row.id, row.provider, row.path, row.confidence, isHeader ? 'outcome' : row.outcome, row.detail, row.protocols, isHeader ? 'as scripted' : row.expected ? '✓' : '✗',
  ];
  const table = [cells(header, true), ...rows.map((r) => cells(r))];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  const matched = rows.filter((r) => r.expected).length;
  return [
    format(table[0]!),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...table.slice(1).map(format),
    '',
    `${rows.length} conversations · ${rows.filter((r) => r.outcome === 'escalation').length} handed to a human · ${rows.filter((r) => r.outcome === 'self_service').length} answered by self-service · ${matched}/${rows.length} as scripted`,
  ];
}
