/**
 * Every error the agents module throws, each with a stable `code`, a message that says what to do, the original
 * `cause` kept, and `retryable`: whether sending the same request again later can help. The workflows read
 * `retryable` to choose between retrying a step and handing the conversation to a human.
 */
import { ZapflowError } from '../engine/index.js';

export interface ModelErrorDetails {
  /** Whether the same request, sent again later, can succeed. */
  retryable: boolean;
  /** HTTP status the provider answered with, when there was one. */
  status?: number;
  /** The provider's request id (Anthropic's `request-id` header), for support tickets. */
  requestId?: string;
  cause?: unknown;
}

/** Base class of the errors a `Model` throws. */
export class ModelError extends ZapflowError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(code: string, message: string, details: ModelErrorDetails) {
    super(code, message, { cause: details.cause });
    this.retryable = details.retryable;
    this.status = details.status;
    this.requestId = details.requestId;
  }
}

/**
 * The model's answer failed validation (wrong shape, invalid JSON, text instead of the answer tool, an id outside
 * the candidates) and the one repair attempt failed too. Not retryable: the workflow hands the conversation to a human.
 */
export class ModelOutputError extends ModelError {
  constructor(
    readonly agentName: string,
    /** What was wrong with the last answer (validation issues, at most a few hundred characters). */
    readonly problem: string,
    readonly attempts: number,
  ) {
    super(
      'MODEL_OUTPUT_INVALID',
      `Agent "${agentName}": the model's answer was still invalid after ${attempts} attempts (${problem}). ` +
        'Hand the conversation to a human; if this keeps happening, check the agent instructions and responseSchema.',
      { retryable: false },
    );
  }
}

/** The provider rejected the credentials (401) or their permissions (403). Retrying cannot help. */
export class ModelAuthError extends ModelError {
  constructor(status: number, requestId: string | undefined, cause: unknown) {
    super(
      'MODEL_AUTH',
      `Anthropic refused the API key (HTTP ${status}). Set a valid ANTHROPIC_API_KEY with access to the configured model; retrying will not help.`,
      { retryable: false, status, requestId, cause },
    );
  }
}

/** The provider refused the request itself (400, 404 unknown model, 413, 422). Retrying the same request cannot help. */
export class ModelBadRequestError extends ModelError {
  constructor(status: number, providerMessage: string, requestId: string | undefined, cause: unknown) {
    super(
      'MODEL_BAD_REQUEST',
      `Anthropic refused the request (HTTP ${status}: ${providerMessage}). Check the model id and the prompt size; retrying the same request will not help.`,
      { retryable: false, status, requestId, cause },
    );
  }
}

/** No answer within the per-call timeout, after the bounded retries. Retrying later can help. */
export class ModelTimeoutError extends ModelError {
  constructor(
    readonly timeoutMs: number,
    readonly maxRetries: number,
    cause: unknown,
  ) {
    super(
      'MODEL_TIMEOUT',
      `No answer from the model within ${timeoutMs} ms per attempt (${maxRetries + 1} attempts at most). Retry later, or raise the timeout if answers are legitimately slow.`,
      { retryable: true, cause },
    );
  }
}

/**
 * The provider stayed unavailable (429 rate limit, 408/409, 5xx, 529 overloaded, connection refused) through the
 * bounded retries. Retrying later can help.
 */
export class ModelUnavailableError extends ModelError {
  constructor(detail: string, maxRetries: number, status: number | undefined, requestId: string | undefined, cause: unknown) {
    super(
      'MODEL_UNAVAILABLE',
      `The model provider is unavailable (${detail}) after ${maxRetries + 1} attempts at most. Retry later; if it persists, check Anthropic's status page and your rate limits.`,
      { retryable: true, status, requestId, cause },
    );
  }
}

/** The caller's signal aborted the call (step cancelled, shutdown). Not retried by the model. */
export class ModelAbortedError extends ModelError {
  constructor(agentName: string, cause?: unknown) {
    super('MODEL_ABORTED', `Agent "${agentName}": the model call was cancelled by its caller.`, { retryable: false, cause });
  }
}

/** The model cannot do this kind of task (e.g. the offline model asked for free-form generation). */
export class ModelUnsupportedTaskError extends ModelError {
  constructor(
    readonly provider: string,
    readonly taskKind: string,
  ) {
    super(
      'MODEL_UNSUPPORTED_TASK',
      `The "${provider}" model cannot do "${taskKind}" tasks. Configure a model that can (e.g. Claude with ANTHROPIC_API_KEY) for this agent.`,
      { retryable: false },
    );
  }
}

/** A model was constructed with invalid options, or asked with a request it cannot represent. */
export class ModelConfigError extends ModelError {
  constructor(message: string, cause?: unknown) {
    super('MODEL_CONFIG', message, { retryable: false, cause });
  }
}

/** An Agent or Team was constructed with invalid options (thrown at construction, naming it). */
export class AgentConfigError extends ZapflowError {
  constructor(message: string) {
    super('AGENT_CONFIG', message);
  }
}

/** `agent.run` got input it cannot turn into a conversation (empty, or not text / messages). */
export class AgentInputError extends ZapflowError {
  constructor(agentName: string, problem: string) {
    super('AGENT_INPUT', `Agent "${agentName}": ${problem}. Pass a non-empty string or a non-empty list of { role, text } messages.`);
  }
}

/** A route-mode Team's selector (or routing model) named no member of the team. */
export class TeamRoutingError extends ZapflowError {
  constructor(
    readonly teamName: string,
    readonly chosen: string,
    readonly members: readonly string[],
  ) {
    super(
      'TEAM_ROUTING',
      `Team "${teamName}": the selector chose "${chosen}", which is not a member (members: ${members.join(', ')}). Return one of the member names.`,
    );
  }
}
