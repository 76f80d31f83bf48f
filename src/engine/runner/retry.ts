/** Exponential backoff with jitter between a step's attempts. */
import { InvalidDefinitionError } from '../errors.js';
import type { RetryBackoff } from '../types.js';

export type ResolvedBackoff = Required<RetryBackoff>;

export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({ initialMs: 200, factor: 2, maxMs: 10_000, jitter: 0.2 });

/** `retryBackoff` may be an object or a number (the initial delay in ms). Validated at construction. */
export function resolveBackoff(option: RetryBackoff | number | undefined, stepName: string): ResolvedBackoff {
  if (option === undefined) return DEFAULT_BACKOFF;
  const backoff = typeof option === 'number'
    ? { ...DEFAULT_BACKOFF, initialMs: option, maxMs: Math.max(DEFAULT_BACKOFF.maxMs, option) }
    : { ...DEFAULT_BACKOFF, ...option };
  const bad = (what: string): never => {
    throw new InvalidDefinitionError(stepName, `retryBackoff.${what}`);
  };
  if (!Number.isFinite(backoff.initialMs) || backoff.initialMs < 0) bad(`initialMs must be a number ≥ 0 (got ${backoff.initialMs}).`);
  if (!Number.isFinite(backoff.factor) || backoff.factor < 1) bad(`factor must be a number ≥ 1 (got ${backoff.factor}).`);
  if (!Number.isFinite(backoff.maxMs) || backoff.maxMs < backoff.initialMs) bad(`maxMs must be ≥ initialMs (got ${backoff.maxMs}).`);
  if (!Number.isFinite(backoff.jitter) || backoff.jitter < 0 || backoff.jitter > 1) bad(`jitter must be between 0 and 1 (got ${backoff.jitter}).`);
  return Object.freeze(backoff);
}

/** Delay before retry number `retry` (1 = the first retry). `random` returns [0, 1). */
export function backoffDelay(backoff: ResolvedBackoff, retry: number, random: () => number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (retry - 1));
  const spread = base * backoff.jitter;
  return Math.max(0, Math.round(base - spread + 2 * spread * random()));
}
