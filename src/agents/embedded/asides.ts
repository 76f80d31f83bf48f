/**
 * Side remarks: the sentence of a customer message that the customer marks as not the problem they came
 * with — "aliás, …", "aproveitando: …", "ah, e …", "… mas isso vejo depois", "depois quero ver …, mas
 * primeiro isso". The labeling guide labels the customer's main issue; a side remark names a second topic
 * (often a strongly worded one: "limite noturno", "taxa promocional") that should not outvote it.
 *
 * `messageTokens` gives a message's normalised tokens (the same as `normalizeTokens` of the whole text) and,
 * when a side remark is present, a weight factor per token: `asideWeight` for the tokens of a side-remark
 * sentence, 1 elsewhere.
 */
import { normalizeTokens } from './normalize.js';

/** Normalised words (abbreviations already expanded: "dps" → "depois") that mark a sentence as a side remark. */
const asideMarkers = [
  /\b(alias|aproveitando|a proposito|por sinal|outra coisa)\b/,
  /^ah e\b/,
  // Deferred by the customer: "isso eu vejo depois", "depois quero ver o limite", "mas primeiro isso".
  /\bvejo (isso )?depois\b|\bdepois (eu )?(vejo|quero ver|pergunto|resolvo)\b|\bmas primeiro isso\b/,
];

/** Any marker word at all: most messages have none and skip the sentence split. */
const anyMarker = /\b(alias|aproveitando|proposito|sinal|outra|ah|depois|primeiro)\b/;

export interface MessageTokens {
  tokens: readonly string[];
  /** Weight factor per token; undefined when the message has no side remark (every factor 1). */
  factors: Float32Array | undefined;
}

/** A message split into sentences at . ! ? … or a line break followed by space (not "R$ 1.320"). */
function sentences(text: string): string[] {
  return text.split(/(?<=[.!?…])\s+|\n+/);
}

export function messageTokens(text: string, asideWeight: number): MessageTokens {
  const tokens = normalizeTokens(text);
  if (asideWeight === 1 || !anyMarker.test(tokens.join(' '))) return { tokens, factors: undefined };
  const key = `${asideWeight}\u0000${text}`;
  const cached = recent.get(key);
  if (cached) return cached;
  const factors: number[] = [];
  const parts: string[] = [];
  for (const sentence of sentences(text)) {
    const words = normalizeTokens(sentence);
    const aside = asideMarkers.some((marker) => marker.test(words.join(' ')));
    for (const word of words) {
      parts.push(word);
      factors.push(aside ? asideWeight : 1);
    }
  }
  // Splitting happens only at whitespace, so the sentences' tokens are the message's tokens; if a
  // normalisation rule ever made them differ, weigh the whole message as usual rather than misalign.
  const result: MessageTokens =
    parts.length === tokens.length && parts.every((word, i) => word === tokens[i]) && factors.some((f) => f !== 1)
      ? { tokens, factors: Float32Array.from(factors) }
      : { tokens, factors: undefined };
  if (recent.size >= 4096) recent.clear();
  recent.set(key, result);
  return result;
}

const recent = new Map<string, MessageTokens>();
