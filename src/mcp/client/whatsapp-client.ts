/**
 * zapflow's MCP client for the WhatsApp server. What the bare SDK Client does not do and a service needs:
 * - checks at connect that the server has the tools we call (a wrong server fails at start, not at the first alert);
 * - its own per-call timeout (10 s, not the SDK's 60 s: the outbox would rather retry than wait a minute);
 * - reconnects lazily when the transport closed (stdio child died) or the HTTP session is gone (404 → new
 *   session, and the call is retried once because the server never saw it);
 * - turns `isError` results into `McpToolCallError` with the server's `retryable`;
 * - owns the stdio child: `close()` ends it (stdin closed, then SIGTERM, then SIGKILL — the SDK's sequence).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { McpConnectionError, McpMissingToolsError, McpToolCallError, WhatsAppMcpError } from '../errors.js';
import type { MessageStatus, SendTextInput, SendTextResult } from '../server/text-message-service.js';
import {
  ERROR_META_KEY, MESSAGE_STATUS_TOOL, SEND_TEXT_TOOL, errorMetaSchema, messageStatusSchema, sendTextResultSchema,
} from '../tool-schemas.js';
import { describeTarget, openTransport } from './targets.js';
import type { McpServerTarget, OpenedTransport } from './targets.js';

export interface WhatsAppMcpClientOptions {
  server: McpServerTarget;
  /** Per tool call, including the server's own call to the provider. @default 10_000 */
  callTimeoutMs?: number;
  /** To start (spawn, initialize, list tools). A stdio server under tsx needs a few seconds. @default 20_000 */
  connectTimeoutMs?: number;
  /** @default ['send_text_message', 'get_message_status'] */
  requiredTools?: string[];
  logger?: Logger;
}

interface Connection {
  client: Client;
  opened: OpenedTransport;
}

export class WhatsAppMcpClient {
  private readonly callTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly requiredTools: string[];
  private connection: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private closed = false;

  constructor(private readonly options: WhatsAppMcpClientOptions) {
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.requiredTools = options.requiredTools ?? [SEND_TEXT_TOOL, MESSAGE_STATUS_TOOL];
    if (!(this.callTimeoutMs > 0) || !(this.connectTimeoutMs > 0)) {
      throw new RangeError('WhatsAppMcpClient: callTimeoutMs and connectTimeoutMs must be positive numbers of milliseconds.');
    }
  }

  /** Connects now and checks the tools (otherwise the first call connects). Throws when the server is unusable. */
  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** pid of the stdio server child, while one runs. */
  get serverPid(): number | undefined {
    return this.connection?.opened.pid();
  }

  /** MCP ping over the (re)connected transport, for readiness probes: the server is up and answering. */
  async ping(): Promise<void> {
    const connection = await this.ensureConnected();
    try {
      await connection.client.ping({ timeout: Math.min(this.callTimeoutMs, 5000) });
    } catch (error) {
      if (isConnectionLoss(error)) await this.drop(connection, 'connection lost');
      throw this.describeCallFailure('ping', error);
    }
  }

  async sendTextMessage(input: SendTextInput): Promise<SendTextResult> {
    const args: Record<string, unknown> = { number: input.number, message: input.message };
    if (input.instance !== undefined) args.instance = input.instance;
    if (input.idempotencyKey !== undefined) args.idempotencyKey = input.idempotencyKey;
    return this.callTool(SEND_TEXT_TOOL, args, sendTextResultSchema);
  }

  async getMessageStatus(messageId: string): Promise<MessageStatus> {
    return this.callTool(MESSAGE_STATUS_TOOL, { messageId }, messageStatusSchema);
  }

  /** Calls a tool and returns its structured content parsed with `schema`. Throws WhatsAppMcpError subclasses. */
  async callTool<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.ensureConnected();
      let result: CallToolResult;
      try {
        result = (await connection.client.callTool({ name, arguments: args }, undefined, { timeout: this.callTimeoutMs })) as CallToolResult;
      } catch (error) {
        const neverSent = requestNeverReachedServer(error);
        if (neverSent || isConnectionLoss(error)) await this.drop(connection, neverSent ? 'session gone' : 'connection lost');
        // The server never saw the request, so sending it again cannot duplicate anything.
        if (neverSent && attempt === 1 && !this.closed) continue;
        throw this.describeCallFailure(name, error);
      }
      if (result.isError) throw toolCallError(name, result);
      const parsed = schema.safeParse(result.structuredContent);
      if (!parsed.success) {
        throw new WhatsAppMcpError('MCP_BAD_RESULT', `MCP tool ${name} answered without the expected structured content (${parsed.error.message}); is this the zapflow WhatsApp server?`, false);
      }
      return parsed.data;
    }
  }

  /** Closes the connection and ends a stdio child. Later calls fail with MCP_CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection ?? (await this.connecting?.catch(() => undefined));
    this.connection = undefined;
    if (connection) await this.shutdown(connection);
  }

  private async ensureConnected(): Promise<Connection> {
    if (this.closed) throw new WhatsAppMcpError('MCP_CLIENT_CLOSED', 'The WhatsApp MCP client was closed (the service is shutting down).', true);
    if (this.connection) return this.connection;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const target = this.options.server;
    const logger = this.options.logger;
    let opened: OpenedTransport | undefined;
    const client = new Client({ name: 'zapflow', version: '0.1.0' }, { capabilities: {} });
    try {
      opened = await openTransport(target);
      await client.connect(opened.transport, { timeout: this.connectTimeoutMs });
      const { tools } = await client.listTools(undefined, { timeout: this.connectTimeoutMs });
      const available = tools.map((tool) => tool.name);
      const missing = this.requiredTools.filter((name) => !available.includes(name));
      if (missing.length > 0) throw new McpMissingToolsError(missing, available);
    } catch (error) {
      await client.close().catch(() => undefined);
      if (error instanceof WhatsAppMcpError) throw error;
      if (isAuthRefusal(error)) throw unauthorized(error);
      const stderr = opened?.stderrTail();
      throw new McpConnectionError(
        'MCP_CONNECT_FAILED',
        `Could not connect to the WhatsApp MCP server (${describeTarget(target)}): ${errorText(error)}` +
          (stderr ? `\nServer stderr:\n${stderr}` : '') + '\nCheck the server command/URL and token; retrying later can help if it was restarting.',
        { cause: error },
      );
    }
    const connection: Connection = { client, opened };
    // The SDK calls onclose when the stdio child exits or the in-memory peer closes: the next call reconnects.
    client.onclose = () => {
      if (this.connection === connection) {
        this.connection = undefined;
        if (!this.closed) logger?.warn({ server: describeTarget(target) }, 'WhatsApp MCP server connection closed; will reconnect on the next call');
      }
    };
    client.onerror = (error) => logger?.debug({ err: error }, 'WhatsApp MCP transport error');
    if (this.closed) {
      await this.shutdown(connection);
      throw new WhatsAppMcpError('MCP_CLIENT_CLOSED', 'The WhatsApp MCP client was closed while connecting.', true);
    }
    this.connection = connection;
    logger?.info({ server: describeTarget(target), pid: opened.pid() }, 'connected to the WhatsApp MCP server');
    return connection;
  }

  private async drop(connection: Connection, reason: string): Promise<void> {
    if (this.connection === connection) this.connection = undefined;
    this.options.logger?.warn({ server: describeTarget(this.options.server), reason }, 'dropping the WhatsApp MCP connection; will reconnect');
    await this.shutdown(connection);
  }

  private async shutdown(connection: Connection): Promise<void> {
    const transport = connection.opened.transport;
    // Tell an HTTP server the session is over instead of leaving it to expire; it may already be gone.
    if ('terminateSession' in transport && typeof transport.terminateSession === 'function') {
      await (transport.terminateSession as () => Promise<void>).call(transport).catch(() => undefined);
    }
    await connection.client.close().catch(() => undefined);
  }

  private describeCallFailure(name: string, error: unknown): WhatsAppMcpError {
    if (error instanceof WhatsAppMcpError) return error;
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      return new McpConnectionError(
        'MCP_TIMEOUT',
        `The WhatsApp MCP server did not answer ${name} within ${this.callTimeoutMs} ms; the message may or may not have gone out. Retrying with the same idempotency key is safe.`,
        { cause: error },
      );
    }
    if (isAuthRefusal(error)) return unauthorized(error);
    if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed) {
      return new McpToolCallError(name, 'MCP_PROTOCOL_ERROR', error.message, false);
    }
    return new McpConnectionError(
      'MCP_CONNECTION_LOST',
      `Lost the connection to the WhatsApp MCP server during ${name} (${errorText(error)}); it reconnects on the next call. Retrying with the same idempotency key is safe.`,
      { cause: error },
    );
  }
}

/** HTTP 404 on a request with our session id (the server forgot the session), or a closed transport before sending. */
function requestNeverReachedServer(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404;
  return error instanceof Error && error.message === 'Not connected';
}

function isConnectionLoss(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  if (error instanceof StreamableHTTPError) return error.code === undefined || error.code >= 500;
  // fetch failures (server down) surface as TypeError('fetch failed').
  return error instanceof TypeError;
}

function isAuthRefusal(error: unknown): error is StreamableHTTPError {
  return error instanceof StreamableHTTPError && (error.code === 401 || error.code === 403);
}

/** A wrong or missing token does not fix itself: not retryable, and says what to check. */
function unauthorized(error: StreamableHTTPError): WhatsAppMcpError {
  return new WhatsAppMcpError(
    'MCP_UNAUTHORIZED',
    `The WhatsApp MCP endpoint refused the client's bearer token (HTTP ${error.code}); check the MCP token configured on both sides.`,
    false,
    { cause: error },
  );
}

function toolCallError(name: string, result: CallToolResult): McpToolCallError {
  const text = result.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join(' ')
    .trim();
  const meta = errorMetaSchema.safeParse(result._meta?.[ERROR_META_KEY]);
  // A server that does not say (not ours) gets the cautious answer: do not retry blindly.
  return new McpToolCallError(name, meta.success ? meta.data.code : 'TOOL_ERROR', text || 'no reason given', meta.success && meta.data.retryable);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
