/**
 * Waiting on a condition, not on a budget tuned to a quiet machine: tests that restart processes poll until
 * the condition holds or a generous deadline passes (a busy 2-core CI machine can be 5–10× slower than a
 * developer's laptop), and then fail saying what they waited for.
 */
export interface WaitOptions {
  /** What is awaited, for the failure message. */
  what: string;
  /** @default 90_000 */
  timeoutMs?: number;
  /** @default 100 */
  intervalMs?: number;
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs ?? 90_000} ms waiting for ${options.what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
