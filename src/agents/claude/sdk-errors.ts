/**
 * Maps what the Anthropic SDK throws (after its own bounded retries) onto the agents module's typed errors, each
 * saying whether retrying later can help.
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  PermissionDeniedError,
} from '@anthropic-ai/sdk';
import {
  ModelAbortedError,
  ModelAuthError,
  ModelBadRequestError,
  type ModelError,
  ModelTimeoutError,
  ModelUnavailableError,
} from '../errors.js';

export interface CallLimits {
  agentName: string;
  timeoutMs: number;
  maxRetries: number;
  signal: AbortSignal | undefined;
}

export function toModelError(error: unknown, limits: CallLimits): ModelError {
  // Checked first: the SDK reports an abort during a retry back-off the same way, and the caller's intent wins.
  if (error instanceof APIUserAbortError || limits.signal?.aborted) return new ModelAbortedError(limits.agentName, error);
  if (error instanceof APIConnectionTimeoutError) return new ModelTimeoutError(limits.timeoutMs, limits.maxRetries, error);
  if (error instanceof APIConnectionError) {
    return new ModelUnavailableError('could not connect', limits.maxRetries, undefined, undefined, error);
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const requestId = error.requestID ?? undefined;
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return new ModelAuthError(status, requestId, error);
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return new ModelUnavailableError(`HTTP ${status} ${errorTypeOf(error)}`, limits.maxRetries, status, requestId, error);
    }
    return new ModelBadRequestError(status, providerMessageOf(error), requestId, error);
  }
  // Anything else (a reply that is not JSON, an SDK bug): the provider gave nothing usable; a later call may.
  return new ModelUnavailableError(`unexpected reply: ${(error as Error)?.message ?? String(error)}`, limits.maxRetries, undefined, undefined, error);
}

function errorTypeOf(error: APIError): string {
  return error.type ?? 'error';
}

function providerMessageOf(error: APIError): string {
  return error.apiMessage !== null ? `${errorTypeOf(error)}: ${error.apiMessage}` : error.message;
}
