/**
 * The SLA job's re-alert: the same alert agents got for the handoff, with "still waiting (Nth notice)" on
 * top, written to the outbox under `realert:<handoff ref>:<n>` (the ref is the protocol for a case's first handoff) so a crash between sending and counting never
 * sends the same notice twice.
 */
import type { Storage } from '../engine/index.js';
import { maskPhone } from '../privacy.js';
import type { Taxonomy } from '../taxonomy/index.js';
import type { HandoffConfig } from '../workflows/config.js';
import { pathLabel } from '../workflows/conversation-typification/report.js';
import { formatAgentAlert } from '../workflows/human-handoff/messages.js';
import type { AgentAlert } from './ports.js';
import { effects, outboxKeys, type Outbox } from './outbox.js';
import { readConversationState } from '../workflows/session-state.js';
import { consoleConversationLink } from '../workflows/shared/links.js';
import type { ConversationRecord } from '../conversations/store/types.js';

export interface RealertPortDeps {
  /** The conversation's session state (the escalation summary, the typification). */
  storage: Pick<Storage, 'getSession'>;
  outbox: Outbox;
  taxonomy: Taxonomy;
  handoffConfig: HandoffConfig;
  /** PUBLIC_URL, for the console link. */
  publicUrl?: string;
  kick?: () => void;
}

export function createRealertPort(deps: RealertPortDeps) {
  return async function realert(conversation: ConversationRecord, realertNumber: number): Promise<void> {
    const protocol = conversation.protocolNumber ?? 'sem protocolo';
    const state = readConversationState((await deps.storage.getSession(conversation.conversationKey))?.state);
    const urgency = conversation.urgency ?? 'medium';
    const reason = conversation.reason ?? 'atendimento';
    const alert: AgentAlert = {
      protocolNumber: protocol,
      conversationKey: conversation.conversationKey,
      urgency,
      reason,
      realert: realertNumber,
      link: consoleConversationLink(deps.publicUrl, conversation.conversationKey),
      text: formatAgentAlert(
        deps.handoffConfig,
        {
          protocol,
          urgency,
          reason,
          summary: state.escalation?.summary ?? '',
          customer: [conversation.name, /^\d{8,15}$/.test(conversation.customer) ? maskPhone(conversation.customer) : undefined].filter(Boolean).join(' · ') || 'cliente',
          path: state.typification ? pathLabel(deps.taxonomy, Object.values(state.typification.path)) : 'não identificado',
          contacts: Math.max(0, (state.contacts ?? 1) - 1),
          link: consoleConversationLink(deps.publicUrl, conversation.conversationKey),
        },
        realertNumber,
      ),
    };
    // Per handoff (a case handed over twice counts its re-alerts twice); the first handoff's ref is the protocol.
    await deps.outbox.write([effects.toAgents(outboxKeys.realert(conversation.handoffRef ?? protocol, realertNumber), alert)]);
    deps.kick?.();
  };
}
