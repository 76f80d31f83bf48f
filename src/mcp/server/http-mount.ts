/**
 * Serves the WhatsApp MCP server over Streamable HTTP at `/mcp` on an express app, behind a bearer token.
 * Stateful sessions (one McpServer + transport per `Mcp-Session-Id`); an unknown or expired session gets
 * 404, which tells a compliant client to initialize a new one (our client does). Idle sessions are closed,
 * so clients that vanished without a DELETE do not pile up.
 *
 * What a client that gets something wrong sees — always JSON, never an HTML page or a stack:
 * - a body that is not JSON → 400 with JSON-RPC error -32700 (parse error);
 * - an `Origin` header that is not allowed → 403 (the MCP spec requires it against DNS rebinding: a web page
 *   the operator visits must not drive this endpoint from their browser). Clients outside a browser send
 *   no Origin; loopback origins and `allowedOrigins` are accepted;
 * - no bearer token → 401 with `WWW-Authenticate: Bearer resource_metadata="…"`, whose document
 *   (`/.well-known/oauth-protected-resource`) names no authorization server and says tokens are issued out of
 *   band. OAuth-capable clients (Inspector, mcp-remote, the SDK) that still try dynamic registration get an
 *   OAuth error from `POST /register` saying the same, so they stop with that message instead of a 404.
 * Only Streamable HTTP is served: the legacy HTTP+SSE transport (`GET /sse` + `POST /messages`) is not.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { Logger } from 'pino';
import { WhatsAppConfigError } from '../errors.js';

export interface MountWhatsAppMcpOptions {
  /** Builds a fresh McpServer for each session (an McpServer serves one transport at a time). */
  createServer: () => McpServer;
  /** Bearer token clients must send (`Authorization: Bearer …`). Required: this endpoint sends WhatsApp messages. */
  token: string;
  /** @default '/mcp' */
  path?: string;
  /** Sessions without a request for this long are closed. @default 1_800_000 (30 min) */
  sessionIdleMs?: number;
  /** New sessions beyond this get 503 until others close or expire. @default 100 */
  maxSessions?: number;
  /**
   * Browser origins allowed to call the endpoint (exact `scheme://host[:port]`), besides loopback ones
   * (`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`). Requests without Origin are not browsers
   * and always pass this check. @default []
   */
  allowedOrigins?: string[];
  logger?: Logger;
}

export interface MountedWhatsAppMcp {
  readonly sessionCount: number;
  /** Ends every open session (clients get 404 on their next request and start a new session). */
  closeSessions(): Promise<void>;
  /** Ends every session and stops the idle sweep. Call on shutdown. */
  close(): Promise<void>;
}

interface Session {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
}

export function mountWhatsAppMcp(app: Router, options: MountWhatsAppMcpOptions): MountedWhatsAppMcp {
  if (!options.token || options.token.trim().length < 16) {
    throw new WhatsAppConfigError(['The MCP HTTP endpoint needs a bearer token of at least 16 characters (MCP_HTTP_TOKEN).']);
  }
  const path = options.path ?? '/mcp';
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 100;
  const logger = options.logger;
  const sessions = new Map<string, Session>();

  const closeSession = async (sessionId: string): Promise<void> => {
    const session = sessions.get(sessionId);
    sessions.delete(sessionId);
    await session?.server.close();
  };

  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [sessionId, session] of sessions) {
      if (session.lastSeen < cutoff) {
        closeSession(sessionId).catch((error: unknown) => logger?.warn({ err: error }, 'closing an idle MCP session failed'));
      }
    }
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  const existingSession: RequestHandler = async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (!session) {
      rpcError(res, sessionId ? 404 : 400, sessionId ? 'Session not found: start a new session with initialize.' : 'Missing Mcp-Session-Id header.');
      return;
    }
    session.lastSeen = Date.now();
    await session.transport.handleRequest(req, res, req.body);
  };

  const post: RequestHandler = async (req, res, next) => {
    if (req.header('mcp-session-id')) {
      await existingSession(req, res, next);
      return;
    }
    if (!isInitializeRequest(req.body)) {
      rpcError(res, 400, 'No Mcp-Session-Id header: the first request of a session must be initialize.');
      return;
    }
    if (sessions.size >= maxSessions) {
      res.set('retry-after', '30');
      rpcError(res, 503, `Too many open MCP sessions (${maxSessions}); retry later.`);
      return;
    }
    const server = options.createServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { server, transport, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };

  const guard = (handler: RequestHandler): RequestHandler => async (req, res, next) => {
    try {
      await handler(req, res, next);
    } catch (error) {
      logger?.error({ err: error }, 'MCP HTTP request failed');
      if (!res.headersSent) rpcError(res, 500, 'Internal error in the MCP endpoint; retry later.');
    }
  };

  const originCheck = allowedOriginCheck(options.allowedOrigins ?? [], logger);
  const auth = bearerAuth(options.token, path);
  app.post(path, originCheck, auth, express.json({ limit: '1mb' }), guard(post));
  app.get(path, originCheck, auth, guard(existingSession));
  app.delete(path, originCheck, auth, guard(existingSession));
  // Errors of the body parser (not JSON, too large, bad encoding) as JSON-RPC errors, never express's HTML page.
  app.use(path, ((error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
    if (type === 'entity.parse.failed') return rpcError(res, 400, 'Parse error: the body is not valid JSON. Send one JSON-RPC message (or a batch) as application/json.', -32700);
    if (type === 'entity.too.large') return rpcError(res, 413, 'The JSON-RPC message is larger than 1 MiB.', -32600);
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') return rpcError(res, 415, 'Send the body as UTF-8 JSON without Content-Encoding.', -32600);
    logger?.error({ err: error }, 'MCP HTTP request failed before its handler');
    return rpcError(res, 500, 'Internal error in the MCP endpoint; retry later.', -32603);
  }) as ErrorRequestHandler);
  mountOutOfBandAuthMetadata(app, path);

  const closeSessions = async (): Promise<void> => {
    await Promise.all([...sessions.keys()].map((sessionId) => closeSession(sessionId)));
  };
  return {
    get sessionCount() {
      return sessions.size;
    },
    closeSessions,
    async close() {
      clearInterval(sweep);
      await closeSessions();
    },
  };
}

const PROTECTED_RESOURCE_METADATA = '/.well-known/oauth-protected-resource';
const OUT_OF_BAND =
  'This MCP server takes a bearer token issued out of band by its operator (MCP_HTTP_TOKEN); there is no OAuth ' +
  'authorization server and no client registration. Configure your client to send the header Authorization: Bearer <token>.';

/** The server's own origin as the client reached it (no proxy headers are trusted: `trust proxy` is off). */
function originOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * RFC 9728 metadata for clients that follow the 401's `resource_metadata`: the resource, header bearer
 * tokens, and no `authorization_servers` (tokens come from the operator). `POST /register` and the
 * authorization-server metadata answer OAuth errors in JSON with the same sentence, so an OAuth client ends
 * its discovery with it rather than with a 404 page.
 */
function mountOutOfBandAuthMetadata(app: Router, path: string): void {
  const metadata: RequestHandler = (req, res) => {
    res.set('cache-control', 'no-store');
    res.json({
      resource: `${originOf(req)}${path}`,
      resource_name: 'zapflow WhatsApp MCP server',
      bearer_methods_supported: ['header'],
      authorization_servers: [],
      token_issuance: 'out_of_band',
      description: OUT_OF_BAND,
    });
  };
  app.get([PROTECTED_RESOURCE_METADATA, `${PROTECTED_RESOURCE_METADATA}${path}`], metadata);
  app.get(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'], (_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: OUT_OF_BAND });
  });
  app.post('/register', (_req, res) => {
    res.status(403).json({ error: 'access_denied', error_description: OUT_OF_BAND });
  });
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

function allowedOriginCheck(allowed: string[], logger: Logger | undefined): RequestHandler {
  const exact = new Set(allowed.map((origin) => origin.trim().replace(/\/+$/, '').toLowerCase()).filter(Boolean));
  return (req, res, next) => {
    const origin = req.header('origin');
    if (origin === undefined || LOOPBACK_ORIGIN.test(origin) || exact.has(origin.toLowerCase())) {
      next();
      return;
    }
    logger?.warn({ code: 'MCP_ORIGIN_FORBIDDEN' }, 'MCP request refused: Origin not allowed');
    rpcError(res, 403, 'Forbidden: this Origin may not call the MCP endpoint (add it to MCP_ALLOWED_ORIGINS if it is yours).', -32000);
  };
}

/** 401 without a bearer token, 403 with a wrong one; compared in constant time (hashes hide the length). */
function bearerAuth(token: string, path: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
    if (!match?.[1]) {
      const resourceMetadata = `${originOf(req)}${PROTECTED_RESOURCE_METADATA}${path}`;
      res.set('www-authenticate', `Bearer realm="zapflow-mcp", resource_metadata="${resourceMetadata}"`);
      res.status(401).json({ error: `Missing bearer token. ${OUT_OF_BAND}`, code: 'UNAUTHORIZED' });
      return;
    }
    const given = createHash('sha256').update(match[1]).digest();
    if (!timingSafeEqual(given, expected)) {
      res.status(403).json({ error: 'Wrong bearer token for the MCP endpoint.', code: 'FORBIDDEN' });
      return;
    }
    next();
  };
}

function rpcError(res: Response, status: number, message: string, code = status === 404 ? -32001 : -32000): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
