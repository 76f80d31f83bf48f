/**
 * Pieces both normalizers share: the batch being filled, the request context, reading the raw body as
 * JSON, and turning a zod failure into a 400 that names the field (never its content).
 */
import type { z } from 'zod';
import { MalformedWebhookError } from './errors.js';
import type { IgnoreOptions } from './options.js';
import type { AcceptedBatch, IgnoreReason, Provider } from './types.js';

export interface NormalizeContext {
  ignore: Required<IgnoreOptions>;
  /** When the request was read (Unix ms): `receivedAt`, and the timestamp of items that carry none. */
  receivedAt: number;
}

export function emptyBatch(provider: Provider, receivedAt: number): AcceptedBatch {
  return { provider, receivedAt, messages: [], textOnlyNotices: [], ignored: [], statusUpdates: [] };
}

/** Provider names echoed in `IgnoredItem.detail` are cut so a hostile body cannot make them large. */
export function detailOf(name: string): string {
  return name.slice(0, 64);
}

export function ignore(batch: AcceptedBatch, ignoredBecause: IgnoreReason, item: { messageId?: string; conversationKey?: string; detail?: string } = {}): void {
  batch.ignored.push({ provider: batch.provider, ignoredBecause, ...item });
}

/**
 * One JSON document, nothing else. JSON.parse is iterative, so deep nesting cannot overflow the stack
 * here; nothing downstream recurses into unknown parts of the document either.
 */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new MalformedWebhookError('the body is empty; a JSON object was expected');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new MalformedWebhookError('the body is not valid JSON', undefined, { cause: error });
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** Parse with a schema, or throw a 400 naming the first bad field (paths hold schema keys and indexes only). */
export function parseAt<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new MalformedWebhookError(issue?.message ?? 'invalid value', formatPath(path, issue?.path ?? []));
}

/**
 * Provider timestamps in Unix seconds, as Meta (decimal string) and Evolution (number, numeric string, or a
 * protobuf Long `{low, high}`) send them → Unix ms. Anything unreadable falls back to the receive time: a
 * bad timestamp is no reason to drop a customer's message.
 */
export function unixSecondsToMillis(value: unknown, fallback: number): number {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && /^\d{1,15}$/.test(value)) seconds = Number(value);
  else if (isRecord(value) && typeof value.low === 'number' && typeof value.high === 'number') {
    seconds = value.high * 2 ** 32 + (value.low >>> 0);
  }
  if (seconds === undefined || !Number.isSafeInteger(seconds) || seconds < 0) return fallback;
  const millis = seconds * 1000;
  return Number.isSafeInteger(millis) ? millis : fallback;
}
