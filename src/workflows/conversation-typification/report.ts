/**
 * report_generation: a short pt-BR report an agent reads in seconds — where the conversation was filed,
 * how sure the model was, a summary, and the customer's last messages (masked: it may be forwarded).
 */
import type { Taxonomy } from '../../taxonomy/index.js';
import { scrubPersonalData } from '../../privacy.js';

export interface TypificationReportInput {
  path: readonly string[];
  confidence: number;
  /** Confidence per level, in path order. */
  levelConfidences: readonly number[];
  route: 'high' | 'medium' | 'low';
  /** The confidence Router's thresholds (config confidence.high / .medium): the label says what the route did. */
  thresholds: ConfidenceThresholds;
  protocolNumber?: string;
  customerMessages: readonly string[];
  lastCustomerMessages: number;
  validationNote?: string;
}

export interface ConfidenceThresholds {
  high: number;
  medium: number;
}

/** "alta" where the Router accepts the path, "média" where it has it validated, "baixa" where a person looks. */
export function confidenceLabel(confidence: number, thresholds: ConfidenceThresholds): string {
  if (confidence >= thresholds.high) return 'alta';
  if (confidence >= thresholds.medium) return 'média';
  return 'baixa';
}

export function pathLabel(taxonomy: Taxonomy, path: readonly string[]): string {
  return path.filter((id) => taxonomy.has(id)).map((id) => taxonomy.label(id)).join(' › ');
}

export function buildTypificationReport(taxonomy: Taxonomy, input: TypificationReportInput): string {
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  const lines = [
    `Tipificação: ${pathLabel(taxonomy, input.path)}`,
    `Confiança: ${confidenceLabel(input.confidence, input.thresholds)} (${percent(input.confidence)}; por nível: ${input.levelConfidences.map(percent).join(' / ')})`,
  ];
  if (input.protocolNumber) lines.push(`Protocolo: ${input.protocolNumber}`);
  const leaf = input.path[3];
  if (leaf && taxonomy.has(leaf)) lines.push(`Resumo: ${taxonomy.description(leaf)}`);
  if (input.route === 'medium') lines.push(`Revisão automática: ${input.validationNote ?? 'caminho confirmado pelo validador'}`);
  if (input.route === 'low') lines.push('Encaminhado para atendimento humano por baixa confiança.');
  const recent = input.customerMessages.slice(-input.lastCustomerMessages);
  if (recent.length > 0) {
    lines.push('Últimas mensagens do cliente:');
    for (const text of recent) lines.push(`  • ${scrubPersonalData(text).slice(0, 280)}`);
  }
  return lines.join('\n');
}
