/** A side remark ("aliás, …", "aproveitando: …", "… mas isso vejo depois") does not outvote the issue the customer came with. */
import { beforeAll, describe, expect, it } from 'vitest';
import { messageTokens } from '../../../src/agents/embedded/asides.js';
import { EmbeddedModel } from '../../../src/agents/embedded/index.js';
import { normalizeTokens } from '../../../src/agents/embedded/normalize.js';
import { classifyToRecord } from '../../../src/agents/eval/index.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';

const weighed = (text: string): string[] => {
  const { tokens, factors } = messageTokens(text, 0.4);
  return tokens.filter((_, i) => (factors?.[i] ?? 1) < 1);
};

describe('side remarks', () => {
  it('weighs down only the sentence the customer marks as a side remark', () => {
    expect(weighed('Minha maquininha não liga. Aproveitando: quando caem as vendas no crédito?')).toEqual(normalizeTokens('Aproveitando: quando caem as vendas no crédito?'));
    expect(weighed('Quantas chaves Pix posso ter? Depois quero ver o limite noturno, mas primeiro isso.')).toEqual(normalizeTokens('Depois quero ver o limite noturno, mas primeiro isso.'));
    expect(weighed('ah e meu cartao ainda n chegou, mas isso eu vejo dps')).toHaveLength(normalizeTokens('ah e meu cartao ainda n chegou, mas isso eu vejo dps').length);
  });

  it('leaves messages without a side remark (and the tokens themselves) as they were', () => {
    const text = 'Paguei R$ 1.320 de boleto e depois de 3 dias continua em aberto. O que faço?';
    expect(messageTokens(text, 0.4)).toEqual({ tokens: normalizeTokens(text), factors: undefined });
    expect(messageTokens('Aliás, quanto rende o CDB?', 1).factors).toBeUndefined();
  });

  describe('the embedded model', () => {
    let model: EmbeddedModel;
    beforeAll(() => {
      model = EmbeddedModel.load({ taxonomy: defaultTaxonomy(), modelDir: false });
    });

    it('files the issue stated first, not the topic of the side remark', async () => {
      const taxonomy = defaultTaxonomy();
      const typify = async (text: string): Promise<string | undefined> =>
        (await classifyToRecord(model, taxonomy, { messages: [{ role: 'customer', text }] })).submotive;
      expect(await typify('quantas chaves pix posso ter? aliás, quero aumentar o limite noturno do pix pra 5 mil, como faço?')).toBe('pix_key_register');
      expect(await typify('minha maquininha nao liga. aproveitando, quando cai a venda no credito parcelado? e no debito?')).toBe('machine_not_turning_on');
    });
  });
});
