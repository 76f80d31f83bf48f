import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { StepAgent } from '../../../src/engine/types.js';
import { Agent, AgentConfigError, AgentInputError, ClaudeModel, ModelOutputError, type ModelTask } from '../../../src/agents/index.js';
import { FakeAnthropic, toolAnswer } from '../../helpers/fake-anthropic.js';
import { ScriptedModel } from './scripted-model.js';

const urgencySchema = z.object({ urgency: z.enum(['low', 'high']), reason: z.string() });

function urgencyAgent(model = new ScriptedModel(() => ({ urgency: 'high', reason: 'asked for a person' }))) {
  return new Agent({
    name: 'urgency',
    description: 'How urgent is the conversation',
    instructions: 'Rate the urgency.',
    model,
    responseSchema: urgencySchema,
  });
}

describe('Agent.run', () => {
  it('answers a customer message with typed content, model id, usage, latency and metrics', async () => {
    const result = await urgencyAgent().run('quero falar com alguém AGORA');
    expectTypeOf(result.content).toEqualTypeOf<{ urgency: 'low' | 'high'; reason: string }>();
    expect(result.content).toEqual({ urgency: 'high', reason: 'asked for a person' });
    expect(result.modelId).toBe('scripted-1');
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 2 });
    expect(result.metrics).toMatchObject({ agent: 'urgency', provider: 'scripted', modelId: 'scripted-1', inputTokens: 10, outputTokens: 2 });
  });

  it('turns a string into one customer message, and passes a conversation through', async () => {
    const model = new ScriptedModel(() => ({ urgency: 'low', reason: 'question' }));
    const agent = urgencyAgent(model);
    await agent.run('oi');
    const conversation = [
      { role: 'customer' as const, text: 'meu cartão foi clonado' },
      { role: 'bot' as const, text: 'Entendi.' },
    ];
    await agent.run(conversation);
    await agent.run('path so far: cards', { conversation });
    expect(model.requests.map((request) => request.conversation)).toEqual([[{ role: 'customer', text: 'oi' }], conversation, conversation]);
    expect(model.requests[2]?.input).toBe('path so far: cards');
    expect(model.requests[0]?.task).toEqual({ kind: 'generate', purpose: 'How urgent is the conversation' });
  });

  it('passes context, task, model id and the signal to the model; run options override the configured ones', async () => {
    const model = new ScriptedModel(() => ({ urgency: 'low', reason: 'x' }));
    const task: ModelTask = { kind: 'escalation' };
    const agent = new Agent({ ...configOf(model), context: 'TAXONOMY', task, modelId: 'strong-model' });
    const controller = new AbortController();
    await agent.run('oi', { signal: controller.signal });
    const classify: ModelTask = { kind: 'classify', level: 'businessUnit', parentPath: [], candidates: [] };
    await agent.run('oi', { task: classify, modelId: 'fast-model' });
    expect(model.requests[0]).toMatchObject({ agentName: 'urgency', context: 'TAXONOMY', task, modelId: 'strong-model', signal: controller.signal });
    expect(model.requests[1]).toMatchObject({ task: classify, modelId: 'fast-model' });
  });

  it('refuses empty or malformed input with AgentInputError, without calling the model', async () => {
    const model = new ScriptedModel(() => ({ urgency: 'low', reason: 'x' }));
    const agent = urgencyAgent(model);
    await expect(agent.run('   ')).rejects.toThrow(AgentInputError);
    await expect(agent.run([])).rejects.toThrow(/no messages/);
    await expect(agent.run([{ role: 'robot', text: 'x' }] as never)).rejects.toThrow(/message 0/);
    await expect(agent.run(42 as never)).rejects.toThrow(AgentInputError);
    expect(model.requests).toHaveLength(0);
  });

  it('refuses an invalid configuration at construction, naming the agent', () => {
    const model = new ScriptedModel(() => ({}));
    expect(() => new Agent({ ...configOf(model), name: '' })).toThrow(AgentConfigError);
    expect(() => new Agent({ ...configOf(model), instructions: ' ', responseSchema: {} as never })).toThrow(
      /Agent "urgency" needs non-empty instructions, a zod responseSchema/,
    );
  });

  it('is an engine step agent: run(input, { signal, stepInput }) resolves to { content, metrics }', async () => {
    const agent = urgencyAgent();
    expectTypeOf(agent).toExtend<StepAgent>();
    const step: StepAgent = agent;
    const output = await step.run('{"text":"socorro"}', { signal: new AbortController().signal });
    expect(output.content).toEqual({ urgency: 'high', reason: 'asked for a person' });
    expect(output.metrics).toMatchObject({ agent: 'urgency', modelId: 'scripted-1' });
  });
});

describe('Agent with ClaudeModel (real SDK, fake Messages API)', () => {
  let fake: FakeAnthropic | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  it('classifies with the taxonomy as cached context, and a persistent invalid id becomes ModelOutputError', async () => {
    fake = await FakeAnthropic.start();
    const model = new ClaudeModel({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0, timeoutMs: 5_000 });
    const agent = new Agent({
      name: 'business-unit',
      description: 'Which business unit',
      instructions: 'Pick the business unit.',
      model,
      responseSchema: z.object({ id: z.string(), confidence: z.number() }),
      context: 'TAXONOMY TEXT',
    });
    const task: ModelTask = {
      kind: 'classify',
      level: 'businessUnit',
      parentPath: [],
      candidates: [
        { id: 'cards', label: 'Cartões', description: 'cartões' },
        { id: 'banking', label: 'Conta', description: 'conta digital' },
      ],
    };
    fake.script(toolAnswer({ id: 'cards', confidence: 0.9 }, { usage: { cache_creation_input_tokens: 2_048 } }));
    const result = await agent.run('meu cartão não passa', { task });
    expect(result.content.id).toBe('cards');
    expect(result.metrics).toMatchObject({ provider: 'claude', modelId: 'claude-haiku-4-5', cacheCreationInputTokens: 2_048 });

    fake.script(toolAnswer({ id: 'loans', confidence: 0.9 }), toolAnswer({ id: 'loans', confidence: 0.9 }));
    await expect(agent.run('quero um empréstimo', { task })).rejects.toThrow(ModelOutputError);
  });
});

function configOf(model: ScriptedModel) {
  return {
    name: 'urgency',
    description: 'How urgent is the conversation',
    instructions: 'Rate the urgency.',
    model,
    responseSchema: urgencySchema,
  };
}
