/**
 * Delay before the next delivery attempt: exponential (base × 2^(attempt−1), capped) with "equal jitter" —
 * half the delay fixed, half random — so retries after a provider outage do not arrive all at once, yet
 * never come sooner than half the nominal delay.
 */
export interface BackoffOptions {
  /** Delay after the first failed attempt. @default 2000 */
  baseMs?: number;
  /** Upper bound of any delay: once an outage ends, every row is retried within this. @default 300_000 (5 min) */
  maxMs?: number;
}

/** `attempt` is 1 for the first failure. `random` returns [0, 1) (injected in tests). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 2000;
  const max = options.maxMs ?? 300_000;
  const nominal = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
