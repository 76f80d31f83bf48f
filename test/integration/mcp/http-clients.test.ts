/**
 * Issue 18, MCP over HTTP: what real clients meet at /mcp, driven with the official SDK client
 * (`@modelcontextprotocol/sdk` Client + StreamableHTTPClientTransport) over real HTTP on 127.0.0.1 —
 * malformed JSON, foreign origins, clients without a token (with and without OAuth support), and phone
 * numbers sent as JSON numbers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DryRunSender } from '../../../src/mcp/senders/dry-run.js';
import { mountWhatsAppMcp, type MountedWhatsAppMcp } from '../../../src/mcp/server/http-mount.js';
import { MemorySentMessageLog } from '../../../src/mcp/server/message-log.js';
import { TextMessageService } from '../../../src/mcp/server/text-message-service.js';
import { createWhatsAppMcpServer } from '../../../src/mcp/server/whatsapp-server.js';

const TOKEN = 'mcp-test-token-0123456789abcdef';
const initialize = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

let http: Server;
let mounted: MountedWhatsAppMcp;
let base: string;
let url: string;
const log = new MemorySentMessageLog();
const clients: Client[] = [];

beforeAll(async () => {
  const service = new TextMessageService({ sender: new DryRunSender(), log });
  const app = express();
  mounted = mountWhatsAppMcp(app, { token: TOKEN, createServer: () => createWhatsAppMcpServer(service), allowedOrigins: ['https://console.example.com'] });
  http = createServer(app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  url = `${base}/mcp`;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await mounted.close();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

function post(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
}

async function connectedClient(): Promise<Client> {
  const client = new Client({ name: 'sdk-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  return client;
}

describe('9. malformed JSON', () => {
  it('gets a JSON-RPC parse error (-32700), never an HTML page or a stack trace', async () => {
    const response = await post('{"jsonrpc": "2.0", "id": 1, "method": "initialize", ');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text).not.toMatch(/<html|<pre>|at \w+ \(|node_modules/i);
    expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });
});

describe('10. the Origin header (DNS rebinding)', () => {
  it('refuses a foreign origin with 403, and accepts loopback and configured origins', async () => {
    const foreign = await post(JSON.stringify(initialize), { origin: 'http://attacker.example' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toContain('MCP_ALLOWED_ORIGINS');

    for (const origin of ['http://localhost:6274', 'https://console.example.com']) {
      const allowed = await post(JSON.stringify(initialize), { origin });
      expect(allowed.status, origin).toBe(200);
      await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}`, 'mcp-session-id': allowed.headers.get('mcp-session-id') ?? '' } });
    }
  });
});

describe('11. clients without a token', () => {
  it('get 401 with WWW-Authenticate resource_metadata, whose document says tokens are issued out of band', async () => {
    const response = await post(JSON.stringify(initialize), { authorization: '' });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${base}/.well-known/oauth-protected-resource/mcp`);
    const metadata = (await (await fetch(metadataUrl!)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: url, authorization_servers: [], bearer_methods_supported: ['header'], token_issuance: 'out_of_band' });
    expect(String(metadata.description)).toContain('MCP_HTTP_TOKEN');
    expect((await fetch(`${base}/.well-known/oauth-protected-resource`)).status).toBe(200);
  });

  it('the SDK client without OAuth stops with a clear message', async () => {
    const client = new Client({ name: 'no-token', version: '1.0.0' });
    clients.push(client);
    const error = await client.connect(new StreamableHTTPClientTransport(new URL(url))).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('issued out of band');
    expect((error as Error).message).toContain('Authorization: Bearer');
  });

  it('an OAuth-capable SDK client (as Inspector and mcp-remote are) ends its discovery with the same clear message, not a 404', async () => {
    let redirected = false;
    const provider: OAuthClientProvider = {
      get redirectUrl() {
        return 'http://127.0.0.1:9/callback';
      },
      get clientMetadata() {
        return { redirect_uris: ['http://127.0.0.1:9/callback'], client_name: 'oauth-test' };
      },
      clientInformation: () => undefined,
      saveClientInformation: () => undefined,
      tokens: () => undefined,
      saveTokens: () => undefined,
      redirectToAuthorization: () => {
        redirected = true;
      },
      saveCodeVerifier: () => undefined,
      codeVerifier: () => 'unused',
    };
    const client = new Client({ name: 'oauth', version: '1.0.0' });
    clients.push(client);
    const error = await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('issued out of band');
    expect(redirected).toBe(false);
  });
});

describe('12. a phone number sent as a JSON number', () => {
  it('is accepted as the string of its digits; one past JSON\'s exact integers is refused with a clear error', async () => {
    const client = await connectedClient();
    const result = await client.callTool({ name: 'send_text_message', arguments: { number: 5511999990000, message: 'Teste de número como JSON number.' } });
    expect(result.isError).toBeFalsy();
    const [record] = await log.list({ limit: 1 });
    expect(record?.recipient).toBe('+5511999990000');

    // 2^53 + 2: a JSON number past the exact integers (its last digits were already lost in parsing).
    const tooLong = await client.callTool({ name: 'send_text_message', arguments: { number: 2 ** 53 + 2, message: 'x' } });
    expect(tooLong.isError).toBe(true);
    expect(JSON.stringify(tooLong.content)).toContain('send it as a string');
  });
});
