/**
 * The MCP client against the WhatsApp MCP server in the same process (real MCP over InMemoryTransport) and a
 * fake Meta on 127.0.0.1: results, deduplication, isError → typed errors with `retryable`, timeouts, tool check.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WhatsAppMcpClient } from '../../../src/mcp/client/whatsapp-client.js';
import { McpMissingToolsError, McpToolCallError } from '../../../src/mcp/errors.js';
import { MetaCloudSender } from '../../../src/mcp/senders/meta.js';
import { createInProcessWhatsApp } from '../../../src/mcp/server/in-process.js';
import type { InProcessWhatsApp } from '../../../src/mcp/server/in-process.js';
import { FAKE_META_DEFAULTS, graphError, startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';

describe('MCP client ↔ WhatsApp server, in process', () => {
  let meta: FakeProvider;
  let whatsapp: InProcessWhatsApp;
  let client: WhatsAppMcpClient;

  beforeAll(async () => {
    meta = await startFakeMeta();
  });
  afterAll(async () => meta.close());
  beforeEach(async () => {
    meta.requests.length = 0;
    const sender = new MetaCloudSender({ accessToken: FAKE_META_DEFAULTS.token, phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId, graphUrl: meta.url, timeoutMs: 20_000 });
    whatsapp = createInProcessWhatsApp({ sender });
    // Generous for answered calls (a busy CI machine); the timeout test below uses its own impatient client.
    client = new WhatsAppMcpClient({ server: whatsapp.target, callTimeoutMs: 10_000 });
    await client.connect();
  });
  afterEach(async () => {
    await client.close();
    expect(meta.violations).toEqual([]);
  });

  it('sends through Meta and returns the provider id as structured content; the status tool finds it', async () => {
    const sent = await client.sendTextMessage({ number: '+55 11 90000-0041', message: 'Seu protocolo é 2026000123.', idempotencyKey: 'run-1/ack' });
    expect(sent).toEqual({ messageId: 'wamid.FAKE000001', messageIds: ['wamid.FAKE000001'], status: 'accepted', provider: 'meta', deduplicated: false });
    expect(meta.accepted.map((r) => (r.body as { to: string }).to)).toEqual(['5511900000041']);
    expect(await client.getMessageStatus(sent.messageId)).toMatchObject({ messageId: sent.messageId, status: 'accepted', provider: 'meta' });
  });

  it('sends one WhatsApp message for the same idempotency key, however often it is called', async () => {
    const input = { number: '+5511900000041', message: 'Olá!', idempotencyKey: 'run-2/ack' };
    const results = [await client.sendTextMessage(input), await client.sendTextMessage(input), await client.sendTextMessage(input)];
    expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
    expect(results.map((r) => r.deduplicated)).toEqual([false, true, true]);
    expect(meta.accepted).toHaveLength(1);
  });

  it('turns provider failures into errors that say whether retrying helps', async () => {
    meta.inject({ kind: 'status', status: 500, body: graphError(131000, 'Something went wrong') });
    const outage = await client.sendTextMessage({ number: '+5511900000041', message: 'a', idempotencyKey: 'k1' }).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(McpToolCallError);
    expect(outage).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });

    meta.inject({ kind: 'status', status: 429, body: graphError(130429, 'Rate limit hit') });
    await expect(client.sendTextMessage({ number: '+5511900000041', message: 'a', idempotencyKey: 'k1' })).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true });

    // The third try goes through: still one message for the key.
    await client.sendTextMessage({ number: '+5511900000041', message: 'a', idempotencyKey: 'k1' });
    expect(meta.accepted).toHaveLength(1);

    await expect(client.sendTextMessage({ number: 'not-a-number', message: 'a' })).rejects.toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false });
    await expect(client.getMessageStatus('wamid.never')).rejects.toMatchObject({ code: 'UNKNOWN_MESSAGE', retryable: false });
  });

  it('rejects input the schema refuses (empty message), without calling Meta', async () => {
    const error = await client.sendTextMessage({ number: '+5511900000041', message: '   ' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpToolCallError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toContain('message must not be empty');
    expect(meta.requests).toHaveLength(0);
  });

  it('stops waiting after its own call timeout with a retryable error, and keeps working afterwards', async () => {
    meta.inject({ kind: 'delay', ms: 8000 });
    const impatient = new WhatsAppMcpClient({ server: whatsapp.target, callTimeoutMs: 2000 });
    await impatient.connect();
    try {
      await expect(impatient.sendTextMessage({ number: '+5511900000041', message: 'slow', idempotencyKey: 'slow' }))
        .rejects.toMatchObject({ code: 'MCP_TIMEOUT', retryable: true });
      expect((await impatient.sendTextMessage({ number: '+5511900000041', message: 'fast' })).status).toBe('accepted');
    } finally {
      await impatient.close();
    }
  });

  it('splits a long answer and reports every message id', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `Passo ${i}: confira o cabo da maquininha.`).join(' ');
    const sent = await client.sendTextMessage({ number: '+5511900000041', message: text, idempotencyKey: 'long' });
    expect(sent.messageIds).toEqual(meta.accepted.map((r) => r.messageId));
    expect(sent.messageIds.length).toBeGreaterThan(3);
  });
});

describe('MCP client tool check', () => {
  it('fails at connect, clearly and not retryably, when the server lacks a needed tool', async () => {
    const createServer = (): McpServer => {
      const server = new McpServer({ name: 'other', version: '1.0.0' });
      server.registerTool('send_text_message', { inputSchema: { number: z.string() } }, async () => ({ content: [] }));
      return server;
    };
    const client = new WhatsAppMcpClient({ server: { kind: 'in-process', createServer } });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpMissingToolsError);
    expect(error).toMatchObject({ retryable: false, missing: ['get_message_status'] });
    expect((error as Error).message).toContain('zapflow mcp-whatsapp');
    await client.close();
  });
});
