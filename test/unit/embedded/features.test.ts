/** What the featurizer sees: the same idea written with or without the little words in between meets on one term. */
import { describe, expect, it } from 'vitest';
import { defaultFeatureOptions, extractTerms, messageWeights, signalTerms } from '../../../src/agents/embedded/features.js';
import { normalizeTokens } from '../../../src/agents/embedded/normalize.js';

const pairsOf = (text: string, contentPairs = true): string[] =>
  [...(extractTerms([{ role: 'customer', text }], { ...defaultFeatureOptions, contentPairs })[1] as Map<string, number>).keys()];

describe('word pairs', () => {
  it('"limite do pix" and "limite pix", "cartao de credito" and "cartao credito" share a pair term', () => {
    const careful = pairsOf('quero aumentar o limite do pix');
    const rough = pairsOf('qro aumentar limite pix');
    expect(careful.filter((term) => rough.includes(term))).toContain('limit pix');
    expect(pairsOf('meu cartao de credito')).toEqual(expect.arrayContaining(pairsOf('cartao credito')));
  });

  it('without content pairs only neighbouring words pair up (the model files trained before keep working the old way)', () => {
    expect(pairsOf('limite do pix', false)).not.toContain('limit pix');
  });
});

describe('chat spelling', () => {
  it('abbreviations customers type meet the full words', () => {
    expect(normalizeTokens('qnto custa e cm faco, qm resolve?').join(' ')).toBe('quanto custa e como faco quem resolve');
    expect(normalizeTokens('pgto de onti, brigado').join(' ')).toBe('pagamento de ontem obrigado');
  });
});

describe('the statement of the issue', () => {
  const weights = (...texts: string[]): number[] => messageWeights(texts.map((text) => ({ role: 'customer' as const, text })), defaultFeatureOptions);

  it('counts double across the short messages it is split into, and only until it names the issue', () => {
    expect(weights('oi', 'minha maquininha parou', 'nao liga mais desde ontem', 'ja tentei carregar')).toEqual([1, 2, 2, 1]);
  });

  it('counts double in the message after a request for a person that names no issue', () => {
    expect(weights('prefiro resolver com gente, me transfere', 'é sobre a renegociação da dívida', 'obrigado')).toEqual([2, 2, 1]);
  });

  it('is one message when that message already states the issue', () => {
    expect(weights('meu cartão de crédito foi recusado no mercado hoje', 'tenho saldo')).toEqual([2, 1]);
  });
});

describe('escalation signals as topic words', () => {
  const signalsOf = (text: string): string[] => signalTerms([{ role: 'customer', text }], defaultFeatureOptions);

  it('tells a problem from a question about the same thing, and marks a debit the customer did not make', () => {
    expect(signalsOf('a venda de ontem no credito nao caiu ate agora')).toContain('@describesProblem');
    expect(signalsOf('quando cai a venda no credito?')).toEqual([]);
    expect(signalsOf('saiu um pix da minha conta que eu nao fiz')).toContain('@securityConcern');
  });

  it('adds them to the word block, and model files trained without them stay without them', () => {
    const words = (options: typeof defaultFeatureOptions): string[] =>
      [...(extractTerms([{ role: 'customer', text: 'o link da erro toda vez que o cliente tenta pagar' }], options)[0] as Map<string, number>).keys()];
    expect(words(defaultFeatureOptions)).toEqual(expect.arrayContaining(['@describesProblem', '@systemLimitation']));
    expect(words({ ...defaultFeatureOptions, signalWeight: 0 }).filter((term) => term.startsWith('@'))).toEqual([]);
  });
});
