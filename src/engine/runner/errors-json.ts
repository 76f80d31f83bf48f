/** Errors as stored and put in events: name, stable code, message, step path and the cause chain. */
import type { SerializedError } from '../storage/types.js';

const MAX_CAUSE_DEPTH = 8;

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'NonError', message: describe(error) };
  const out: SerializedError = { name: error.name, message: error.message };
  const { code, stepPath } = error as { code?: unknown; stepPath?: unknown };
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
  if (typeof stepPath === 'string') out.stepPath = stepPath;
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** Rebuilds an Error from its stored form (for results of runs finished in another process). */
export function deserializeError(stored: SerializedError): Error {
  const error = new Error(stored.message, stored.cause ? { cause: deserializeError(stored.cause) } : undefined);
  error.name = stored.name;
  if (stored.code !== undefined) Object.assign(error, { code: stored.code });
  if (stored.stepPath !== undefined) Object.assign(error, { stepPath: stored.stepPath });
  return error;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
