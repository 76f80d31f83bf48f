/**
 * The messages between the request thread and the processing worker (structured clone over a
 * MessagePort). Notifications are fire-and-forget; calls carry an id and get exactly one reply.
 */
import { z } from 'zod';
import type { Config } from '../config.js';

/** The calls the request thread makes, with their arguments and results: both sides are typed from this map. */
interface Calls {
  start: { args: []; result: { modelProvider: string } };
  stop: { args: []; result: undefined };
  settle: { args: []; result: undefined };
  pingMcp: { args: []; result: undefined };
  workflowStart: { args: [workflowId: string, input: { conversationKey: string; message: string }]; result: { runId: string } };
  workflowRerun: { args: [runId: string, options: { fromStep?: string }]; result: { runId: string } };
}

export type CallMethod = keyof Calls;
export type CallArgs<M extends CallMethod> = Calls[M]['args'];
export type CallResult<M extends CallMethod> = Calls[M]['result'];

// ...and checked where they cross the thread boundary.
const none = z.tuple([]);
const runId = z.object({ runId: z.string() });
const argsSchemas: { [M in CallMethod]: z.ZodType<CallArgs<M>> } = {
  start: none, stop: none, settle: none, pingMcp: none,
  workflowStart: z.tuple([z.string(), z.object({ conversationKey: z.string(), message: z.string() })]),
  workflowRerun: z.tuple([z.string(), z.object({ fromStep: z.string().optional() })]),
};
const resultSchemas: { [M in CallMethod]: z.ZodType<CallResult<M>> } = {
  start: z.object({ modelProvider: z.string() }), stop: z.undefined(), settle: z.undefined(), pingMcp: z.undefined(),
  workflowStart: runId, workflowRerun: runId,
};
const CALL_METHODS = ['start', 'stop', 'settle', 'pingMcp', 'workflowStart', 'workflowRerun'] as const satisfies readonly CallMethod[];

/** A call's arguments as the worker received them, checked against the method's declared ones. */
export function parseCallArgs<M extends CallMethod>(method: M, args: unknown): CallArgs<M> {
  return argsSchemas[method].parse(args);
}

/** A call's result as the request thread received it, checked against the method's declared one. */
export function parseCallResult<M extends CallMethod>(method: M, value: unknown): CallResult<M> {
  return resultSchemas[method].parse(value);
}

const serializedErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  fields: z.record(z.string(), z.unknown()),
});

const runObservationSchema = z.object({
  workflow: z.string(),
  status: z.string(),
  steps: z.array(z.object({ step: z.string(), seconds: z.number() })),
});

/** Request thread → processing thread. Notifications are fire-and-forget; calls carry an id and get one reply. */
export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('notify'), keys: z.array(z.string()) }),
  z.object({ type: z.literal('kickOutbox') }),
  z.object({ type: z.literal('call'), id: z.number().int(), method: z.enum(CALL_METHODS), args: z.array(z.unknown()) }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

/** Processing thread → request thread: call replies, and finished runs for the metrics. */
export const fromWorkerSchema = z.union([
  z.object({ type: z.literal('reply'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({ type: z.literal('reply'), id: z.number().int(), ok: z.literal(false), error: serializedErrorSchema }),
  z.object({ type: z.literal('runs'), observations: z.array(runObservationSchema) }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;

/** What the processing thread is started with (`workerData`). */
export const workerDataSchema = z.object({
  // Built and validated by loadConfig in the request thread; a structured clone of it arrives here.
  config: z.custom<Config>((value) => typeof value === 'object' && value !== null && 'storage' in value && 'role' in value, 'workerData.config must be the Config object'),
  intakePressure: z.instanceof(SharedArrayBuffer).optional(),
  sqliteWriteGate: z.instanceof(SharedArrayBuffer).optional(),
  intakeSpool: z.boolean().optional(),
});
export type WorkerData = z.infer<typeof workerDataSchema>;

/**
 * An error crossing the thread boundary. Domain errors keep their `code` and the fields the HTTP layer
 * shows the caller (`validSteps`, `known`), so an admin gets the same 4xx from either side.
 */
export type SerializedError = z.infer<typeof serializedErrorSchema>;

const CARRIED_FIELDS = ['code', 'validSteps', 'known', 'workflowName', 'stepName', 'runId'] as const;

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const field of CARRIED_FIELDS) {
    const value: unknown = Reflect.get(error, field);
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
