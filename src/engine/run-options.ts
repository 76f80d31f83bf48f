/** Checks what callers pass to run()/start()/stream() and purge(): bad input gets a clear error, never a crash mid-run. */
import { InvalidOptionError } from './errors.js';
import type { RunInputRecord, RunStatus } from './storage/types.js';
import type { RunOptions } from './types.js';

export interface ValidRunOptions {
  runId: string | undefined;
  sessionId: string | undefined;
  userId: string | undefined;
  signal: AbortSignal | undefined;
  input: RunInputRecord;
}

export function validateRunOptions(options: RunOptions, workflowName: string): ValidRunOptions {
  const where = `Workflow "${workflowName}" run`; // only formatted into errors
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(`${where}: pass an options object, e.g. { message: 'hello', sessionId: 'conversation-1' }.`);
  const { runId, sessionId, userId, additionalData, media, signal } = options;
  checkOptionalString(runId, 'runId', where);
  checkOptionalString(sessionId, 'sessionId', where);
  checkOptionalString(userId, 'userId', where);
  if (additionalData !== undefined && (typeof additionalData !== 'object' || additionalData === null || Array.isArray(additionalData))) {
    throw new InvalidOptionError(`${where}: additionalData must be a plain object.`);
  }
  if (media !== undefined && !Array.isArray(media)) throw new InvalidOptionError(`${where}: media must be an array.`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError(`${where}: signal must be an AbortSignal.`);
  const input: RunInputRecord = { message: options.message };
  if (userId !== undefined) input.userId = userId;
  if (additionalData !== undefined) input.additionalData = additionalData;
  if (media !== undefined) input.media = media;
  return { runId, sessionId, userId, signal, input };
}

function checkOptionalString(value: unknown, key: string, where: string): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) throw new InvalidOptionError(`${where}: ${key} must be a non-empty string (got ${JSON.stringify(value)}).`);
}

export interface PurgeRequest {
  /** Age (ms) or instant: finished runs and idle sessions last updated before it are deleted. */
  olderThan: number | Date;
  /** Final statuses to purge. @default ['completed', 'error', 'cancelled'] */
  statuses?: RunStatus[];
  /** Rows per batch. @default 500 */
  batchSize?: number;
}

export function purgeBefore(request: PurgeRequest, now: number): number {
  const { olderThan } = request ?? {};
  if (olderThan instanceof Date && !Number.isNaN(olderThan.getTime())) return olderThan.getTime();
  if (typeof olderThan === 'number' && Number.isFinite(olderThan) && olderThan >= 0) return now - olderThan;
  throw new InvalidOptionError(`purge needs olderThan: an age in ms ≥ 0 (e.g. 90 * 24 * 3600 * 1000) or a Date (got ${String(olderThan)}).`);
}
