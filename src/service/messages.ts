/**
 * The messages between the request thread and the processing worker (structured clone over a
 * MessagePort). Notifications are fire-and-forget; calls carry an id and get exactly one reply.
 */
import type { RunObservation } from './port.js';

export type CallMethod = 'start' | 'stop' | 'settle' | 'pingMcp' | 'workflowStart' | 'workflowRerun';

export type ToWorker =
  | { type: 'notify'; keys: string[] }
  | { type: 'kickOutbox' }
  | { type: 'call'; id: number; method: CallMethod; args: unknown[] };

export type FromWorker =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: SerializedError }
  | { type: 'runs'; observations: RunObservation[] };

/**
 * An error crossing the thread boundary. Domain errors keep their `code` and the fields the HTTP layer
 * shows the caller (`validSteps`, `known`), so an admin gets the same 4xx from either side.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

const CARRIED_FIELDS = ['code', 'validSteps', 'known', 'workflowName', 'stepName', 'runId'] as const;

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const field of CARRIED_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (value !== undefined) fields[field] = value;
  }
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}), fields };
}

/** An Error with the original's name, message, code and details (its class does not cross threads). */
export class ProcessingThreadError extends Error {
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    Object.assign(this, serialized.fields);
    if (serialized.stack) this.stack = serialized.stack;
  }
}

/**
 * How long the request thread waits for each call's reply. A worker stuck in a long synchronous task (or
 * wedged) must not leave admin requests and `/readyz` hanging, nor their pending calls piling up.
 */
export const CALL_TIMEOUTS_MS: Record<CallMethod, number> = {
  start: 10 * 60_000, // migrations and MCP connect may retry for minutes
  stop: 2 * 60_000,
  settle: 10 * 60_000,
  pingMcp: 10_000,
  workflowStart: 30_000,
  workflowRerun: 30_000,
};

export class ProcessingCallTimeoutError extends Error {
  readonly code = 'PROCESSING_CALL_TIMEOUT';
  constructor(readonly method: CallMethod, readonly timeoutMs: number) {
    super(`The processing thread did not answer "${method}" within ${timeoutMs} ms; it may be overloaded or stuck (see its logs).`);
    this.name = 'ProcessingCallTimeoutError';
  }
}
