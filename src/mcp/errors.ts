/**
 * Every error of the WhatsApp MCP module, each with a stable `code`, a message that says what to do, the
 * original `cause`, and `retryable`: whether sending the same thing again later can succeed (rate limits,
 * provider outages, timeouts, a restarting server) or never will (bad number, bad token, bad input).
 * The outbox dispatcher reads `retryable` to choose between backoff and `dead`.
 */

export class WhatsAppMcpError extends Error {
  /** Stable, machine-readable code. Never change one: alerts and admin tools match on it. */
  readonly code: string;
  /** True when the same request may succeed later; false when it never will without a change. */
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retryable = retryable;
    this.name = new.target.name;
  }
}

/** What a provider (or our validation before calling it) said about one send. */
export type SendFailureCode =
  | 'INVALID_RECIPIENT'
  | 'INVALID_MESSAGE'
  | 'RATE_LIMITED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_UNREACHABLE'
  | 'PROVIDER_AUTH'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_BAD_RESPONSE'
  | 'UNSUPPORTED_RECIPIENT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'UNKNOWN_MESSAGE'
  /** Shared log: another process holds a live claim on this idempotency key (it is sending it now). */
  | 'SEND_IN_PROGRESS'
  /** Shared log: the part was sent but its record could not be written; a retry records it, sends nothing. */
  | 'LOG_UNAVAILABLE';

/** A send (or status lookup) failed. Becomes an `isError` tool result on the MCP server. */
export class WhatsAppSendError extends WhatsAppMcpError {
  constructor(
    code: SendFailureCode,
    message: string,
    retryable: boolean,
    readonly details: { httpStatus?: number; providerCode?: string | number } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, retryable, options);
  }
}

/** The WhatsApp sender configuration (environment) is incomplete or contradictory. Lists every problem. */
export class WhatsAppConfigError extends WhatsAppMcpError {
  constructor(readonly problems: string[]) {
    super('WHATSAPP_CONFIG_INVALID', `Invalid WhatsApp sender configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, false);
  }
}

/** The MCP server could not be reached, dropped the connection, or did not answer in time. Always retryable. */
export class McpConnectionError extends WhatsAppMcpError {
  constructor(code: 'MCP_CONNECT_FAILED' | 'MCP_CONNECTION_LOST' | 'MCP_TIMEOUT', message: string, options?: { cause?: unknown }) {
    super(code, message, true, options);
  }
}

/** The server answered but lacks tools the client needs: a wrong server or an old version. Not retryable. */
export class McpMissingToolsError extends WhatsAppMcpError {
  constructor(readonly missing: string[], readonly available: string[]) {
    super(
      'MCP_MISSING_TOOLS',
      `The MCP server does not offer the tool(s) ${missing.join(', ')} (it offers: ${available.join(', ') || 'none'}). ` +
        'Point the client at the zapflow WhatsApp MCP server (`zapflow mcp-whatsapp`) or a compatible one.',
      false,
    );
  }
}

/** A tool returned `isError: true`. `code`/`retryable` come from the server's `_meta` when it sends them. */
export class McpToolCallError extends WhatsAppMcpError {
  constructor(readonly toolName: string, code: string, message: string, retryable: boolean) {
    super(code, `MCP tool ${toolName} failed: ${message}`, retryable);
  }
}

/** An alert reached some agents and not others; delivered recipients are deduplicated on retry. */
export class NotificationDeliveryError extends WhatsAppMcpError {
  constructor(readonly failures: Array<{ recipient: string; error: WhatsAppMcpError | Error }>, delivered: number) {
    const retryable = failures.some((f) => !(f.error instanceof WhatsAppMcpError) || f.error.retryable);
    super(
      'ALERT_DELIVERY_FAILED',
      `Agent alert failed for ${failures.length} recipient(s) (${delivered} delivered): ` +
        failures.map((f) => `${maskRecipient(f.recipient)}: ${f.error.message}`).join('; ') +
        (retryable ? ' — will be retried; recipients already reached are not messaged again.' : ' — fix the recipient configuration (AGENT_ALERT_NUMBERS).'),
      retryable,
      { cause: failures[0]?.error },
    );
  }
}

/** Keeps enough of a number or JID to recognise it in an admin view, never the whole thing (LGPD). */
export function maskRecipient(recipient: string): string {
  const [user = '', server] = recipient.split('@');
  const visible = user.length > 6 ? `${user.slice(0, 4)}…${user.slice(-2)}` : `${user.slice(0, 2)}…`;
  return server ? `${visible}@${server}` : visible;
}
