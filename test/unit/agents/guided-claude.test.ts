/**
 * Claude guided by the embedded model, with the REAL @anthropic-ai/sdk against the fake Messages API: the
 * nearest labeled conversations go into the prompt, the taxonomy block stays the cached one, and a
 * disagreement on escalation escalates.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyzeEscalation, classifyLevel } from '../../../src/agents/classification.js';
import { ClaudeModel, GuidedClaudeModel } from '../../../src/agents/claude/index.js';
import { defaultTrainingSetFile, EmbeddedModel, readLabeledConversations } from '../../../src/agents/embedded/index.js';
import type { ConversationMessage } from '../../../src/agents/model.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';
import { FakeAnthropic, toolAnswer } from '../../helpers/fake-anthropic.js';

const taxonomy = defaultTaxonomy();
let embedded: EmbeddedModel;
let fake: FakeAnthropic;
const labeled = readLabeledConversations(defaultTrainingSetFile());

beforeAll(() => {
  embedded = EmbeddedModel.load({ taxonomy, modelDir: false });
});
beforeEach(async () => {
  fake = await FakeAnthropic.start();
});
afterEach(async () => {
  await fake.close();
});

function guided(): GuidedClaudeModel {
  const claude = new ClaudeModel({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0, timeoutMs: 5_000 });
  return new GuidedClaudeModel(claude, embedded, labeled, { k: 3 });
}

const systemBlocks = (index: number) => {
  const system = fake.requests[index]?.body?.system;
  return Array.isArray(system) ? system : [];
};

describe('Claude with few-shot examples from the embedded model', () => {
  it('puts the nearest labeled conversations after the cached taxonomy block', async () => {
    const conversation: ConversationMessage[] = [{ role: 'customer', text: 'minha maquininha nao liga mais, ja carreguei a noite toda' }];
    fake.script(toolAnswer({ id: 'merchant_acquiring', confidence: 0.9 }));
    const choice = await classifyLevel(guided(), taxonomy, 'businessUnit', [], conversation);
    expect(choice.id).toBe('merchant_acquiring');

    const blocks = systemBlocks(0);
    expect(blocks[0]?.cache_control).toEqual({ type: 'ephemeral' }); // the taxonomy, cached as before
    expect(blocks.filter((b) => b.cache_control)).toHaveLength(1); // the examples are not inside the cached prefix
    const examples = blocks.find((b) => b.text.startsWith('Labeled conversations similar'))?.text ?? '';
    expect(examples.match(/<example \d>/g)).toHaveLength(3);
    // The nearest labeled conversations are about a machine that does not turn on.
    expect(examples).toMatch(/path: merchant_acquiring > card_machine > machine_malfunction > machine_not_turning_on/);
  });

  it('the examples change with the conversation', () => {
    const model = guided();
    const pix = model.nearest([{ role: 'customer', text: 'fiz um pix para a chave errada, como pego de volta?' }]);
    expect(pix[0]?.path).toContain('pix');
    const card = model.nearest([{ role: 'customer', text: 'meu cartao de credito foi recusado no mercado' }]);
    expect(card[0]?.path[0]).toBe('cards');
  });
});

describe('escalation when Claude and the embedded model disagree', () => {
  const unknownPurchase: ConversationMessage[] = [{ role: 'customer', text: 'apareceu uma compra de 890 reais no meu cartao que eu nao fiz' }];
  const calm: ConversationMessage[] = [{ role: 'customer', text: 'qual a taxa do credito parcelado?' }];
  const claudeSays = (shouldEscalate: boolean) =>
    toolAnswer({
      shouldEscalate,
      reason: shouldEscalate ? 'frustration_detected' : null,
      urgency: shouldEscalate ? 'high' : 'low',
      emotion: 'neutral',
      summary: 'resumo',
      confidence: 0.8,
    });

  it('escalates with the embedded reason when only the embedded model sees the need', async () => {
    fake.script(claudeSays(false));
    const verdict = await analyzeEscalation(guided(), unknownPurchase);
    expect(verdict).toMatchObject({ shouldEscalate: true, reason: 'security_concern' });
    expect(['high', 'critical']).toContain(verdict.urgency);
  });

  it('keeps Claude escalating when the embedded model would not', async () => {
    fake.script(claudeSays(true));
    expect(await analyzeEscalation(guided(), calm)).toMatchObject({ shouldEscalate: true, reason: 'frustration_detected' });
  });

  it('stays with the bot when both agree nobody is needed', async () => {
    fake.script(claudeSays(false));
    expect(await analyzeEscalation(guided(), calm)).toMatchObject({ shouldEscalate: false, reason: null });
  });
});
