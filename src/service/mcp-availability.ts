/**
 * Whether the WhatsApp MCP server can take deliveries, watched so that an MCP outage delays alerts and
 * replies instead of stopping the service or killing them:
 *
 * - at start the connection is attempted in the background: webhooks are received and stored even when the
 *   MCP server is down at boot (no crash loop under a supervisor);
 * - while it cannot be reached, it is reconnected with capped backoff (1 s … 30 s), the outbox claims
 *   nothing, a warning is logged every minute, and readiness says `degraded` with the reason; once it
 *   answers, the outbox is kicked and delivers what waited;
 * - deliveries that time out or lose the connection are counted: after `failuresBeforeDegraded` in a row
 *   (and until one succeeds) readiness says degraded too, though the server still answers pings.
 */
import type { Logger } from '../logging.js';
import type { WhatsAppMcpClient } from '../mcp/index.js';

/** MCP client errors that mean "the server is not reachable or not answering" (not "it refused this message"). */
export const MCP_OUTAGE_CODES = ['MCP_CONNECT_FAILED', 'MCP_CONNECTION_LOST', 'MCP_TIMEOUT', 'MCP_CLIENT_CLOSED'] as const;
/**
 * `lastError` of an outbox row that failed because of an MCP outage: `[CODE] message`, or an agent alert's
 * `[ALERT_DELIVERY_FAILED]` quoting the client's messages per recipient.
 */
export const MCP_OUTAGE_ERROR = new RegExp(
  `^\\[(${MCP_OUTAGE_CODES.join('|')})\\]|^\\[ALERT_DELIVERY_FAILED\\].*(Could not connect to the WhatsApp MCP server|The WhatsApp MCP server did not answer|Lost the connection to the WhatsApp MCP server|WhatsApp MCP client was closed)`,
);

/** The MCP client's code, also inside an agent alert's per-recipient failures. */
function outageCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (MCP_OUTAGE_CODES as readonly string[]).includes(code)) return code;
  const failures = (error as { failures?: unknown } | null)?.failures;
  if (Array.isArray(failures)) {
    for (const failure of failures) {
      const inner = outageCodeOf((failure as { error?: unknown } | null)?.error);
      if (inner) return inner;
    }
  }
  return undefined;
}

export interface McpAvailabilityOptions {
  mcp: Pick<WhatsAppMcpClient, 'connect' | 'ping'>;
  logger: Logger;
  /** Called when the server answers again after being unreachable (kick the outbox). */
  onAvailable: () => void;
  /** Consecutive failed deliveries (timeouts, lost connections) before readiness says degraded. @default 3 */
  failuresBeforeDegraded?: number;
  /** @default 1000 */
  firstRetryMs?: number;
  /** @default 30_000 */
  maxRetryMs?: number;
  now?: () => number;
}

export class McpAvailability {
  private unreachable: { since: number; reason: string } | undefined;
  private failing: { since: number; count: number; code: string } | undefined;
  private reconnecting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly failuresBeforeDegraded: number;

  constructor(private readonly options: McpAvailabilityOptions) {
    this.now = options.now ?? Date.now;
    this.failuresBeforeDegraded = options.failuresBeforeDegraded ?? 3;
  }

  /** Connects in the background; never throws (a down server is reported, and retried). */
  start(): void {
    this.markUnreachable('not connected yet');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  /** Deliveries may be attempted (the server was reachable at the last try). */
  get available(): boolean {
    return this.unreachable === undefined;
  }

  /** Resolves when deliveries can be expected to work; rejects with the reason otherwise (readiness). */
  async check(): Promise<void> {
    if (this.unreachable) throw new Error(`degraded: WhatsApp MCP server unreachable since ${new Date(this.unreachable.since).toISOString()} (${this.unreachable.reason}); messages are stored and delivered once it is back`);
    if (this.failing && this.failing.count >= this.failuresBeforeDegraded) {
      throw new Error(`degraded: the last ${this.failing.count} WhatsApp MCP deliveries failed (${this.failing.code}) since ${new Date(this.failing.since).toISOString()}; retrying`);
    }
    await this.options.mcp.ping();
  }

  /** A delivery went out. */
  recordSuccess(): void {
    if (this.failing) this.options.logger.info({ failedDeliveries: this.failing.count }, 'WhatsApp MCP deliveries succeed again');
    this.failing = undefined;
  }

  /** A delivery failed: an outage-type error counts against readiness; an unreachable server starts reconnecting. */
  recordFailure(error: unknown): void {
    const code = outageCodeOf(error);
    if (!code) return;
    this.failing = { since: this.failing?.since ?? this.now(), count: (this.failing?.count ?? 0) + 1, code };
    if (code === 'MCP_CONNECT_FAILED' || code === 'MCP_CONNECTION_LOST') this.markUnreachable(code);
  }

  private markUnreachable(reason: string): void {
    if (this.stopped) return;
    this.unreachable ??= { since: this.now(), reason };
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
  }

  private async reconnect(): Promise<void> {
    const { logger } = this.options;
    let lastWarnAt = 0;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.options.mcp.connect();
        await this.options.mcp.ping();
        const down = this.unreachable;
        this.unreachable = undefined;
        if (down && attempt > 1) logger.warn({ downForSeconds: Math.round((this.now() - down.since) / 1000) }, 'WhatsApp MCP server reachable again; delivering what waited');
        this.options.onAvailable();
        return;
      } catch (error) {
        if (this.unreachable) this.unreachable.reason = error instanceof Error ? error.message.split('\n')[0] ?? error.name : String(error);
        // Every minute, not every attempt: an operator sees the outage in the logs without a flood.
        if (this.now() - lastWarnAt >= 60_000) {
          lastWarnAt = this.now();
          logger.warn({ err: error, attempt, since: this.unreachable?.since }, 'WhatsApp MCP server unreachable; webhooks are still stored, deliveries wait');
        }
      }
      const delayMs = Math.min(this.options.maxRetryMs ?? 30_000, (this.options.firstRetryMs ?? 1000) * 2 ** Math.min(attempt - 1, 10));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delayMs);
        this.timer.unref();
      });
    }
  }
}
