/**
 * Serves the WhatsApp MCP server over Streamable HTTP at `/mcp` on an express app, behind a bearer token.
 * Stateful sessions (one McpServer + transport per `Mcp-Session-Id`); an unknown or expired session gets
 * 404, which tells a compliant client to initialize a new one (our client does). Idle sessions are closed,
 * so clients that vanished without a DELETE do not pile up.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
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

  const auth = bearerAuth(options.token);
  app.post(path, auth, express.json({ limit: '1mb' }), guard(post));
  app.get(path, auth, guard(existingSession));
  app.delete(path, auth, guard(existingSession));

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

/** 401 without a bearer token, 403 with a wrong one; compared in constant time (hashes hide the length). */
function bearerAuth(token: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
    if (!match?.[1]) {
      res.set('www-authenticate', 'Bearer realm="zapflow-mcp"');
      res.status(401).json({ error: 'Missing bearer token: send Authorization: Bearer <MCP token>.', code: 'UNAUTHORIZED' });
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

function rpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: status === 404 ? -32001 : -32000, message }, id: null });
}
