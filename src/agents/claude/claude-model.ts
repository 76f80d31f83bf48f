/**
 * `Model` on Claude through @anthropic-ai/sdk. The answer is a forced tool call validated with the request's zod
 * schema; an invalid answer gets one repair turn, then a ModelOutputError. Transport failures are left to the SDK's
 * bounded retries (408/409/429/5xx, honouring retry-after) and then surface as typed errors.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ModelConfigError, ModelOutputError, ModelUnavailableError } from '../errors.js';
import type { Model, ModelRequest, ModelResponse, ModelTask, ModelUsage } from '../model.js';
import { addUsage, noUsage } from '../usage.js';
import { readAnswer, repairTurns } from './answer.js';
import { buildPrompt } from './prompt.js';
import { toModelError } from './sdk-errors.js';

export interface ClaudeModelOptions {
  /** Anthropic API key. Required unless `client` is given. */
  apiKey?: string;
  /** API root, e.g. a proxy or a test server. @default the SDK's (ANTHROPIC_BASE_URL or https://api.anthropic.com) */
  baseURL?: string;
  /** Model id for requests that do not name one: a fast model, since most calls are classification. @default 'claude-haiku-4-5' */
  defaultModelId?: string;
  /** Model id per task kind, e.g. `{ escalation: 'claude-sonnet-4-6' }`; a request's own `modelId` wins over it. */
  modelIdByTask?: Partial<Record<ModelTask['kind'], string>>;
  /** Retries of one HTTP call on 408/409/429/5xx/connection errors (the SDK's back-off, retry-after honoured). @default 2 */
  maxRetries?: number;
  /** Timeout of each HTTP attempt, in ms. @default 30000 */
  timeoutMs?: number;
  /** Cap on the answer's tokens (answers are small JSON objects). @default 1024 */
  maxTokens?: number;
  /** Name of the top-level answer field holding the chosen candidate id in 'classify' tasks. @default 'id' */
  candidateField?: string;
  /** A ready SDK client (tests, custom fetch); `apiKey` and `baseURL` are then ignored. */
  client?: Anthropic;
  /** Monotonic clock in ms, for latency. @default performance.now */
  now?: () => number;
}

const ATTEMPTS = 2; // the answer, then one repair turn

export class ClaudeModel implements Model {
  readonly provider = 'claude';
  readonly defaultModelId: string;
  private readonly modelIdByTask: Partial<Record<ModelTask['kind'], string>>;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly maxTokens: number;
  private readonly candidateField: string;
  private readonly client: Anthropic;
  private readonly now: () => number;

  constructor(options: ClaudeModelOptions) {
    validateOptions(options);
    this.defaultModelId = options.defaultModelId ?? 'claude-haiku-4-5';
    this.modelIdByTask = options.modelIdByTask ?? {};
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxTokens = options.maxTokens ?? 1024;
    this.candidateField = options.candidateField ?? 'id';
    this.now = options.now ?? (() => performance.now());
    this.client =
      options.client ??
      new Anthropic({
        apiKey: options.apiKey ?? null,
        ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
        maxRetries: this.maxRetries,
        timeout: this.timeoutMs,
      });
  }

  /** The model id a request will use: its own, else the one configured for its task kind, else the default. */
  modelIdFor(request: Pick<ModelRequest<unknown>, 'modelId' | 'task'>): string {
    return request.modelId ?? this.modelIdByTask[request.task.kind] ?? this.defaultModelId;
  }

  async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
    const started = this.now();
    const prompt = buildPrompt(request, this.candidateField);
    const messages = [...prompt.messages];
    let usage: ModelUsage = noUsage;
    let problem = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      // Sequential on purpose: the repair turn needs the rejected answer.
      const reply = await this.send(request, {
        model: this.modelIdFor(request),
        max_tokens: this.maxTokens,
        system: prompt.system,
        tools: [prompt.tool],
        tool_choice: prompt.toolChoice,
        messages,
      });
      usage = addUsage(usage, usageOf(reply.usage));
      const check = readAnswer(reply, request, { wrapped: prompt.wrapped, candidateField: this.candidateField });
      if (check.ok) return { content: check.content, modelId: reply.model, usage, latencyMs: this.now() - started };
      problem = check.problem;
      messages.push(...repairTurns(reply, problem));
    }
    throw new ModelOutputError(request.agentName, problem, ATTEMPTS);
  }

  private async send(request: ModelRequest<unknown>, params: Anthropic.MessageCreateParamsNonStreaming): Promise<Anthropic.Message> {
    let reply: Anthropic.Message;
    try {
      // Limits are repeated per request so they also hold for an injected client built with other defaults.
      reply = await this.client.messages.create(params, {
        maxRetries: this.maxRetries,
        timeout: this.timeoutMs,
        ...(request.signal && { signal: request.signal }),
      });
    } catch (error) {
      throw toModelError(error, {
        agentName: request.agentName,
        timeoutMs: this.timeoutMs,
        maxRetries: this.maxRetries,
        signal: request.signal,
      });
    }
    // A proxy in the way can answer 200 with an HTML page; the SDK then hands back a string, not a Message.
    if (!Array.isArray((reply as Partial<Anthropic.Message> | null)?.content)) {
      throw new ModelUnavailableError('the reply is not a Messages API message', this.maxRetries, 200, undefined, undefined);
    }
    return reply;
  }
}

// Typed as always present, but a proxy or an old API version may leave fields out; usage must never crash a call.
function usageOf(usage: Partial<Anthropic.Usage> | undefined): ModelUsage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheReadInputTokens: usage?.cache_read_input_tokens ?? 0,
    cacheCreationInputTokens: usage?.cache_creation_input_tokens ?? 0,
  };
}

function validateOptions(options: ClaudeModelOptions): void {
  const problems: string[] = [];
  if (!options.client && (typeof options.apiKey !== 'string' || options.apiKey.trim() === '')) {
    problems.push('apiKey must be a non-empty string (set ANTHROPIC_API_KEY)');
  }
  const integerIn = (name: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integerIn('maxRetries', options.maxRetries, 0, 10);
  integerIn('timeoutMs', options.timeoutMs, 1, 600_000);
  integerIn('maxTokens', options.maxTokens, 1, 64_000);
  for (const [name, id] of [['defaultModelId', options.defaultModelId], ...Object.entries(options.modelIdByTask ?? {}).map(([kind, value]) => [`modelIdByTask.${kind}`, value])]) {
    if (id !== undefined && (typeof id !== 'string' || id.trim() === '')) problems.push(`${name} must be a non-empty model id`);
  }
  if (options.baseURL !== undefined && !URL.canParse(options.baseURL)) problems.push(`baseURL is not a URL: ${options.baseURL}`);
  if (problems.length > 0) throw new ModelConfigError(`Invalid ClaudeModel options: ${problems.join('; ')}.`);
}
