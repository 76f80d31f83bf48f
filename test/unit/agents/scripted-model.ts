/** A `Model` test double: answers with a scripted function and records every request it got. */
import type { Model, ModelRequest, ModelResponse } from '../../../src/agents/index.js';

export type Answer = (request: ModelRequest<unknown>) => unknown;

export class ScriptedModel implements Model {
  readonly provider = 'scripted';
  readonly requests: ModelRequest<unknown>[] = [];

  constructor(
    private readonly answer: Answer,
    private readonly modelId = 'scripted-1',
  ) {}

  async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
    this.requests.push(request as ModelRequest<unknown>);
    // Like a real provider, the content must pass the schema (a test that scripts a bad answer sees a ZodError).
    const content = request.responseSchema.parse(await this.answer(request as ModelRequest<unknown>));
    return { content, modelId: request.modelId ?? this.modelId, usage: { inputTokens: 10, outputTokens: 2 }, latencyMs: 1 };
  }
}
