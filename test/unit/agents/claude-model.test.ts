/**
 * ClaudeModel with the REAL @anthropic-ai/sdk, pointed (baseURL) at a fake Messages API on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ANSWER_TOOL_NAME,
  ClaudeModel,
  type ClaudeModelOptions,
  ModelAbortedError,
  ModelAuthError,
  ModelBadRequestError,
  ModelConfigError,
  ModelOutputError,
  ModelTimeoutError,
  ModelUnavailableError,
  type ModelRequest,
  type ModelTask,
} from '../../../src/agents/index.js';
import { apiKeyOf, errorReply, FakeAnthropic, slow, textAnswer, toolAnswer } from '../../helpers/fake-anthropic.js';

const TAXONOMY = 'TAXONOMY: merchant_acquiring > card_machine > ... (long, fixed reference text)';
const classifySchema = z.object({ id: z.string(), confidence: z.number().min(0).max(1) });
const classifyTask: ModelTask = {
  kind: 'classify',
  level: 'product',
  parentPath: ['payments'],
  candidates: [
    { id: 'pix', label: 'Pix', description: 'Transferências Pix' },
    { id: 'boleto', label: 'Boleto', description: 'Pagamento de boletos' },
  ],
};

function classifyRequest(overrides: Partial<ModelRequest<z.infer<typeof classifySchema>>> = {}): ModelRequest<z.infer<typeof classifySchema>> {
  return {
    agentName: 'product-classifier',
    instructions: 'Classify the product the customer talks about.',
    context: TAXONOMY,
    conversation: [{ role: 'customer', text: 'meu pix não caiu' }],
    task: classifyTask,
    responseSchema: classifySchema,
    ...overrides,
  };
}

let fake: FakeAnthropic;
beforeEach(async () => {
  fake = await FakeAnthropic.start();
});
afterEach(async () => {
  await fake.close();
});

function claude(options: Partial<ClaudeModelOptions> = {}): ClaudeModel {
  return new ClaudeModel({ apiKey: 'test-key', baseURL: fake.baseURL, defaultModelId: 'claude-haiku-4-5', maxRetries: 2, timeoutMs: 5_000, ...options });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('ClaudeModel: answers', () => {
  it('returns the tool answer parsed by the schema, with the model id and usage incl. cache tokens', async () => {
    fake.script(toolAnswer({ id: 'pix', confidence: 0.92 }, { usage: { input_tokens: 40, output_tokens: 12, cache_read_input_tokens: 3_000 } }));
    const response = await claude().complete(classifyRequest());
    expect(response.content).toEqual({ id: 'pix', confidence: 0.92 });
    expect(response.modelId).toBe('claude-haiku-4-5');
    expect(response.usage).toEqual({ inputTokens: 40, outputTokens: 12, cacheReadInputTokens: 3_000, cacheCreationInputTokens: 0 });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('sends the key, the model id, the taxonomy as a cached system block and a forced answer tool', async () => {
    fake.script(toolAnswer({ id: 'pix', confidence: 0.9 }));
    await claude().complete(classifyRequest());
    const [request] = fake.requests;
    expect(request && apiKeyOf(request)).toBe('test-key');
    expect(request?.headers['anthropic-version']).toBeTruthy();
    const body = request?.body;
    expect(body?.model).toBe('claude-haiku-4-5');
    expect(body?.system).toEqual([
      { type: 'text', text: TAXONOMY, cache_control: { type: 'ephemeral' } },
      { type: 'text', text: expect.stringContaining('Classify the product') },
    ]);
    expect(body?.tool_choice).toEqual({ type: 'tool', name: ANSWER_TOOL_NAME, disable_parallel_tool_use: true });
    expect(body?.tools?.map((tool) => tool.name)).toEqual([ANSWER_TOOL_NAME]);
    expect(JSON.stringify(body?.messages)).toContain('meu pix não caiu');
  });

  it('limits a classify answer to the candidate ids with an enum in the tool schema', async () => {
    fake.script(toolAnswer({ id: 'boleto', confidence: 0.7 }));
    await claude().complete(classifyRequest());
    const schema = fake.bodies[0]?.tools?.[0]?.input_schema as { properties: { id: { enum: string[] } } };
    expect(schema.properties.id.enum).toEqual(['pix', 'boleto']);
  });

  it('uses the model configured for the task kind, and a request model id over it', async () => {
    const escalation = z.object({ shouldEscalate: z.boolean(), urgency: z.enum(['low', 'medium', 'high', 'critical']) });
    const model = claude({ modelIdByTask: { escalation: 'claude-sonnet-4-6' } });
    const ask = (modelId?: string) =>
      model.complete({
        agentName: 'escalation',
        instructions: 'Should a human take over?',
        conversation: [{ role: 'customer', text: 'quero falar com um atendente' }],
        task: { kind: 'escalation' },
        responseSchema: escalation,
        ...(modelId && { modelId }),
      });
    fake.script(toolAnswer({ shouldEscalate: true, urgency: 'high' }), toolAnswer({ shouldEscalate: true, urgency: 'high' }));
    expect((await ask()).modelId).toBe('claude-sonnet-4-6');
    expect((await ask('claude-opus-4-6')).modelId).toBe('claude-opus-4-6');
    expect(fake.bodies.map((body) => body.model)).toEqual(['claude-sonnet-4-6', 'claude-opus-4-6']);
  });

  it('wraps a non-object response schema as { answer } and unwraps the answer', async () => {
    fake.script(toolAnswer({ answer: 'yes' }));
    const response = await claude().complete({
      agentName: 'yes-no',
      instructions: 'Answer yes or no.',
      conversation: [{ role: 'customer', text: 'ok?' }],
      task: { kind: 'generate', purpose: 'yes or no' },
      responseSchema: z.enum(['yes', 'no']),
    });
    expect(response.content).toBe('yes');
    expect(fake.bodies[0]?.tools?.[0]?.input_schema).toMatchObject({ type: 'object', required: ['answer'] });
  });
});

describe('ClaudeModel: invalid answers get one repair turn', () => {
  it('repairs an answer that violates the schema, telling the model what was wrong', async () => {
    fake.script(toolAnswer({ id: 'pix', confidence: 'high' }), toolAnswer({ id: 'pix', confidence: 0.8 }));
    const response = await claude().complete(classifyRequest());
    expect(response.content).toEqual({ id: 'pix', confidence: 0.8 });
    expect(fake.requests).toHaveLength(2);
    const repair = fake.bodies[1]?.messages ?? [];
    expect(repair.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    const toolResult = (repair[2]?.content as Array<Record<string, unknown>>)[0];
    expect(toolResult).toMatchObject({ type: 'tool_result', is_error: true, tool_use_id: (repair[1]?.content as Array<{ id: string }>)[0]?.id });
    expect(String(toolResult?.['content'])).toContain('confidence');
    // Both calls cost tokens: usage covers the answer and its repair.
    expect(response.usage.inputTokens).toBe(200);
  });

  it('repairs a tool input that is not valid JSON', async () => {
    fake.script(toolAnswer('{"id": "pix", "confidence": 0.9'), toolAnswer({ id: 'pix', confidence: 0.9 }));
    const response = await claude().complete(classifyRequest());
    expect(response.content.id).toBe('pix');
    expect(JSON.stringify(fake.bodies[1]?.messages)).toContain('not valid JSON');
  });

  it('repairs a text answer given instead of the tool call', async () => {
    fake.script(textAnswer('I think it is Pix.'), toolAnswer({ id: 'pix', confidence: 0.6 }));
    const response = await claude().complete(classifyRequest());
    expect(response.content.id).toBe('pix');
    const repair = fake.bodies[1]?.messages ?? [];
    expect(repair[1]).toEqual({ role: 'assistant', content: 'I think it is Pix.' });
    expect(String(repair[2]?.content)).toContain(`instead of calling the tool "${ANSWER_TOOL_NAME}"`);
  });

  it('rejects an id outside the candidates and repairs it', async () => {
    fake.script(toolAnswer({ id: 'invented_product', confidence: 0.99 }), toolAnswer({ id: 'boleto', confidence: 0.7 }));
    const response = await claude().complete(classifyRequest());
    expect(response.content.id).toBe('boleto');
    expect(JSON.stringify(fake.bodies[1]?.messages)).toContain('not one of the candidates: pix, boleto');
  });

  it('throws ModelOutputError (not retryable) when the repaired answer is still invalid', async () => {
    fake.script(toolAnswer({ id: 'invented', confidence: 0.9 }), textAnswer('still not a tool call'));
    const error = await failure(claude().complete(classifyRequest()));
    expect(error).toBeInstanceOf(ModelOutputError);
    expect(error).toMatchObject({ code: 'MODEL_OUTPUT_INVALID', retryable: false, agentName: 'product-classifier', attempts: 2 });
    expect(fake.requests).toHaveLength(2);
  });
});

describe('ClaudeModel: transport failures', () => {
  it('retries a 429 after its retry-after and succeeds', async () => {
    fake.script(errorReply(429, 'rate_limit_error', { 'retry-after': '0.01' }), toolAnswer({ id: 'pix', confidence: 0.9 }));
    const response = await claude().complete(classifyRequest());
    expect(response.content.id).toBe('pix');
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a 500 up to maxRetries, then throws a retryable ModelUnavailableError', async () => {
    const fail = errorReply(500, 'api_error', { 'retry-after': '0.01' });
    fake.script(fail, fail, fail, toolAnswer({ id: 'pix', confidence: 0.9 }));
    const error = await failure(claude({ maxRetries: 2 }).complete(classifyRequest()));
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', retryable: true, status: 500, requestId: 'req_fake_3' });
    expect(fake.requests).toHaveLength(3);
  });

  it('throws a retryable ModelTimeoutError when the answer is slower than the timeout', async () => {
    fake.script(slow(10_000, toolAnswer({ id: 'pix', confidence: 0.9 })));
    const error = await failure(claude({ timeoutMs: 100, maxRetries: 0 }).complete(classifyRequest()));
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', retryable: true, timeoutMs: 100 });
  });

  it('stops at once with ModelAbortedError when the caller aborts mid-request', async () => {
    const controller = new AbortController();
    fake.script(() => {
      controller.abort();
      return slow(10_000, toolAnswer({ id: 'pix', confidence: 0.9 }));
    });
    // The timeout is far away: only the abort can end this call before the test times out.
    const error = await failure(claude({ timeoutMs: 25_000, maxRetries: 2 }).complete(classifyRequest({ signal: controller.signal })));
    expect(error).toBeInstanceOf(ModelAbortedError);
    expect(error).toMatchObject({ code: 'MODEL_ABORTED', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const error = await failure(claude().complete(classifyRequest({ signal: AbortSignal.abort() })));
    expect(error).toBeInstanceOf(ModelAbortedError);
    expect(fake.requests).toHaveLength(0);
  });

  it('throws ModelAuthError on 401, without retrying', async () => {
    const guarded = await FakeAnthropic.start({ requiredApiKey: 'the-right-key' });
    try {
      guarded.script(toolAnswer({ id: 'pix', confidence: 0.9 }));
      const accepted = new ClaudeModel({ apiKey: 'the-right-key', baseURL: guarded.baseURL });
      expect((await accepted.complete(classifyRequest())).content.id).toBe('pix');
      const model = new ClaudeModel({ apiKey: 'a-wrong-key', baseURL: guarded.baseURL, maxRetries: 2 });
      const error = await failure(model.complete(classifyRequest()));
      expect(error).toBeInstanceOf(ModelAuthError);
      expect(error).toMatchObject({ code: 'MODEL_AUTH', retryable: false, status: 401 });
      expect((error as Error).message).toContain('ANTHROPIC_API_KEY');
      expect(guarded.requests).toHaveLength(2);
    } finally {
      await guarded.close();
    }
  });

  it('throws ModelBadRequestError on 400, without retrying', async () => {
    fake.script(errorReply(400, 'invalid_request_error'));
    const error = await failure(claude().complete(classifyRequest()));
    expect(error).toBeInstanceOf(ModelBadRequestError);
    expect(error).toMatchObject({ code: 'MODEL_BAD_REQUEST', retryable: false, status: 400 });
    expect((error as Error).message).toContain('invalid_request_error');
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a 200 reply that is not a message (an HTML proxy page) as unavailable', async () => {
    fake.script({ kind: 'raw', status: 200, body: '<html>captive portal</html>' });
    const error = await failure(claude().complete(classifyRequest()));
    expect(error).toBeInstanceOf(ModelUnavailableError);
  });
});

describe('ClaudeModel: configuration', () => {
  it('refuses bad options at construction, listing each problem', () => {
    expect(() => new ClaudeModel({ apiKey: ' ', maxRetries: -1, timeoutMs: 0 })).toThrow(ModelConfigError);
    expect(() => new ClaudeModel({ apiKey: ' ', maxRetries: -1, timeoutMs: 0 })).toThrow(/apiKey.*maxRetries.*timeoutMs/);
  });

  it('refuses a classify request whose schema has no candidate id field, before calling the API', async () => {
    const error = await failure(
      claude().complete({ ...classifyRequest(), responseSchema: z.object({ product: z.string() }) } as unknown as ModelRequest<unknown>),
    );
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(fake.requests).toHaveLength(0);
  });
});
