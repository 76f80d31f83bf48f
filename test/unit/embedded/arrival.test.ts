/** "chegou meu cartão" is an arrival (activate it), "meu cartão não chegou" is not (delivery). */
import { beforeAll, describe, expect, it } from 'vitest';
import { customerStatesArrival } from '../../../src/agents/embedded/arrival.js';
import { EmbeddedModel } from '../../../src/agents/embedded/index.js';
import { classifyToRecord } from '../../../src/agents/eval/index.js';
import type { ConversationMessage } from '../../../src/agents/model.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';

const customer = (...texts: string[]): ConversationMessage[] => texts.map((text) => ({ role: 'customer', text }));

describe('arrival cues', () => {
  it('reads a stated arrival, and a negated, awaited or late one as not arrived', () => {
    expect(customerStatesArrival(customer('recebi o cartão ontem'))).toBe(true);
    expect(customerStatesArrival(customer('o cartão veio hoje', 'como faço pra usar?'))).toBe(true);
    expect(customerStatesArrival(customer('meu cartão não chegou'))).toBe(false);
    expect(customerStatesArrival(customer('cadê meu cartão? era pra ter chegado semana passada'))).toBe(false);
    expect(customerStatesArrival(customer('chegou a fatura', 'mas o cartão ainda não chegou'))).toBe(false);
    expect(customerStatesArrival([{ role: 'bot', text: 'Seu cartão chegou?' }, ...customer('quero saber da entrega')])).toBe(false);
  });

  describe('the embedded model', () => {
    let model: EmbeddedModel;
    beforeAll(() => {
      model = EmbeddedModel.load({ taxonomy: defaultTaxonomy(), modelDir: false });
    });

    it('files an arrived card under activation and a missing one under delivery', async () => {
      const taxonomy = defaultTaxonomy();
      const arrived = await classifyToRecord(model, taxonomy, { messages: customer('meu cartão chegou hoje') });
      const missing = await classifyToRecord(model, taxonomy, { messages: customer('meu cartão ainda não chegou') });
      expect(arrived.submotive).toBe('card_activation');
      expect(missing.submotive).toBe('card_not_received');
    });
  });
});
