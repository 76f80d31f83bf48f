/**
 * The pt-BR texts of a handoff: the agents' alert (wording from config/workflows/human-handoff.json) and
 * the message that tells the customer the protocol number and the expected wait.
 */
import type { HandoffConfig } from '../config.js';
import type { Urgency } from '../../service/ports.js';

export const REASON_LABELS: Record<string, string> = {
  explicit_request: 'cliente pediu atendimento humano',
  frustration_detected: 'cliente muito insatisfeito',
  complex_issue: 'caso complexo, precisa de especialista',
  high_value: 'valor alto em jogo',
  security_concern: 'possível fraude ou golpe',
  multiple_attempts: 'cliente já tentou resolver antes',
  system_limitation: 'autoatendimento não resolve',
  low_confidence: 'não conseguimos entender o assunto com segurança',
  invalid_classification: 'classificação automática falhou',
  model_failure: 'o assistente automático falhou',
};

export const URGENCY_LABELS: Record<Urgency, string> = {
  critical: 'CRÍTICA',
  high: 'alta',
  medium: 'média',
  low: 'baixa',
};

export interface AlertFields {
  protocol: string;
  urgency: Urgency;
  reason: string;
  summary: string;
  customer: string;
  path: string;
  contacts: number;
  /** The conversation in the console (consoleConversationLink). */
  link: string;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function formatAgentAlert(config: HandoffConfig, fields: AlertFields, realert = 0): string {
  const body = fill(config.alert.template, {
    protocol: fields.protocol,
    urgency: URGENCY_LABELS[fields.urgency],
    reason: REASON_LABELS[fields.reason] ?? fields.reason,
    summary: fields.summary,
    customer: fields.customer,
    path: fields.path,
    contacts: String(fields.contacts),
    link: fields.link,
  });
  return realert > 0 ? `${config.alert.realertPrefix} (${realert}º aviso)\n${body}` : body;
}

export function formatWait(minutes: number): string {
  if (minutes < 60) return `${minutes} minutos`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? '1 hora' : `${hours} horas`;
}

/** `slaMinutes`: the SLA limits (SLA_*_MINUTES) — the wait promised is the one the agents are held to. */
export function formatCustomerHandoffMessage(config: HandoffConfig, protocol: string, urgency: Urgency, slaMinutes: Readonly<Record<Urgency, number>>): string {
  return fill(config.customerMessage, { protocol, wait: formatWait(slaMinutes[urgency]) });
}
