/**
 * An Agent: a named job for a `Model` ("which business unit is this?") with fixed instructions, an optional long
 * reference `context` and a zod `responseSchema`. `run` maps its input onto a `ModelRequest` and returns the typed
 * answer with the model id, token usage and latency.
 *
 * An Agent is a valid engine step executor: it has `name` and `run(input, { signal, stepInput })` returning
 * `{ content, metrics }` (the engine's `StepAgent` shape, matched structurally, so no adapter is needed).
 */
import type { z } from 'zod';
import { AgentConfigError, AgentInputError } from './errors.js';
import type { ConversationMessage, Model, ModelRequest, ModelResponse, ModelTask, ModelUsage } from './model.js';

export interface AgentConfig<T> {
  /** Unique within a workflow; used in logs, metrics and error messages. */
  name: string;
  /** What the agent is for (a Team's router reads it to pick a member). */
  description: string;
  /** What the model must do, short. */
  instructions: string;
  model: Model;
  /** The answer's shape; `run` resolves to content of this type. */
  responseSchema: z.ZodType<T>;
  /** Long, fixed reference text (the taxonomy); Claude caches it. */
  context?: string;
  /** What is being asked, for models that act on it (the embedded classifier). @default { kind: 'generate', purpose: description } */
  task?: ModelTask;
  /** Overrides the model's default model id (e.g. a stronger model for escalation analysis). */
  modelId?: string;
}

/** The conversation so far, or one customer message as text. */
export type AgentInput = string | readonly ConversationMessage[];

export interface AgentRunOptions {
  /** Cancels the model call (the engine passes the step's signal). */
  signal?: AbortSignal;
  /**
   * The conversation, when `input` is extra text for this call (e.g. "path so far: …") rather than the customer's
   * message. Without it, a string `input` is taken as one customer message.
   */
  conversation?: readonly ConversationMessage[];
  /** Replaces the configured task for this call (e.g. the candidates of the current taxonomy level). */
  task?: ModelTask;
  /** Replaces the configured model id for this call. */
  modelId?: string;
  /** Given by the engine when the agent runs as a step; the agent reads only `input`, so it is ignored. */
  stepInput?: unknown;
}

/** Flat numbers the engine stores with the step result. A type alias (not an interface) so it is a Record. */
export type AgentMetrics = {
  agent: string;
  provider: string;
  modelId: string;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
};

export interface AgentRunResult<T> extends ModelResponse<T> {
  metrics: AgentMetrics;
}

export class Agent<T> {
  readonly name: string;
  readonly description: string;
  readonly instructions: string;
  readonly model: Model;
  readonly responseSchema: z.ZodType<T>;
  readonly context: string | undefined;
  readonly task: ModelTask;
  readonly modelId: string | undefined;

  constructor(config: AgentConfig<T>) {
    validateAgentConfig(config);
    this.name = config.name;
    this.description = config.description;
    this.instructions = config.instructions;
    this.model = config.model;
    this.responseSchema = config.responseSchema;
    this.context = config.context;
    this.task = config.task ?? { kind: 'generate', purpose: config.description };
    this.modelId = config.modelId;
  }

  async run(input: AgentInput, options: AgentRunOptions = {}): Promise<AgentRunResult<T>> {
    const request: ModelRequest<T> = {
      agentName: this.name,
      instructions: this.instructions,
      ...(this.context !== undefined && { context: this.context }),
      ...this.conversationOf(input, options.conversation),
      task: options.task ?? this.task,
      responseSchema: this.responseSchema,
      ...(options.signal && { signal: options.signal }),
      ...((options.modelId ?? this.modelId) !== undefined && { modelId: options.modelId ?? this.modelId }),
    };
    const response = await this.model.complete(request);
    return { ...response, metrics: metricsOf(this.name, this.model.provider, response) };
  }

  private conversationOf(
    input: AgentInput,
    conversation: readonly ConversationMessage[] | undefined,
  ): Pick<ModelRequest<T>, 'conversation' | 'input'> {
    if (typeof input === 'string') {
      if (conversation !== undefined) {
        return { conversation: checkedConversation(this.name, conversation), ...(input.trim() !== '' && { input }) };
      }
      if (input.trim() === '') throw new AgentInputError(this.name, 'the input text is empty');
      return { conversation: [{ role: 'customer', text: input }] };
    }
    if (!Array.isArray(input)) throw new AgentInputError(this.name, `the input is a ${typeof input}`);
    return { conversation: checkedConversation(this.name, input) };
  }
}

const roles = new Set<string>(['customer', 'bot', 'agent']);

function checkedConversation(agentName: string, messages: readonly ConversationMessage[]): ConversationMessage[] {
  if (messages.length === 0) throw new AgentInputError(agentName, 'the conversation has no messages');
  messages.forEach((message, index) => {
    // The engine and the CLI hand over parsed JSON, so the declared type is not a guarantee here.
    const candidate = message as Partial<ConversationMessage> | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.text !== 'string' || !roles.has(String(candidate.role))) {
      throw new AgentInputError(agentName, `message ${index} is not { role: 'customer' | 'bot' | 'agent', text: string }`);
    }
  });
  return [...messages];
}

function metricsOf(agent: string, provider: string, response: ModelResponse<unknown>): AgentMetrics {
  const usage: ModelUsage = response.usage;
  return {
    agent,
    provider,
    modelId: response.modelId,
    latencyMs: response.latencyMs,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadInputTokens: usage.cacheReadInputTokens ?? 0,
    cacheCreationInputTokens: usage.cacheCreationInputTokens ?? 0,
  };
}

function validateAgentConfig<T>(config: AgentConfig<T>): void {
  const name = typeof config.name === 'string' ? config.name.trim() : '';
  if (name === '') throw new AgentConfigError('An Agent needs a non-empty name.');
  const problems: string[] = [];
  if (typeof config.description !== 'string' || config.description.trim() === '') problems.push('a non-empty description');
  if (typeof config.instructions !== 'string' || config.instructions.trim() === '') problems.push('non-empty instructions');
  if (typeof config.model?.complete !== 'function') problems.push('a model (an object with complete())');
  if (typeof config.responseSchema?.safeParse !== 'function') problems.push('a zod responseSchema');
  if (config.modelId !== undefined && (typeof config.modelId !== 'string' || config.modelId.trim() === '')) {
    problems.push('a non-empty modelId when one is given');
  }
  if (problems.length > 0) throw new AgentConfigError(`Agent "${name}" needs ${problems.join(', ')}.`);
}
