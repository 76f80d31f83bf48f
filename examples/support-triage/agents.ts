/**
 * Offline stand-ins for the example's agents, implementing the engine's StepAgent seam. In the product the
 * classifier is an Agent backed by Claude or the embedded NLU (src/agents); here keywords are enough to show
 * the workflow's shape without a network.
 */
import type { StepAgent } from '../../src/engine/index.js';

export type Topic = 'billing' | 'technical' | 'other';

const TOPIC_KEYWORDS: Record<Exclude<Topic, 'other'>, string[]> = {
  billing: ['cobrança', 'cobrado', 'fatura', 'boleto', 'reembolso', 'estorno', 'taxa', 'pagamento'],
  technical: ['maquininha', 'não liga', 'erro', 'app', 'senha', 'bluetooth', 'travou'],
};

/** Picks the topic whose keywords appear most in the message. */
export function createKeywordClassifier(): StepAgent {
  return {
    name: 'topic_classifier',
    async run(input) {
      const text = input.toLowerCase();
      let best: Topic = 'other';
      let bestHits = 0;
      for (const [topic, words] of Object.entries(TOPIC_KEYWORDS) as Array<[Topic, string[]]>) {
        const hits = words.filter((word) => text.includes(word)).length;
        if (hits > bestHits) [best, bestHits] = [topic, hits];
      }
      return { content: { topic: best, confidence: bestHits === 0 ? 0.3 : Math.min(0.95, (60 + 15 * bestHits) / 100) }, metrics: { keywordHits: bestHits } };
    },
  };
}

const FRUSTRATION = ['absurdo', 'péssimo', 'cansado', 'procon', 'cancelar', 'ninguém resolve', '!!!'];

/** Frustrated customers go to a person sooner. */
export function frustrationScore(text: string): number {
  const lower = text.toLowerCase();
  return FRUSTRATION.filter((word) => lower.includes(word)).length;
}
