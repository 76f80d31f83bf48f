import fc from 'fast-check';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { analyzeEscalation, classifyConversation, classifyLevel, levelChoiceSchema, validatePath } from '../../../src/agents/classification.js';
import { EmbeddedModel } from '../../../src/agents/embedded/index.js';
import { ModelOutputError, ModelUnsupportedTaskError } from '../../../src/agents/errors.js';
import type { ConversationMessage, Model, ModelRequest, ModelResponse } from '../../../src/agents/model.js';
import { defaultTaxonomy, InvalidTaxonomyPathError } from '../../../src/taxonomy/index.js';

const taxonomy = defaultTaxonomy();
const customer = (...texts: string[]): ConversationMessage[] => texts.map((text) => ({ role: 'customer', text }));
let model: EmbeddedModel;

beforeAll(() => {
  // The shared cache (node_modules/.cache/zapflow) makes this fast after the first run anywhere.
  model = EmbeddedModel.load({ taxonomy, modelDir: false });
});

describe('EmbeddedModel through the shared classification calls', () => {
  it('classifies rough messages into the expected leaf', async () => {
    const cases: Array<[string[], string]> = [
      [['minha maquina n liga mais', 'ja carreguei a noite toda'], 'machine_not_turning_on'],
      [['qro parcelar a fatura do cartao', 'em qtas vezes da?'], 'bill_installment_plan'],
      [['esqueci a senha do app e o codigo n chega no sms'], 'app_password_reset'],
      [['cai num golpe, mandei pix pro falso parente'], 'pix_scam_report'],
    ];
    for (const [texts, submotive] of cases) {
      const result = await classifyConversation(model, taxonomy, customer(...texts));
      expect(result.path[3], texts.join(' | ')).toBe(submotive);
      expect(taxonomy.isValidPath(result.path)).toBe(true);
      expect(result.confidence).toBeGreaterThan(0);
      expect(result.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('returns per-level confidences whose product is the path confidence it reports', async () => {
    const conversation = customer('paguei o boleto do condominio ontem', 'ainda aparece em aberto');
    const result = await classifyConversation(model, taxonomy, conversation);
    const analysis = model.classifiers.analyze(conversation);
    expect(result.path).toEqual(analysis.path);
    expect(result.levels.map((l) => l.confidence)).toEqual(analysis.levelConfidences.map((c) => Math.round(c * 1e4) / 1e4));
    expect(result.confidence).toBeCloseTo(analysis.confidence, 3);
  });

  it('does not change the topic when the customer adds tone ("quero falar com um atendente", insults)', async () => {
    const plain = await classifyConversation(model, taxonomy, customer('a maquininha nao liga mais'));
    const withTone = await classifyConversation(
      model,
      taxonomy,
      customer('a maquininha nao liga mais', 'que palhacada, quero falar com um atendente humano agora'),
    );
    expect(withTone.path).toEqual(plain.path);
  });

  it('links specific product words to their part of the tree (cofrinho, IPTU)', async () => {
    expect((await classifyConversation(model, taxonomy, customer('tirei do cofrinho e nao caiu na conta'))).path[0]).toBe('credit_investments');
    expect((await classifyConversation(model, taxonomy, customer('paguei o iptu pelo app e a prefeitura diz q nao recebeu'))).path[1]).toBe(
      'payments_transfers',
    );
  });

  it('always answers a valid path, whatever the text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 4 }), async (texts) => {
        const result = await classifyConversation(model, taxonomy, customer(...texts));
        expect(taxonomy.isValidPath(result.path)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('is deterministic, also across a fresh training run', async () => {
    const conversation = customer('vendi 7 mil na maquininha sexta', 'ate agr nao caiu na conta', 'quero falar com alguem');
    const first = await classifyConversation(model, taxonomy, conversation);
    const again = await classifyConversation(model, taxonomy, conversation);
    expect(again).toEqual({ ...first, latencyMs: again.latencyMs });
    const retrained = EmbeddedModel.load({ taxonomy, cacheDir: false, modelDir: false });
    expect(retrained.origin).toBe('trained');
    const fresh = await classifyConversation(retrained, taxonomy, conversation);
    expect(fresh.path).toEqual(first.path);
    expect(fresh.confidence).toBeCloseTo(first.confidence, 6);
    expect(await analyzeEscalation(retrained, conversation)).toMatchObject({ shouldEscalate: true, reason: 'explicit_request' });
  });

  it('picks only among the candidates it is offered', async () => {
    const candidates = taxonomy.children(['cards']).filter((n) => n.id !== 'credit_card');
    const response = await model.complete({
      agentName: 'test',
      instructions: 'pick',
      conversation: customer('quero aumentar o limite do meu cartao de credito'),
      task: { kind: 'classify', level: 'product', parentPath: ['cards'], candidates },
      responseSchema: levelChoiceSchema,
    });
    expect(candidates.map((c) => c.id)).toContain(response.content.id);
  });

  it('analyses escalation with a pt-BR summary', async () => {
    const analysis = await analyzeEscalation(model, customer('clonaram meu cartao!!', 'ta saindo compra agora, me ajuda'));
    expect(analysis).toMatchObject({ shouldEscalate: true, reason: 'security_concern', urgency: 'critical' });
    expect(analysis.summary).toMatch(/fraude|golpe/i);
    const calm = await analyzeEscalation(model, customer('como vejo meu extrato em pdf?'));
    expect(calm).toMatchObject({ shouldEscalate: false, reason: null, urgency: 'low' });
  });

  it('re-checks a path and always returns a valid one', async () => {
    const conversation = customer('meu pix caiu num golpe do falso parente');
    const wrong = ['cards', 'credit_card', 'credit_card_bill', 'bill_installment_plan'] as const;
    const result = await validatePath(model, taxonomy, conversation, wrong);
    expect(result.valid).toBe(false);
    expect(result.path.submotive).toBe('pix_scam_report');
  });

  it('declines free-form generation and answers that do not fit the schema', async () => {
    const base = { agentName: 'test', instructions: 'x', conversation: customer('oi') };
    await expect(model.complete({ ...base, task: { kind: 'generate', purpose: 'report' }, responseSchema: z.string() })).rejects.toBeInstanceOf(
      ModelUnsupportedTaskError,
    );
    await expect(model.complete({ ...base, task: { kind: 'escalation' }, responseSchema: z.object({ other: z.string() }) })).rejects.toBeInstanceOf(
      ModelOutputError,
    );
  });
});

describe('classification calls reject invented paths', () => {
  /** A model that always answers the same id, whatever it is asked. */
  const inventing = (id: string): Model => ({
    provider: 'fake',
    async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
      return { content: request.responseSchema.parse({ id, confidence: 0.9 }), modelId: 'fake', usage: { inputTokens: 0, outputTokens: 0 }, latencyMs: 0 };
    },
  });

  it('an id outside the candidates is an InvalidTaxonomyPathError', async () => {
    await expect(classifyLevel(inventing('made_up_unit'), taxonomy, 'businessUnit', [], customer('oi'))).rejects.toBeInstanceOf(InvalidTaxonomyPathError);
    // a real id, but not a child of the chosen business unit
    await expect(classifyLevel(inventing('pix'), taxonomy, 'product', ['cards'], customer('oi'))).rejects.toThrow(/not a product under this path/);
  });

  it('a level asked out of order is refused before calling the model', async () => {
    await expect(classifyLevel(inventing('cards'), taxonomy, 'motive', [], customer('oi'))).rejects.toBeInstanceOf(InvalidTaxonomyPathError);
  });
});

describe('the trained-model cache', () => {
  it('writes a cache on first load, reads it next time, and rebuilds a damaged one', () => {
    const cacheDir = mkdtempSync(join(os.tmpdir(), 'zapflow-cache-'));
    expect(EmbeddedModel.load({ taxonomy, cacheDir, modelDir: false }).origin).toBe('trained');
    const cached = EmbeddedModel.load({ taxonomy, cacheDir, modelDir: false });
    expect(cached.origin).toBe('cache');
    const conversation = customer('a maquininha n le o cartao por aproximacao');
    expect(cached.classifiers.analyze(conversation).path).toEqual(model.classifiers.analyze(conversation).path);
    const [file] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, file as string), 'garbage');
    expect(EmbeddedModel.load({ taxonomy, cacheDir, modelDir: false }).origin).toBe('trained');
  });
});
