/**
 * The pt-BR sentiment lexicon on hand-written WhatsApp messages (written for this test, not from a labeled
 * set): each emotion cue, VADER's negation/booster/capitals/"!" rules, and the emotion the model reports.
 */
import { describe, expect, it } from 'vitest';
import { chooseEmotion } from '../../../src/agents/embedded/escalation.js';
import { sentimentOf } from '../../../src/agents/embedded/sentiment.js';
import { detectSignals } from '../../../src/agents/embedded/signals.js';
import type { ConversationMessage } from '../../../src/agents/model.js';

const customer = (...texts: string[]): ConversationMessage[] => texts.map((text) => ({ role: 'customer', text }));

describe('sentiment lexicon', () => {
  it('asking for a person is not positive (the AFINN list we measured said it was)', () => {
    expect(sentimentOf(['quero falar com um atendente humano agora']).compound).toBe(0);
  });

  it('reads each cue in careful and rough spelling', () => {
    expect(sentimentOf(['perfeito, muito obrigada!!']).cues.satisfaction).toBeGreaterThan(3);
    expect(sentimentOf(['achei, vlw']).cues.satisfaction).toBeGreaterThan(0);
    expect(sentimentOf(['aff ninguem resolve']).cues.frustration).toBeLessThan(-2.5);
    expect(sentimentOf(['que palhaçada, bando de ladrões']).cues.anger).toBeLessThan(-5);
    expect(sentimentOf(['socorro pelo amor de deus']).cues.urgency).toBeLessThan(-3);
    expect(sentimentOf(['nao entendi, como assim?']).cues.confusion).toBeLessThan(-1);
  });

  it('a negation turns thanks into frustration; boosters, capitals and "!" make a word count more', () => {
    expect(sentimentOf(['nao resolveu nada']).compound).toBeLessThan(0);
    expect(sentimentOf(['nunca funcionou']).cues.frustration).toBeLessThan(0);
    expect(sentimentOf(['muito ruim']).compound).toBeLessThan(sentimentOf(['ruim']).compound);
    expect(sentimentOf(['isso é ABSURDO']).compound).toBeLessThan(sentimentOf(['isso é absurdo']).compound);
    expect(sentimentOf(['otimo!!!']).compound).toBeGreaterThan(sentimentOf(['otimo']).compound);
  });

  it('after "mas" the clause counts more than before it', () => {
    expect(sentimentOf(['o app é otimo mas a demora é pessima']).compound).toBeLessThan(0);
  });
});

describe('emotion with the lexicon', () => {
  const emotionOf = (...texts: string[]) => chooseEmotion(detectSignals(customer(...texts)), false, 'neutral');

  it('a clear thanks after the issue is solved is satisfied; a bare "ok valeu" stays with the classifier', () => {
    expect(emotionOf('como gero o boleto?', 'achei aqui, perfeito, obrigada!')).toBe('satisfied');
    expect(emotionOf('qual o prazo do chargeback?', 'ok valeu')).toBe('neutral');
  });

  it('strong frustration or confusion words say the tone outright', () => {
    expect(emotionOf('a maquininha nao chegou', 'ja to cansada de esperar, que demora')).toBe('frustrated');
    expect(emotionOf('nao entendi essa taxa', 'como assim cobraram isso?')).toBe('confused');
  });
});
