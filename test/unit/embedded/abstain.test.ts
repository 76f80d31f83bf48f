/** Greetings and content-free turns: the model gives them no confidence and the bot asks instead of answering. */
import { beforeAll, describe, expect, it } from 'vitest';
import { clarificationNeeded, hasTopic, needsClarifyingGreeting } from '../../../src/agents/embedded/abstain.js';
import { roughenConversation } from '../../../src/agents/embedded/rough.js';
import { EmbeddedModel, readLabeledConversations } from '../../../src/agents/embedded/index.js';
import { defaultTrainingSetFile } from '../../../src/agents/embedded/store.js';
import { classifyToRecord } from '../../../src/agents/eval/index.js';
import type { ConversationMessage } from '../../../src/agents/model.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';

const customer = (...texts: string[]): ConversationMessage[] => texts.map((text) => ({ role: 'customer', text }));
const greetings = ['oi', 'Oiii!!', 'bom dia', 'Boa noite, tudo bem?', '?', '???', 'olá', 'opa', 'alô', 'hello', 'oi, preciso de ajuda', 'tenho uma dúvida', 'oi moça, pode me ajudar?', 'ok', '👍'];

describe('no topic yet', () => {
  it('every greeting-only turn asks what the customer needs (share answered with self-service: 0)', () => {
    const answered = greetings.filter((g) => !needsClarifyingGreeting(customer(g)));
    expect(answered).toEqual([]);
  });

  it('no labeled conversation of the dev set is taken for content-free', () => {
    const flagged = readLabeledConversations(defaultTrainingSetFile()).filter((c) => !hasTopic(c.messages));
    expect(flagged.map((c) => c.id)).toEqual([]);
  });

  it('one named thing is enough, and a request for a person still goes to the escalation analysis', () => {
    expect(needsClarifyingGreeting(customer('oi', 'meu pix nao caiu'))).toBe(false);
    expect(hasTopic(customer('bom dia', 'maquininha nao liga'))).toBe(true);
    expect(needsClarifyingGreeting(customer('oi', 'quero falar com um atendente'))).toBe(false);
  });

  describe('underspecified: a product alone, or a problem with nothing named', () => {
    // Written for this test in several voices (none from a labeled set): what a customer types before
    // saying what the issue is.
    const productOnly: Array<[string[], string | undefined]> = [
      [['queria ver uma coisa do meu cartao de credito'], 'credit_card'],
      [['Boa tarde, é sobre o meu cartão de crédito'], 'credit_card'],
      [['oi', 'sobre a maquininha'], 'card_machine'],
      [['preciso de ajuda com o pix'], 'pix'],
      [['qria ver uma parada do emprestimo'], 'personal_loan'],
      [['meu cartao de debito'], 'debit_prepaid_card'],
      [['é sobre meu cartão'], undefined],
      [['o app n ta funcionando'], undefined],
      [['minha conta ta com problema'], undefined],
    ];
    const problemOnly = [
      ['oi', 'to com um problema', 'n ta funcionando'],
      ['nao esta funcionando'],
      ['deu ruim aqui'],
      ['tem algo errado', 'desde ontem'],
      ['queria resolver uma situação'],
      ['n consigo'],
    ];

    it('a product alone gets that product\'s question; a family ("cartão", "conta") or a problem alone, the question of what happened', () => {
      for (const [texts, product] of productOnly) {
        expect(clarificationNeeded(customer(...texts)), texts.join(' / ')).toEqual(product ? { kind: 'product_only', product } : { kind: 'product_only' });
      }
      for (const texts of problemOnly) expect(clarificationNeeded(customer(...texts)), texts.join(' / ')).toEqual({ kind: 'problem_only' });
    });

    it('one word that picks a part of the tree is an issue, in careful or rough spelling', () => {
      const issues = ['meu pix nao caiu', 'maquininha n liga', 'cartao recusado', 'esqueci a senha do app', 'deu erro no boleto', 'qual a taxa do emprestimo', 'quero parcelar a fatura', 'cartao n chegou'];
      expect(issues.filter((text) => !hasTopic(customer(text)))).toEqual([]);
    });

    it('a trigger the guide escalates on goes to the escalation analysis, not to a question', () => {
      expect(clarificationNeeded(customer('meu cartao', 'quero falar com um atendente'))).toBeUndefined();
      expect(clarificationNeeded(customer('o app nao ta funcionando', 'ja é a terceira vez que eu falo isso'))).toBeUndefined();
    });

    it('no labeled conversation (dev and both rough sets, as written and in rough style) is taken for underspecified', () => {
      const files = ['typification-dev.jsonl', 'typification-rough.jsonl', 'typification-rough-2.jsonl'];
      const flagged: string[] = [];
      for (const file of files) {
        for (const [i, conversation] of readLabeledConversations(new URL(`../../../data/datasets/${file}`, import.meta.url).pathname).entries()) {
          const rough = roughenConversation(conversation.messages, 31_000 + i, { abbreviate: 0.8, typo: 0.1, split: 0.7, stripAccents: 0.95 });
          if (!hasTopic(conversation.messages) || !hasTopic(rough)) flagged.push(conversation.id);
        }
      }
      expect(flagged).toEqual([]);
    });
  });

  describe('the embedded model', () => {
    let model: EmbeddedModel;
    beforeAll(() => {
      model = EmbeddedModel.load({ taxonomy: defaultTaxonomy(), modelDir: false });
    });

    it('gives a greeting no confidence (the low route), and a real question its usual confidence', async () => {
      const taxonomy = defaultTaxonomy();
      expect((await classifyToRecord(model, taxonomy, { messages: customer('oi') })).confidence).toBe(0);
      expect((await classifyToRecord(model, taxonomy, { messages: customer('bom dia!', '?') })).confidence).toBe(0);
      expect((await classifyToRecord(model, taxonomy, { messages: customer('queria ver uma coisa do meu cartao de credito') })).confidence).toBe(0);
      expect((await classifyToRecord(model, taxonomy, { messages: customer('como cadastro uma chave pix?') })).confidence).toBeGreaterThan(0.8);
    });
  });
});
