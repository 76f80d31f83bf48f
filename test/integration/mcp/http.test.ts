/**
 * The WhatsApp MCP server mounted on an express app at /mcp over real Streamable HTTP on 127.0.0.1: bearer
 * auth (401 without, 403 wrong), tool calls through the client, and a session the server forgot (404) →
 * the client starts a new session and the call still goes out exactly once.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppMcpClient } from '../../../src/mcp/client/whatsapp-client.js';
import { WhatsAppMcpError } from '../../../src/mcp/errors.js';
import { EvolutionSender } from '../../../src/mcp/senders/evolution.js';
import { mountWhatsAppMcp } from '../../../src/mcp/server/http-mount.js';
import type { MountedWhatsAppMcp } from '../../../src/mcp/server/http-mount.js';
import { MemorySentMessageLog } from '../../../src/mcp/server/message-log.js';
import { TextMessageService } from '../../../src/mcp/server/text-message-service.js';
import { createWhatsAppMcpServer } from '../../../src/mcp/server/whatsapp-server.js';
import { FAKE_EVOLUTION_DEFAULTS, startFakeEvolution } from '../../helpers/fake-evolution.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';

const TOKEN = 'mcp-test-token-0123456789abcdef';
const initialize = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('WhatsApp MCP over Streamable HTTP', () => {
  let evolution: FakeProvider;
  let http: Server;
  let mounted: MountedWhatsAppMcp;
  let url: string;
  const clients: WhatsAppMcpClient[] = [];
  /** What the clients logged (warnings): shows which recovery path a test took. */
  const clientLog: Array<{ msg?: string; reason?: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void clientLog.push(JSON.parse(line) as { msg?: string; reason?: string }) });
  const newClient = (token: string | undefined = TOKEN): WhatsAppMcpClient => {
    const client = new WhatsAppMcpClient({ server: { kind: 'http', url, ...(token ? { token } : {}) }, callTimeoutMs: 5000, logger });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    evolution = await startFakeEvolution();
    const service = new TextMessageService({
      sender: new EvolutionSender({ baseUrl: evolution.url, apiKey: FAKE_EVOLUTION_DEFAULTS.apiKey, instance: FAKE_EVOLUTION_DEFAULTS.instance }),
      log: new MemorySentMessageLog(),
    });
    const app = express();
    mounted = mountWhatsAppMcp(app, { token: TOKEN, createServer: () => createWhatsAppMcpServer(service) });
    http = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    expect(evolution.violations).toEqual([]);
  });
  afterAll(async () => {
    await mounted.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await evolution.close();
  });

  it('sends through Evolution with the right token, and ends its session on close', async () => {
    const client = newClient();
    const sent = await client.sendTextMessage({ number: '+5511900000041', message: 'Recebemos sua mensagem.', idempotencyKey: 'http-1' });
    expect(sent).toMatchObject({ messageId: evolution.accepted[0]?.messageId, provider: 'evolution', status: 'accepted' });
    expect(mounted.sessionCount).toBe(1);
    await client.close();
    expect(mounted.sessionCount).toBe(0);
  });

  it('answers 401 without a token and 403 with a wrong one; the client reports it as not retryable', async () => {
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await post({ authorization: 'Bearer wrong-token' })).status).toBe(403);
    expect(mounted.sessionCount).toBe(0);

    const error = await newClient('wrong-token').connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppMcpError);
    expect(error).toMatchObject({ code: 'MCP_UNAUTHORIZED', retryable: false });
    expect(evolution.requests).toHaveLength(1);
  });

  it('answers 404 for an unknown session; the client then starts a new session and the call goes out once', async () => {
    const unknown = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, 'mcp-session-id': 'gone' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);

    const client = newClient();
    await client.sendTextMessage({ number: '+5511900000042', message: 'primeira', idempotencyKey: 'http-2a' });
    await mounted.closeSessions();
    expect(mounted.sessionCount).toBe(0);

    const before = evolution.accepted.length;
    const sent = await client.sendTextMessage({ number: '+5511900000042', message: 'depois do 404', idempotencyKey: 'http-2b' });
    expect(sent.deduplicated).toBe(false);
    expect(clientLog.map((entry) => entry.reason)).toContain('session gone');
    expect(evolution.accepted.length).toBe(before + 1);
    expect(mounted.sessionCount).toBe(1);
  });
});
