/** Greetings and content-free turns: the model gives them no confidence and the bot asks instead of answering. */
import { beforeAll, describe, expect, it } from 'vitest';
import { hasTopic, needsClarifyingGreeting } from '../../../src/agents/embedded/abstain.js';
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
    expect(needsClarifyingGreeting(customer('bom dia', 'maquininha'))).toBe(false);
    expect(needsClarifyingGreeting(customer('oi', 'quero falar com um atendente'))).toBe(false);
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
      expect((await classifyToRecord(model, taxonomy, { messages: customer('como cadastro uma chave pix?') })).confidence).toBeGreaterThan(0.8);
    });
  });
});
