/**
 * "chegou meu cartão" (it arrived: activate it) against "meu cartão não chegou" (it did not: delivery). Both
 * share "chegou", and most training text with that word is about non-arrival, so the classifier sent stated
 * arrivals to the delivery leaves. When a customer turn states an arrival (an arrival verb in the past with no
 * cue of non-arrival: negation, "ainda", "cadê", a delay or a deadline) and none says it did not arrive, the
 * leaves whose whole point is a delivery that did not happen are left out.
 */
import { normalizeTokens } from './normalize.js';
import type { ConversationMessage } from '../model.js';

/** Leaves that mean "it has not arrived". */
export const nonArrivalLeaves: ReadonlySet<string> = new Set(['card_not_received', 'machine_delivery_delay']);

const arrivalVerbs = new Set(['chegou', 'chegaram', 'recebi', 'recebemos', 'veio', 'vieram', 'entregaram']);
const nonArrivalCues = new Set([
  'nao', 'n', 'nunca', 'nem', 'ainda', 'cade', 'quando', 'qndo', 'qnd', 'era', 'deveria', 'devia', 'prazo', 'previsao',
  'demora', 'demorando', 'demorou', 'atrasado', 'atrasada', 'atraso', 'atrasou', 'errado', 'errada', 'outro', 'outra',
  'entrega', 'rastreio', 'rastreamento', 'endereco',
]);

/** A customer turn states the arrival, and no customer turn states or asks about a non-arrival. */
export function customerStatesArrival(messages: readonly ConversationMessage[]): boolean {
  let arrived = false;
  for (const message of messages) {
    if (message.role !== 'customer') continue;
    const tokens = normalizeTokens(message.text);
    if (tokens.some((token) => nonArrivalCues.has(token))) {
      if (tokens.some((token) => arrivalVerbs.has(token) || token.startsWith('cheg'))) return false;
      continue;
    }
    if (tokens.some((token) => arrivalVerbs.has(token))) arrived = true;
  }
  return arrived;
}

/** `probabilities` (per leaf id in `leafIds` order) without the non-arrival leaves, renormalised. */
export function withoutNonArrival(probabilities: Float64Array, leafIds: readonly string[]): Float64Array {
  const out = Float64Array.from(probabilities);
  let total = 0;
  leafIds.forEach((id, i) => {
    if (nonArrivalLeaves.has(id)) out[i] = 0;
    total += out[i] as number;
  });
  if (total <= 0) return probabilities;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / total;
  return out;
}
