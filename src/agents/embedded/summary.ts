/** The one-line pt-BR summary of an escalation analysis, for the agents' alert (no customer text in it). */
import type { Taxonomy, TaxonomyPath } from '../../taxonomy/index.js';
import type { Emotion, EscalationReason, Urgency } from './dataset.js';

const reasonText: Record<EscalationReason, string> = {
  security_concern: 'Suspeita de fraude ou golpe',
  explicit_request: 'Cliente pediu atendimento humano',
  high_value: 'Problema com valor alto (R$ 5 mil ou mais)',
  multiple_attempts: 'Cliente já tentou resolver antes',
  frustration_detected: 'Cliente muito irritado',
  complex_issue: 'Caso complexo, precisa de especialista',
  system_limitation: 'Não dá para resolver pelo autoatendimento',
};
const emotionText: Record<Emotion, string> = {
  neutral: 'tom neutro',
  satisfied: 'cliente satisfeito',
  confused: 'cliente confuso',
  frustrated: 'cliente frustrado',
  angry: 'cliente irritado',
  urgent: 'cliente com pressa',
};
const urgencyText: Record<Urgency, string> = { low: 'baixa', medium: 'média', high: 'alta', critical: 'crítica' };

export function escalationSummary(
  taxonomy: Taxonomy,
  path: TaxonomyPath,
  verdict: { shouldEscalate: boolean; reason: EscalationReason | null; urgency: Urgency; emotion: Emotion },
  amount: number,
): string {
  const topic = taxonomy.label(path[3]);
  const value = amount > 0 ? `; valor citado R$ ${formatReais(amount)}` : '';
  if (!verdict.shouldEscalate || verdict.reason === null) {
    return `Assunto: ${topic}; sem motivo para atendimento humano (${emotionText[verdict.emotion]}).`;
  }
  return `${reasonText[verdict.reason]} — ${topic}${value}; urgência ${urgencyText[verdict.urgency]}, ${emotionText[verdict.emotion]}.`;
}

/** "7500" → "7.500,00" (Intl is slow for a per-conversation hot path, and the format is fixed). */
function formatReais(amount: number): string {
  const [integer = '0', cents = '00'] = amount.toFixed(2).split('.');
  return `${integer.replace(/\B(?=(\d{3})+(?!\d))/g, '.')},${cents}`;
}
