/**
 * Login throttling: after `maxFailures` wrong passwords for one username from one address within
 * `windowMs`, that pair gets 429 until the window passes. Per process and in memory: a guesser spread over
 * several processes gets at most `maxFailures` per process per window, still far from useful against
 * scrypt-hashed passwords; a success clears the count.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  private key(username: string, ip: string): string {
    return `${username.toLowerCase()}\u0000${ip}`;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((at) => at > cutoff);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }

  /** Seconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterSeconds(username: string, ip: string): number {
    const recent = this.recent(this.key(username, ip));
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now()) / 1000));
  }

  failed(username: string, ip: string): void {
    const key = this.key(username, ip);
    this.failures.set(key, [...this.recent(key), this.now()]);
    if (this.failures.size > 100_000) this.failures.clear(); // bound memory under a spray of usernames
  }

  succeeded(username: string, ip: string): void {
    this.failures.delete(this.key(username, ip));
  }
}
